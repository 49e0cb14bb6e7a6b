#include "render.h"

#include "canon_text.h"

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
        {"settlement_mode", std::string(name(t.settlement_mode))},
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

// Builds a JSON object by moving values in. nlohmann's initializer-list constructor copies
// every element, which dominates the cost of a repayment receipt; this does not.
class Obj {
public:
    Obj() : v_(json::Value::value_t::object) {}
    Obj& add(const char* key, json::Value value) {
        v_.get_ref<json::Value::object_t&>().emplace(key, std::move(value));
        return *this;
    }
    Obj& amt(const char* key, std::int64_t value) { return add(key, json::Value(amount(value))); }
    json::Value take() { return std::move(v_); }

private:
    json::Value v_;
};

json::Value obligations(const LoanEvent& ev) {
    json::Value out = json::Value::array();
    for (const auto& o : ev.obligations) {
        out.push_back(Obj()
                          .add("debtor", o.debtor)
                          .add("creditor", o.creditor)
                          .add("category", std::string(name(o.category)))
                          .amt("amount", o.amount)
                          .take());
    }
    return out;
}

json::Value postings(const LoanEvent& ev) {
    json::Value out = json::Value::array();
    const std::string id = ev.event_id();
    for (std::size_t i = 0; i < ev.postings.size(); ++i) {
        const Posting& p = ev.postings[i];
        out.push_back(Obj()
                          .add("posting_id", id + "/" + std::to_string(i))
                          .add("bank_id", p.bank_id)
                          .add("debit", std::string(name(p.debit)))
                          .add("debit_counterparty", p.debit_counterparty)
                          .add("credit", std::string(name(p.credit)))
                          .add("credit_counterparty", p.credit_counterparty)
                          .amt("amount", p.amount)
                          .take());
    }
    return out;
}

std::string originate_result(const Loan& loan, const LoanEvent& ev) {
    canon::Arr tranches;
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        tranches.raw(canon::Obj()
                         .str("bank_id", loan.tranches[i].bank_id)
                         .amt("principal", ev.tranches[i].funded)
                         .num("share_bps", loan.tranches[i].share_bps)
                         .take());
    }
    canon::Arr schedule;
    for (std::size_t i = 0; i < loan.installments.size(); ++i) {
        schedule.raw(canon::Obj()
                         .str("due_date", arith::format_date(loan.installments[i].due_date))
                         .amt("principal", loan.installments[i].principal_due)
                         .num("seq", static_cast<std::int64_t>(i + 1))
                         .take());
    }
    return canon::Obj()
        .str("cycle_id", ev.cycle_id)
        .num("event_seq", ev.event_seq)
        .str("loan_id", loan.loan_id)
        .amt("principal", ev.amount)
        .raw("schedule", schedule.take())
        .str("status", name(ev.status_after))
        .raw("tranches", tranches.take())
        .str("value_date", arith::format_date(ev.value_date))
        .take();
}

// The repayment receipt: the shape of a DOMAIN.md E2 row, kept compact because one is built
// for every repayment (the statement carries the full event: event_statement).
std::string repay_result(const Loan& loan, const LoanEvent& ev) {
    canon::Arr tranches(192 * ev.tranches.size());
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        const TrancheAllocation& a = ev.tranches[i];
        const std::string& bank = loan.tranches[i].bank_id;
        canon::Obj t;
        t.str("bank_id", bank)
            .amt("fee", a.fee)
            .amt("interest", a.interest)
            .amt("penalty", a.penalty)
            .amt("principal", a.principal());
        if (bank != loan.servicer) {
            // What the servicer owes this partner for the event: its collections net of the fee.
            t.amt("servicer_owes", a.principal() + a.interest + a.penalty - a.fee);
        }
        tranches.raw(t.take());
    }
    return canon::Obj(384 + 192 * ev.tranches.size())
        .raw("accrual", canon::Obj()
                            .num("days", ev.accrual_days)
                            .amt("interest", ev.interest_accrued)
                            .amt("penalty", ev.penalty_accrued)
                            .take())
        .raw("allocation", canon::Obj()
                               .amt("fees", ev.fees)
                               .amt("interest", ev.interest)
                               .amt("penalty", ev.penalty)
                               .amt("principal_due", ev.principal_due)
                               .amt("principal_prepaid", ev.principal_prepaid)
                               .take())
        .amt("amount", ev.amount)
        .boolean("early_cycle_close", ev.early_close_flag)
        .num("event_seq", ev.event_seq)
        .str("loan_id", loan.loan_id)
        .amt("principal_out_after", ev.principal_out_after)
        .str("status", name(ev.status_after))
        .raw("tranches", tranches.take())
        .str("value_date", arith::format_date(ev.value_date))
        .take();
}

