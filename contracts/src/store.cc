#include "store.h"

namespace jc::contracts::store {

Result<Params> params(const ledger::StateReader& r) {
    auto p = load<Params>(r, keys::params(), decode_params);
    if (!p) {
        return std::move(p).error();
    }
    if (!p->has_value()) {
        return Error(Errc::kCorruption, "governance parameters missing (state has no genesis)");
    }
    return std::move(**p);
}

Result<Cycle> current_cycle(const ledger::StateReader& r) {
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

Result<Account> account(const ledger::StateReader& r, const std::string& key) {
    auto a = load<Account>(r, key, decode_account);
    if (!a) {
        return std::move(a).error();
    }
    return a->value_or(Account{});
}

Result<BankAggregate> bank_aggregate(const ledger::StateReader& r, std::string_view bank_id) {
    auto a = load<BankAggregate>(r, keys::aggregate(bank_id), decode_bank_aggregate);
    if (!a) {
        return std::move(a).error();
    }
    return a->value_or(BankAggregate{});
}

Result<std::int64_t> borrower_outstanding(const ledger::StateReader& r, const std::string& key) {
    auto a = load<std::int64_t>(r, key, decode_borrower_outstanding);
    if (!a) {
        return std::move(a).error();
    }
    return a->value_or(0);
}

Result<ObligationAggregate> obligation(const ledger::StateReader& r, const std::string& key) {
    auto a = load<ObligationAggregate>(r, key, decode_obligation);
    if (!a) {
        return std::move(a).error();
    }
    return a->value_or(ObligationAggregate{});
}

Result<I128> position(const ledger::StateReader& r, std::string_view servicer, std::string_view partner) {
    auto a = account(r, keys::account(servicer, AccountCode::kInterbank, partner));
    if (!a) {
        return std::move(a).error();
    }
    return -a->net_debit();
}

}  // namespace jc::contracts::store
