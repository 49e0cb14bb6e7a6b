// Credit events (DOMAIN.md B.2-B.5; docs/decisions/0061-credit-events.md):
//   loan.write_off          servicer: write the outstanding principal off on every tranche
//                           holder's books, now (every partner pre-authorised at this DPD) or
//                           once every other partner approved;
//   loan.approve_write_off  partner tranche holder: approve the pending request;
//   loan.recover            servicer: cash recovered on a written-off loan, split by each
//                           tranche's unrecovered written-off principal;
//   loan.correct            servicer: reverse the loan's latest repayment or recovery with
//                           mirror postings, restoring the loan, schedule and positions; once
//                           the original's cycle closed, only when the affected partners approve;
//   loan.approve_correction tranche holder: approve such a pending correction (ADR 0063).
//
// A pending write-off lives at `wo/<loan_id>`, a pending correction at `co/<loan_id>`: the same
// ApprovalRequest record (below, encoded with jc/core/codec.h like every record) and the same
// approval routine. A request remembers the loan's event_seq, so any later loan event makes it
// stale and a new request is needed.
#include "form.h"
#include "invariants.h"
#include "record_ints.h"
#include "render.h"
#include "servicing.h"
#include "tx_env.h"

#include <jc/contracts/arith/allocate.h>
#include <jc/core/assert.h>
#include <jc/core/codec.h>

#include <algorithm>
#include <span>

