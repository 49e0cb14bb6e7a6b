#include <jc/contracts/query.h>

#include "governance.h"
#include "render.h"
#include "servicing.h"
#include "store.h"

#include <jc/contracts/records.h>
#include <jc/contracts/settlement.h>

#include <algorithm>
#include <functional>
#include <map>

namespace jc::contracts::query {

namespace {

Error refused(const Reject& r) {
    return Error(Errc::kInvalidArgument, std::string(code_name(r.code)) + " (" + std::to_string(code_number(r.code)) +
                                             "): " + json::canonicalize(r.detail));
}

template <typename T>
Result<json::Value> refused_or_failed(Exec<T>& e) {
    if (e.rejected()) {
        return refused(e.rejection());
    }
    return e.error();
}

json::Value owed_json(const servicing::Owed& o) {
    return json::Value{{"fees", render::amount(o.fees)},
                       {"penalty", render::amount(o.penalty)},
                       {"interest", render::amount(o.interest)},
                       {"principal_due", render::amount(o.principal_due)},
                       {"principal_not_due", render::amount(o.principal_not_due)},
                       {"total", render::amount(o.total)}};
}

std::string_view installment_status(const Installment& i, Date as_of) {
    if (i.unpaid() == 0) {
        return "PAID";
    }
    if (i.due_date > as_of) {
        return "NOT_DUE";
    }
    return i.due_date == as_of ? "DUE" : "OVERDUE";
}

Result<std::int64_t> reserved_amount(const ledger::StateReader& state, const std::string& key) {
    JC_ASSIGN_OR_RETURN(auto v, store::load<std::int64_t>(state, key, decode_reserved));
    return v.value_or(0);
}

}  // namespace

Result<json::Value> get_loan(const ledger::StateReader& state, std::string_view loan_id, Date as_of) {
    JC_ASSIGN_OR_RETURN(auto loaded, store::loan(state, loan_id));
    if (!loaded) {
        return json::Value(nullptr);
    }
    JC_ASSIGN_OR_RETURN(const Params params, store::params(state));
    const Loan& loan = *loaded;
    json::Value tranches = json::Value::array();
    for (const auto& t : loan.tranches) {
        tranches.push_back(render::tranche(t));
    }
    json::Value schedule = json::Value::array();
    json::Value next_due = nullptr;
    for (std::size_t i = 0; i < loan.installments.size(); ++i) {
        const Installment& inst = loan.installments[i];
        schedule.push_back(json::Value{{"seq", i + 1},
                                       {"due_date", arith::format_date(inst.due_date)},
                                       {"principal_due", render::amount(inst.principal_due)},
                                       {"principal_paid", render::amount(inst.principal_paid)},
                                       {"principal_unpaid", render::amount(inst.unpaid())},
                                       {"status", std::string(installment_status(inst, as_of))}});
        if (next_due.is_null() && inst.unpaid() > 0) {
            next_due = json::Value{{"seq", i + 1},
                                   {"due_date", arith::format_date(inst.due_date)},
                                   {"principal", render::amount(inst.unpaid())}};
        }
    }
    const bool active = loan.status == LoanStatus::kActive;
    const std::int64_t dpd = active ? servicing::days_past_due(loan, as_of) : 0;
    json::Value owed = nullptr;
    json::Value accrual = nullptr;
    if (active && as_of >= loan.last_accrual_date) {
        Loan accrued = loan;
        auto a = servicing::accrue(accrued, as_of);
        if (!a.ok()) {
            return refused_or_failed(a);
        }
        owed = owed_json(servicing::owed(accrued, as_of));
        accrual = json::Value{{"days", a.value().days},
                              {"interest", render::amount(a.value().interest)},
                              {"penalty", render::amount(a.value().penalty)}};
    }
    std::string classification = active ? (dpd >= params.npl_dpd_threshold ? "NON_PERFORMING" : "PERFORMING")
                                        : std::string(name(loan.status));
    // A loan originated in two steps shows its proposal: acceptance per tranche, expiry, outcome.
    json::Value proposal = nullptr;
    JC_ASSIGN_OR_RETURN(auto prop, store::load<LoanProposal>(state, keys::proposal(loan.loan_id), decode_loan_proposal));
    if (prop) {
        proposal = render::proposal(loan, *prop);
    }
    return json::Value{
        {"proposal", std::move(proposal)},
        {"loan_id", loan.loan_id},
        {"servicer", loan.servicer},
        {"borrower_ref", loan.borrower_ref},
        {"product_code", loan.product_code},
        {"currency", "CNY"},
        {"principal", render::amount(loan.principal)},
        {"value_date", arith::format_date(loan.value_date)},
        {"rate_ppb", std::to_string(loan.rate_ppb)},
        {"basis", std::string(arith::basis_name(loan.basis))},
        {"interest_method", std::string(name(loan.interest_method))},
        {"penalty_rate_ppb", std::to_string(loan.penalty_rate_ppb)},
        {"penalty_mode", std::string(name(loan.penalty_mode))},
        {"schedule_type", std::string(name(loan.schedule_type))},
        {"prepay_mode", std::string(name(loan.prepay_mode))},
        {"rounding", loan.rounding == arith::Rounding::kHalfUp ? "HALF_UP" : "HALF_EVEN"},
        {"status", std::string(name(loan.status))},
        {"last_accrual_date", arith::format_date(loan.last_accrual_date)},
        {"last_event_date", arith::format_date(loan.last_event_date)},
        {"event_seq", loan.event_seq},
        {"disbursement_channel_ref", loan.disbursement_channel_ref},
        {"originated_height", loan.originated_height},
        {"principal_out", render::amount(loan.principal_out())},
        {"interest_unpaid", render::amount(loan.interest_unpaid())},
        {"penalty_unpaid", render::amount(loan.penalty_unpaid())},
        {"tranches", std::move(tranches)},
        {"schedule", std::move(schedule)},
        {"as_of", arith::format_date(as_of)},
        {"dpd", dpd},
        {"overdue", dpd > 0},
        {"classification", classification},
        {"next_due", std::move(next_due)},
        {"accrual_to_as_of", std::move(accrual)},
        {"owed_as_of", std::move(owed)},
    };
}

namespace {

// Calls `visit` with each of the loan's events in order, until it returns false. A record that
// does not decode is the error, named by its key.
Status for_each_event(const ledger::StateReader& state, std::string_view loan_id,
                      const std::function<bool(const LoanEvent&)>& visit) {
    std::optional<Error> failure;
    JC_TRY_STATUS(state.scan(keys::event_prefix(loan_id), [&](std::string_view key, std::string_view value) {
        auto ev = decode_loan_event(value);
        if (!ev) {
            failure = ev.error().with_context(std::string(key));
            return false;
        }
        return visit(*ev);
    }));
    if (failure) {
        return *failure;
    }
    return {};
}

}  // namespace

Result<json::Value> get_loan_statement(const ledger::StateReader& state, std::string_view loan_id,
                                       std::optional<Date> from, std::optional<Date> to) {
    JC_ASSIGN_OR_RETURN(auto loaded, store::loan(state, loan_id));
    if (!loaded) {
        return json::Value(nullptr);
    }
    json::Value events = json::Value::array();
    JC_TRY_STATUS(for_each_event(state, loan_id, [&](const LoanEvent& ev) {
        if ((!from || ev.value_date >= *from) && (!to || ev.value_date <= *to)) {
            events.push_back(render::event_statement(*loaded, ev));
        }
        return true;
    }));
    return json::Value{{"loan_id", loaded->loan_id}, {"status", std::string(name(loaded->status))},
                       {"events", std::move(events)}};
}

Result<json::Value> get_loan_event(const ledger::StateReader& state, std::string_view loan_id,
                                   std::string_view event_id) {
    JC_ASSIGN_OR_RETURN(auto loaded, store::loan(state, loan_id));
    if (!loaded) {
        return json::Value(nullptr);
    }
    json::Value found(nullptr);
    JC_TRY_STATUS(for_each_event(state, loan_id, [&](const LoanEvent& ev) {
        if (ev.event_id() != event_id) {
            return true;
        }
        found = render::event_statement(*loaded, ev);
        return false;
    }));
    return found;
}

Result<json::Value> quote_payoff(const ledger::StateReader& state, std::string_view loan_id, Date value_date) {
    JC_ASSIGN_OR_RETURN(auto loaded, store::loan(state, loan_id));
    if (!loaded) {
        return json::Value(nullptr);
    }
    auto plan = servicing::plan_payoff(*loaded, value_date);
    if (!plan.ok()) {
        return refused_or_failed(plan);
    }
    LoanEvent ev;
    servicing::fill_event(*loaded, plan.value(), ev);
    ev.value_date = value_date;
    ev.intent = RepayIntent::kPayoff;
    json::Value tranches = json::Value::array();
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        const TrancheAllocation& a = ev.tranches[i];
        const std::string& bank = loaded->tranches[i].bank_id;
        json::Value t{{"bank_id", bank},
                      {"principal", render::amount(a.principal())},
                      {"interest", render::amount(a.interest)},
                      {"penalty", render::amount(a.penalty)},
                      {"fee", render::amount(a.fee)}};
        if (bank != loaded->servicer) {
            t["servicer_owes"] = render::amount(a.principal() + a.interest + a.penalty - a.fee);
        }
        tranches.push_back(std::move(t));
    }
    return json::Value{{"loan_id", loaded->loan_id},
                       {"value_date", arith::format_date(value_date)},
                       {"payoff_amount", render::amount(ev.amount)},
                       {"accrual", json::Value{{"days", ev.accrual_days},
                                               {"interest", render::amount(ev.interest_accrued)},
                                               {"penalty", render::amount(ev.penalty_accrued)}}},
                       {"owed", owed_json(plan.value().owed)},
                       {"allocation", json::Value{{"fees", render::amount(ev.fees)},
                                                  {"penalty", render::amount(ev.penalty)},
                                                  {"interest", render::amount(ev.interest)},
                                                  {"principal_due", render::amount(ev.principal_due)},
                                                  {"principal_prepaid", render::amount(ev.principal_prepaid)}}},
                       {"tranches", std::move(tranches)}};
}

