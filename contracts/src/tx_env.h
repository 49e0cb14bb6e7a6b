// The per-transaction environment shared by the transaction handlers, and Booking: the postings
// and obligations of one event, applied to the overlay in one pass.
//
// Private to jc_contracts.
#pragma once

#include "exec.h"
#include "overlay.h"
#include "parent_loans.h"
#include "store.h"

#include <jc/contracts/engine.h>
#include <jc/contracts/records.h>
#include <jc/ledger/transaction.h>

#include <concepts>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace jc::contracts {

// Facts fixed for the whole block (nothing in v1 changes them inside a block).
struct BlockEnv {
    BlockContext block;
    Params params;
    // The cycle open when the block began. settlement.close_cycle opens the next one mid-block
    // without changing this: store::current_cycle_id reads cy/current to tell (ADR 0162).
    Cycle cycle;
    EngineOptions options;
    // Decoded sender records, read once per block. An executed member.* proposal erases its
    // entry (tx_governance.cc), so a member change applies to the next transaction.
    mutable std::map<std::string, std::optional<Member>, std::less<>> members;
    // The parent's tranche principals of the loans handlers read before the block wrote them,
    // for the block pass (parent_loans.h; filled by load_loan_for_update).
    mutable ParentLoans parent_loans;
};

struct TxEnv {
    Overlay& ov;
    const BlockEnv& env;
    const ledger::Transaction& tx;
    std::uint32_t tx_index = 0;
    std::uint32_t item_index = 0;
    const Member& sender;
};

// What a successful transaction produced: its result, and for loan events the event to point
// the idempotency record at (so a DUPLICATE re-renders the journal entry).
// `result` is canonical JSON text (ADR 0120): loan events render it directly
// (render::event_result_text); the other handlers build a tree and it is canonicalised here.
struct CanonicalText {
    std::string text;
};
// Both constructors are explicit, and the tree one takes a json::Value and nothing that merely
// converts to one: a canonical-text std::string passed by mistake would otherwise become a JSON
// string ("\"{...}\""), a receipt that still looks plausible. Such a call does not compile;
// text goes through CanonicalText, trees through json::Value (test/unit/contracts/
// tx_effect_test.cc).
struct TxEffect {
    TxEffect() = default;
    explicit TxEffect(CanonicalText r, std::string loan, std::uint32_t seq)
        : result(std::move(r.text)), loan_id(std::move(loan)), event_seq(seq) {}
    template <typename Tree>
        requires std::same_as<std::remove_cvref_t<Tree>, json::Value>
    explicit TxEffect(const Tree& r, std::string loan, std::uint32_t seq)
        : result(json::canonicalize(r)), loan_id(std::move(loan)), event_seq(seq) {}

    std::string result;
    std::string loan_id;
    std::uint32_t event_seq = 0;
};

template <typename T>
Exec<T> load(Result<T>&& r) {
    return from_result(std::move(r));
}

// Notes that the transaction concerns the servicer and every tranche holder of `loan`
// (ADR 0179): every bank funding a loan hears of every change to it.
inline void note_loan_parties(Overlay& ov, const Loan& loan) {
    if (ov.noted(loan.servicer, Concern::Record::kLoan, loan.loan_id)) {
        return;  // noted with all its banks at once, by an earlier read or write of the loan
    }
    ov.note_concern(loan.servicer, Concern::Record::kLoan, loan.loan_id);
    for (const Tranche& tr : loan.tranches) {
        ov.note_concern(tr.bank_id, Concern::Record::kLoan, loan.loan_id);
    }
}

// Writes the loan record and notes its banks (ADR 0179).
inline void put_loan(Overlay& ov, const Loan& loan) {
    note_loan_parties(ov, loan);
    ov.put(keys::loan(loan.loan_id), encode(loan, ov.record_version()));
}

// Writes the partnership record and notes its two banks (ADR 0179).
inline void put_partnership(Overlay& ov, const Partnership& p) {
    ov.note_concern(p.servicer_bank, Concern::Record::kPartnership, p.partnership_id);
    ov.note_concern(p.partner_bank, Concern::Record::kPartnership, p.partnership_id);
    ov.put(keys::partnership(p.partnership_id), encode(p, ov.record_version()));
}