namespace jc::contracts {

namespace {

constexpr std::size_t kReasonLengthMax = 256;

// What a pending request asks the tranche holders to approve.
enum class RequestKind { kWriteOff, kCorrection };

struct ApprovalRequest {
    std::uint32_t loan_event_seq = 0;  // the loan's event_seq when requested (a correction: the original's)
    Date value_date = 0;               // of the write-off; of the corrected event
    std::string reason;
    std::int64_t dpd = 0;              // write-off: DPD at value_date; correction: 0
    std::vector<std::string> required;   // partner banks whose approval is needed, sorted
    std::vector<std::string> approvals;  // those that approved, sorted
    std::uint64_t requested_height = 0;
};

std::string request_key(RequestKind kind, std::string_view loan_id) {
    return (kind == RequestKind::kWriteOff ? "wo/" : "co/") + std::string(loan_id);
}

std::string encode_request(const ApprovalRequest& r, RecordVersion version) {
    codec::Writer w;
    put_version(w, version).u32(r.loan_event_seq).u32(static_cast<std::uint32_t>(r.value_date)).str(r.reason);
    put_i64(w, version, r.dpd).varint(r.required.size());
    for (const auto& b : r.required) {
        w.str(b);
    }
    w.varint(r.approvals.size());
    for (const auto& b : r.approvals) {
        w.str(b);
    }
    put_u64(w, version, r.requested_height);
    return to_string(w.data());
}

Result<ApprovalRequest> decode_request(std::string_view bytes) {
    return read_record<ApprovalRequest>(bytes, "approval request", [&](codec::Reader& r) -> Result<ApprovalRequest> {
        ApprovalRequest v;
        JC_ASSIGN_OR_RETURN(const RecordVersion version, read_version(r, "approval request"));
        JC_ASSIGN_OR_RETURN(v.loan_event_seq, r.u32());
        JC_ASSIGN_OR_RETURN(const std::uint32_t date, r.u32());
        v.value_date = static_cast<Date>(date);
        JC_ASSIGN_OR_RETURN(v.reason, r.str(kReasonLengthMax));
        JC_ASSIGN_OR_RETURN(v.dpd, read_i64(r, version));
        for (auto* list : {&v.required, &v.approvals}) {
            JC_ASSIGN_OR_RETURN(const std::uint64_t n, r.varint_max(kTranchesMax, "banks"));
            for (std::uint64_t i = 0; i < n; ++i) {
                JC_ASSIGN_OR_RETURN(std::string b, r.str(kIdLengthMax));
                list->push_back(std::move(b));
            }
        }
        JC_ASSIGN_OR_RETURN(v.requested_height, read_u64(r, version));
        JC_TRY_STATUS(r.finish());
        return v;
    });
}

Exec<std::optional<ApprovalRequest>> load_request(const ledger::StateReader& r, RequestKind kind,
                                                   std::string_view loan_id) {
    const std::string key = request_key(kind, loan_id);
    JC_EXEC_ASSIGN(auto raw, load(r.get(key)));
    if (!raw) {
        return std::optional<ApprovalRequest>{};
    }
    auto decoded = decode_request(*raw);
    if (!decoded) {
        return fail(decoded.error().with_context(key));
    }
    return std::optional<ApprovalRequest>{std::move(decoded).value()};
}

json::Value banks_json(const std::vector<std::string>& banks) {
    json::Value out = json::Value::array();
    for (const auto& b : banks) {
        out.push_back(b);
    }
    return out;
}

json::Value request_json(const std::string& loan_id, const ApprovalRequest& r) {
    std::vector<std::string> waiting;
    std::set_difference(r.required.begin(), r.required.end(), r.approvals.begin(), r.approvals.end(),
                        std::back_inserter(waiting));
    return json::Value{{"loan_id", loan_id},
                       {"status", "PENDING_APPROVAL"},
                       {"value_date", arith::format_date(r.value_date)},
                       {"dpd", r.dpd},
                       {"reason", r.reason},
                       {"required_approvals", banks_json(r.required)},
                       {"approvals", banks_json(r.approvals)},
                       {"waiting_for", banks_json(waiting)}};
}

// The approval routine shared by write-offs and corrections: `bank` approves the pending
// request of `kind` on `loan`. Refused with `not_eligible` (5101 / 5203) when nothing is
// pending, the request is stale (the loan had an event since), this bank's approval is not
// needed (the servicer's request is its own; a pre-authorised partner) or was already given.
// Returns the request with the approval added; complete when approvals == required.
Exec<ApprovalRequest> add_approval(TxEnv& t, const Loan& loan, RequestKind kind, Code not_eligible) {
    const std::string& bank = t.sender.bank_id;
    JC_EXEC_ASSIGN(auto pending, load_request(t.ov, kind, loan.loan_id));
    const char* what = kind == RequestKind::kWriteOff ? "write-off" : "correction";
    auto refuse = [&](const std::string& why) {
        return reject(not_eligible, json::Value{{"loan_id", loan.loan_id}, {"bank_id", bank}, {"reason", why}});
    };
    if (!pending) {
        return refuse(std::string("no ") + what + " of this loan is pending");
    }
    if (pending->loan_event_seq != loan.event_seq) {
        return refuse(std::string("the pending ") + what + " is stale: the loan had an event since; request it again");
    }
    if (!std::binary_search(pending->required.begin(), pending->required.end(), bank)) {
        if (bank == loan.servicer) {
            return refuse("the servicer's request is its approval");
        }
        return refuse(kind == RequestKind::kWriteOff ? "this bank's partnership pre-authorised the write-off"
                                                     : "this bank's tranche is not affected by the correction");
    }
    if (std::binary_search(pending->approvals.begin(), pending->approvals.end(), bank)) {
        return refuse("this bank already approved");
    }
    pending->approvals.insert(std::lower_bound(pending->approvals.begin(), pending->approvals.end(), bank), bank);
    return std::move(*pending);
}

// 2004 (the loan exists and the sender holds no tranche of it), then 5001; a stored loan that
// breaks T4-T6 is corruption.
Exec<Loan> holder_loan(TxEnv& t, const std::string& loan_id) {
    const std::string& bank = t.sender.bank_id;
    JC_EXEC_ASSIGN(auto loaded, load_loan_for_update(t, loan_id));
    if (loaded && std::none_of(loaded->tranches.begin(), loaded->tranches.end(),
                               [&](const Tranche& tr) { return tr.bank_id == bank; })) {
        return reject(Code::kNotTrancheHolder, json::Value{{"loan_id", loan_id}, {"bank_id", bank}});
    }
    if (!loaded) {
        return reject(Code::kLoanNotFound, json::Value{{"loan_id", loan_id}});
    }
    if (auto broken = invariants::check_loan(*loaded)) {
        return fail(invariants::violation(t.env.block.height, "stored " + *broken));
    }
    return std::move(*loaded);
}

// A printable-ASCII reason of 1..256 characters (1001 otherwise).
std::optional<std::string> read_reason(Form& f, const json::Value& body) {
    auto v = f.string(body, "reason", "", true);
    if (v && (v->empty() || v->size() > kReasonLengthMax ||
              !std::all_of(v->begin(), v->end(), [](char c) { return c >= 0x20 && c <= 0x7e; }))) {
        f.error(Code::kBadEnvelope, "reason", "must be 1-256 printable ASCII characters");
        return std::nullopt;
    }
    return v;
}

// Loads the loan named by a servicer transaction: 2003 (exists, sender not its servicer) comes
// before 5001 (ADR 0031: a missing record is reported at its own code's place).
Exec<Loan> servicer_loan(TxEnv& t, const std::string& loan_id, bool check_channel,
                         const std::string& channel_ref) {
    JC_EXEC_ASSIGN(auto loaded, load_loan_for_update(t, loan_id));
    if (loaded && loaded->servicer != t.sender.bank_id) {
        return reject(Code::kNotServicer, json::Value{{"loan_id", loan_id}, {"servicer", loaded->servicer}});
    }
    if (check_channel) {
        JC_EXEC_ASSIGN(auto channel, load(store::channel_ref(t.ov, t.sender.bank_id, channel_ref)));
        if (channel) {
            return reject(Code::kDuplicateChannelRef, json::Value{{"channel_ref", channel_ref},
                                                                  {"loan_id", channel->loan_id},
                                                                  {"event_seq", channel->event_seq}});
        }
    }
    if (!loaded) {
        return reject(Code::kLoanNotFound, json::Value{{"loan_id", loan_id}});
    }
    if (auto broken = invariants::check_loan(*loaded)) {
        return fail(invariants::violation(t.env.block.height, "stored " + *broken));
    }
    return std::move(*loaded);
}

Failure loan_state(const Loan& loan, const char* required) {
    return reject(Code::kLoanState, json::Value{{"loan_id", loan.loan_id},
                                                {"status", std::string(name(loan.status))},
                                                {"required", required}});
}

// 5003 / 5004 for a value date.
ExecStatus check_value_date(const TxEnv& t, const Loan& loan, Date value_date) {
    if (value_date < loan.last_event_date) {
        return reject(Code::kValueDateBeforeLastEvent,
                      json::Value{{"value_date", arith::format_date(value_date)},
                                  {"last_event_date", arith::format_date(loan.last_event_date)}});
    }
    if (value_date > t.env.block.business_date) {
        return reject(Code::kValueDateInFuture,
                      json::Value{{"value_date", arith::format_date(value_date)},
                                  {"business_date", arith::format_date(t.env.block.business_date)}});
    }
    return exec_ok();
}

// The common header of an event produced by this transaction.
LoanEvent new_event(const TxEnv& t, const Loan& after, EventType type, Date value_date) {
    LoanEvent ev;
    ev.type = type;
    ev.event_seq = after.event_seq;
    ev.tx_hash = t.tx.hash();
    ev.item_index = t.item_index;
    ev.height = t.env.block.height;
    ev.tx_index = t.tx_index;
    ev.client_ref = t.tx.client_ref();
    ev.value_date = value_date;
    ev.status_after = after.status;
    return ev;
}

// Moves each partnership's usage by its tranche's principal change (B4) and the borrower's
// exposure by the loan's (4202's counter).
ExecStatus move_usage(TxEnv& t, const Loan& before, const Loan& after) {
    for (std::size_t i = 0; i < after.tranches.size(); ++i) {
        const Tranche& tr = after.tranches[i];
        const std::int64_t delta = tr.principal_out - before.tranches[i].principal_out;
        if (tr.partnership_id.empty() || delta == 0) {
            continue;
        }
        JC_EXEC_ASSIGN(auto p, load(store::partnership(t.ov, tr.partnership_id)));
        if (!p) {
            return fail(Error(Errc::kCorruption, "loan " + after.loan_id + " names missing partnership " +
                                                     tr.partnership_id));
        }
        p->used += delta;  // a principal change of this loan: stays within [0, the loan's principal]
        p->updated_height = t.env.block.height;
        put_partnership(t.ov, *p);
    }
    const std::int64_t delta = after.principal_out() - before.principal_out();
    if (delta != 0) {
        const std::string key = keys::borrower(after.product_code, after.borrower_ref);
        JC_EXEC_ASSIGN(const std::int64_t out, load(store::borrower_outstanding(t.ov, key)));
        if (out + delta < 0) {
            return fail(Error(Errc::kCorruption, "borrower exposure below the loan's principal for " + key));
        }
        t.ov.put(key, encode_borrower_outstanding(out + delta, t.ov.record_version()));
    }
    return exec_ok();
}

ExecStatus finish_event(TxEnv& t, const Loan& before, const Loan& after, const LoanEvent& ev) {
    t.ov.put(keys::event(after.loan_id, ev.event_seq), encode(ev, t.ov.record_version()));
    put_loan(t.ov, after);
    if (t.env.options.check_tx_invariants) {
        if (auto s = invariants::check_loan_event(&before, after, ev, t.ov); !s) {
            return fail(invariants::violation(t.env.block.height, s.error().message()));
        }
    }
    return exec_ok();
}

// Executes a write-off of `before` at `value_date`: accrue the memo interest and penalty to
// the value date, then write off every tranche's principal (Dr CREDIT_LOSS_EXPENSE / Cr
// LOAN_PRINCIPAL in each holder's book) and zero its memo accruals, reporting them.
Exec<TxEffect> execute_write_off(TxEnv& t, const Loan& before, Date value_date, const std::string& reason) {
    Loan after = before;
    JC_EXEC_ASSIGN(const servicing::Accrual accrual, servicing::accrue(after, value_date));
    after.last_event_date = value_date;
    after.event_seq += 1;
    after.status = LoanStatus::kWrittenOff;
    LoanEvent ev = new_event(t, after, EventType::kWriteOff, value_date);
    ev.reason = reason;
    ev.accrual_days = accrual.days;
    ev.interest_accrued = accrual.interest;
    ev.penalty_accrued = accrual.penalty;
    ev.principal_out_before = before.principal_out();
    JC_EXEC_ASSIGN(const Cycle open_cycle, load(store::current_cycle(t.ov)));
    ev.cycle_id = open_cycle.cycle_id;
    Booking book;
    for (std::size_t i = 0; i < after.tranches.size(); ++i) {
        Tranche& tr = after.tranches[i];
        TrancheAllocation a;
        a.interest_accrued = accrual.tranche_interest[i];
        a.penalty_accrued = accrual.tranche_penalty[i];
        a.written_off = tr.principal_out;
        a.interest_written_off = tr.interest_unpaid;
        a.penalty_written_off = tr.penalty_unpaid;
        a.fee_base_cum = tr.fee_base_cum;
        a.fee_cum = tr.fee_cum;
        tr.written_off += tr.principal_out;  // <= principal_orig: no overflow
        tr.principal_out = 0;
        tr.interest_unpaid = 0;
        tr.penalty_unpaid = 0;
        ev.amount += a.written_off;
        book.post(tr.bank_id, AccountCode::kCreditLossExpense, "", AccountCode::kLoanPrincipal, "", a.written_off);
        ev.tranches.push_back(a);
    }
    ev.principal_out_after = 0;
    JC_EXEC_TRY(book.apply(t.ov, ev.cycle_id));
    ev.postings = book.postings();
    JC_EXEC_TRY(move_usage(t, before, after));
    t.ov.erase(request_key(RequestKind::kWriteOff, after.loan_id));
    JC_EXEC_TRY(finish_event(t, before, after, ev));
    return TxEffect{CanonicalText{render::event_result_text(after, ev)}, after.loan_id, ev.event_seq};
}

}  // namespace

Exec<TxEffect> apply_loan_write_off(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"loan_id", "value_date", "reason"});
    const auto loan_id = f.id(body, "loan_id", "", kIdLengthMax, true);
    const auto value_date = f.date(body, "value_date", "", true);
    const auto reason = read_reason(f, body);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(Loan loan, servicer_loan(t, *loan_id, false, ""));
    if (loan.status != LoanStatus::kActive) {
        return loan_state(loan, "ACTIVE");
    }
    JC_EXEC_TRY(check_value_date(t, loan, *value_date));
    JC_EXEC_ASSIGN(auto pending, load_request(t.ov, RequestKind::kWriteOff, loan.loan_id));
    if (pending && pending->loan_event_seq == loan.event_seq) {
        json::Value d = request_json(loan.loan_id, *pending);
        d["reason"] = "a write-off of this loan is already pending approval";
        return reject(Code::kWriteOffNotEligible, std::move(d));
    }
    // Every partner tranche whose partnership pre-authorised write-offs at this DPD needs no
    // approval; the others do. The servicer's request is its own approval.
    ApprovalRequest req;
    req.loan_event_seq = loan.event_seq;
    req.value_date = *value_date;
    req.reason = *reason;
    req.dpd = servicing::days_past_due(loan, *value_date);
    req.requested_height = t.env.block.height;
    for (const Tranche& tr : loan.tranches) {
        if (tr.bank_id == loan.servicer) {
            continue;
        }
        const bool preauthorised =
            tr.writeoff_preauth_dpd > 0 && req.dpd >= static_cast<std::int64_t>(tr.writeoff_preauth_dpd);
        if (!preauthorised) {
            req.required.push_back(tr.bank_id);
        }
    }
    std::sort(req.required.begin(), req.required.end());
    if (req.required.empty()) {
        return execute_write_off(t, loan, *value_date, *reason);
    }
    t.ov.put(request_key(RequestKind::kWriteOff, loan.loan_id), encode_request(req, t.ov.record_version()));
    return TxEffect{request_json(loan.loan_id, req), "", 0};
}

