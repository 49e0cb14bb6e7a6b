// Two-step origination (DOMAIN.md B.3/B.4; docs/decisions/0062-two-step-origination.md):
//   loan.propose         servicer: the loan's terms, checked like loan.originate; the loan is
//                        PENDING, reserves partnership capacity and interbank headroom, and
//                        posts nothing;
//   loan.accept_tranche  a partner whose partnership requires acceptance: accepts its tranche;
//   loan.reject_tranche  the same partner: rejects it, which cancels the loan;
//   loan.disburse        servicer, once every such tranche is accepted: books exactly what
//                        loan.originate would have booked and releases the reservation.
// A proposal not disbursed by its expiry date is cancelled in the block prologue of the first
// block whose business date is later (expire_proposals).
#include "origination.h"

#include "form.h"
#include "invariants.h"
#include "render.h"

#include <jc/contracts/arith/date.h>

#include <algorithm>

namespace jc::contracts {

namespace {

constexpr std::size_t kReasonLengthMax = 256;

Exec<LoanProposal> load_proposal(const ledger::StateReader& r, const Loan& loan) {
    JC_EXEC_ASSIGN(auto p, load(store::load<LoanProposal>(r, keys::proposal(loan.loan_id), decode_loan_proposal)));
    if (!p || p->tranches.size() != loan.tranches.size()) {
        return fail(Error(Errc::kCorruption, "loan " + loan.loan_id + " has no matching proposal record"));
    }
    return std::move(*p);
}

// Books (delta > 0) or releases (delta < 0) the capacity a pending loan holds: its partner
// tranches' principal in each partnership, and the funding legs per servicer/partner pair.
ExecStatus reserve(Overlay& ov, const Loan& loan, const LoanProposal& p, std::int64_t sign) {
    for (std::size_t i = 0; i < loan.tranches.size(); ++i) {
        const Tranche& tr = loan.tranches[i];
        if (tr.partnership_id.empty()) {
            continue;
        }
        const std::int64_t amount = sign * p.tranches[i].principal;
        JC_EXEC_TRY(add_reserved(ov, keys::reserved_partnership(tr.partnership_id), amount));
        if (tr.funding_mode != FundingMode::kDirect) {
            JC_EXEC_TRY(add_reserved(ov, keys::reserved_pair(loan.servicer, tr.bank_id), amount));
        }
    }
    return exec_ok();
}

ExecStatus move_borrower(Overlay& ov, const Loan& loan, std::int64_t delta) {
    const std::string key = keys::borrower(loan.product_code, loan.borrower_ref);
    JC_EXEC_ASSIGN(const std::int64_t out, load(store::borrower_outstanding(ov, key)));
    if (out + delta < 0) {
        return fail(Error(Errc::kCorruption, "borrower exposure below the loan's principal for " + key));
    }
    ov.put(key, encode_borrower_outstanding(out + delta, ov.record_version()));
    return exec_ok();
}

// PENDING -> CANCELLED: releases the reservations and the borrower exposure, drops the expiry
// index entry. Nothing was posted, so nothing is reversed.
ExecStatus cancel(Overlay& ov, std::uint64_t height, Loan loan, LoanProposal p, ProposalOutcome outcome) {
    JC_EXEC_TRY(reserve(ov, loan, p, -1));
    JC_EXEC_TRY(move_borrower(ov, loan, -loan.principal));
    ov.erase(keys::proposal_expiry(p.expires_after, loan.loan_id));
    loan.status = LoanStatus::kCancelled;
    p.outcome = outcome;
    p.closed_height = height;
    put_loan(ov, loan);
    ov.put(keys::proposal(loan.loan_id), encode(p, ov.record_version()));
    if (auto broken = invariants::check_loan(loan)) {
        return fail(invariants::violation(height, *broken));
    }
    return exec_ok();
}

json::Value proposal_result(const Loan& loan, const LoanProposal& p) {
    json::Value out = render::proposal(loan, p);
    out["loan_id"] = loan.loan_id;
    out["status"] = std::string(name(loan.status));
    return out;
}

// The loan a partner answers for, in ADR 0031 order: 2004 (the loan exists and the sender holds
// no partner tranche of it), 5001, 5002 (not PENDING), 4008 (this tranche's answer is not
// awaited). Returns the tranche index.
struct PartnerView {
    Loan loan;
    LoanProposal proposal;
    std::size_t index = 0;
};

Exec<PartnerView> partner_view(TxEnv& t, const std::string& loan_id) {
    const std::string& bank = t.sender.bank_id;
    JC_EXEC_ASSIGN(auto loaded, load_loan_for_update(t, loan_id));
    if (loaded && std::none_of(loaded->tranches.begin(), loaded->tranches.end(),
                               [&](const Tranche& tr) { return tr.bank_id == bank; })) {
        return reject(Code::kNotTrancheHolder, json::Value{{"loan_id", loan_id}, {"bank_id", bank}});
    }
    if (!loaded) {
        return reject(Code::kLoanNotFound, json::Value{{"loan_id", loan_id}});
    }
    PartnerView v{std::move(*loaded), {}, 0};
    if (v.loan.status != LoanStatus::kPending) {
        json::Value d{{"loan_id", loan_id}, {"status", std::string(name(v.loan.status))}, {"required", "PENDING"}};
        if (v.loan.status == LoanStatus::kCancelled) {
            JC_EXEC_ASSIGN(const LoanProposal p, load_proposal(t.ov, v.loan));
            d["outcome"] = std::string(name(p.outcome));
            d["expires_after"] = arith::format_date(p.expires_after);
        }
        return reject(Code::kLoanState, std::move(d));
    }
    JC_EXEC_ASSIGN(v.proposal, load_proposal(t.ov, v.loan));
    while (v.loan.tranches[v.index].bank_id != bank) {
        ++v.index;
    }
    const Acceptance a = v.proposal.tranches[v.index].acceptance;
    if (a != Acceptance::kPending) {
        const char* why = bank == v.loan.servicer        ? "the servicer's proposal is its acceptance"
                          : a == Acceptance::kAccepted   ? "this tranche was already accepted"
                                                         : "this tranche's partnership does not require acceptance";
        return reject(Code::kAcceptanceNotPending, json::Value{{"loan_id", loan_id},
                                                               {"bank_id", bank},
                                                               {"acceptance", std::string(name(a))},
                                                               {"reason", why}});
    }
    return v;
}

}  // namespace

Exec<TxEffect> apply_loan_propose(TxEnv& t, const json::Value& body) {
    JC_EXEC_ASSIGN(OriginationPlan plan, plan_origination(t, body, OriginationPath::kPropose));
    Loan& loan = plan.loan;
    const Date today = t.env.block.business_date;
    LoanProposal p;
    p.proposed_height = t.env.block.height;
    p.proposed_date = today;
    // The tightest acceptance window among the partnerships that require acceptance.
    std::uint32_t timeout_days = 0;
    bool first = true;
    for (std::size_t i = 0; i < loan.tranches.size(); ++i) {
        TrancheAcceptance a;
        a.principal = plan.funded[i];
        if (plan.parts[i] && plan.parts[i]->terms.require_partner_acceptance) {
            a.acceptance = Acceptance::kPending;
            timeout_days = first ? plan.parts[i]->terms.accept_timeout_days
                                 : std::min(timeout_days, plan.parts[i]->terms.accept_timeout_days);
            first = false;
        }
        p.tranches.push_back(a);
    }
    p.expires_after = today + static_cast<Date>(timeout_days);  // <= 3650 days: stays a valid date
    // Nothing is funded yet: the tranches hold no principal until loan.disburse (B3/B4 and the
    // ledger see nothing), the proposal holds the amounts and the reservations hold capacity.
    loan.status = LoanStatus::kPending;
    loan.event_seq = 0;
    loan.disbursement_channel_ref.clear();
    loan.originated_height = 0;
    for (Tranche& tr : loan.tranches) {
        tr.principal_orig = 0;
        tr.principal_out = 0;
    }
    JC_EXEC_TRY(reserve(t.ov, loan, p, +1));
    t.ov.put(plan.borrower_key, encode_borrower_outstanding(plan.borrower_out + loan.principal, t.ov.record_version()));
    t.ov.put(keys::proposal_expiry(p.expires_after, loan.loan_id), std::string());
    t.ov.put(keys::proposal(loan.loan_id), encode(p, t.ov.record_version()));
    put_loan(t.ov, loan);
    if (auto broken = invariants::check_loan(loan)) {
        return fail(invariants::violation(t.env.block.height, *broken));
    }
    return TxEffect{proposal_result(loan, p), "", 0};
}

Exec<TxEffect> apply_loan_accept_tranche(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"loan_id"});
    const auto loan_id = f.id(body, "loan_id", "", kIdLengthMax, true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(PartnerView v, partner_view(t, *loan_id));
    v.proposal.tranches[v.index].acceptance = Acceptance::kAccepted;
    v.proposal.tranches[v.index].decided_height = t.env.block.height;
    t.ov.put(keys::proposal(v.loan.loan_id), encode(v.proposal, t.ov.record_version()));
    return TxEffect{proposal_result(v.loan, v.proposal), "", 0};
}

