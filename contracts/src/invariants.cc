#include "invariants.h"

#include <jc/contracts/arith/rounding.h>

#include <map>
#include <set>

namespace jc::contracts::invariants {

namespace {

std::string s(I128 v) { return arith::to_string_i128(v); }

// T3 for a write-off or a recovery; nullopt when it holds.
std::optional<std::string> check_credit_allocation(const Loan* before, const Loan& after, const LoanEvent& ev,
                                                   I128 clearing_debits, I128 clearing_credits) {
    if (before == nullptr || ev.tranches.size() != before->tranches.size()) {
        return "a credit event needs the loan before it";
    }
    I128 total = 0;
    for (std::size_t i = 0; i < ev.tranches.size(); ++i) {
        const TrancheAllocation& x = ev.tranches[i];
        const Tranche& b = before->tranches[i];
        const Tranche& a = after.tranches[i];
        if (x.principal() != 0 || x.interest != 0 || x.penalty != 0 || x.fee != 0) {
            return "a credit event moves no repayment bucket";
        }
        if (ev.type == EventType::kWriteOff) {
            if (x.written_off != b.principal_out || a.written_off - b.written_off != x.written_off ||
                x.recovered != 0 || a.recovered != b.recovered) {
                return "tranche " + std::to_string(i) + " written off != its outstanding principal";
            }
            total += x.written_off;
        } else {
            if (x.recovered < 0 || a.recovered - b.recovered != x.recovered || x.written_off != 0 ||
                a.written_off != b.written_off) {
                return "tranche " + std::to_string(i) + " recovery != its state change";
            }
            total += x.recovered;
        }
    }
    if (total != ev.amount) {
        return "tranche parts do not sum to the event amount";
    }
    if (ev.type == EventType::kWriteOff ? (clearing_debits != 0 || clearing_credits != 0)
                                        : (clearing_debits != ev.amount || clearing_credits != 0)) {
        return "BORROWER_CLEARING movement does not match the event";
    }
    return std::nullopt;
}

}  // namespace

Error violation(std::uint64_t height, const std::string& what) {
    return Error(Errc::kInternal,
                 "ERR_INVARIANT_VIOLATION (9900) at height " + std::to_string(height) + ": " + what);
}

std::optional<std::string> check_loan(const Loan& loan) {
    // The message prefixes are built only on a violation: this runs ~2 times per repayment and
    // the eager strings were ~20 allocations per repayment (ADR 0162).
    const auto id = [&loan] { return "loan " + loan.loan_id + ": "; };
    // T5 shape
    std::int64_t shares = 0;
    I128 orig = 0;
    I128 out = 0;
    I128 written_off = 0;
    for (std::size_t i = 0; i < loan.tranches.size(); ++i) {
        const Tranche& t = loan.tranches[i];
        const auto tid = [&id, &t, i] { return id() + "tranche " + std::to_string(i) + " (" + t.bank_id + "): "; };
        // T4
        if (t.principal_out < 0 || t.principal_out > t.principal_orig) {
            return "T4 " + tid() + "principal_out " + s(t.principal_out) + " outside [0, " + s(t.principal_orig) + "]";
        }
        if (t.interest_unpaid < 0 || t.penalty_unpaid < 0) {
            return "T4 " + tid() + "negative unpaid interest or penalty";
        }
        if (static_cast<I128>(t.principal_orig) !=
            static_cast<I128>(t.principal_out) + t.principal_paid + t.written_off) {
            return "T4 " + tid() + "principal_orig != principal_out + principal_paid + written_off";
        }
        if (t.recovered < 0 || t.recovered > t.written_off) {
            return "T4 " + tid() + "recovered outside [0, written_off]";
        }
        if (t.principal_paid < 0 || t.interest_paid < 0 || t.penalty_paid < 0 || t.fee_base_cum < 0 || t.fee_cum < 0) {
            return "T4 " + tid() + "negative cumulative counter";
        }
        // T6
        const bool is_servicer = t.bank_id == loan.servicer;
        const I128 expected_fee =
            is_servicer ? 0 : arith::round_half_up(arith::wide_mul(t.fee_base_cum, t.fee_bps), 10000);
        if (t.fee_cum != expected_fee || (is_servicer && t.fee_base_cum != 0)) {
            return "T6 " + tid() + "fee_cum " + s(t.fee_cum) + " != round_half_up(" + s(t.fee_base_cum) + " x " +
                   std::to_string(t.fee_bps) + " / 10000) = " + s(expected_fee);
        }
        shares += t.share_bps;
        orig += t.principal_orig;
        out += t.principal_out;
        written_off += t.written_off;
    }
    if (shares != 10000) {
        return "T5 " + id() + "shares sum to " + std::to_string(shares);
    }
    // A PENDING or CANCELLED loan (ADR 0062) was never funded: no tranche holds anything, no
    // event exists, and the schedule is the proposed one.
    const bool unfunded = loan.status == LoanStatus::kPending || loan.status == LoanStatus::kCancelled;
    if (unfunded) {
        for (const auto& t : loan.tranches) {
            if (t != Tranche{t.bank_id, t.share_bps, t.partnership_id, t.funding_mode, t.fee_bps, t.fee_base,
                             0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, t.writeoff_preauth_dpd}) {
                return "T5 " + id() + "an unfunded (PENDING/CANCELLED) loan's tranche holds amounts";
            }
        }
        if (loan.event_seq != 0 || loan.fees_unpaid != 0) {
            return "T5 " + id() + "an unfunded loan has events or fees";
        }
    }
    if (!unfunded && orig != loan.principal) {
        return "T5 " + id() + "tranche principal_orig sums to " + s(orig) + ", not " + s(loan.principal);
    }
    I128 due = 0;
    I128 paid = 0;
    for (std::size_t i = 0; i < loan.installments.size(); ++i) {
        const Installment& inst = loan.installments[i];
        if (inst.principal_paid < 0 || inst.principal_paid > inst.principal_due || inst.principal_due <= 0) {
            return "T5 " + id() + "instalment " + std::to_string(i + 1) + " paid outside [0, due] or due <= 0";
        }
        if (i > 0 && inst.due_date <= loan.installments[i - 1].due_date) {
            return "T5 " + id() + "due dates not strictly increasing";
        }
        due += inst.principal_due;
        paid += inst.principal_paid;
    }
    if (due != loan.principal) {
        return "T5 " + id() + "instalment principal sums to " + s(due) + ", not " + s(loan.principal);
    }
    if (unfunded && paid != 0) {
        return "T5 " + id() + "an unfunded loan has instalments paid";
    }
    if (!unfunded && out != static_cast<I128>(loan.principal) - paid - written_off) {
        return "T5 " + id() + "sum principal_out " + s(out) + " != P - instalments paid - written off";
    }
    if (loan.status == LoanStatus::kPaidOff &&
        (out != 0 || loan.interest_unpaid() != 0 || loan.penalty_unpaid() != 0 || loan.fees_unpaid != 0)) {
        return "T5 " + id() + "PAID_OFF with amounts outstanding";
    }
    if (loan.status == LoanStatus::kActive && out == 0) {
        return "T5 " + id() + "ACTIVE with no principal outstanding";
    }
    if ((loan.status == LoanStatus::kWrittenOff || loan.status == LoanStatus::kClosed) &&
        (out != 0 || loan.interest_unpaid() != 0 || loan.penalty_unpaid() != 0 || written_off == 0)) {
        return "T5 " + id() + "written off with amounts outstanding or nothing written off";
    }
    if (loan.status == LoanStatus::kClosed) {
        for (const auto& t : loan.tranches) {
            if (t.recovered != t.written_off) {
                return "T5 " + id() + "CLOSED with written-off principal not recovered";
            }
        }
    }
    if (loan.status == LoanStatus::kWrittenOff) {
        bool open = false;
        for (const auto& t : loan.tranches) {
            open = open || t.recovered < t.written_off;
        }
        if (!open) {
            return "T5 " + id() + "WRITTEN_OFF with everything recovered (should be CLOSED)";
        }
    }
    return std::nullopt;
}

Status check_loan_event(const Loan* before, const Loan& after, const LoanEvent& ev, const Overlay& ov) {
    auto bad = [](std::string what) { return Status(Error(Errc::kInternal, std::move(what))); };
    if (auto v = check_loan(after)) {
        return bad(*v);
    }
    const std::string id = "loan " + after.loan_id + " event " + std::to_string(ev.event_seq) + ": ";
    // T8
    if (before == nullptr) {
        if (after.event_seq != 1 || ev.event_seq != 1 || after.status != LoanStatus::kActive) {
            return bad("T8 " + id + "an origination starts an ACTIVE loan at event 1");
        }
    } else {
        if (after.event_seq != before->event_seq + 1 || ev.event_seq != after.event_seq) {
            return bad("T8 " + id + "event_seq does not increase by one");
        }
        if (after.last_event_date < before->last_event_date || after.last_accrual_date < before->last_accrual_date) {
            return bad("T8 " + id + "a date went backwards");
        }
        bool allowed = false;
        switch (ev.type) {
            case EventType::kOriginate: break;
            case EventType::kRepay:
                allowed = before->status == LoanStatus::kActive &&
                          (after.status == LoanStatus::kActive || after.status == LoanStatus::kPaidOff);
                break;
            case EventType::kWriteOff:
                allowed = before->status == LoanStatus::kActive && after.status == LoanStatus::kWrittenOff;
                break;
            case EventType::kRecover:
                allowed = before->status == LoanStatus::kWrittenOff &&
                          (after.status == LoanStatus::kWrittenOff || after.status == LoanStatus::kClosed);
                break;
            case EventType::kCorrect:
                allowed = ((before->status == LoanStatus::kActive || before->status == LoanStatus::kPaidOff) &&
                           after.status == LoanStatus::kActive) ||
                          ((before->status == LoanStatus::kWrittenOff || before->status == LoanStatus::kClosed) &&
                           after.status == LoanStatus::kWrittenOff);
                break;
        }
        if (!allowed) {
            return bad("T8 " + id + "transition " + std::string(name(before->status)) + " -> " +
                       std::string(name(after.status)) + " not allowed");
        }
    }
    // T1: positive intra-bank postings between distinct accounts, each bank a loan party.
    for (const auto& p : ev.postings) {
        if (p.amount <= 0) {
            return bad("T1 " + id + "posting amount must be positive");
        }
        if (p.debit == p.credit && p.debit_counterparty == p.credit_counterparty) {
            return bad("T1 " + id + "posting debits and credits the same account");
        }
        bool party = false;
        for (const auto& t : after.tranches) {
            party = party || t.bank_id == p.bank_id;
        }
        if (!party) {
            return bad("T1 " + id + "posting in a bank that holds no tranche");
        }
    }
    // T3: allocation exact.
    I128 clearing_debits = 0;
    I128 clearing_credits = 0;
    for (const auto& p : ev.postings) {
        if (p.bank_id == after.servicer && p.debit == AccountCode::kBorrowerClearing) {
            clearing_debits += p.amount;
        }
        if (p.bank_id == after.servicer && p.credit == AccountCode::kBorrowerClearing) {
            clearing_credits += p.amount;
        }
    }
    if (ev.tranches.size() != after.tranches.size()) {
        return bad("T3 " + id + "allocation has the wrong number of tranches");
    }
    if (ev.type == EventType::kOriginate) {
        I128 funded = 0;
        for (const auto& a : ev.tranches) {
            funded += a.funded;
        }
        if (funded != ev.amount || ev.amount != after.principal) {
            return bad("T3 " + id + "tranche principal does not sum to the loan principal");
        }
        // The servicer pays out its own share and fronts/debits each partner's share, except in
        // DIRECT mode where partners pay the borrower themselves.
        I128 expected_out = 0;
        for (std::size_t i = 0; i < after.tranches.size(); ++i) {
            if (after.tranches[i].bank_id == after.servicer || after.tranches[i].funding_mode != FundingMode::kDirect) {
                expected_out += ev.tranches[i].funded;
            }
        }
        if (clearing_credits != expected_out || clearing_debits != 0) {
            return bad("T3 " + id + "BORROWER_CLEARING credits " + s(clearing_credits) + " != disbursed " +
                       s(expected_out));
        }
    } else if (ev.type == EventType::kWriteOff || ev.type == EventType::kRecover) {
        if (auto v = check_credit_allocation(before, after, ev, clearing_debits, clearing_credits)) {
            return bad("T3 " + id + *v);
        }
    } else {
        // A repayment, or a correction reversing one (the recorded allocation, cash going back:
        // the servicer's BORROWER_CLEARING is credited instead of debited).
        const bool reversal = ev.type == EventType::kCorrect;
        if (reversal) {
            std::swap(clearing_debits, clearing_credits);
        }
        I128 recovered = 0;  // a corrected recovery (0 for repayments)
        for (const auto& a : ev.tranches) {
            recovered += a.recovered;
            if (a.recovered < 0 || (!reversal && a.recovered != 0)) {
                return bad("T3 " + id + "recovery part out of place");
            }
        }
        if (static_cast<I128>(ev.amount) != static_cast<I128>(ev.fees) + ev.penalty + ev.interest + ev.principal_due +
                                                ev.principal_prepaid + recovered) {
            return bad("T3 " + id + "amount != fees + penalty + interest + principal_due + principal_prepaid");
        }
        I128 pe = 0, in = 0, pd = 0, pp = 0, all = 0;
        for (const auto& a : ev.tranches) {
            pe += a.penalty;
            in += a.interest;
            pd += a.principal_due;
            pp += a.principal_prepaid;
            all += static_cast<I128>(a.principal()) + a.interest + a.penalty;
            if (a.penalty < 0 || a.interest < 0 || a.principal_due < 0 || a.principal_prepaid < 0 || a.fee < 0) {
                return bad("T3 " + id + "negative tranche allocation");
            }
        }
        if (pe != ev.penalty || in != ev.interest || pd != ev.principal_due || pp != ev.principal_prepaid) {
            return bad("T3 " + id + "a bucket's tranche parts do not sum to the bucket");
        }
        if (all + recovered != static_cast<I128>(ev.amount) - ev.fees) {
            return bad("T3 " + id + "sum of tranche (pr + in + pe) != amount - fees");
        }
        if (clearing_debits != ev.amount || clearing_credits != 0) {
            return bad("T3 " + id + "servicer BORROWER_CLEARING debit " + s(clearing_debits) + " != amount");
        }
        if (before != nullptr) {
            const std::int64_t sign = reversal ? -1 : 1;
            for (std::size_t i = 0; i < after.tranches.size(); ++i) {
                const Tranche& b = before->tranches[i];
                const Tranche& a = after.tranches[i];
                const TrancheAllocation& x = ev.tranches[i];
                if (b.principal_out - a.principal_out != sign * x.principal() ||
                    a.interest_paid - b.interest_paid != sign * x.interest ||
                    a.penalty_paid - b.penalty_paid != sign * x.penalty || a.fee_cum - b.fee_cum != sign * x.fee ||
                    a.recovered - b.recovered != -x.recovered) {
                    return bad("T3 " + id + "tranche " + std::to_string(i) + " state change != its allocation");
                }
            }
        }
        I128 applied = 0;
        for (const auto& app : ev.applied) {
            applied += app.amount;
        }
        if (ev.type == EventType::kRepay && applied != static_cast<I128>(ev.principal_due) + ev.principal_prepaid) {
            return bad("T3 " + id + "principal applied to instalments != principal paid");
        }
    }
    // T2 and T7 on the accounts this event touched.
    std::set<std::string> touched;
    for (const auto& p : ev.postings) {
        touched.insert(keys::account(p.bank_id, p.debit, p.debit_counterparty));
        touched.insert(keys::account(p.bank_id, p.credit, p.credit_counterparty));
    }
    for (const auto& key : touched) {
        auto acct = store::account_as_stored(ov, key);
        if (!acct) {
            return acct.error();
        }
        const auto parsed = keys::parse_account(key);
        if (!parsed) {
            return bad("T7 " + id + "malformed account key " + key);
        }
        const I128 net_debit = acct->net_debit();
        switch (parsed->code) {
            case AccountCode::kLoanPrincipal:
            case AccountCode::kCreditLossExpense:
            case AccountCode::kServiceFeeExpense:
                if (net_debit < 0) {
                    return bad("T7 " + id + key + " credits exceed debits");
                }
                break;
            case AccountCode::kInterestIncome:
            case AccountCode::kPenaltyIncome:
            case AccountCode::kServiceFeeIncome:
            case AccountCode::kRecoveryIncome:
                if (net_debit > 0) {
                    return bad("T7 " + id + key + " debits exceed credits");
                }
                break;
            case AccountCode::kInterbank: {
                auto mirror = store::account_as_stored(
                    ov,
                    keys::account(parsed->counterparty, AccountCode::kInterbank, parsed->bank_id));
                if (!mirror) {
                    return mirror.error();
                }
                if (net_debit != -mirror->net_debit()) {
                    return bad("T2 " + id + key + " net " + s(net_debit) + " does not mirror " + s(mirror->net_debit()));
                }
                break;
            }
            case AccountCode::kSettlementCash:
            case AccountCode::kBorrowerClearing:
                break;
        }
    }
    // T7 exposure at origination: pos(S, i) within the partnership's bound.
    if (ev.type == EventType::kOriginate) {
        for (const auto& t : after.tranches) {
            if (t.partnership_id.empty() || t.funding_mode == FundingMode::kDirect) {
                continue;
            }
            auto p = store::partnership(ov, t.partnership_id);
            auto pos = store::position(ov, after.servicer, t.bank_id);
            if (!p || !pos) {
                return !p ? Status(p.error()) : Status(pos.error());
            }
            const I128 floor = t.funding_mode == FundingMode::kFronted ? -static_cast<I128>((*p)->terms.fronting_limit) : 0;
            if (*pos < floor) {
                return bad("T7 " + id + "position " + s(*pos) + " beyond the funding-mode bound " + s(floor));
            }
        }
    }
    return {};
}

namespace {

// What one proposal reserves (ADR 0062): while OPEN, each partner tranche's principal in its
// partnership's record and, unless DIRECT, in its servicer/partner pair's record.
Status add_reservations(const Loan& loan, const LoanProposal& p, I128 sign, std::map<std::string, I128>& out) {
    if (p.outcome != ProposalOutcome::kOpen) {
        return {};
    }
    if (p.tranches.size() != loan.tranches.size()) {
        return Error(Errc::kInternal, "proposal of loan " + loan.loan_id + " does not match its tranches");
    }
    for (std::size_t i = 0; i < loan.tranches.size(); ++i) {
        const Tranche& t = loan.tranches[i];
        if (t.partnership_id.empty()) {
            continue;
        }
        out[keys::reserved_partnership(t.partnership_id)] += sign * p.tranches[i].principal;
        if (t.funding_mode != FundingMode::kDirect) {
            out[keys::reserved_pair(loan.servicer, t.bank_id)] += sign * p.tranches[i].principal;
        }
    }
    return {};
}

Result<I128> reserved_value(const ledger::StateReader& r, const std::string& key) {
    JC_ASSIGN_OR_RETURN(auto v, store::load<std::int64_t>(r, key, decode_reserved));
    return static_cast<I128>(v.value_or(0));
}

}  // namespace

// B4's "plus pending reservations": every reservation record moves by exactly what the
// proposals the block wrote reserve or release, computed from the proposal and loan records
// (not from the handlers' arithmetic), and none is negative.
Status check_reservations(Overlay& ov, const BlockContext& block) {
    auto bad = [&](const std::string& what) { return Status(violation(block.height, what)); };
    const ledger::StateReader& parent = ov.parent();
    std::map<std::string, I128> expected;
    for (const auto& entry : ov.sorted("lp/")) {
        const std::string loan_id = entry.key->substr(3);
        if (!*entry.value) {
            return bad("a loan proposal was deleted: " + *entry.key);
        }
        auto after = decode_loan_proposal(**entry.value);
        auto before = store::load<LoanProposal>(parent, *entry.key, decode_loan_proposal);
        auto loan = store::loan(ov, loan_id);
        if (!after || !before || !loan) {
            return !after ? Status(after.error()) : !before ? Status(before.error()) : Status(loan.error());
        }
        if (!*loan) {
            return bad("proposal without a loan: " + loan_id);
        }
        if ((after->outcome == ProposalOutcome::kOpen) != ((**loan).status == LoanStatus::kPending)) {
            return bad("B4 loan " + loan_id + " is " + std::string(name((**loan).status)) + " but its proposal is " +
                       std::string(name(after->outcome)));
        }
        JC_TRY_STATUS(add_reservations(**loan, *after, 1, expected));
        if (*before) {
            JC_TRY_STATUS(add_reservations(**loan, **before, -1, expected));
        }
    }
    std::set<std::string> written;
    for (const auto& entry : ov.sorted(keys::kReservedPrefix)) {
        written.insert(*entry.key);
    }
    for (const auto& [key, delta] : expected) {
        if (delta != 0) {
            written.insert(key);
        }
    }
    for (const auto& key : written) {
        auto now = reserved_value(ov, key);
        auto was = reserved_value(parent, key);
        if (!now || !was) {
            return !now ? Status(now.error()) : Status(was.error());
        }
        const I128 want = expected.count(key) != 0 ? expected.at(key) : 0;
        if (*now - *was != want || *now < 0) {
            return bad("B4 reservation " + key + " moved by " + s(*now - *was) + " but proposals by " + s(want));
        }
    }
    return {};
}

Status check_block(Overlay& ov, const BlockContext& block, const ParentLoans& parent_loans) {
    auto bad = [&](const std::string& what) { return Status(violation(block.height, what)); };
    const ledger::StateReader& parent = ov.parent();
    std::map<std::string, I128> d_principal;  // per bank: change of sum(principal_out) over its tranches
    std::map<std::string, I128> d_used;       // per partnership: change of sum(partner principal_out)
    struct AccountDelta {
        U128 debits = 0;
        U128 credits = 0;
    };
    std::map<std::string, AccountDelta> d_bank;  // per bank: change of its ledger totals
    std::vector<std::string> interbank_keys;
    std::vector<std::pair<std::string, std::string>> partnership_entries;  // key, new value

    for (const auto& entry : ov.sorted(keys::kLoanPrefix)) {
        const std::string& key = *entry.key;
        if (!*entry.value) {
            return bad("a loan record was deleted: " + key);
        }
        auto after = decode_loan(**entry.value);
        if (!after) {
            return after.error();
        }
        if (auto v = check_loan(*after)) {
            return bad(*v);
        }
        // The parent's tranche principals: as the handler that read the loan noted them, else
        // read and decoded here (a loan the prologue wrote, or one no handler noted).
        const std::optional<ParentLoans::Principals>* before = parent_loans.find(key);
        std::optional<ParentLoans::Principals> read_here;
        if (before == nullptr) {
            auto loaded = store::load<Loan>(parent, key, decode_loan);
            if (!loaded) {
                return loaded.error();
            }
            read_here = ParentLoans::principals_of(*loaded);
            before = &read_here;
        }
        // No event adds or drops a tranche; a count that changed is a damaged parent record or
        // an engine bug, reported as such rather than read past the parent's list.
        if (*before && (**before).size() != after->tranches.size()) {
            return bad("loan " + key + " has " + std::to_string(after->tranches.size()) + " tranches, its parent " +
                       std::to_string((**before).size()));
        }
        for (std::size_t i = 0; i < after->tranches.size(); ++i) {
            const Tranche& t = after->tranches[i];
            I128 delta = t.principal_out;
            if (*before) {
                delta -= (**before).at(i);
            }
            d_principal[t.bank_id] += delta;
            if (!t.partnership_id.empty()) {
                d_used[t.partnership_id] += delta;
            }
        }
    }
    for (const auto& entry : ov.sorted(keys::kAccountPrefix)) {
        const std::string& key = *entry.key;
        const auto parsed = keys::parse_account(key);
        if (!parsed || !*entry.value) {
            return bad("malformed or deleted account " + key);
        }
        auto after = decode_account(**entry.value);
        auto before = store::account(parent, key);
        if (!after || !before) {
            return !after ? Status(after.error()) : Status(before.error());
        }
        if (after->debits_posted < before->debits_posted || after->credits_posted < before->credits_posted) {
            return bad("B1 account counters decreased: " + key);
        }
        AccountDelta& d = d_bank[parsed->bank_id];
        d.debits += after->debits_posted - before->debits_posted;
        d.credits += after->credits_posted - before->credits_posted;
        if (parsed->code == AccountCode::kInterbank) {
            interbank_keys.push_back(key);
        }
        d_principal.try_emplace(parsed->bank_id, 0);  // every bank with ledger activity is checked for B3
    }
    // B1 (per bank, hence per ledger) and B3, through the per-bank aggregates.
    for (const auto& [bank, dp] : d_principal) {
        auto agg = store::bank_aggregate(ov, bank);
        if (!agg) {
            return agg.error();
        }
        const AccountDelta d = d_bank.count(bank) != 0 ? d_bank.at(bank) : AccountDelta{};
        agg->debits_total += d.debits;
        agg->credits_total += d.credits;
        agg->principal_out_total += dp;
        if (agg->debits_total != agg->credits_total) {
            return bad("B1 bank " + bank + ": debits " + arith::to_string_u128(agg->debits_total) + " != credits " +
                       arith::to_string_u128(agg->credits_total));
        }
        auto lp =
            store::account_as_stored(ov, keys::account(bank, AccountCode::kLoanPrincipal, ""));
        if (!lp) {
            return lp.error();
        }
        if (lp->net_debit() != agg->principal_out_total || agg->principal_out_total < 0) {
            return bad("B3 bank " + bank + ": LOAN_PRINCIPAL net " + s(lp->net_debit()) +
                       " != sum of tranche principal_out " + s(agg->principal_out_total));
        }
        ov.put(keys::aggregate(bank), encode(*agg, ov.record_version()));
    }
    // B2: every touched interbank pair mirrors (so the global sum is zero).
    for (const auto& key : interbank_keys) {
        const auto parsed = keys::parse_account(key);
        auto a = store::account_as_stored(ov, key);
        auto b = store::account_as_stored(
            ov, keys::account(parsed->counterparty, AccountCode::kInterbank, parsed->bank_id));
        if (!a || !b) {
            return !a ? Status(a.error()) : Status(b.error());
        }
        if (a->net_debit() != -b->net_debit()) {
            return bad("B2 " + key + " net " + s(a->net_debit()) + " does not mirror " + s(b->net_debit()));
        }
    }
    // B4: partnership usage moves exactly with its partner tranches' principal.
    std::set<std::string> seen;
    for (const auto& entry : ov.sorted(keys::kPartnershipPrefix)) {
        const std::string& key = *entry.key;
        if (!*entry.value) {
            return bad("a partnership record was deleted: " + key);
        }
        auto after = decode_partnership(**entry.value);
        auto before = store::load<Partnership>(parent, key, decode_partnership);
        if (!after || !before) {
            return !after ? Status(after.error()) : Status(before.error());
        }
        const I128 used_delta = static_cast<I128>(after->used) - (*before ? (**before).used : 0);
        const I128 expected = d_used.count(after->partnership_id) != 0 ? d_used.at(after->partnership_id) : 0;
        if (used_delta != expected || after->used < 0) {
            return bad("B4 partnership " + after->partnership_id + ": used changed by " + s(used_delta) +
                       " but partner principal_out changed by " + s(expected));
        }
        seen.insert(after->partnership_id);
    }
    for (const auto& [id, delta] : d_used) {
        if (delta != 0 && seen.count(id) == 0) {
            return bad("B4 partnership " + id + ": partner principal_out changed by " + s(delta) +
                       " without a usage update");
        }
    }
    if (auto st = check_reservations(ov, block); !st) {
        return st;
    }
    return check_settlement(ov, block);
}

}  // namespace jc::contracts::invariants