Exec<TxEffect> apply_loan_approve_write_off(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"loan_id"});
    const auto loan_id = f.id(body, "loan_id", "", kIdLengthMax, true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(const Loan loan, holder_loan(t, *loan_id));
    if (loan.status != LoanStatus::kActive) {
        return loan_state(loan, "ACTIVE");
    }
    JC_EXEC_ASSIGN(const ApprovalRequest req,
                   add_approval(t, loan, RequestKind::kWriteOff, Code::kWriteOffNotEligible));
    if (req.approvals == req.required) {
        return execute_write_off(t, loan, req.value_date, req.reason);
    }
    t.ov.put(request_key(RequestKind::kWriteOff, loan.loan_id), encode_request(req, t.ov.record_version()));
    return TxEffect{request_json(loan.loan_id, req), "", 0};
}

Exec<TxEffect> apply_loan_recover(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"loan_id", "value_date", "amount", "channel_ref"});
    const auto loan_id = f.id(body, "loan_id", "", kIdLengthMax, true);
    const auto value_date = f.date(body, "value_date", "", true);
    const auto amount = f.amount(body, "amount", "", /*positive=*/true, true);
    const auto channel_ref = f.id(body, "channel_ref", "", kIdLengthMax, true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(const Loan before, servicer_loan(t, *loan_id, true, *channel_ref));
    if (before.status != LoanStatus::kWrittenOff) {
        return loan_state(before, "WRITTEN_OFF");
    }
    JC_EXEC_TRY(check_value_date(t, before, *value_date));
    const std::size_t k = before.tranches.size();
    std::array<std::int64_t, kTranchesMax> unrecovered{};
    std::int64_t total = 0;
    for (std::size_t i = 0; i < k; ++i) {
        unrecovered[i] = before.tranches[i].written_off - before.tranches[i].recovered;
        total += unrecovered[i];
    }
    if (*amount > total) {
        return reject(Code::kRecoveryExceedsWrittenOff, json::Value{{"loan_id", before.loan_id},
                                                                    {"amount", std::to_string(*amount)},
                                                                    {"unrecovered", std::to_string(total)}});
    }
    // Split by each tranche's written-off principal not yet recovered (A.4): no tranche can be
    // paid more than its loss, and a full recovery lands exactly on every tranche's loss.
    std::array<std::int64_t, kTranchesMax> parts{};
    const auto split = arith::allocate_lrm(*amount, std::span<const std::int64_t>(unrecovered.data(), k),
                                           std::span<std::int64_t>(parts.data(), k));
    JC_ASSERT(split == arith::AllocateStatus::kOk, "contracts.recover.split_valid");

    Loan after = before;
    after.last_event_date = *value_date;
    after.event_seq += 1;
    for (std::size_t i = 0; i < k; ++i) {
        after.tranches[i].recovered += parts[i];
    }
    if (*amount == total) {
        after.status = LoanStatus::kClosed;
    }
    LoanEvent ev = new_event(t, after, EventType::kRecover, *value_date);
    ev.channel_ref = *channel_ref;
    ev.amount = *amount;
    JC_EXEC_ASSIGN(const Cycle open_cycle, load(store::current_cycle(t.ov)));
    ev.cycle_id = open_cycle.cycle_id;
    const std::string& servicer = before.servicer;
    // B.2 Recovery: S Dr BORROWER_CLEARING R / Cr RECOVERY_INCOME r_S / Cr INTERBANK[i] r_i;
    // i Dr INTERBANK[S] r_i / Cr RECOVERY_INCOME r_i; obligation (S -> i, RECOVERY, r_i).
    std::vector<Booking::Leg> servicer_credits;
    Booking partners;
    for (std::size_t i = 0; i < k; ++i) {
        const Tranche& tr = after.tranches[i];
        TrancheAllocation a;
        a.recovered = parts[i];
        a.fee_base_cum = tr.fee_base_cum;
        a.fee_cum = tr.fee_cum;
        ev.tranches.push_back(a);
        if (tr.bank_id == servicer) {
            servicer_credits.push_back({AccountCode::kRecoveryIncome, "", parts[i]});
        } else {
            servicer_credits.push_back({AccountCode::kInterbank, tr.bank_id, parts[i]});
            partners.post(tr.bank_id, AccountCode::kInterbank, servicer, AccountCode::kRecoveryIncome, "", parts[i]);
            partners.oblige(servicer, tr.bank_id, Category::kRecovery, parts[i], tr.partnership_id);
        }
    }
    partners.set_event(ev.event_id(), t.env.block.height, static_cast<Date>(t.env.block.business_date));
    Booking servicer_book;
    servicer_book.pair(servicer, {{AccountCode::kBorrowerClearing, "", *amount}}, servicer_credits);
    JC_EXEC_TRY(servicer_book.apply(t.ov, ev.cycle_id));
    JC_EXEC_TRY(partners.apply(t.ov, ev.cycle_id));
    ev.postings = servicer_book.postings();
    ev.postings.insert(ev.postings.end(), partners.postings().begin(), partners.postings().end());
    ev.obligations = partners.obligations();
    t.ov.put(keys::channel_ref(servicer, *channel_ref), encode(ChannelRefRecord{after.loan_id, ev.event_seq}, t.ov.record_version()));
    JC_EXEC_TRY(finish_event(t, before, after, ev));
    return TxEffect{CanonicalText{render::event_result_text(after, ev)}, after.loan_id, ev.event_seq};
}

