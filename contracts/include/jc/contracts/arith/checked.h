// Checked integer money arithmetic: the bottom of the arithmetic kernel (DOMAIN.md A.1).
//
// Amounts are int64 fen. Every operation that could overflow is checked and reports failure
// as std::nullopt, which the engine turns into ERR_ARITHMETIC_OVERFLOW (9001): a transaction
// is rejected, never wrapped (Corda's multiplyExact). Products of two int64 factors are formed
// in 128-bit integers (`I128`), which hold any product of two int64 values exactly; products
// of three factors (principal x rate x days) use `mul_checked` on I128.
//
// Header-only so that the RPC layer's quotes run the very same code as execution.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jc::contracts::arith {

// __extension__ keeps -Wpedantic quiet: GCC and Clang both provide 128-bit integers, and the
// kernel relies on them (DOMAIN.md A.1); MSVC is not a target.
__extension__ using I128 = __int128;
__extension__ using U128 = unsigned __int128;

// Hard bound on any single amount: 10^15 fen = 10 trillion CNY (DOMAIN.md A.1).
inline constexpr std::int64_t kMaxAmount = 1'000'000'000'000'000;

[[nodiscard]] constexpr std::optional<std::int64_t> add_checked(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

[[nodiscard]] constexpr std::optional<std::int64_t> sub_checked(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_sub_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

[[nodiscard]] constexpr std::optional<std::int64_t> mul_checked(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

[[nodiscard]] constexpr std::optional<I128> mul_checked(I128 a, I128 b) {
    I128 r = 0;
    if (__builtin_mul_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

[[nodiscard]] constexpr std::optional<I128> add_checked(I128 a, I128 b) {
    I128 r = 0;
    if (__builtin_add_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

[[nodiscard]] constexpr std::optional<U128> add_checked(U128 a, U128 b) {
    U128 r = 0;
    if (__builtin_add_overflow(a, b, &r)) {
        return std::nullopt;
    }
    return r;
}

// The exact product of two int64 values; never overflows.
[[nodiscard]] constexpr I128 wide_mul(std::int64_t a, std::int64_t b) {
    return static_cast<I128>(a) * static_cast<I128>(b);
}

// Narrows a 128-bit value to int64, or nullopt when it does not fit.
[[nodiscard]] constexpr std::optional<std::int64_t> narrow(I128 v) {
    if (v > static_cast<I128>(INT64_MAX) || v < static_cast<I128>(INT64_MIN)) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(v);
}

// True for 0 <= v <= kMaxAmount.
[[nodiscard]] constexpr bool is_amount(std::int64_t v) { return v >= 0 && v <= kMaxAmount; }

// Parses the canonical amount string of A.1: ^(0|[1-9][0-9]{0,15})$, value <= kMaxAmount.
// Rejects signs, decimals, exponents, spaces and leading zeros.
[[nodiscard]] inline std::optional<std::int64_t> parse_amount(std::string_view text) {
    if (text.empty() || text.size() > 16) {
        return std::nullopt;
    }
    if (text.size() > 1 && text[0] == '0') {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');  // at most 16 digits: < 10^16, no overflow
    }
    if (v > kMaxAmount) {
        return std::nullopt;
    }
    return v;
}

// Parses a canonical non-negative integer string of at most `digits_max` digits (<= 18), e.g.
// a rate in ppb. Same form rules as parse_amount, without the kMaxAmount bound.
[[nodiscard]] inline std::optional<std::int64_t> parse_uint_string(std::string_view text,
                                                                   std::size_t digits_max) {
    if (text.empty() || text.size() > digits_max || digits_max > 18) {
        return std::nullopt;
    }
    if (text.size() > 1 && text[0] == '0') {
        return std::nullopt;
    }
    std::int64_t v = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + (c - '0');
    }
    return v;
}

// Decimal text of a 128-bit integer (for counters and reports).
[[nodiscard]] inline std::string to_string_i128(I128 v) {
    if (v == 0) {
        return "0";
    }
    const bool negative = v < 0;
    // Work in unsigned space so that the most negative value does not overflow on negation.
    U128 u = negative ? static_cast<U128>(0) - static_cast<U128>(v) : static_cast<U128>(v);
    std::string digits;
    while (u != 0) {
        digits.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
        u /= 10;
    }
    if (negative) {
        digits.push_back('-');
    }
    return {digits.rbegin(), digits.rend()};
}

[[nodiscard]] inline std::string to_string_u128(U128 u) {
    if (u == 0) {
        return "0";
    }
    std::string digits;
    while (u != 0) {
        digits.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
        u /= 10;
    }
    return {digits.rbegin(), digits.rend()};
}

}  // namespace jc::contracts::arith