// Reads the loan a handler may go on to write (nullopt when absent). When the block has not
// written it yet, the value is the parent's record: its tranche principals are noted for the
// block pass, which then need not read and decode the same record again (parent_loans.h).
// The loan's banks are noted as parties: a handler that reads a loan to change it either
// changes it or is refused, and a refusal forgets them.
inline Exec<std::optional<Loan>> load_loan_for_update(TxEnv& t, std::string_view loan_id) {
    std::string key = keys::loan(loan_id);
    const bool parent_record = !t.ov.buffers(key);
    JC_EXEC_ASSIGN(auto loaded, load(store::load<Loan>(t.ov, key, decode_loan)));
    if (loaded) {
        note_loan_parties(t.ov, *loaded);
    }
    if (parent_record) {
        t.env.parent_loans.note(std::move(key), loaded);
    }
    return loaded;
}

class Booking {
public:
    // One single-debit/single-credit posting; zero amounts are skipped.
    void post(const std::string& bank, AccountCode debit, const std::string& debit_cp, AccountCode credit,
              const std::string& credit_cp, std::int64_t amount);

    struct Leg {
        AccountCode code;
        std::string counterparty;
        std::int64_t amount;
    };
    // Pairs equal-total debit and credit legs of one bank into single-debit/single-credit
    // postings, greedily in the order given (deterministic). REQUIRES: equal totals.
    void pair(const std::string& bank, const std::vector<Leg>& debits, const std::vector<Leg>& credits);

    // An obligation of the cycle. `partnership_id` names the partnership of the tranche it arises
    // from: when that partnership settles GROSS (ADR 0056) the obligation becomes part of an
    // instruction of its own instead of the cycle's netting; "" (or a NET partnership) nets.
    void oblige(const std::string& debtor, const std::string& creditor, Category category, std::int64_t amount,
                const std::string& partnership_id = "");

    // Tells apply() the settlement mode of a partnership the caller has already read, so that
    // apply() does not read the record again (a partnership not told is read from the overlay).
    // REQUIRES: `partnership_id` outlives apply().
    void know_partnership(const std::string& partnership_id, bool gross) {
        known_partnerships_.emplace_back(&partnership_id, gross);
    }

    // The loan event the obligations belong to, named in GROSS instructions. REQUIRED before
    // apply() when an obligation names a partnership.
    void set_event(std::string event_id, std::uint64_t height, Date business_date);

    // Applies postings to the account records (one read-modify-write per distinct account),
    // NET obligations to the open cycle's aggregates, and makes one GROSS instruction per GROSS
    // partnership with a non-zero net.
    ExecStatus apply(Overlay& ov, const std::string& cycle_id) const;

    [[nodiscard]] const std::vector<Posting>& postings() const { return postings_; }
    [[nodiscard]] const std::vector<ObligationLine>& obligations() const { return obligations_; }

private:
    std::vector<Posting> postings_;
    std::vector<ObligationLine> obligations_;
    std::vector<std::string> obligation_partnerships_;  // parallel to obligations_
    std::vector<std::pair<const std::string*, bool>> known_partnerships_;  // id -> GROSS
    std::string event_id_;
    std::uint64_t height_ = 0;
    Date business_date_ = 0;
};

// Handlers: each validates in B.5 order and, on success, has written its effects to the overlay.
Exec<TxEffect> apply_partnership_propose(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_partnership_accept(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_partnership_reject(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_partnership_amend(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_partnership_suspend(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_originate(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_repay(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_propose(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_accept_tranche(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_reject_tranche(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_disburse(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_write_off(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_approve_write_off(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_recover(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_correct(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_loan_approve_correction(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_reserve_topup(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_reserve_withdraw(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_governance_set_params(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_governance_approve(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_member_register(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_member_update(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_member_suspend(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_settlement_close_cycle(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_settlement_confirm_sent(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_settlement_confirm_received(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_settlement_report_failure(TxEnv& t, const json::Value& body);
Exec<TxEffect> apply_settlement_roll(TxEnv& t, const json::Value& body);

}  // namespace jc::contracts
