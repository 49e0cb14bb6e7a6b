#include "render.h"

#include <jc/contracts/arith/checked.h>
#include <jc/contracts/arith/date.h>

namespace jc::contracts::render {

std::string amount(std::int64_t v) { return std::to_string(v); }
std::string amount(I128 v) { return arith::to_string_i128(v); }
std::string amount(U128 v) { return arith::to_string_u128(v); }

json::Value terms(const PartnershipTerms& t) {
    return json::Value{
        {"agreement_ref", t.agreement_ref},
        {"funding_mode", std::string(name(t.funding_mode))},
        {"min_tranche_share_bps", t.min_tranche_share_bps},
        {"max_outstanding_principal", amount(t.max_outstanding_principal)},
        {"fronting_limit", amount(t.fronting_limit)},
        {"collection_limit", amount(t.collection_limit)},
        {"service_fee_bps", t.service_fee_bps},
        {"fee_base", std::string(name(t.fee_base))},
        {"require_partner_acceptance", t.require_partner_acceptance},
        {"accept_timeout_days", t.accept_timeout_days},
        {"writeoff_preauth_dpd", t.writeoff_preauth_dpd},
    };
}

json::Value partnership(const Partnership& p) {
    json::Value v{
        {"partnership_id", p.partnership_id},
        {"servicer_bank", p.servicer_bank},
        {"partner_bank", p.partner_bank},
        {"status", std::string(name(p.status))},
        {"terms", terms(p.terms)},
        {"used", amount(p.used)},
        {"loan_count", p.loan_count},
        {"created_height", p.created_height},
        {"updated_height", p.updated_height},
        {"pending_amendment", nullptr},
    };
    if (p.has_pending_amendment) {
        v["pending_amendment"] = json::Value{{"proposer", p.amendment_proposer}, {"terms", terms(p.pending_amendment)}};
    }
    return v;
}

json::Value member(const Member& m) {
    json::Value keys = json::Value::array();
    for (const auto& k : m.keys) {
        keys.push_back(k.hex());
    }
    json::Value roles = json::Value::array();
    for (std::uint8_t r = 0; r < kRoleCount; ++r) {
        if (m.has_role(static_cast<Role>(r))) {
            roles.push_back(std::string(name(static_cast<Role>(r))));
        }
    }
    return json::Value{{"bank_id", m.bank_id}, {"name", m.name},     {"cnaps_code", m.cnaps_code},
                       {"bic", m.bic},         {"lei", m.lei},       {"keys", std::move(keys)},
                       {"roles", std::move(roles)}, {"status", std::string(name(m.status))}};
}

namespace {

json::Value obligations(const LoanEvent& ev) {
    json::Value out = json::Value::array();
    for (const auto& o : ev.obligations) {
        out.push_back(json::Value{{"debtor", o.debtor},
                                  {"creditor", o.creditor},
                                  {"category", std::string(name(o.category))},
                                  {"amount", amount(o.amount)}});
    }
    return out;
}

json::Value postings(const LoanEvent& ev) {
    json::Value out = json::Value::array();
    const std::string id = ev.event_id();
    for (std::size_t i = 0; i < ev.postings.size(); ++i) {
        const Posting& p = ev.postings[i];
        out.push_back(json::Value{{"posting_id", id + "/" + std::to_string(i)},
                                  {"bank_id", p.bank_id},
                                  {"debit", std::string(name(p.debit))},
                                  {"debit_counterparty", p.debit_counterparty},
                                  {"credit", std::string(name(p.credit))},
                                  {"credit_counterparty", p.credit_counterparty},
                                  {"amount", amount(p.amount)}});
    }
    return out;
}

json::Value originate_result(const Loan& loan, const LoanEvent& ev) {
    json::Value tranches = json::Value::array();
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        tranches.push_back(json::Value{{"bank_id", loan.tranches[i].bank_id},
                                       {"share_bps", loan.tranches[i].share_bps},
                                       {"principal", amount(ev.tranches[i].funded)}});
    }
    json::Value schedule = json::Value::array();
    for (std::size_t i = 0; i < loan.installments.size(); ++i) {
        schedule.push_back(json::Value{{"seq", i + 1},
                                       {"due_date", arith::format_date(loan.installments[i].due_date)},
                                       {"principal", amount(loan.installments[i].principal_due)}});
    }
    return json::Value{{"type", "ORIGINATE"},
                       {"loan_id", loan.loan_id},
                       {"event_seq", ev.event_seq},
                       {"event_id", ev.event_id()},
                       {"value_date", arith::format_date(ev.value_date)},
                       {"principal", amount(ev.amount)},
                       {"status", std::string(name(ev.status_after))},
                       {"cycle_id", ev.cycle_id},
                       {"tranches", std::move(tranches)},
                       {"schedule", std::move(schedule)},
                       {"obligations", obligations(ev)}};
}

json::Value repay_result(const Loan& loan, const LoanEvent& ev) {
    json::Value tranches = json::Value::array();
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        const TrancheAllocation& a = ev.tranches[i];
        const std::string& bank = loan.tranches[i].bank_id;
        json::Value t{{"bank_id", bank},
                      {"principal", amount(a.principal())},
                      {"principal_due", amount(a.principal_due)},
                      {"principal_prepaid", amount(a.principal_prepaid)},
                      {"interest", amount(a.interest)},
                      {"penalty", amount(a.penalty)},
                      {"fee", amount(a.fee)},
                      {"principal_out", amount(a.principal_out_after)}};
        if (bank != loan.servicer) {
            // What the servicer owes this partner for the event: its collections net of the fee.
            t["servicer_owes"] = amount(a.principal() + a.interest + a.penalty - a.fee);
        }
        tranches.push_back(std::move(t));
    }
    return json::Value{
        {"type", "REPAY"},
        {"loan_id", loan.loan_id},
        {"event_seq", ev.event_seq},
        {"event_id", ev.event_id()},
        {"value_date", arith::format_date(ev.value_date)},
        {"amount", amount(ev.amount)},
        {"intent", std::string(name(ev.intent))},
        {"channel_ref", ev.channel_ref},
        {"cycle_id", ev.cycle_id},
        {"accrual", json::Value{{"days", ev.accrual_days},
                                {"interest", amount(ev.interest_accrued)},
                                {"penalty", amount(ev.penalty_accrued)}}},
        {"allocation", json::Value{{"fees", amount(ev.fees)},
                                   {"penalty", amount(ev.penalty)},
                                   {"interest", amount(ev.interest)},
                                   {"principal_due", amount(ev.principal_due)},
                                   {"principal_prepaid", amount(ev.principal_prepaid)}}},
        {"tranches", std::move(tranches)},
        {"principal_out_before", amount(ev.principal_out_before)},
        {"principal_out_after", amount(ev.principal_out_after)},
        {"status", std::string(name(ev.status_after))},
        {"obligations", obligations(ev)},
        {"early_cycle_close", ev.early_close_flag},
    };
}

}  // namespace

