// Steps 1-6 of the demo: the consortium, partnerships, originations, repayments, an overdue
// instalment with penalty, and a prepayment (demo_story.h).
#include "demo_story.h"

#include "money.h"
#include "table.h"

#include <jc/core/sha256.h>

#include <algorithm>

namespace jc::tools {
namespace {

using model::Fen;
using A = Table::Align;

std::string hash_hex(const std::string& text) { return sha256(text).hex(); }

json::Value partnership_body(const std::string& id, const std::string& servicer, const std::string& partner,
                             int fee_bps) {
    return json::Value{{"partnership_id", id},
                       {"servicer_bank", servicer},
                       {"partner_bank", partner},
                       {"agreement_ref", hash_hex("co-lending agreement " + id)},
                       {"funding_mode", "FRONTED"},
                       {"min_tranche_share_bps", 3000},
                       {"max_outstanding_principal", "1000000000"},
                       {"fronting_limit", "1000000000"},
                       {"collection_limit", "1000000000"},
                       {"service_fee_bps", fee_bps},
                       {"fee_base", "INTEREST_AND_PENALTY"},
                       {"require_partner_acceptance", false}};
}

std::string pct(int bps) {
    return std::to_string(bps / 100) + (bps % 100 != 0 ? "." + std::to_string(bps % 100 / 10) + std::to_string(bps % 10) : "") + " %";
}

std::string days_word(std::int64_t n) { return std::to_string(n) + (n == 1 ? " day" : " days"); }

// DOMAIN.md's printed tables, exactly: the model must reproduce them before the chain is
// compared with the model. Columns: total, principal, interest, WB principal, WB interest,
// HR principal, HR interest, fee HR->WB, WB owes HR.
struct Row {
    Fen total, principal, interest, wb_principal, wb_interest, hr_principal, hr_interest, fee, wb_owes_hr;
};
constexpr Row kE2[12] = {{79067, 66667, 12400, 20000, 3720, 46667, 8680, 0, 55347},
                         {77300, 66667, 10633, 20000, 3190, 46667, 7443, 0, 54110},
                         {77000, 66667, 10333, 20000, 3100, 46667, 7233, 0, 53900},
                         {75667, 66667, 9000, 20000, 2700, 46667, 6300, 0, 52967},
                         {74934, 66667, 8267, 20000, 2480, 46667, 5787, 0, 52454},
                         {73667, 66667, 7000, 20000, 2100, 46667, 4900, 0, 51567},
                         {72867, 66667, 6200, 20000, 1860, 46667, 4340, 0, 51007},
                         {71834, 66667, 5167, 20000, 1550, 46667, 3617, 0, 50284},
                         {70666, 66666, 4000, 20000, 1200, 46666, 2800, 0, 49466},
                         {69766, 66666, 3100, 20000, 930, 46666, 2170, 0, 48836},
                         {68666, 66666, 2000, 20000, 600, 46666, 1400, 0, 48066},
                         {67699, 66666, 1033, 20000, 310, 46666, 723, 0, 47389}};
constexpr Row kE3b[12] = {{79067, 66667, 12400, 13333, 2480, 53334, 9920, 1240, 62014},
                          {77300, 66667, 10633, 13333, 2127, 53334, 8506, 1063, 60777},
                          {77000, 66667, 10333, 13333, 2067, 53334, 8266, 1034, 60566},
                          {75667, 66667, 9000, 13334, 1800, 53333, 7200, 900, 59633},
                          {74934, 66667, 8267, 13333, 1653, 53334, 6614, 826, 59122},
                          {73667, 66667, 7000, 13334, 1400, 53333, 5600, 700, 58233},
                          {72867, 66667, 6200, 13333, 1240, 53334, 4960, 620, 57674},
                          {71834, 66667, 5167, 13334, 1033, 53333, 4134, 517, 56950},
                          {70666, 66666, 4000, 13333, 800, 53333, 3200, 400, 56133},
                          {69766, 66666, 3100, 13333, 620, 53333, 2480, 310, 55503},
                          {68666, 66666, 2000, 13333, 400, 53333, 1600, 200, 54733},
                          {67699, 66666, 1033, 13334, 207, 53332, 826, 103, 54055}};
constexpr Row kE3a = {812400, 800000, 12400, 160000, 2480, 640000, 9920, 1240, 648680};

// Pays `rows.size()` instalments of a WB/HR loan on their due dates and compares each with the
// printed row.
void check_table(Story& s, const std::string& name, int wb_bps, int fee_bps, int n, const Row* rows) {
    model::LoanTerms t{name, kWebank, 800000, "2024-01-15", 500000, 750000, n, "2024-02-15",
                       {{kWebank, wb_bps, 0}, {kHuarui, 10000 - wb_bps, fee_bps}}};
    model::Loan l(t);
    const auto dates = l.due_dates();
    for (int k = 0; k < n; ++k) {
        const Row& row = rows[k];
        const Fen due = l.owed(dates[static_cast<std::size_t>(k)]).due();
        const auto r = l.repay(dates[static_cast<std::size_t>(k)], due);
        const std::string at = "model: " + name + " row " + std::to_string(k + 1) + " ";
        s.check.integer(at + "total", due, row.total);
        s.check.integer(at + "principal", r.principal_due, row.principal);
        s.check.integer(at + "interest", r.interest, row.interest);
        s.check.integer(at + "WB principal", r.parts[0].principal, row.wb_principal);
        s.check.integer(at + "WB interest", r.parts[0].interest, row.wb_interest);
        s.check.integer(at + "HR principal", r.parts[1].principal, row.hr_principal);
        s.check.integer(at + "HR interest", r.parts[1].interest, row.hr_interest);
        s.check.integer(at + "fee HR->WB", r.parts[1].fee, row.fee);
        s.check.integer(at + "WB owes HR", r.parts[1].servicer_owes, row.wb_owes_hr);
    }
    s.check.truth("model: " + name + " paid off", l.principal_out() == 0);
}

void check_model_against_domain(Story& s) {
    const model::Loan e1({"E1", kWebank, 800000, "2024-01-15", 500000, 750000, 12, "2024-02-15",
                          {{kWebank, 3000, 0}, {kHuarui, 7000, 0}}});
    s.check.integer("model: E1 tranche WEBANK", e1.tranche_principal(0), 240000);
    s.check.integer("model: E1 tranche HUARUI", e1.tranche_principal(1), 560000);
    s.check.integer("model: E1 800005 at 30/70", model::allocate(800005, {3000, 7000})[0], 240001);
    s.check.integer("model: E1 800001 at 50/50", model::allocate(800001, {5000, 5000})[0], 400001);
    s.check.integer("model: E1 100 at 3333/3333/3334", model::allocate(100, {3333, 3333, 3334})[2], 34);
    check_table(s, "E2", 3000, 0, 12, kE2);
    check_table(s, "E3a", 2000, 1250, 1, &kE3a);
    check_table(s, "E3b", 2000, 1250, 12, kE3b);
    // E6: lrm(1234567, [3000, 7000]) = [370370, 864197].
    const auto e6 = model::allocate(1234567, {3000, 7000});
    s.check.integer("model: E6 split WEBANK", e6[0], 370370);
    s.check.integer("model: E6 split BANKC", e6[1], 864197);
}

void originate(Story& s, const std::string& base, const model::LoanTerms& terms, const std::string& partnership) {
    model::Loan loan(terms);
    json::Value tranches = json::Value::array();
    for (const auto& t : terms.tranches) {
        json::Value tr{{"bank_id", t.bank_id}, {"share_bps", t.share_bps}};
        if (t.bank_id != terms.servicer) {
            tr["partnership_id"] = s.id(partnership);
        }
        tranches.push_back(tr);
    }
    const json::Value body{
        {"loan_id", s.id(base)},
        {"product_code", "CONSUMER"},
        {"borrower_ref", hash_hex("borrower salt:" + s.id(base))},
        {"principal", std::to_string(terms.principal)},
        {"currency", "CNY"},
        {"value_date", terms.value_date},
        {"rate_ppb", std::to_string(terms.rate_ppb)},
        {"basis", "DAILY"},
        {"interest_method", "ACTUAL_DAYS"},
        {"penalty_rate_ppb", std::to_string(terms.penalty_rate_ppb)},
        {"penalty_mode", "REPLACE"},
        {"schedule", json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", terms.installments}, {"first_due_date", terms.first_due_date}}},
        {"prepay_mode", "SHORTEN"},
        {"tranches", tranches},
        {"disbursement", json::Value{{"channel_ref", "DISB-" + s.id(base)}, {"mode", "FRONTED"}}}};
    const json::Value receipt = s.net.submit(terms.servicer, "loan.originate", body, terms.servicer + "-ORIG-" + s.id(base));
    s.last_height = std::max<std::uint64_t>(s.last_height, receipt.value("height", 0u));
    const json::Value& r = receipt["result"];

    s.out << "\n  " << s.id(base) << ": " << cny(terms.principal) << " lent by " << terms.servicer << " on "
          << terms.value_date << ", " << terms.installments << " monthly instalments from " << terms.first_due_date
          << ", 0.05 %/day (18.25 % a year), penalty 0.075 %/day\n";
    Table t({{"BANK"}, {"SHARE", A::kRight}, {"FUNDS (CNY)", A::kRight}, {"ROLE"}});
    for (std::size_t i = 0; i < terms.tranches.size(); ++i) {
        const json::Value& tr = r["tranches"][i];
        t.row({tr.value("bank_id", ""), pct(terms.tranches[i].share_bps), yuan(fen_of(tr, "principal")),
               terms.tranches[i].bank_id == terms.servicer ? "servicer (lends and collects)" : "partner (funds its share)"});
        s.check.text(s.id(base) + " tranche " + std::to_string(i) + " bank", tr.value("bank_id", ""), terms.tranches[i].bank_id);
        s.check.amount(s.id(base) + " tranche " + terms.tranches[i].bank_id + " principal", tr["principal"],
                       loan.tranche_principal(i));
    }
    t.print(s.out, "    ");
    const auto& schedule = r["schedule"];
    s.check.integer(s.id(base) + " instalment count", static_cast<std::int64_t>(schedule.size()), terms.installments);
    const auto dates = loan.due_dates();
    for (std::size_t k = 0; k < std::min(schedule.size(), loan.schedule().size()); ++k) {
        s.check.amount(s.id(base) + " instalment #" + std::to_string(k + 1) + " principal", schedule[k]["principal"],
                       loan.schedule()[k]);
        s.check.text(s.id(base) + " instalment #" + std::to_string(k + 1) + " due date",
                     schedule[k].value("due_date", ""), model::format_date(dates[k]));
    }
    s.check.text(s.id(base) + " status", r.value("status", ""), "ACTIVE");
    // Group equal instalments: "8 x 666.67, then 4 x 666.66".
    std::string plan;
    for (std::size_t k = 0; k < loan.schedule().size();) {
        std::size_t j = k;
        while (j < loan.schedule().size() && loan.schedule()[j] == loan.schedule()[k]) {
            ++j;
        }
        plan += (plan.empty() ? "" : ", then ") + std::to_string(j - k) + " x " + yuan(loan.schedule()[k]);
        k = j;
    }
    s.out << "    principal by instalment: " << plan << " CNY (split evenly to the fen)\n";
    s.obligations.originated(loan);
    s.loans.emplace(base, std::move(loan));
}

}  // namespace

void repay_and_check(Story& s, const std::string& base, const std::string& label, const std::string& value_date,
                     Fen amount, bool payoff) {
    model::Loan& loan = s.loans.at(base);
    const model::Repayment m = loan.repay(model::parse_date(value_date), amount);
    s.obligations.repaid(loan, m);
    json::Value body{{"loan_id", s.id(base)},
                     {"value_date", value_date},
                     {"amount", std::to_string(amount)},
                     {"channel_ref", "PAY-" + s.id(base) + "-" + value_date}};
    if (payoff) {
        body["intent"] = "PAYOFF";
    }
    const std::string& servicer = loan.terms().servicer;
    const json::Value receipt =
        s.net.submit(servicer, "loan.repay", body, servicer + "-REPAY-" + s.id(base) + "-" + value_date);
    s.last_height = std::max<std::uint64_t>(s.last_height, receipt.value("height", 0u));
    const json::Value& r = receipt["result"];
    const json::Value& alloc = r["allocation"];
    const std::string what = s.id(base) + " " + value_date + " ";

    std::string parts = "principal " + yuan(fen_of(alloc, "principal_due") + fen_of(alloc, "principal_prepaid"));
    if (fen_of(alloc, "interest") != 0) {
        parts += " + interest " + yuan(fen_of(alloc, "interest"));
    }
    if (fen_of(alloc, "penalty") != 0) {
        parts += " + penalty " + yuan(fen_of(alloc, "penalty"));
    }
    s.out << "\n  " << s.id(base) << " " << label << ", paid " << value_date << ": " << cny(fen_of(r, "amount"))
          << " = " << parts << "  (" << days_word(r["accrual"].value("days", 0)) << " accrued)\n";
    Table t({{"BANK"}, {"PRINCIPAL", A::kRight}, {"INTEREST", A::kRight}, {"PENALTY", A::kRight},
             {"FEE TO SERVICER", A::kRight}, {"SERVICER OWES IT", A::kRight}});
    for (std::size_t i = 0; i < m.parts.size(); ++i) {
        const json::Value& tr = r["tranches"][i];
        const bool partner = m.parts[i].bank_id != servicer;
        t.row({tr.value("bank_id", ""), yuan(fen_of(tr, "principal")), yuan(fen_of(tr, "interest")),
               yuan(fen_of(tr, "penalty")), partner ? yuan(fen_of(tr, "fee")) : "-",
               partner ? yuan(fen_of(tr, "servicer_owes")) : "-"});
        const std::string who = what + m.parts[i].bank_id + " ";
        s.check.text(what + "tranche " + std::to_string(i), tr.value("bank_id", ""), m.parts[i].bank_id);
        s.check.amount(who + "principal", tr["principal"], m.parts[i].principal);
        s.check.amount(who + "interest", tr["interest"], m.parts[i].interest);
        s.check.amount(who + "penalty", tr["penalty"], m.parts[i].penalty);
        s.check.amount(who + "fee", tr["fee"], m.parts[i].fee);
        if (partner) {
            s.check.amount(who + "servicer owes", tr["servicer_owes"], m.parts[i].servicer_owes);
        }
    }
    t.print(s.out, "    ");
    s.check.amount(what + "amount", r["amount"], amount);
    s.check.integer(what + "accrual days", r["accrual"].value("days", -1), m.accrual_days);
    s.check.amount(what + "interest accrued", r["accrual"]["interest"], m.interest_accrued);
    s.check.amount(what + "penalty accrued", r["accrual"]["penalty"], m.penalty_accrued);
    s.check.amount(what + "penalty paid", alloc["penalty"], m.penalty);
    s.check.amount(what + "interest paid", alloc["interest"], m.interest);
    s.check.amount(what + "principal due paid", alloc["principal_due"], m.principal_due);
    s.check.amount(what + "principal prepaid", alloc["principal_prepaid"], m.principal_prepaid);
    s.check.amount(what + "principal outstanding after", r["principal_out_after"], m.principal_out_after);
    s.check.text(what + "loan status", r.value("status", ""), m.paid_off ? "PAID_OFF" : "ACTIVE");
}

void step_setup(Story& s) {
    for (const char* bank : {kWebank, kHuarui, kBankc}) {
        if (s.net.consortium().genesis().find_member(bank) == nullptr) {
            throw DemoAbort(std::string("the story needs member banks WEBANK, HUARUI and BANKC; ") + bank +
                            " is not a member of " + s.net.consortium().chain_id() +
                            " (jointclear init --banks WEBANK,HUARUI,BANKC)");
        }
    }
    // On a chain that has seen the demo before, every id gets a suffix so this run starts clean.
    if (!s.net.query("getPartnership", json::Value{{"partnership_id", "P-WB-HR"}}).is_null()) {
        s.suffix = "-" + std::to_string(s.net.query("getHeight", json::Value::object()).value("height", 0));
        s.out << "(this chain has run the demo before: this run's ids end in " << s.suffix
              << ", and positions are checked as changes)\n";
    }
    for (const char* bank : {kWebank, kHuarui, kBankc}) {
        s.positions_before[bank] = s.net.query("getPositions", json::Value{{"bank_id", bank}});
    }
}

void step_consortium(Story& s) {
    section(s.out, 1, "The consortium: member banks and their validators");
    const json::Value members = s.net.query("getMembers", json::Value::object())["members"];
    Table banks({{"BANK"}, {"CNAPS CODE"}, {"ROLES"}, {"SIGNING KEY"}, {"TALKS TO"}});
    for (const auto& m : members) {
        std::string roles;
        for (const auto& r : m["roles"]) {
            roles += (roles.empty() ? "" : ", ") + r.get<std::string>();
        }
        const std::string bank = m.value("bank_id", "");
        const std::string key = m["keys"].empty() ? "" : m["keys"][0].get<std::string>();
        banks.row({bank, m.value("cnaps_code", ""), roles, key.substr(0, 16) + "...",
                   s.net.consortium().nodes()[s.net.node_of(bank)].name});
        s.check.text(bank + " status", m.value("status", ""), "ACTIVE");
    }
    banks.print(s.out);
    Table nodes({{"VALIDATOR"}, {"RPC"}, {"HEIGHT", A::kRight}, {"VIEW", A::kRight}, {"PEERS", A::kRight}});
    for (std::size_t i = 0; i < s.net.node_count(); ++i) {
        const json::Value st = s.net.query("getNodeStatus", json::Value::object(), i);
        std::size_t connected = 0;
        for (const auto& p : st["peers"]) {
            connected += p.value("connected", false) ? 1u : 0u;
        }
        nodes.row({st.value("node", ""), s.net.consortium().nodes()[i].rpc.url(), st["height"].dump(), st["view"].dump(),
                   std::to_string(connected) + "/" + std::to_string(st["peers"].size())});
        s.check.text(st.value("node", "") + " chain id", st.value("chain_id", ""), s.net.consortium().chain_id());
    }
    s.out << "\n";
    nodes.print(s.out);
    check_model_against_domain(s);
    s.out << "  (the checker's own model first reproduces DOMAIN.md's E1 splits, every row of E2, E3a and E3b,\n"
          << "   and E6's split: only then does it judge the chain)\n";
    s.check.step_done();
}

void step_partnerships(Story& s) {
    section(s.out, 2, "Partnerships: the servicer proposes, the partner accepts");
    struct P {
        const char* id;
        const char* servicer;
        const char* partner;
        int fee_bps;
    };
    const P list[] = {{"P-WB-HR", kWebank, kHuarui, 0}, {"P-WB-BC", kWebank, kBankc, 1250}, {"P-HR-BC", kHuarui, kBankc, 0}};
    Table t({{"PARTNERSHIP"}, {"SERVICER"}, {"PARTNER"}, {"FUNDING"}, {"MIN SHARE", A::kRight}, {"SERVICE FEE", A::kRight},
             {"PARTNER CAP (CNY)", A::kRight}, {"STATUS"}});
    for (const auto& p : list) {
        const std::string id = s.id(p.id);
        const json::Value proposed =
            s.net.submit(p.servicer, "partnership.propose", partnership_body(id, p.servicer, p.partner, p.fee_bps),
                         std::string(p.servicer) + "-PROPOSE-" + id);
        s.check.text(id + " after propose", proposed["result"]["partnership"].value("status", ""), "PROPOSED");
        const json::Value accepted = s.net.submit(p.partner, "partnership.accept", json::Value{{"partnership_id", id}},
                                                  std::string(p.partner) + "-ACCEPT-" + id);
        const json::Value& pt = accepted["result"]["partnership"];
        s.check.text(id + " after accept", pt.value("status", ""), "ACTIVE");
        s.check.integer(id + " service fee bps", pt["terms"].value("service_fee_bps", -1), p.fee_bps);
        s.last_height = std::max<std::uint64_t>(s.last_height, accepted.value("height", 0u));
        t.row({id, p.servicer, p.partner, pt["terms"].value("funding_mode", ""),
               pct(pt["terms"].value("min_tranche_share_bps", 0)), pct(p.fee_bps),
               yuan(fen_of(pt["terms"], "max_outstanding_principal")), pt.value("status", "")});
    }
    t.print(s.out);
    s.out << "  FRONTED: the servicer pays the borrower in full and its partner owes it the partner's share.\n"
          << "  P-WB-BC carries a 12.5 % service fee on BANKC's interest (the 2016 Weilidai economics, E3).\n";
    s.check.step_done();
}

void step_originations(Story& s) {
    section(s.out, 3, "Loans originated and split to the fen (largest remainder)");
    originate(s, "L-0001",
              {s.id("L-0001"), kWebank, 800000, "2024-01-15", 500000, 750000, 12, "2024-02-15",
               {{kWebank, 3000, 0}, {kHuarui, 7000, 0}}},
              "P-WB-HR");
    originate(s, "L-0102",
              {s.id("L-0102"), kWebank, 1234567, "2024-01-15", 500000, 750000, 6, "2024-02-15",
               {{kWebank, 3000, 0}, {kBankc, 7000, 1250}}},
              "P-WB-BC");
    originate(s, "L-0201",
              {s.id("L-0201"), kHuarui, 500000, "2024-01-20", 500000, 750000, 3, "2024-02-20",
               {{kHuarui, 3000, 0}, {kBankc, 7000, 0}}},
              "P-HR-BC");
    s.out << "\n  12,345.67 CNY at 30/70 is 3,703.701 / 8,641.969: the leftover fen goes to the larger fraction.\n";
    s.check.step_done();
}

void step_repayments(Story& s) {
    section(s.out, 4, "Repayments on their due dates: every fen split by outstanding claims");
    for (const auto& [base, label, date] : {std::tuple{"L-0001", "instalment #1", "2024-02-15"},
                                            std::tuple{"L-0001", "instalment #2", "2024-03-15"},
                                            std::tuple{"L-0102", "instalment #1", "2024-02-15"}}) {
        const Fen due = s.loans.at(base).owed(model::parse_date(date)).due();
        repay_and_check(s, base, label, date, due, /*payoff=*/false);
    }
    s.out << "\n  L-0001 #1 and #2 are DOMAIN.md E2's rows 1 and 2. On L-0102, BANKC pays WEBANK 12.5 % of\n"
          << "  its interest as the service fee (cumulative rounding keeps the lifetime fee exact).\n";
    s.check.step_done();
}

void step_overdue(Story& s) {
    section(s.out, 5, "An overdue instalment: penalty interest instead of contract interest");
    const std::string as_of = "2024-05-06";
    const model::Loan& loan = s.loans.at("L-0001");
    const auto t = model::parse_date(as_of);
    const model::Owed owed = loan.owed(t);
    const json::Value l = s.net.query("getLoan", json::Value{{"loan_id", s.id("L-0001")}, {"as_of", as_of}});
    const json::Value& o = l["owed_as_of"];
    s.out << "  L-0001 instalment #3 was due 2024-04-15 and not paid. As of " << as_of << " (getLoan):\n";
    Table t1({{"DAYS PAST DUE", A::kRight}, {"CLASS"}, {"PENALTY", A::kRight}, {"INTEREST", A::kRight},
              {"PRINCIPAL DUE", A::kRight}, {"NOT YET DUE", A::kRight}, {"TOTAL (CNY)", A::kRight}});
    t1.row({l["dpd"].dump(), l.value("classification", ""), yuan(fen_of(o, "penalty")), yuan(fen_of(o, "interest")),
            yuan(fen_of(o, "principal_due")), yuan(fen_of(o, "principal_not_due")), yuan(fen_of(o, "total"))});
    t1.print(s.out, "    ");
    s.check.integer("L-0001 DPD on " + as_of, l.value("dpd", -1), loan.dpd(t));
    s.check.truth("L-0001 overdue on " + as_of, l.value("overdue", false));
    s.check.text("L-0001 class on " + as_of, l.value("classification", ""), "PERFORMING");
    s.check.text("L-0001 instalment #3 status", l["schedule"][2].value("status", ""), "OVERDUE");
    s.check.amount("L-0001 penalty owed " + as_of, o["penalty"], owed.penalty);
    s.check.amount("L-0001 interest owed " + as_of, o["interest"], owed.interest);
    s.check.amount("L-0001 principal due " + as_of, o["principal_due"], owed.principal_due);
    s.check.amount("L-0001 principal not due " + as_of, o["principal_not_due"], owed.principal_not_due);
    s.check.amount("L-0001 total owed " + as_of, o["total"], owed.total());
    s.out << "  Penalty: 666.67 overdue x 0.075 %/day x 21 days; the rest of the principal keeps accruing\n"
          << "  contract interest. The borrower now pays what is due: penalty first, then interest, then principal.\n";
    repay_and_check(s, "L-0001", "instalment #3, 21 days late", as_of, owed.due(), /*payoff=*/false);
    const Fen next_due = s.loans.at("L-0001").owed(model::parse_date("2024-05-15")).due();
    repay_and_check(s, "L-0001", "instalment #4, on time", "2024-05-15", next_due, /*payoff=*/false);
    const json::Value after = s.net.query("getLoan", json::Value{{"loan_id", s.id("L-0001")}, {"as_of", "2024-05-15"}});
    s.check.integer("L-0001 DPD after catching up", after.value("dpd", -1), 0);
    s.out << "  Back to current: days past due 0; #4 carries only 9 days of interest after the late payment.\n";
    s.check.step_done();
}

void step_prepayment(Story& s) {
    section(s.out, 6, "A prepayment: HUARUI's borrower pays L-0201 off early");
    const std::string date = "2024-02-10";
    const model::Owed owed = s.loans.at("L-0201").owed(model::parse_date(date));
    const json::Value quote = s.net.query("quotePayoff", json::Value{{"loan_id", s.id("L-0201")}, {"value_date", date}});
    s.out << "  quotePayoff on " << date << ": " << cny(fen_of(quote, "payoff_amount")) << " (principal "
          << yuan(owed.principal_due + owed.principal_not_due) << " + 21 days of interest)\n";
    s.check.amount("L-0201 payoff quote", quote["payoff_amount"], owed.total());
    repay_and_check(s, "L-0201", "paid off before its first due date", date, owed.total(), /*payoff=*/true);
    const json::Value l = s.net.query("getLoan", json::Value{{"loan_id", s.id("L-0201")}});
    s.check.text("L-0201 status", l.value("status", ""), "PAID_OFF");
    s.check.amount("L-0201 principal outstanding", l["principal_out"], 0);
    for (const auto& tr : l["tranches"]) {
        s.check.amount("L-0201 " + tr.value("bank_id", "") + " principal outstanding", tr["principal_out"], 0);
        s.check.amount("L-0201 " + tr.value("bank_id", "") + " interest unpaid", tr["interest_unpaid"], 0);
    }
    s.out << "  PAID_OFF: every tranche is back to zero, each bank got exactly what it lent.\n";
    s.check.step_done();
}

}  // namespace jc::tools