namespace {

// ADR 0061's correction of `o`, the latest event of `before`: inverse allocation, restored
// instalments, mirror postings, CORRECTION obligations in the cycle open now.
Exec<TxEffect> execute_correction(TxEnv& t, const Loan& before, const LoanEvent& o, const std::string& reason) {
    JC_EXEC_ASSIGN(const Cycle open_cycle, load(store::current_cycle(t.ov)));
    // Restore the loan: the inverse of the recorded allocation (B.2 "Correction").
    Loan after = before;
    after.event_seq += 1;
    const std::size_t k = after.tranches.size();
    if (o.tranches.size() != k) {
        return fail(Error(Errc::kCorruption, "event " + o.event_id() + " has the wrong number of tranches"));
    }
    for (std::size_t i = 0; i < k; ++i) {
        Tranche& tr = after.tranches[i];
        const TrancheAllocation& a = o.tranches[i];
        if (o.type == EventType::kRepay) {
            tr.principal_out += a.principal();
            tr.principal_paid -= a.principal();
            tr.interest_unpaid += a.interest;
            tr.interest_paid -= a.interest;
            tr.penalty_unpaid += a.penalty;
            tr.penalty_paid -= a.penalty;
            std::int64_t base = a.interest;
            if (tr.fee_base == FeeBase::kInterestAndPenalty) {
                base += a.penalty;
            }
            if (tr.bank_id != after.servicer) {
                tr.fee_base_cum -= base;
            }
            tr.fee_cum -= a.fee;
        } else {
            tr.recovered -= a.recovered;
        }
    }
    for (const auto& app : o.applied) {
        if (app.index >= after.installments.size()) {
            return fail(Error(Errc::kCorruption, "event " + o.event_id() + " names a missing instalment"));
        }
        after.installments[app.index].principal_paid -= app.amount;
    }
    if (o.type == EventType::kRepay) {
        after.status = LoanStatus::kActive;
    } else {
        after.status = LoanStatus::kWrittenOff;
    }
    LoanEvent ev = new_event(t, after, EventType::kCorrect, o.value_date);
    ev.reason = reason;
    ev.corrects_seq = o.event_seq;
    ev.channel_ref = o.channel_ref;
    ev.amount = o.amount;
    ev.fees = o.fees;
    ev.penalty = o.penalty;
    ev.interest = o.interest;
    ev.principal_due = o.principal_due;
    ev.principal_prepaid = o.principal_prepaid;
    ev.principal_out_before = before.principal_out();
    ev.principal_out_after = after.principal_out();
    ev.applied = o.applied;
    ev.cycle_id = open_cycle.cycle_id;
    for (std::size_t i = 0; i < k; ++i) {
        TrancheAllocation a = o.tranches[i];
        a.interest_accrued = 0;
        a.penalty_accrued = 0;
        a.fee_base_cum = after.tranches[i].fee_base_cum;
        a.fee_cum = after.tranches[i].fee_cum;
        a.principal_out_after = after.tranches[i].principal_out;
        ev.tranches.push_back(a);
    }
    // Mirror postings: every posting of the original with debit and credit swapped, in the same
    // bank, in the same order. What the servicer booked as owed to a partner is now owed back.
    Booking book;
    for (const Posting& p : o.postings) {
        book.post(p.bank_id, p.credit, p.credit_counterparty, p.debit, p.debit_counterparty, p.amount);
    }
    for (std::size_t i = 0; i < k; ++i) {
        const Tranche& tr = after.tranches[i];
        if (tr.bank_id == after.servicer) {
            continue;
        }
        const TrancheAllocation& a = o.tranches[i];
        const std::int64_t owed_back =
            o.type == EventType::kRepay ? a.principal() + a.interest + a.penalty - a.fee : a.recovered;
        book.oblige(tr.bank_id, after.servicer, Category::kCorrection, owed_back, tr.partnership_id);
    }
    book.set_event(ev.event_id(), t.env.block.height, static_cast<Date>(t.env.block.business_date));
    JC_EXEC_TRY(book.apply(t.ov, ev.cycle_id));
    ev.postings = book.postings();
    ev.obligations = book.obligations();
    JC_EXEC_TRY(move_usage(t, before, after));
    // The borrower payment's reference is free again, so the servicer can apply that payment
    // correctly under its own channel_ref.
    if (!o.channel_ref.empty()) {
        t.ov.erase(keys::channel_ref(after.servicer, o.channel_ref));
    }
    t.ov.erase(request_key(RequestKind::kCorrection, after.loan_id));
    JC_EXEC_TRY(finish_event(t, before, after, ev));
    return TxEffect{CanonicalText{render::event_result_text(after, ev)}, after.loan_id, ev.event_seq};
}

json::Value correction_request_json(const Loan& loan, const LoanEvent& o, const ApprovalRequest& r) {
    json::Value v = request_json(loan.loan_id, r);
    v.erase("dpd");
    v["type"] = "CORRECTION";
    v["corrects_event_seq"] = o.event_seq;
    v["original_event_id"] = o.event_id();
    v["original_cycle_id"] = o.cycle_id;
    return v;
}

}  // namespace