json::Value event_result(const Loan& loan, const LoanEvent& ev) {
    return ev.type == EventType::kOriginate ? originate_result(loan, ev) : repay_result(loan, ev);
}

json::Value event_statement(const Loan& loan, const LoanEvent& ev) {
    json::Value v = event_result(loan, ev);
    v["height"] = ev.height;
    v["tx_index"] = ev.tx_index;
    v["tx_hash"] = ev.tx_hash.hex();
    v["client_ref"] = ev.client_ref;
    v["channel_ref"] = ev.channel_ref;
    v["postings"] = postings(ev);
    if (ev.type == EventType::kRepay) {
        for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
            v["tranches"][i]["interest_accrued"] = amount(ev.tranches[i].interest_accrued);
            v["tranches"][i]["penalty_accrued"] = amount(ev.tranches[i].penalty_accrued);
            v["tranches"][i]["fee_base_cum"] = amount(ev.tranches[i].fee_base_cum);
            v["tranches"][i]["fee_cum"] = amount(ev.tranches[i].fee_cum);
        }
    }
    return v;
}

json::Value tranche(const Tranche& t) {
    return json::Value{{"bank_id", t.bank_id},
                       {"share_bps", t.share_bps},
                       {"partnership_id", t.partnership_id},
                       {"funding_mode", std::string(name(t.funding_mode))},
                       {"fee_bps", t.fee_bps},
                       {"fee_base", std::string(name(t.fee_base))},
                       {"principal_orig", amount(t.principal_orig)},
                       {"principal_out", amount(t.principal_out)},
                       {"interest_unpaid", amount(t.interest_unpaid)},
                       {"penalty_unpaid", amount(t.penalty_unpaid)},
                       {"principal_paid", amount(t.principal_paid)},
                       {"interest_paid", amount(t.interest_paid)},
                       {"penalty_paid", amount(t.penalty_paid)},
                       {"fee_base_cum", amount(t.fee_base_cum)},
                       {"fee_cum", amount(t.fee_cum)},
                       {"written_off", amount(t.written_off)},
                       {"recovered", amount(t.recovered)}};
}

}  // namespace jc::contracts::render