Result<json::Value> get_partnership(const ledger::StateReader& state, std::string_view partnership_id) {
    JC_ASSIGN_OR_RETURN(auto p, store::partnership(state, partnership_id));
    if (!p) {
        return json::Value(nullptr);
    }
    json::Value v = render::partnership(*p);
    JC_ASSIGN_OR_RETURN(const std::int64_t reserved, reserved_amount(state, keys::reserved_partnership(p->partnership_id)));
    v["reserved"] = render::amount(reserved);  // principal of PENDING loans (ADR 0062)
    return v;
}

Result<std::optional<std::vector<std::string>>> loan_parties(const ledger::StateReader& state,
                                                              std::string_view loan_id) {
    JC_ASSIGN_OR_RETURN(auto loaded, store::loan(state, loan_id));
    if (!loaded) {
        return std::optional<std::vector<std::string>>();
    }
    std::vector<std::string> banks{loaded->servicer};
    for (const auto& t : loaded->tranches) {
        banks.push_back(t.bank_id);
    }
    std::sort(banks.begin(), banks.end());
    banks.erase(std::unique(banks.begin(), banks.end()), banks.end());
    return std::optional<std::vector<std::string>>(std::move(banks));
}

Result<std::optional<std::vector<std::string>>> partnership_parties(const ledger::StateReader& state,
                                                                     std::string_view partnership_id) {
    JC_ASSIGN_OR_RETURN(auto p, store::partnership(state, partnership_id));
    if (!p) {
        return std::optional<std::vector<std::string>>();
    }
    std::vector<std::string> banks{p->servicer_bank, p->partner_bank};
    std::sort(banks.begin(), banks.end());
    banks.erase(std::unique(banks.begin(), banks.end()), banks.end());
    return std::optional<std::vector<std::string>>(std::move(banks));
}