Exec<TxEffect> apply_loan_correct(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"loan_id", "original_event_id", "reason"});
    const auto loan_id = f.id(body, "loan_id", "", kIdLengthMax, true);
    const auto original_id = f.string(body, "original_event_id", "", true);
    const auto reason = read_reason(f, body);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(const Loan before, servicer_loan(t, *loan_id, false, ""));
    JC_EXEC_ASSIGN(auto latest, load(store::event(t.ov, before.loan_id, before.event_seq)));
    if (!latest) {
        return fail(Error(Errc::kCorruption, "loan " + before.loan_id + " has no event " +
                                                 std::to_string(before.event_seq)));
    }
    const LoanEvent& o = *latest;
    // 5002: only cash events are correctable (ADR 0061): a repayment or a recovery.
    if (o.type != EventType::kRepay && o.type != EventType::kRecover) {
        return reject(Code::kLoanState, json::Value{{"loan_id", before.loan_id},
                                                    {"latest_event_seq", o.event_seq},
                                                    {"latest_event_type", std::string(name(o.type))},
                                                    {"reason", "only a repayment or a recovery can be corrected"}});
    }
    if (o.event_id() != *original_id) {
        return reject(Code::kCorrectionNotLatest, json::Value{{"loan_id", before.loan_id},
                                                              {"original_event_id", *original_id},
                                                              {"latest_event_id", o.event_id()},
                                                              {"latest_event_seq", o.event_seq}});
    }
    JC_EXEC_ASSIGN(const Cycle open_cycle, load(store::current_cycle(t.ov)));
    if (o.cycle_id == open_cycle.cycle_id) {
        return execute_correction(t, before, o, *reason);
    }
    // The original's obligations were netted into a closed cycle: every partner the original
    // credited or charged co-signs (DOMAIN.md B.3, ADR 0063) through loan.approve_correction.
    if (o.tranches.size() != before.tranches.size()) {
        return fail(Error(Errc::kCorruption, "event " + o.event_id() + " has the wrong number of tranches"));
    }
    ApprovalRequest req;
    req.loan_event_seq = before.event_seq;
    req.value_date = o.value_date;
    req.reason = *reason;
    req.requested_height = t.env.block.height;
    for (std::size_t i = 0; i < before.tranches.size(); ++i) {
        const TrancheAllocation& a = o.tranches[i];
        const bool affected = a.principal() != 0 || a.interest != 0 || a.penalty != 0 || a.fee != 0 || a.recovered != 0;
        if (before.tranches[i].bank_id != before.servicer && affected) {
            req.required.push_back(before.tranches[i].bank_id);
        }
    }
    std::sort(req.required.begin(), req.required.end());
    if (req.required.empty()) {
        return execute_correction(t, before, o, *reason);
    }
    JC_EXEC_ASSIGN(auto pending, load_request(t.ov, RequestKind::kCorrection, before.loan_id));
    if (pending && pending->loan_event_seq == before.event_seq) {
        json::Value d = correction_request_json(before, o, *pending);
        d["reason"] = "a correction of this event is already pending approval";
        return reject(Code::kCorrectionNotEligible, std::move(d));
    }
    t.ov.put(request_key(RequestKind::kCorrection, before.loan_id), encode_request(req, t.ov.record_version()));
    return TxEffect{correction_request_json(before, o, req), "", 0};
}

