// Typed reads of contract records over any StateReader (the engine's overlay, or a read-only
// snapshot for queries). Absent records are nullopt (accounts, aggregates: zero values, load_or_zero); a
// record that does not decode is corruption (Errc::kCorruption). The readers are templates on
// the reader type so that the engine's reads through its Overlay decode buffered values in
// place (no copy) while other readers go through StateReader::get (ADR 0140).
//
// Private to jc_contracts.
#pragma once

#include "overlay.h"

#include <jc/contracts/records.h>
#include <jc/ledger/state.h>

#include <optional>
#include <string>
#include <string_view>

namespace jc::contracts::store {

template <typename T, typename Decode>
Result<std::optional<T>> load(const ledger::StateReader& reader, const std::string& key, Decode decode) {
    auto raw = reader.get(key);
    if (!raw) {
        return std::move(raw).error();
    }
    if (!raw->has_value()) {
        return std::optional<T>{};
    }
    auto decoded = decode(**raw);
    if (!decoded) {
        return decoded.error().with_context(key);
    }
    return std::optional<T>{std::move(decoded).value()};
}

// The same over the engine's overlay, decoding a buffered value in place (Overlay::read). The
// typed readers below are templates on the reader so that the engine's calls take this path and
// queries over snapshots the one above; both decode the same bytes the same way.
template <typename T, typename Decode>
Result<std::optional<T>> load(const Overlay& ov, const std::string& key, Decode decode) {
    return ov.read(key, [&](std::optional<std::string_view> raw) -> Result<std::optional<T>> {
        if (!raw) {
            return std::optional<T>{};
        }
        auto decoded = decode(*raw);
        if (!decoded) {
            return decoded.error().with_context(key);
        }
        return std::optional<T>{std::move(decoded).value()};
    });
}

template <typename Reader>
Result<std::optional<Member>> member(const Reader& r, std::string_view bank_id) {
    return load<Member>(r, keys::member(bank_id), decode_member);
}
template <typename Reader>
Result<std::optional<Partnership>> partnership(const Reader& r, std::string_view id) {
    return load<Partnership>(r, keys::partnership(id), decode_partnership);
}
template <typename Reader>
Result<std::optional<Loan>> loan(const Reader& r, std::string_view loan_id) {
    return load<Loan>(r, keys::loan(loan_id), decode_loan);
}
template <typename Reader>
Result<std::optional<LoanEvent>> event(const Reader& r, std::string_view loan_id,
                                              std::uint32_t seq) {
    return load<LoanEvent>(r, keys::event(loan_id, seq), decode_loan_event);
}
template <typename Reader>
Result<std::optional<IdempotencyRecord>> idempotency(const Reader& r, std::string_view bank,
                                                            std::string_view client_ref) {
    return load<IdempotencyRecord>(r, keys::idempotency(bank, client_ref), decode_idempotency);
}
template <typename Reader>
Result<std::optional<ChannelRefRecord>> channel_ref(const Reader& r, std::string_view bank,
                                                           std::string_view ref) {
    return load<ChannelRefRecord>(r, keys::channel_ref(bank, ref), decode_channel_ref);
}

// Required records: absent is corruption (genesis writes them).
template <typename Reader>
Result<Params> params(const Reader& r) {
    auto p = load<Params>(r, keys::params(), decode_params);
    if (!p) {
        return std::move(p).error();
    }
    if (!p->has_value()) {
        return Error(Errc::kCorruption, "governance parameters missing (state has no genesis)");
    }
    return std::move(**p);
}

template <typename Reader>
Result<Cycle> current_cycle(const Reader& r) {
    auto id = load<std::string>(r, keys::current_cycle(), decode_current_cycle);
    if (!id) {
        return std::move(id).error();
    }
    if (!id->has_value()) {
        return Error(Errc::kCorruption, "no open settlement cycle (state has no genesis)");
    }
    auto c = load<Cycle>(r, keys::cycle(**id), decode_cycle);
    if (!c) {
        return std::move(c).error();
    }
    if (!c->has_value()) {
        return Error(Errc::kCorruption, "current cycle " + **id + " has no record");
    }
    return std::move(**c);
}

// The id of the cycle open now, for a handler that needs only the id. `block_start` is the
// cycle execute_block read (and checked has a record) before the first transaction; while
// cy/current still names it, only cy/current is read: cycle records are never erased, and a
// settlement.close_cycle that opens the next one writes its record with the pointer. Otherwise
// the full current_cycle() read checks the new cycle's record (ADR 0162).
template <typename Reader>
Result<std::string> current_cycle_id(const Reader& r, const Cycle& block_start) {
    auto id = load<std::string>(r, keys::current_cycle(), decode_current_cycle);
    if (!id) {
        return std::move(id).error();
    }
    if (!id->has_value()) {
        return Error(Errc::kCorruption, "no open settlement cycle (state has no genesis)");
    }
    if (**id == block_start.cycle_id) {
        return std::move(**id);
    }
    auto c = current_cycle(r);
    if (!c) {
        return std::move(c).error();
    }
    return std::move(c->cycle_id);
}

// The same over the engine's overlay, without a read of the parent (a LevelDB lookup per
// transaction in the node; ADR 0168) while nothing in the block has written cy/current:
// execute_block read `block_start` through this overlay after the prologue, and a pointer the
// prologue wrote stays buffered for the whole block (rollbacks undo only a transaction's own
// writes), so an unbuffered pointer is the parent's, which is the one `block_start` came from.
inline Result<std::string> current_cycle_id(const Overlay& ov, const Cycle& block_start) {
    if (!ov.buffers(keys::current_cycle())) {
        return block_start.cycle_id;
    }
    return current_cycle_id<Overlay>(ov, block_start);
}

// A record that reads as its zero value (T{}) when absent: the balances and aggregates every
// account and aggregate starts from, written only once they change. Declared inline as a hint
// GCC's inliner weighs: without it this helper stayed out of line and a repayment cost 0.06 %
// more instructions (callgrind, jc_contracts_bench BM_RepayBlock/1000).
template <typename T, typename Reader, typename Decode>
inline Result<T> load_or_zero(const Reader& r, const std::string& key, Decode decode) {
    auto loaded = load<T>(r, key, decode);
    if (!loaded) {
        return std::move(loaded).error();
    }
    return loaded->value_or(T{});
}

template <typename Reader>
Result<Account> account(const Reader& r, const std::string& key) {
    return load_or_zero<Account>(r, key, decode_account);
}
// The engine's reads of accounts and obligation aggregates go through the overlay's typed
// records (ADR 0173); the same bytes decode to the same values either way.
inline Result<Account> account(const Overlay& ov, const std::string& key) {
    return ov.account(key);
}
// The account as its bytes decode: through the encoding the overlay would store of a typed
// record, not the typed value itself. The invariant pass checks what will be stored.
inline Result<Account> account_as_stored(const Overlay& ov, const std::string& key) {
    return load_or_zero<Account>(ov, key, decode_account);
}

template <typename Reader>
Result<BankAggregate> bank_aggregate(const Reader& r, std::string_view bank_id) {
    return load_or_zero<BankAggregate>(r, keys::aggregate(bank_id), decode_bank_aggregate);
}

template <typename Reader>
Result<std::int64_t> borrower_outstanding(const Reader& r, const std::string& key) {
    return load_or_zero<std::int64_t>(r, key, decode_borrower_outstanding);
}

template <typename Reader>
Result<ObligationAggregate> obligation(const Reader& r, const std::string& key) {
    return load_or_zero<ObligationAggregate>(r, key, decode_obligation);
}
inline Result<ObligationAggregate> obligation(const Overlay& ov, const std::string& key) {
    return ov.obligation(key);
}

// pos(S, i): what servicer S owes partner i = the credit balance of S.INTERBANK[i].
template <typename Reader>
Result<I128> position(const Reader& r, std::string_view servicer, std::string_view partner) {
    auto a = account(r, keys::account(servicer, AccountCode::kInterbank, partner));
    if (!a) {
        return std::move(a).error();
    }
    return -a->net_debit();
}

}  // namespace jc::contracts::store
