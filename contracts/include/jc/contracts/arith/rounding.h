// Rounding of exact rationals to integers (DOMAIN.md A.3).
//
// Interest, penalty and fees are exact rationals N / D rounded ONCE to fen. The default is
// half-up (四舍五入): ties round away from zero. Half-even (banker's rounding) is a governance
// option. The two differ only at exact halves: 1000 fen at 0.05 %/day for one day is 0.5 fen,
// half-up 1, half-even 0.
//
// All functions work on 128-bit integers through quotient and remainder, so no intermediate
// (such as the textbook 2N + D) can overflow.
//
// Thread-safety: pure functions.
#pragma once

#include <jc/contracts/arith/checked.h>

#include <cstdint>

namespace jc::contracts::arith {

enum class Rounding : std::uint8_t {
    kHalfUp = 0,    // ties away from zero (the default)
    kHalfEven = 1,  // ties to the even neighbour
};

// floor(n / d). REQUIRES: d > 0.
[[nodiscard]] constexpr I128 floor_div(I128 n, I128 d) {
    I128 q = n / d;
    if ((n % d) != 0 && n < 0) {
        --q;
    }
    return q;
}

// n mod d in [0, d). REQUIRES: d > 0.
[[nodiscard]] constexpr I128 floor_mod(I128 n, I128 d) { return n - floor_div(n, d) * d; }

// round(n / d) with the given tie rule. REQUIRES: d > 0.
[[nodiscard]] constexpr I128 round_div(I128 n, I128 d, Rounding mode) {
    const I128 q = floor_div(n, d);
    const I128 r = n - q * d;  // 0 <= r < d; the fraction is r / d
    // Compare r/d with 1/2 without forming 2r (r < d, and d - r > 0, so no overflow).
    const I128 upper = d - r;  // r > d/2  <=>  r > upper
    if (r > upper) {
        return q + 1;
    }
    if (r < upper) {
        return q;
    }
    // Exact tie: r/d == 1/2.
    switch (mode) {
        case Rounding::kHalfUp:
            // Away from zero: q + 1/2 is positive when q >= 0.
            return q >= 0 ? q + 1 : q;
        case Rounding::kHalfEven:
            return (q % 2 == 0) ? q : q + 1;
    }
    return q;  // unreachable: both enumerators handled
}

[[nodiscard]] constexpr I128 round_half_up(I128 n, I128 d) { return round_div(n, d, Rounding::kHalfUp); }
[[nodiscard]] constexpr I128 round_half_even(I128 n, I128 d) {
    return round_div(n, d, Rounding::kHalfEven);
}

// round(a * b / d) into int64, or nullopt if the rounded value does not fit.
// REQUIRES: d > 0.
[[nodiscard]] constexpr std::optional<std::int64_t> mul_div_round(std::int64_t a, std::int64_t b,
                                                                  std::int64_t d, Rounding mode) {
    return narrow(round_div(wide_mul(a, b), d, mode));
}

}  // namespace jc::contracts::arith