Exec<TxEffect> apply_loan_approve_correction(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"loan_id", "original_event_id"});
    const auto loan_id = f.id(body, "loan_id", "", kIdLengthMax, true);
    const auto original_id = f.string(body, "original_event_id", "", true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(const Loan before, holder_loan(t, *loan_id));
    JC_EXEC_ASSIGN(auto latest, load(store::event(t.ov, before.loan_id, before.event_seq)));
    if (!latest) {
        return fail(Error(Errc::kCorruption, "loan " + before.loan_id + " has no event " +
                                                 std::to_string(before.event_seq)));
    }
    JC_EXEC_ASSIGN(const ApprovalRequest req,
                   add_approval(t, before, RequestKind::kCorrection, Code::kCorrectionNotEligible));
    // The approver names the event it checked; a request for another one is not what it approves.
    if (latest->event_id() != *original_id) {
        return reject(Code::kCorrectionNotEligible,
                      json::Value{{"loan_id", before.loan_id},
                                  {"bank_id", t.sender.bank_id},
                                  {"original_event_id", *original_id},
                                  {"pending_event_id", latest->event_id()},
                                  {"reason", "the pending correction is of another event"}});
    }
    if (req.approvals == req.required) {
        return execute_correction(t, before, *latest, req.reason);
    }
    t.ov.put(request_key(RequestKind::kCorrection, before.loan_id), encode_request(req, t.ov.record_version()));
    return TxEffect{correction_request_json(before, *latest, req), "", 0};
}

}  // namespace jc::contracts
