// Typed reads of contract records over any StateReader (the engine's overlay, or a read-only
// snapshot for queries). Absent records are nullopt (accounts, aggregates: zero values); a
// record that does not decode is corruption (Errc::kCorruption).
//
// Private to jc_contracts.
#pragma once

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

inline Result<std::optional<Member>> member(const ledger::StateReader& r, std::string_view bank_id) {
    return load<Member>(r, keys::member(bank_id), decode_member);
}
inline Result<std::optional<Partnership>> partnership(const ledger::StateReader& r, std::string_view id) {
    return load<Partnership>(r, keys::partnership(id), decode_partnership);
}
inline Result<std::optional<Loan>> loan(const ledger::StateReader& r, std::string_view loan_id) {
    return load<Loan>(r, keys::loan(loan_id), decode_loan);
}
inline Result<std::optional<LoanEvent>> event(const ledger::StateReader& r, std::string_view loan_id,
                                              std::uint32_t seq) {
    return load<LoanEvent>(r, keys::event(loan_id, seq), decode_loan_event);
}
inline Result<std::optional<IdempotencyRecord>> idempotency(const ledger::StateReader& r, std::string_view bank,
                                                            std::string_view client_ref) {
    return load<IdempotencyRecord>(r, keys::idempotency(bank, client_ref), decode_idempotency);
}
inline Result<std::optional<ChannelRefRecord>> channel_ref(const ledger::StateReader& r, std::string_view bank,
                                                           std::string_view ref) {
    return load<ChannelRefRecord>(r, keys::channel_ref(bank, ref), decode_channel_ref);
}

// Required records: absent is corruption (genesis writes them).
Result<Params> params(const ledger::StateReader& r);
Result<Cycle> current_cycle(const ledger::StateReader& r);

// Zero when absent.
Result<Account> account(const ledger::StateReader& r, const std::string& key);
Result<BankAggregate> bank_aggregate(const ledger::StateReader& r, std::string_view bank_id);
Result<std::int64_t> borrower_outstanding(const ledger::StateReader& r, const std::string& key);
Result<ObligationAggregate> obligation(const ledger::StateReader& r, const std::string& key);

// pos(S, i): what servicer S owes partner i = the credit balance of S.INTERBANK[i].
Result<I128> position(const ledger::StateReader& r, std::string_view servicer, std::string_view partner);

}  // namespace jc::contracts::store