Exec<TxEffect> apply_loan_reject_tranche(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"loan_id", "reason"});
    const auto loan_id = f.id(body, "loan_id", "", kIdLengthMax, true);
    const auto reason = f.string(body, "reason", "", false);
    if (reason && (reason->empty() || reason->size() > kReasonLengthMax ||
                   !std::all_of(reason->begin(), reason->end(), [](char c) { return c >= 0x20 && c <= 0x7e; }))) {
        f.error(Code::kBadEnvelope, "reason", "must be 1-256 printable ASCII characters");
    }
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(PartnerView v, partner_view(t, *loan_id));
    v.proposal.tranches[v.index].acceptance = Acceptance::kRejected;
    v.proposal.tranches[v.index].decided_height = t.env.block.height;
    v.proposal.rejected_by = t.sender.bank_id;
    v.proposal.reason = reason.value_or("");
    JC_EXEC_TRY(cancel(t.ov, t.env.block.height, v.loan, v.proposal, ProposalOutcome::kRejected));
    v.loan.status = LoanStatus::kCancelled;
    v.proposal.outcome = ProposalOutcome::kRejected;
    v.proposal.closed_height = t.env.block.height;
    return TxEffect{proposal_result(v.loan, v.proposal), "", 0};
}

Exec<TxEffect> apply_loan_disburse(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"loan_id", "channel_ref"});
    const auto loan_id = f.id(body, "loan_id", "", kIdLengthMax, true);
    const auto channel_ref = f.id(body, "channel_ref", "", kIdLengthMax, true);
    if (f.has_error()) {
        return f.failure();
    }
    const std::string& servicer = t.sender.bank_id;
    // 2003, 3003, 5001, 5002 (ADR 0031: a missing loan is reported at 5001's place).
    JC_EXEC_ASSIGN(auto loaded, load_loan_for_update(t, *loan_id));
    if (loaded && loaded->servicer != servicer) {
        return reject(Code::kNotServicer, json::Value{{"loan_id", *loan_id}, {"servicer", loaded->servicer}});
    }
    JC_EXEC_ASSIGN(auto channel, load(store::channel_ref(t.ov, servicer, *channel_ref)));
    if (channel) {
        return reject(Code::kDuplicateChannelRef, json::Value{{"channel_ref", *channel_ref},
                                                              {"loan_id", channel->loan_id},
                                                              {"event_seq", channel->event_seq}});
    }
    if (!loaded) {
        return reject(Code::kLoanNotFound, json::Value{{"loan_id", *loan_id}});
    }
    Loan loan = std::move(*loaded);
    if (loan.status != LoanStatus::kPending) {
        return reject(Code::kLoanState, json::Value{{"loan_id", loan.loan_id},
                                                    {"status", std::string(name(loan.status))},
                                                    {"required", "PENDING"}});
    }
    JC_EXEC_ASSIGN(LoanProposal p, load_proposal(t.ov, loan));
    // 4002: every partnership and partner still ACTIVE (a suspension stops new fundings).
    const std::size_t k = loan.tranches.size();
    std::vector<std::optional<Partnership>> parts(k);
    for (std::size_t i = 0; i < k; ++i) {
        const Tranche& tr = loan.tranches[i];
        if (tr.partnership_id.empty()) {
            continue;
        }
        JC_EXEC_ASSIGN(parts[i], load(store::partnership(t.ov, tr.partnership_id)));
        if (!parts[i]) {
            return fail(Error(Errc::kCorruption, "loan " + loan.loan_id + " names missing partnership " +
                                                     tr.partnership_id));
        }
        if (parts[i]->status != PartnershipStatus::kActive) {
            return reject(Code::kPartnershipInactive, json::Value{{"partnership_id", parts[i]->partnership_id},
                                                                  {"status", std::string(name(parts[i]->status))}});
        }
        JC_EXEC_ASSIGN(auto partner, load(store::member(t.ov, tr.bank_id)));
        if (!partner || partner->status != MemberStatus::kActive) {
            return reject(Code::kPartnershipInactive, json::Value{{"partnership_id", parts[i]->partnership_id},
                                                                  {"reason", "the partner bank is not an ACTIVE member"}});
        }
    }
    // 4009
    if (!p.all_accepted()) {
        json::Value waiting = json::Value::array();
        for (std::size_t i = 0; i < k; ++i) {
            if (p.tranches[i].acceptance == Acceptance::kPending) {
                waiting.push_back(loan.tranches[i].bank_id);
            }
        }
        return reject(Code::kTranchesNotAccepted, json::Value{{"loan_id", loan.loan_id}, {"waiting_for", waiting}});
    }
    // 44xx: the bounds again, this loan's reservation included. They hold unless a limit was
    // amended down or a correction moved a position since the proposal.
    std::vector<std::int64_t> funded(k);
    for (std::size_t i = 0; i < k; ++i) {
        funded[i] = p.tranches[i].principal;
    }
    JC_EXEC_TRY(check_capacity(t, loan, parts, funded, /*reserved_includes_loan=*/true));

    // Effects: the reservation becomes usage, and the loan is booked as loan.originate books it.
    JC_EXEC_TRY(reserve(t.ov, loan, p, -1));
    t.ov.erase(keys::proposal_expiry(p.expires_after, loan.loan_id));
    for (std::size_t i = 0; i < k; ++i) {
        loan.tranches[i].principal_orig = funded[i];
        loan.tranches[i].principal_out = funded[i];
    }
    JC_EXEC_ASSIGN(const LoanEvent ev, book_disbursement(t, loan, parts, *channel_ref));
    p.outcome = ProposalOutcome::kDisbursed;
    p.closed_height = t.env.block.height;
    t.ov.put(keys::proposal(loan.loan_id), encode(p, t.ov.record_version()));
    return TxEffect{CanonicalText{render::event_result_text(loan, ev)}, loan.loan_id, ev.event_seq};
}