Result<json::Value> list_members(const ledger::StateReader& state) {
    json::Value members = json::Value::array();
    std::optional<Error> failure;
    JC_TRY_STATUS(state.scan(keys::kMemberPrefix, [&](std::string_view key, std::string_view value) {
        auto m = decode_member(value);
        if (!m) {
            failure = m.error().with_context("member record " + std::string(key));
            return false;
        }
        json::Value keys_hex = json::Value::array();
        for (const auto& k : m->keys) {
            keys_hex.push_back(k.hex());
        }
        json::Value roles = json::Value::array();
        for (std::uint8_t r = 0; r < kRoleCount; ++r) {
            if (m->has_role(static_cast<Role>(r))) {
                roles.push_back(std::string(name(static_cast<Role>(r))));
            }
        }
        json::Value entry{{"bank_id", m->bank_id}, {"name", m->name}, {"cnaps_code", m->cnaps_code},
                          {"keys", std::move(keys_hex)}, {"roles", std::move(roles)},
                          {"status", std::string(name(m->status))}};
        if (!m->bic.empty()) {
            entry["bic"] = m->bic;
        }
        if (!m->lei.empty()) {
            entry["lei"] = m->lei;
        }
        members.push_back(std::move(entry));
        return true;
    }));
    if (failure) {
        return *failure;
    }
    return json::Value{{"members", std::move(members)}};
}