// Write-off, recovery and correction receipts (ADR 0061).
std::string credit_result(const Loan& loan, const LoanEvent& ev) {
    canon::Arr tranches;
    std::int64_t interest_written_off = 0;
    std::int64_t penalty_written_off = 0;
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        const TrancheAllocation& a = ev.tranches[i];
        const std::string& bank = loan.tranches[i].bank_id;
        canon::Obj t;
        t.str("bank_id", bank);
        switch (ev.type) {
            case EventType::kWriteOff:
                t.amt("interest", a.interest_written_off).amt("penalty", a.penalty_written_off).amt("principal", a.written_off);
                interest_written_off += a.interest_written_off;
                penalty_written_off += a.penalty_written_off;
                break;
            case EventType::kRecover:
                t.amt("recovered", a.recovered);
                if (bank != loan.servicer) {
                    t.amt("servicer_owes", a.recovered);
                }
                break;
            default:  // kCorrect: what is reversed
                t.amt("fee", a.fee).amt("interest", a.interest);
                if (bank != loan.servicer) {
                    t.amt("owed_back_to_servicer", a.principal() + a.interest + a.penalty - a.fee + a.recovered);
                }
                t.amt("penalty", a.penalty).amt("principal", a.principal()).amt("recovered", a.recovered);
                break;
        }
        tranches.raw(t.take());
    }
    canon::Obj r;
    if (ev.type == EventType::kWriteOff) {
        r.raw("accrual", canon::Obj()
                             .num("days", ev.accrual_days)
                             .amt("interest", ev.interest_accrued)
                             .amt("penalty", ev.penalty_accrued)
                             .take());
    } else if (ev.type == EventType::kCorrect) {
        r.raw("allocation", canon::Obj()
                                .amt("fees", ev.fees)
                                .amt("interest", ev.interest)
                                .amt("penalty", ev.penalty)
                                .amt("principal_due", ev.principal_due)
                                .amt("principal_prepaid", ev.principal_prepaid)
                                .take());
    }
    r.amt("amount", ev.amount);
    if (ev.type == EventType::kCorrect) {
        r.num("corrects_event_seq", ev.corrects_seq);
    }
    r.num("event_seq", ev.event_seq).str("loan_id", loan.loan_id).amt("principal_out_after", ev.principal_out_after);
    if (ev.type == EventType::kWriteOff || ev.type == EventType::kCorrect) {
        r.str("reason", ev.reason);
    }
    r.str("status", name(ev.status_after))
        .raw("tranches", tranches.take())
        .str("type", name(ev.type))
        .str("value_date", arith::format_date(ev.value_date));
    if (ev.type == EventType::kWriteOff) {
        r.raw("written_off", canon::Obj()
                                 .amt("interest", interest_written_off)
                                 .amt("penalty", penalty_written_off)
                                 .amt("principal", ev.amount)
                                 .take());
    }
    return r.take();
}

}  // namespace

std::string event_result_text(const Loan& loan, const LoanEvent& ev) {
    switch (ev.type) {
        case EventType::kOriginate: return originate_result(loan, ev);
        case EventType::kRepay: return repay_result(loan, ev);
        default: return credit_result(loan, ev);
    }
}

json::Value event_result(const Loan& loan, const LoanEvent& ev) {
    // One renderer: the tree (for queries and statements) is the receipt text parsed back.
    auto parsed = json::parse_strict(event_result_text(loan, ev));
    JC_ASSERT(parsed.ok(), "contracts.render.event_result_parses");
    return std::move(parsed).value();
}

json::Value event_statement(const Loan& loan, const LoanEvent& ev) {
    json::Value v = event_result(loan, ev);
    v["type"] = std::string(name(ev.type));
    v["event_id"] = ev.event_id();
    v["height"] = ev.height;
    v["tx_index"] = ev.tx_index;
    v["tx_hash"] = ev.tx_hash.hex();
    v["client_ref"] = ev.client_ref;
    v["channel_ref"] = ev.channel_ref;
    v["cycle_id"] = ev.cycle_id;
    v["obligations"] = obligations(ev);
    v["postings"] = postings(ev);
    if (ev.type == EventType::kRepay || ev.type == EventType::kCorrect) {
        json::Value applied = json::Value::array();
        for (const auto& a : ev.applied) {
            applied.push_back(json::Value{{"installment_seq", a.index + 1}, {"principal", amount(a.amount)}});
        }
        v["installments"] = std::move(applied);
    }
    if (ev.type == EventType::kRepay) {
        v["intent"] = std::string(name(ev.intent));
        v["principal_out_before"] = amount(ev.principal_out_before);
        for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
            const TrancheAllocation& a = ev.tranches[i];
            json::Value& t = v["tranches"][i];
            t["principal_due"] = amount(a.principal_due);
            t["principal_prepaid"] = amount(a.principal_prepaid);
            t["principal_out"] = amount(a.principal_out_after);
            t["interest_accrued"] = amount(a.interest_accrued);
            t["penalty_accrued"] = amount(a.penalty_accrued);
            t["fee_base_cum"] = amount(a.fee_base_cum);
            t["fee_cum"] = amount(a.fee_cum);
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

json::Value proposal(const Loan& loan, const LoanProposal& p) {
    json::Value tranches = json::Value::array();
    for (std::size_t i = 0; i < loan.tranches.size() && i < p.tranches.size(); ++i) {
        const Tranche& t = loan.tranches[i];
        const TrancheAcceptance& a = p.tranches[i];
        tranches.push_back(json::Value{{"bank_id", t.bank_id},
                                       {"share_bps", t.share_bps},
                                       {"partnership_id", t.partnership_id},
                                       {"principal", amount(a.principal)},
                                       {"acceptance", std::string(name(a.acceptance))},
                                       {"decided_height", a.decided_height}});
    }
    json::Value schedule = json::Value::array();
    for (std::size_t i = 0; i < loan.installments.size(); ++i) {
        schedule.push_back(json::Value{{"seq", i + 1},
                                       {"due_date", arith::format_date(loan.installments[i].due_date)},
                                       {"principal", amount(loan.installments[i].principal_due)}});
    }
    return json::Value{{"principal", amount(loan.principal)},
                       {"value_date", arith::format_date(loan.value_date)},
                       {"proposed_height", p.proposed_height},
                       {"proposed_date", arith::format_date(p.proposed_date)},
                       {"expires_after", arith::format_date(p.expires_after)},
                       {"outcome", std::string(name(p.outcome))},
                       {"closed_height", p.closed_height},
                       {"rejected_by", p.rejected_by},
                       {"reason", p.reason},
                       {"tranches", std::move(tranches)},
                       {"schedule", std::move(schedule)}};
}

}  // namespace jc::contracts::render