Status expire_proposals(Overlay& ov, const BlockContext& block) {
    // Index keys sort by expiry date; every key below "lx/<business date>/" expired before today.
    const std::string bound = keys::proposal_expiry(block.business_date, "");
    std::vector<std::string> expired;
    JC_TRY_STATUS(ov.scan(keys::kProposalExpiryPrefix, [&](std::string_view key, std::string_view) {
        if (key >= bound) {
            return false;
        }
        expired.emplace_back(key.substr(bound.size()));
        return true;
    }));
    for (const std::string& loan_id : expired) {
        auto loaded = store::loan(ov, loan_id);
        if (!loaded) {
            return loaded.error();
        }
        if (!*loaded || (**loaded).status != LoanStatus::kPending) {
            return Error(Errc::kCorruption, "proposal expiry index names loan " + loan_id + " which is not PENDING");
        }
        auto p = load_proposal(ov, **loaded);
        if (!p.ok()) {
            return p.failed() ? p.error() : Error(Errc::kInternal, "proposal load rejected");
        }
        auto done = cancel(ov, block.height, std::move(**loaded), std::move(p).value(), ProposalOutcome::kExpired);
        if (!done.ok()) {
            return done.failed() ? done.error() : Error(Errc::kInternal, "expiry of " + loan_id + " rejected");
        }
    }
    return {};
}

}  // namespace jc::contracts