Result<json::Value> get_positions(const ledger::StateReader& state, std::string_view bank_id) {
    JC_ASSIGN_OR_RETURN(auto member, store::member(state, bank_id));
    if (!member) {
        return json::Value(nullptr);
    }
    JC_ASSIGN_OR_RETURN(const Cycle cycle, store::current_cycle(state));
    // Accounts of the bank, in key order.
    std::optional<Error> failure;
    json::Value accounts = json::Value::array();
    json::Value income = json::Value::object();
    std::map<std::string, json::Value> counterparties;
    std::map<std::string, I128> open_net;       // per counterparty, positive: it owes the bank
    std::map<std::string, I128> unsettled_net;
    std::map<std::string, I128> reserve_net;  // received reserve (ADR 0057), same sign
    auto counterparty = [&](const std::string& c) -> json::Value& {
        auto [it, inserted] = counterparties.try_emplace(c);
        if (inserted) {
            it->second = json::Value{{"bank_id", c},
                                     {"interbank_net", "0"},
                                     {"open_cycle_net", "0"},
                                     {"unsettled_net", "0"},
                                     {"reserve_net", "0"},
                                     {"owed_by_counterparty", json::Value::object()},
                                     {"owed_to_counterparty", json::Value::object()},
                                     {"unsettled_instructions", json::Value::array()}};
        }
        return it->second;
    };
    JC_TRY_STATUS(state.scan(keys::account_prefix(bank_id), [&](std::string_view key, std::string_view value) {
        const auto parsed = keys::parse_account(key);
        auto a = decode_account(value);
        if (!parsed || !a) {
            failure = Error(Errc::kCorruption, "bad account record " + std::string(key));
            return false;
        }
        const I128 net = a->net_debit();
        const I128 balance = is_debit_normal(parsed->code) ? net : -net;
        accounts.push_back(json::Value{{"code", static_cast<unsigned>(parsed->code)},
                                       {"name", std::string(name(parsed->code))},
                                       {"counterparty", parsed->counterparty},
                                       {"debits_posted", render::amount(a->debits_posted)},
                                       {"credits_posted", render::amount(a->credits_posted)},
                                       {"balance", render::amount(balance)}});
        switch (parsed->code) {
            case AccountCode::kInterbank:
                // Debit balance: the counterparty owes this bank.
                counterparty(parsed->counterparty)["interbank_net"] = render::amount(net);
                break;
            case AccountCode::kInterestIncome:
            case AccountCode::kPenaltyIncome:
            case AccountCode::kServiceFeeIncome:
            case AccountCode::kRecoveryIncome:
            case AccountCode::kServiceFeeExpense:
            case AccountCode::kCreditLossExpense:
                income[std::string(name(parsed->code))] = render::amount(balance);
                break;
            default:
                break;
        }
        return true;
    }));
    if (failure) {
        return *failure;
    }
    // Open-cycle obligations involving the bank.
    JC_TRY_STATUS(state.scan(keys::obligation_prefix(cycle.cycle_id), [&](std::string_view key, std::string_view value) {
        // ob/<cycle>/<debtor>/<creditor>/<category>
        std::string rest(key.substr(keys::obligation_prefix(cycle.cycle_id).size()));
        const auto s1 = rest.find('/');
        const auto s2 = rest.find('/', s1 + 1);
        if (s1 == std::string::npos || s2 == std::string::npos) {
            failure = Error(Errc::kCorruption, "bad obligation key " + std::string(key));
            return false;
        }
        const std::string debtor = rest.substr(0, s1);
        const std::string creditor = rest.substr(s1 + 1, s2 - s1 - 1);
        const std::string category = rest.substr(s2 + 1);
        auto o = decode_obligation(value);
        if (!o) {
            failure = o.error();
            return false;
        }
        const json::Value entry{{"amount", render::amount(o->amount)}, {"count", o->count}};
        if (debtor == bank_id) {
            counterparty(creditor)["owed_to_counterparty"][category] = entry;
            open_net[creditor] -= static_cast<I128>(o->amount);
        } else if (creditor == bank_id) {
            counterparty(debtor)["owed_by_counterparty"][category] = entry;
            open_net[debtor] += static_cast<I128>(o->amount);
        }
        return true;
    }));
    if (failure) {
        return *failure;
    }
    // Unsettled instructions (PENDING, SENT, FAILED; ADR 0052's su/ index; GROSS ones of the open
    // cycle too, ADR 0056), so that interbank_net = open_cycle_net + unsettled_net + reserve_net
    // for every counterparty (B5 with the reserve term of ADR 0057).
    std::vector<std::string> unsettled_ids;
    JC_TRY_STATUS(state.scan(keys::kUnsettledPrefix, [&](std::string_view key, std::string_view) {
        unsettled_ids.emplace_back(key.substr(keys::kUnsettledPrefix.size()));
        return true;
    }));
    for (const auto& id : unsettled_ids) {
        JC_ASSIGN_OR_RETURN(auto si, store::load<SettlementInstruction>(state, keys::instruction(id), decode_instruction));
        if (!si) {
            return Error(Errc::kCorruption, "unsettled index names a missing instruction " + id);
        }
        if (si->debtor != bank_id && si->creditor != bank_id) {
            continue;
        }
        const bool pays = si->debtor == bank_id;
        const std::string other = pays ? si->creditor : si->debtor;
        counterparty(other)["unsettled_instructions"].push_back(
            json::Value{{"instruction_id", si->instruction_id},
                        {"cycle_id", si->cycle_id},
                        {"kind", std::string(name(si->kind))},
                        {"direction", pays ? "PAY" : "RECEIVE"},
                        {"amount", render::amount(si->amount)},
                        {"status", std::string(name(si->status))},
                        {"settlement_date", arith::format_date(si->settlement_date)}});
        if (is_reserve(si->kind)) {
            continue;  // cash in flight, not a debt: counted once received, in reserve_net
        }
        unsettled_net[other] += pays ? -static_cast<I128>(si->amount) : static_cast<I128>(si->amount);
    }
    // Reserve accounts of the bank's PREFUNDED partnerships (either role).
    std::map<std::string, json::Value> reserves;  // by partnership id
    JC_TRY_STATUS(state.scan(keys::kReservePrefix, [&](std::string_view key, std::string_view value) {
        auto rv = decode_reserve(value);
        if (!rv) {
            failure = rv.error().with_context(std::string(key));
            return false;
        }
        if (rv->servicer != bank_id && rv->partner != bank_id) {
            return true;
        }
        const bool holds = rv->servicer == bank_id;  // the servicer owes the partner its reserve
        reserve_net[holds ? rv->partner : rv->servicer] +=
            holds ? -static_cast<I128>(rv->balance) : static_cast<I128>(rv->balance);
        reserves[rv->partnership_id] = json::Value{{"balance", render::amount(rv->balance)},
                                                   {"pending_topups", render::amount(rv->pending_topups)},
                                                   {"pending_withdrawals", render::amount(rv->pending_withdrawals)}};
        return true;
    }));
    if (failure) {
        return *failure;
    }
    for (const auto& [c, v] : reserve_net) {
        counterparty(c)["reserve_net"] = render::amount(v);
    }
    for (const auto& [c, v] : open_net) {
        counterparty(c)["open_cycle_net"] = render::amount(v);
    }
    for (const auto& [c, v] : unsettled_net) {
        counterparty(c)["unsettled_net"] = render::amount(v);
    }
    json::Value partnerships = json::Value::array();
    JC_TRY_STATUS(state.scan(keys::kPartnershipPrefix, [&](std::string_view key, std::string_view value) {
        auto p = decode_partnership(value);
        if (!p) {
            failure = p.error().with_context(std::string(key));
            return false;
        }
        if (p->servicer_bank != bank_id && p->partner_bank != bank_id) {
            return true;
        }
        const I128 cap = p->terms.max_outstanding_principal;
        partnerships.push_back(json::Value{
            {"partnership_id", p->partnership_id},
            {"role", p->servicer_bank == bank_id ? "SERVICER" : "FUNDER"},
            {"counterparty", p->servicer_bank == bank_id ? p->partner_bank : p->servicer_bank},
            {"status", std::string(name(p->status))},
            {"funding_mode", std::string(name(p->terms.funding_mode))},
            {"settlement_mode", std::string(name(p->terms.settlement_mode))},
            {"used", render::amount(p->used)},
            {"max_outstanding_principal", render::amount(p->terms.max_outstanding_principal)},
            {"utilisation_bps", cap == 0 ? 0 : static_cast<std::int64_t>(static_cast<I128>(p->used) * 10000 / cap)},
            {"fronting_limit", render::amount(p->terms.fronting_limit)},
            {"collection_limit", render::amount(p->terms.collection_limit)},
            {"loan_count", p->loan_count}});
        if (p->terms.funding_mode == FundingMode::kPrefundedReserve) {
            const auto it = reserves.find(p->partnership_id);
            partnerships.back()["reserve"] =
                it != reserves.end() ? it->second
                                     : json::Value{{"balance", "0"}, {"pending_topups", "0"}, {"pending_withdrawals", "0"}};
        }
        return true;
    }));
    if (failure) {
        return *failure;
    }
    // Capacity held by PENDING loans (ADR 0062), read after the scan.
    for (auto& pj : partnerships) {
        JC_ASSIGN_OR_RETURN(const std::int64_t reserved,
                            reserved_amount(state, keys::reserved_partnership(pj["partnership_id"].get<std::string>())));
        pj["reserved"] = render::amount(reserved);
    }
    json::Value cps = json::Value::array();
    for (auto& [c, v] : counterparties) {
        cps.push_back(std::move(v));
    }
    return json::Value{{"bank_id", std::string(bank_id)},
                       {"cycle_id", cycle.cycle_id},
                       {"early_close_requested", cycle.early_close_requested},
                       {"counterparties", std::move(cps)},
                       {"partnerships", std::move(partnerships)},
                       {"income", std::move(income)},
                       {"accounts", std::move(accounts)}};
}

