// Equal-instalment (等额本息) payments with exact rationals (DOMAIN.md A.3).
//
//   A = round_half_up( P * r * (1+r)^n / ((1+r)^n - 1) )
//
// with the periodic rate r = rate_num / rate_den given as an exact rational. With r = a/b:
//   A = P * a * (a+b)^n / ( b * ((a+b)^n - b^n) ),
// one exact division of two big integers, rounded once. (a+b)^n is about 10^(9n), so the
// numerator and denominator are boost::multiprecision::cpp_int (header-only, deterministic).
// With r = 0 the payment is P / n rounded.
//
// The schedule: each period's interest is round(outstanding * r), its principal is A minus
// that interest, and the LAST instalment takes the remaining principal (its payment differs
// from A by the accumulated rounding). A schedule in which an earlier period would repay more
// than the outstanding principal (tiny P spread over many periods) is reported as invalid
// rather than producing a negative last instalment.
//
// Thread-safety: pure functions. cpp_int allocates; these run at origination, not per repay.
#pragma once

#include <jc/contracts/arith/rounding.h>

#include <boost/multiprecision/cpp_int.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace jc::contracts::arith {

namespace detail {
using BigInt = boost::multiprecision::cpp_int;

// round(n / d) for big integers. REQUIRES: d > 0.
inline BigInt big_round_div(const BigInt& n, const BigInt& d, Rounding mode) {
    BigInt q = n / d;  // truncates toward zero
    BigInt r = n - q * d;
    if (r < 0) {  // make it a floor division
        q -= 1;
        r += d;
    }
    const BigInt twice = 2 * r;
    if (twice > d) {
        return q + 1;
    }
    if (twice < d) {
        return q;
    }
    if (mode == Rounding::kHalfUp) {
        return q >= 0 ? BigInt(q + 1) : q;
    }
    return (q % 2 == 0) ? q : BigInt(q + 1);
}

inline std::optional<std::int64_t> big_to_i64(const BigInt& v) {
    if (v > BigInt(INT64_MAX) || v < BigInt(INT64_MIN)) {
        return std::nullopt;
    }
    return v.convert_to<std::int64_t>();
}
}  // namespace detail

inline constexpr std::int32_t kAnnuityPeriodsMax = 1200;

// The level payment A, or nullopt if the inputs are out of range (principal < 0, n < 1,
// n > kAnnuityPeriodsMax, rate_num < 0, rate_den <= 0) or A does not fit in int64.
[[nodiscard]] inline std::optional<std::int64_t> equal_instalment_payment(
    std::int64_t principal, std::int64_t rate_num, std::int64_t rate_den, std::int32_t n,
    Rounding mode = Rounding::kHalfUp) {
    using detail::BigInt;
    if (principal < 0 || n < 1 || n > kAnnuityPeriodsMax || rate_num < 0 || rate_den <= 0) {
        return std::nullopt;
    }
    if (rate_num == 0) {
        return narrow(round_div(principal, n, mode));
    }
    const BigInt a(rate_num);
    const BigInt b(rate_den);
    const BigInt growth = boost::multiprecision::pow(BigInt(a + b), static_cast<unsigned>(n));
    const BigInt base = boost::multiprecision::pow(b, static_cast<unsigned>(n));
    const BigInt numerator = BigInt(principal) * a * growth;
    const BigInt denominator = b * (growth - base);  // > 0 because a > 0
    return detail::big_to_i64(detail::big_round_div(numerator, denominator, mode));
}

struct AnnuityPeriod {
    std::int64_t interest;
    std::int64_t principal;
    std::int64_t payment;
    std::int64_t outstanding_after;

    friend bool operator==(const AnnuityPeriod&, const AnnuityPeriod&) = default;
};

// The full schedule (see the header comment), or nullopt when the payment is not computable or
// an earlier period's principal would be negative or exceed the outstanding principal.
[[nodiscard]] inline std::optional<std::vector<AnnuityPeriod>> equal_instalment_schedule(
    std::int64_t principal, std::int64_t rate_num, std::int64_t rate_den, std::int32_t n,
    Rounding mode = Rounding::kHalfUp) {
    const auto payment = equal_instalment_payment(principal, rate_num, rate_den, n, mode);
    if (!payment) {
        return std::nullopt;
    }
    std::vector<AnnuityPeriod> rows;
    rows.reserve(static_cast<std::size_t>(n));
    std::int64_t outstanding = principal;
    for (std::int32_t k = 1; k <= n; ++k) {
        const auto interest = narrow(round_div(wide_mul(outstanding, rate_num), rate_den, mode));
        if (!interest) {
            return std::nullopt;
        }
        std::int64_t part = 0;
        if (k == n) {
            part = outstanding;
        } else {
            const auto p = sub_checked(*payment, *interest);
            if (!p || *p < 0 || *p > outstanding) {
                return std::nullopt;
            }
            part = *p;
        }
        const auto pay = add_checked(part, *interest);
        if (!pay) {
            return std::nullopt;
        }
        outstanding -= part;
        rows.push_back(AnnuityPeriod{*interest, part, *pay, outstanding});
    }
    return rows;
}

}  // namespace jc::contracts::arith
