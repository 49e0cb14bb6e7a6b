// Day counts and period interest (DOMAIN.md A.2, A.5).
//
// A rate is an integer in ppb with a basis. Interest on principal P over d days is the exact
// rational  N / Dn  with  N = P * rate_ppb * d  and  Dn = 10^9 * {1 | 360 | 365}  for
// DAILY | ACT/360 | ACT/365F, rounded ONCE to fen. The daily rate is never rounded first.
// Days are counted [from, to): the first day counts, the last does not (算头不算尾).
//
// `InterestAccrual` sums numerators over several segments (principal changing on due dates,
// penalty over principal-days) and rounds the total once, as A.2 prescribes.
//
// Thread-safety: pure functions; an InterestAccrual is a plain value.
#pragma once

#include <jc/contracts/arith/rounding.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace jc::contracts::arith {

enum class Basis : std::uint8_t {
    kDaily = 0,    // rate per day
    kAct360 = 1,   // annual rate, actual days / 360
    kAct365F = 2,  // annual rate, actual days / 365 fixed
};

inline constexpr std::int64_t kPpb = 1'000'000'000;

[[nodiscard]] constexpr std::int64_t basis_denominator(Basis basis) {
    switch (basis) {
        case Basis::kDaily:
            return kPpb;
        case Basis::kAct360:
            return kPpb * 360;
        case Basis::kAct365F:
            return kPpb * 365;
    }
    return kPpb;  // unreachable: every enumerator handled
}

[[nodiscard]] constexpr std::string_view basis_name(Basis basis) {
    switch (basis) {
        case Basis::kDaily:
            return "DAILY";
        case Basis::kAct360:
            return "ACT/360";
        case Basis::kAct365F:
            return "ACT/365F";
    }
    return "DAILY";
}

[[nodiscard]] constexpr std::optional<Basis> parse_basis(std::string_view text) {
    if (text == "DAILY") {
        return Basis::kDaily;
    }
    if (text == "ACT/360") {
        return Basis::kAct360;
    }
    if (text == "ACT/365F") {
        return Basis::kAct365F;
    }
    return std::nullopt;
}

// Days in [from, to). May be negative if to < from; callers check order first.
[[nodiscard]] constexpr std::int64_t days_between(std::int64_t from, std::int64_t to) {
    return to - from;
}

// Accumulates principal-day numerators and rounds once. Every step is checked: `ok()` turns
// false on overflow and stays false.
class InterestAccrual {
public:
    constexpr InterestAccrual(std::int64_t rate_ppb, Basis basis) : rate_ppb_(rate_ppb), basis_(basis) {}

    // Adds principal * rate * days. REQUIRES: principal >= 0, days >= 0, rate >= 0.
    constexpr void add(std::int64_t principal, std::int64_t days) {
        if (!ok_ || principal == 0 || days == 0) {
            return;
        }
        const auto term = mul_checked(wide_mul(principal, rate_ppb_), static_cast<I128>(days));
        if (!term) {
            ok_ = false;
            return;
        }
        const auto sum = add_checked(numerator_, *term);
        if (!sum) {
            ok_ = false;
            return;
        }
        numerator_ = *sum;
    }

    [[nodiscard]] constexpr bool ok() const { return ok_; }
    [[nodiscard]] constexpr I128 numerator() const { return numerator_; }
    [[nodiscard]] constexpr std::int64_t denominator() const { return basis_denominator(basis_); }

    // The rounded total in fen, or nullopt on overflow.
    [[nodiscard]] constexpr std::optional<std::int64_t> rounded(Rounding mode) const {
        if (!ok_) {
            return std::nullopt;
        }
        return narrow(round_div(numerator_, denominator(), mode));
    }

private:
    std::int64_t rate_ppb_;
    Basis basis_;
    I128 numerator_ = 0;
    bool ok_ = true;
};

// Interest on `principal` over `days` days, rounded once. nullopt on overflow.
// REQUIRES: principal >= 0, rate_ppb >= 0, days >= 0.
[[nodiscard]] constexpr std::optional<std::int64_t> period_interest(std::int64_t principal,
                                                                    std::int64_t rate_ppb,
                                                                    std::int64_t days, Basis basis,
                                                                    Rounding mode) {
    InterestAccrual acc(rate_ppb, basis);
    acc.add(principal, days);
    return acc.rounded(mode);
}

}  // namespace jc::contracts::arith