Result<json::Value> get_event_by_client_ref(const ledger::StateReader& state, std::string_view bank_id,
                                            std::string_view client_ref) {
    JC_ASSIGN_OR_RETURN(auto rec, store::idempotency(state, bank_id, client_ref));
    if (!rec) {
        return json::Value(nullptr);
    }
    json::Value result;
    if (!rec->loan_id.empty()) {
        JC_ASSIGN_OR_RETURN(auto loan, store::loan(state, rec->loan_id));
        JC_ASSIGN_OR_RETURN(auto ev, store::event(state, rec->loan_id, rec->event_seq));
        if (!loan || !ev) {
            return Error(Errc::kCorruption, "idempotency record points at a missing event");
        }
        result = render::event_result(*loan, *ev);
    } else {
        JC_ASSIGN_OR_RETURN(result, json::parse_strict(rec->result_json));
    }
    return json::Value{{"bank_id", std::string(bank_id)},
                       {"client_ref", std::string(client_ref)},
                       {"tx_hash", rec->tx_hash.hex()},
                       {"height", rec->height},
                       {"tx_index", rec->tx_index},
                       {"status", "OK"},
                       {"result", std::move(result)}};
}

Result<json::Value> get_invariant_digest(const ledger::StateReader& state) {
    std::optional<Error> failure;
    std::vector<std::pair<std::string, BankAggregate>> aggs;
    JC_TRY_STATUS(state.scan(keys::kAggregatePrefix, [&](std::string_view key, std::string_view value) {
        auto a = decode_bank_aggregate(value);
        if (!a) {
            failure = a.error();
            return false;
        }
        aggs.emplace_back(std::string(key.substr(keys::kAggregatePrefix.size())), *a);
        return true;
    }));
    if (failure) {
        return *failure;
    }
    json::Value banks = json::Value::array();
    U128 debits_all = 0;
    U128 credits_all = 0;
    I128 interbank_all = 0;
    for (const auto& [bank, agg] : aggs) {
        I128 loan_principal = 0;
        I128 interbank = 0;
        U128 debits = 0;
        U128 credits = 0;
        JC_TRY_STATUS(state.scan(keys::account_prefix(bank), [&](std::string_view key, std::string_view value) {
            const auto parsed = keys::parse_account(key);
            auto a = decode_account(value);
            if (!parsed || !a) {
                failure = Error(Errc::kCorruption, "bad account record " + std::string(key));
                return false;
            }
            debits += a->debits_posted;
            credits += a->credits_posted;
            if (parsed->code == AccountCode::kLoanPrincipal) {
                loan_principal += a->net_debit();
            }
            if (parsed->code == AccountCode::kInterbank) {
                interbank += a->net_debit();
            }
            return true;
        }));
        if (failure) {
            return *failure;
        }
        debits_all += debits;
        credits_all += credits;
        interbank_all += interbank;
        banks.push_back(json::Value{{"bank_id", bank},
                                    {"debits_total", render::amount(debits)},
                                    {"credits_total", render::amount(credits)},
                                    {"aggregate_debits_total", render::amount(agg.debits_total)},
                                    {"aggregate_credits_total", render::amount(agg.credits_total)},
                                    {"loan_principal_net", render::amount(loan_principal)},
                                    {"tranche_principal_out_total", render::amount(agg.principal_out_total)},
                                    {"interbank_net", render::amount(interbank)},
                                    {"consistent", debits == credits && debits == agg.debits_total &&
                                                       credits == agg.credits_total &&
                                                       loan_principal == agg.principal_out_total}});
    }
    return json::Value{{"banks", std::move(banks)},
                       {"ledger", json::Value{{"ledger", 156},
                                              {"debits_total", render::amount(debits_all)},
                                              {"credits_total", render::amount(credits_all)},
                                              {"interbank_net_sum", render::amount(interbank_all)},
                                              {"balanced", debits_all == credits_all && interbank_all == 0}}}};
}

