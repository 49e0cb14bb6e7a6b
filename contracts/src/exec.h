// Exec<T>: the engine's internal outcome type. A step either produces a value, rejects the
// transaction with a domain code (Reject: recorded in the receipt, state rolled back), or fails
// the whole block (Error: storage failure, corruption, invariant violation).
//
// Private to jc_contracts.
#pragma once

#include <jc/contracts/error_codes.h>
#include <jc/core/canonical_json.h>
#include <jc/core/error.h>

#include <utility>
#include <variant>

namespace jc::contracts {

struct Reject {
    Code code;
    json::Value detail;
};

// A Reject or an Error, convertible to any Exec<T>.
struct Failure {
    std::variant<Reject, Error> v;
};

inline Failure reject(Code code, json::Value detail = json::Value::object()) {
    return Failure{Reject{code, std::move(detail)}};
}

inline Failure fail(Error error) { return Failure{std::move(error)}; }

inline Failure overflow(const char* what) {
    return reject(Code::kArithmeticOverflow, json::Value{{"reason", "arithmetic overflow"}, {"in", what}});
}

template <typename T>
class [[nodiscard]] Exec {
public:
    Exec(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
    Exec(Failure f) {                                                     // NOLINT
        if (auto* r = std::get_if<Reject>(&f.v)) {
            v_.template emplace<1>(std::move(*r));
        } else {
            v_.template emplace<2>(std::move(std::get<Error>(f.v)));
        }
    }
    Exec(Error e) : v_(std::in_place_index<2>, std::move(e)) {}           // NOLINT

    [[nodiscard]] bool ok() const { return v_.index() == 0; }
    [[nodiscard]] bool rejected() const { return v_.index() == 1; }
    [[nodiscard]] bool failed() const { return v_.index() == 2; }

    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const Reject& rejection() const { return std::get<1>(v_); }
    const Error& error() const { return std::get<2>(v_); }

    // REQUIRES: !ok().
    Failure failure() && {
        if (v_.index() == 1) {
            return Failure{std::move(std::get<1>(v_))};
        }
        return Failure{std::move(std::get<2>(v_))};
    }

private:
    std::variant<T, Reject, Error> v_;
};

using ExecStatus = Exec<std::monostate>;
inline ExecStatus exec_ok() { return std::monostate{}; }

template <typename T>
Exec<T> from_result(Result<T>&& r) {
    if (r.ok()) {
        return Exec<T>(std::move(r).value());
    }
    // A copy, not a move out of the variant: GCC 12 at -O2 reports a false "may be used
    // uninitialized" on the moved-from alternative.
    return Exec<T>(Error(r.error()));
}

inline ExecStatus from_status(const Status& s) {
    if (!s) {
        return s.error();
    }
    return exec_ok();
}

}  // namespace jc::contracts

#define JC_EXEC_TRY(expr)                                 \
    do {                                                  \
        auto jc_exec_t_ = (expr);                         \
        if (!jc_exec_t_.ok())                             \
            return std::move(jc_exec_t_).failure();       \
    } while (false)

#define JC_EXEC_ASSIGN(lhs, expr)                                   \
    auto JC_CONCAT_(jc_exec_a_, __LINE__) = (expr);                 \
    if (!JC_CONCAT_(jc_exec_a_, __LINE__).ok())                     \
        return std::move(JC_CONCAT_(jc_exec_a_, __LINE__)).failure(); \
    lhs = std::move(JC_CONCAT_(jc_exec_a_, __LINE__)).value()