namespace {

// A proposal as a bank reads it: the receipt's view, the action body, and the status on `as_of`.
Result<json::Value> proposal_view(const Proposal& p, const Electorate& e, const Params& params, arith::Date as_of) {
    json::Value v = proposal_json(p, e, params);
    auto body = json::parse_strict(p.body_json);
    if (!body) {
        return Error(Errc::kCorruption, "proposal " + p.proposal_id + " body does not parse");
    }
    v["action"] = std::move(*body);
    v["created_height"] = p.created_height;
    if (p.status == ProposalStatus::kExecuted) {
        v["executed_height"] = p.executed_height;
    } else if (as_of > expires_after(p, params)) {
        v["status"] = "EXPIRED";
    }
    return v;
}

}  // namespace

Result<json::Value> get_governance_proposal(const ledger::StateReader& state, std::string_view proposal_id,
                                            arith::Date as_of) {
    auto raw = state.get(proposal_key(proposal_id));
    if (!raw) {
        return std::move(raw).error();
    }
    if (!raw->has_value()) {
        return json::Value(nullptr);
    }
    JC_ASSIGN_OR_RETURN(const Proposal p, decode_proposal(**raw));
    JC_ASSIGN_OR_RETURN(const Params params, store::params(state));
    JC_ASSIGN_OR_RETURN(const Electorate e, electorate_of(state, params.governance_quorum_bps));
    return proposal_view(p, e, params, as_of);
}

Result<json::Value> list_governance_proposals(const ledger::StateReader& state, std::string_view status,
                                              arith::Date as_of) {
    if (!status.empty() && status != "OPEN" && status != "EXECUTED" && status != "EXPIRED") {
        return Error(Errc::kInvalidArgument, "status must be OPEN, EXECUTED or EXPIRED");
    }
    JC_ASSIGN_OR_RETURN(const Params params, store::params(state));
    JC_ASSIGN_OR_RETURN(const Electorate e, electorate_of(state, params.governance_quorum_bps));
    json::Value proposals = json::Value::array();
    bool truncated = false;
    std::optional<Error> failure;
    JC_TRY_STATUS(state.scan(kProposalPrefix, [&](std::string_view key, std::string_view value) {
        auto p = decode_proposal(value);
        if (!p) {
            failure = p.error().with_context(std::string(key));
            return false;
        }
        auto view = proposal_view(*p, e, params, as_of);
        if (!view) {
            failure = view.error();
            return false;
        }
        if (!status.empty() && (*view)["status"].get<std::string>() != status) {
            return true;
        }
        if (proposals.size() == kListProposalsMax) {
            truncated = true;
            return false;
        }
        proposals.push_back(std::move(*view));
        return true;
    }));
    if (failure) {
        return *failure;
    }
    json::Value out{{"proposals", std::move(proposals)}, {"count", 0}};
    out["count"] = out["proposals"].size();
    if (truncated) {
        out["truncated"] = true;
    }
    return out;
}

}  // namespace jc::contracts::query
