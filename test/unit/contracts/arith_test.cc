// Goal: the arithmetic kernel (DOMAIN.md A) is exact: the E1 allocation table to the fen,
// largest-remainder properties on random inputs, rounding at exact halves, dates against
// std::chrono and known calendar facts, month-end clamping, day counts (E2 interest under all
// three bases), equal-instalment payments against values worked out with Python's Fraction,
// and overflow reported instead of wrapped.
// Method: golden values from the spec; property checks over seeded random inputs against a
// naive reference written differently (big-integer quotas, pairwise fraction comparison).
#include <jc/contracts/arith/allocate.h>
#include <jc/contracts/arith/annuity.h>
#include <jc/contracts/arith/checked.h>
#include <jc/contracts/arith/date.h>
#include <jc/contracts/arith/day_count.h>
#include <jc/contracts/arith/rounding.h>

#include <boost/multiprecision/cpp_int.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

namespace arith = jc::contracts::arith;
using arith::I128;

namespace {

std::vector<std::int64_t> lrm(std::int64_t amount, const std::vector<std::int64_t>& weights) {
    std::vector<std::int64_t> out(weights.size());
    REQUIRE(arith::allocate_lrm(amount, weights, out) == arith::AllocateStatus::kOk);
    return out;
}

// Reference largest remainder: quotas as big-integer fractions, the leftover fen handed out
// one at a time to the best remaining party found by a linear scan with pairwise comparison.
std::vector<std::int64_t> reference_lrm(std::int64_t amount, const std::vector<std::int64_t>& w) {
    using Big = boost::multiprecision::cpp_int;
    Big total = 0;
    for (auto x : w) {
        total += x;
    }
    std::vector<std::int64_t> out(w.size());
    std::vector<Big> rem(w.size());
    Big given = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
        const Big p = Big(amount) * w[i];
        out[i] = static_cast<std::int64_t>(p / total);
        rem[i] = p % total;
        given += out[i];
    }
    std::vector<bool> taken(w.size(), false);
    for (Big left = Big(amount) - given; left > 0; --left) {
        std::size_t best = w.size();
        for (std::size_t i = 0; i < w.size(); ++i) {
            if (taken[i]) {
                continue;
            }
            if (best == w.size() || rem[i] > rem[best] || (rem[i] == rem[best] && w[i] > w[best])) {
                best = i;  // strict comparisons keep the lowest index on a full tie
            }
        }
        taken[best] = true;
        ++out[best];
    }
    return out;
}

std::int64_t e2_interest(std::int64_t principal, std::int64_t days, std::int64_t rate,
                         arith::Basis basis) {
    const auto v = arith::period_interest(principal, rate, days, basis, arith::Rounding::kHalfUp);
    REQUIRE(v.has_value());
    return *v;
}

}  // namespace

TEST_CASE("E1 origination splits by largest remainder, exactly as the table", "[contracts][arith][E1]") {
    CHECK(lrm(800000, {3000, 7000}) == std::vector<std::int64_t>{240000, 560000});
    CHECK(lrm(800001, {3000, 7000}) == std::vector<std::int64_t>{240000, 560001});
    CHECK(lrm(800003, {3000, 7000}) == std::vector<std::int64_t>{240001, 560002});
    CHECK(lrm(800001, {5000, 5000}) == std::vector<std::int64_t>{400001, 400000});
    CHECK(lrm(100, {3333, 3333, 3334}) == std::vector<std::int64_t>{33, 33, 34});
    CHECK(lrm(800000, {3333, 3333, 3334}) == std::vector<std::int64_t>{266640, 266640, 266720});
    CHECK(lrm(1, {2000, 3000, 5000}) == std::vector<std::int64_t>{0, 0, 1});
    CHECK(lrm(2, {2000, 3000, 5000}) == std::vector<std::int64_t>{0, 1, 1});
    CHECK(lrm(3, {2000, 3000, 5000}) == std::vector<std::int64_t>{1, 1, 1});
    // The negative test: independent half-up rounding overshoots by one fen; LRM does not.
    const auto wb = arith::round_half_up(I128{800005} * 3000, 10000);
    const auto hr = arith::round_half_up(I128{800005} * 7000, 10000);
    CHECK(static_cast<std::int64_t>(wb + hr) == 800006);
    CHECK(lrm(800005, {3000, 7000}) == std::vector<std::int64_t>{240001, 560004});
    // E2 #2 interest split and E6 funding figure.
    CHECK(lrm(10633, {220000, 513333}) == std::vector<std::int64_t>{3190, 7443});
    CHECK(lrm(1234567, {3000, 7000}) == std::vector<std::int64_t>{370370, 864197});
}

TEST_CASE("largest remainder: properties and tie-break on random inputs", "[contracts][arith][property]") {
    std::mt19937_64 rng(20240115);
    for (int iter = 0; iter < 20000; ++iter) {
        const std::size_t k = 1 + rng() % 8;
        std::vector<std::int64_t> w(k);
        const int scale = static_cast<int>(rng() % 4);
        for (auto& x : w) {
            const std::uint64_t r = rng();
            switch (scale) {
                case 0: x = static_cast<std::int64_t>(r % 4); break;           // many ties and zeros
                case 1: x = static_cast<std::int64_t>(r % 10001); break;       // bps
                case 2: x = static_cast<std::int64_t>(r % 1'000'000'001); break;
                default: x = static_cast<std::int64_t>(r % (arith::kMaxAmount + 1)); break;
            }
        }
        std::int64_t total = 0;
        for (auto x : w) {
            total += x;
        }
        if (total == 0) {
            w[rng() % k] = 1;
            total = 1;
        }
        const std::int64_t amount = (rng() % 3 == 0)
                                        ? total  // a full payoff
                                        : static_cast<std::int64_t>(rng() % (arith::kMaxAmount + 1)) %
                                              (rng() % 2 ? total + 1 : arith::kMaxAmount + 1);
        const auto parts = lrm(amount, w);
        REQUIRE(parts == reference_lrm(amount, w));
        std::int64_t sum = 0;
        for (std::size_t i = 0; i < k; ++i) {
            sum += parts[i];
            const I128 quota_floor = arith::wide_mul(amount, w[i]) / total;
            REQUIRE((parts[i] == quota_floor || parts[i] == quota_floor + 1));  // quota rule
            if (w[i] == 0) {
                REQUIRE(parts[i] == 0);
            }
            if (amount <= total) {
                REQUIRE(parts[i] <= w[i]);  // never overpays a claim
            }
            if (amount == total) {
                REQUIRE(parts[i] == w[i]);  // payoff gives each claim exactly
            }
        }
        REQUIRE(sum == amount);
    }
}

TEST_CASE("largest remainder rejects invalid input and handles zero", "[contracts][arith]") {
    std::vector<std::int64_t> out(2);
    const std::vector<std::int64_t> zero{0, 0};
    CHECK(arith::allocate_lrm(5, zero, out) == arith::AllocateStatus::kInvalid);
    CHECK(arith::allocate_lrm(0, zero, out) == arith::AllocateStatus::kOk);
    CHECK(out == std::vector<std::int64_t>{0, 0});
    const std::vector<std::int64_t> negative{-1, 2};
    CHECK(arith::allocate_lrm(5, negative, out) == arith::AllocateStatus::kInvalid);
    const std::vector<std::int64_t> ok{1, 2};
    CHECK(arith::allocate_lrm(-1, ok, out) == arith::AllocateStatus::kInvalid);
    std::vector<std::int64_t> wrong(3);
    CHECK(arith::allocate_lrm(5, ok, wrong) == arith::AllocateStatus::kInvalid);
    // Extreme values stay exact: INT64_MAX split over maximal weights.
    const std::vector<std::int64_t> big{INT64_MAX, INT64_MAX, 1};
    std::vector<std::int64_t> out3(3);
    REQUIRE(arith::allocate_lrm(INT64_MAX, big, out3) == arith::AllocateStatus::kOk);
    CHECK(out3 == reference_lrm(INT64_MAX, big));
}

TEST_CASE("split_evenly gives the first P mod n one fen more", "[contracts][arith]") {
    std::vector<std::int64_t> ten(10);
    arith::split_evenly(15, ten);
    CHECK(ten == std::vector<std::int64_t>{2, 2, 2, 2, 2, 1, 1, 1, 1, 1});
    std::vector<std::int64_t> twelve(12);
    arith::split_evenly(800000, twelve);
    for (std::size_t i = 0; i < 12; ++i) {
        CHECK(twelve[i] == (i < 8 ? 66667 : 66666));
    }
    std::mt19937_64 rng(7);
    for (int iter = 0; iter < 2000; ++iter) {
        const std::size_t n = 1 + rng() % 400;
        const auto p = static_cast<std::int64_t>(rng() % (arith::kMaxAmount + 1));
        std::vector<std::int64_t> parts(n);
        arith::split_evenly(p, parts);
        std::int64_t sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
            sum += parts[i];
            REQUIRE(parts[i] >= 0);
            if (i > 0) {
                REQUIRE(parts[i] <= parts[i - 1]);
                REQUIRE(parts[i - 1] - parts[i] <= 1);
            }
        }
        REQUIRE(sum == p);
    }
}

TEST_CASE("rounding: half-up and half-even differ only at exact halves", "[contracts][arith]") {
    // 1000 fen at 0.05 %/day for one day is 0.5 fen.
    CHECK(arith::period_interest(1000, 500000, 1, arith::Basis::kDaily, arith::Rounding::kHalfUp) == 1);
    CHECK(arith::period_interest(1000, 500000, 1, arith::Basis::kDaily, arith::Rounding::kHalfEven) == 0);
    CHECK(arith::period_interest(3000, 500000, 1, arith::Basis::kDaily, arith::Rounding::kHalfEven) == 2);
    CHECK(arith::round_half_up(5, 2) == 3);
    CHECK(arith::round_half_up(-5, 2) == -3);  // ties away from zero
    CHECK(arith::round_half_even(5, 2) == 2);
    CHECK(arith::round_half_even(7, 2) == 4);
    CHECK(arith::round_half_even(-5, 2) == -2);
    CHECK(arith::round_half_up(4, 3) == 1);
    CHECK(arith::round_half_up(5, 3) == 2);
    CHECK(arith::round_half_up(-4, 3) == -1);
    CHECK(arith::round_half_up(-5, 3) == -2);
    CHECK(arith::round_half_up(0, 7) == 0);
    CHECK(arith::floor_div(-1, 1000) == -1);
    CHECK(arith::floor_mod(-1, 1000) == 999);
    // No intermediate overflow near the top of the 128-bit range.
    const I128 big = (static_cast<I128>(1) << 125) + 1;
    CHECK(arith::round_half_up(big, 2) == (static_cast<I128>(1) << 124) + 1);
    CHECK(arith::round_half_even(big, 2) == (static_cast<I128>(1) << 124));
    // Exhaustive small check against the textbook (2N + D) / (2D) for N >= 0.
    for (I128 d = 1; d <= 40; ++d) {
        for (I128 n = 0; n <= 200; ++n) {
            REQUIRE(arith::round_half_up(n, d) == (2 * n + d) / (2 * d));
        }
    }
}

TEST_CASE("dates: known values, leap years and std::chrono agreement", "[contracts][arith][date]") {
    using arith::date_from_civil;
    CHECK(date_from_civil(1970, 1, 1) == 0);
    CHECK(date_from_civil(2000, 3, 1) == 11017);
    CHECK(date_from_civil(2024, 1, 15) == 19737);
    CHECK(arith::parse_date("2024-02-29").has_value());
    CHECK_FALSE(arith::parse_date("2023-02-29").has_value());
    CHECK_FALSE(arith::parse_date("1900-02-29").has_value());
    CHECK(arith::parse_date("2000-02-29").has_value());
    for (const char* bad : {"2024-1-15", "2024-01-5", "24-01-15", "2024/01/15", "2024-13-01", "2024-00-10",
                            "2024-04-31", "0000-01-01", "2024-01-15 ", " 2024-01-15", "2024-01-1a", ""}) {
        CHECK_FALSE(arith::parse_date(bad).has_value());
    }
    CHECK(arith::parse_date("0001-01-01") == arith::kDateMin);
    CHECK(arith::parse_date("9999-12-31") == arith::kDateMax);
    // Every day from 1899 to 2101 round-trips through text and matches std::chrono.
    for (arith::Date d = date_from_civil(1899, 1, 1); d <= date_from_civil(2101, 12, 31); ++d) {
        const std::string text = arith::format_date(d);
        REQUIRE(arith::parse_date(text) == d);
        const std::chrono::sys_days sd{std::chrono::days{d}};
        const std::chrono::year_month_day ymd{sd};
        const arith::Civil c = arith::civil_from_days(d);
        REQUIRE(static_cast<int>(ymd.year()) == c.year);
        REQUIRE(static_cast<unsigned>(ymd.month()) == c.month);
        REQUIRE(static_cast<unsigned>(ymd.day()) == c.day);
    }
    std::mt19937_64 rng(42);
    for (int i = 0; i < 20000; ++i) {
        const auto d = static_cast<arith::Date>(arith::kDateMin +
                                                static_cast<arith::Date>(rng() % static_cast<std::uint64_t>(arith::kDateMax - arith::kDateMin + 1)));
        const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{d}}};
        const arith::Civil c = arith::civil_from_days(d);
        REQUIRE(static_cast<int>(ymd.year()) == c.year);
        REQUIRE(static_cast<unsigned>(ymd.month()) == c.month);
        REQUIRE(static_cast<unsigned>(ymd.day()) == c.day);
        REQUIRE(arith::days_from_civil(c.year, c.month, c.day) == d);
    }
}

TEST_CASE("month addition clamps to month end relative to the anchor day", "[contracts][arith][date]") {
    const auto jan31 = *arith::parse_date("2024-01-31");
    CHECK(arith::format_date(*arith::add_months(jan31, 1)) == "2024-02-29");
    CHECK(arith::format_date(*arith::add_months(jan31, 2)) == "2024-03-31");  // no drift to the 29th
    CHECK(arith::format_date(*arith::add_months(jan31, 3)) == "2024-04-30");
    CHECK(arith::format_date(*arith::add_months(jan31, 13)) == "2025-02-28");
    CHECK(arith::format_date(*arith::add_months(*arith::parse_date("2023-01-31"), 1)) == "2023-02-28");
    CHECK(arith::format_date(*arith::add_months(*arith::parse_date("2024-12-15"), 1)) == "2025-01-15");
    CHECK(arith::format_date(*arith::add_months(*arith::parse_date("2024-02-29"), 12)) == "2025-02-28");
    CHECK(arith::format_date(*arith::add_months(*arith::parse_date("2024-02-29"), 48)) == "2028-02-29");
    // 2024 is a leap year: 15 Feb -> 15 Mar is 29 days; 15 Jan 2024 -> 15 Jan 2025 is 366 days.
    const auto feb15 = *arith::parse_date("2024-02-15");
    CHECK(*arith::add_months(feb15, 1) - feb15 == 29);
    const auto jan15 = *arith::parse_date("2024-01-15");
    CHECK(*arith::add_months(jan15, 12) - jan15 == 366);
    CHECK_FALSE(arith::add_months(*arith::parse_date("9999-12-01"), 1).has_value());
    // E2's due dates and day counts.
    const std::int64_t days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    arith::Date prev = jan15;
    for (int k = 0; k < 12; ++k) {
        const arith::Date due = *arith::add_months(feb15, k, 15);
        CHECK(due - prev == days[k]);
        prev = due;
    }
    CHECK(arith::format_date(prev) == "2025-01-15");
}

TEST_CASE("business date is the calendar day in UTC+8", "[contracts][arith][date]") {
    const std::int64_t midnight_cst = std::int64_t{*arith::parse_date("2024-02-15")} * 86400 * 1000 - 8 * 3600 * 1000;
    CHECK(arith::business_date_from_ms(midnight_cst) == *arith::parse_date("2024-02-15"));
    CHECK(arith::business_date_from_ms(midnight_cst - 1) == *arith::parse_date("2024-02-14"));
    CHECK(arith::business_date_from_ms(0) == 0);                       // 08:00 CST on 1970-01-01
    CHECK(arith::business_date_from_ms(-8 * 3600 * 1000) == 0);        // midnight CST
    CHECK(arith::business_date_from_ms(-8 * 3600 * 1000 - 1) == -1);   // floor, not truncation
}

TEST_CASE("day counts: E2 interest under DAILY, ACT/360 and ACT/365F", "[contracts][arith][E2]") {
    const std::int64_t outstanding[12] = {800000, 733333, 666666, 599999, 533332, 466665,
                                          399998, 333331, 266664, 199998, 133332, 66666};
    const std::int64_t days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const std::int64_t interest[12] = {12400, 10633, 10333, 9000, 8267, 7000, 6200, 5167, 4000, 3100, 2000, 1033};
    for (int k = 0; k < 12; ++k) {
        CHECK(e2_interest(outstanding[k], days[k], 500000, arith::Basis::kDaily) == interest[k]);
        CHECK(e2_interest(outstanding[k], days[k], 180000000, arith::Basis::kAct360) == interest[k]);
        CHECK(e2_interest(outstanding[k], days[k], 182500000, arith::Basis::kAct365F) == interest[k]);
    }
    // Rounded once over segments, not per segment: 3 x 0.4 fen = 1.2 fen -> 1, not 0.
    arith::InterestAccrual acc(400000, arith::Basis::kDaily);
    acc.add(1000, 1);
    acc.add(1000, 1);
    acc.add(1000, 1);
    CHECK(acc.rounded(arith::Rounding::kHalfUp) == 1);
    CHECK(arith::parse_basis("ACT/365F") == arith::Basis::kAct365F);
    CHECK_FALSE(arith::parse_basis("ACT/365").has_value());
}

TEST_CASE("overflow is reported, never wrapped", "[contracts][arith][overflow]") {
    CHECK_FALSE(arith::add_checked(INT64_MAX, std::int64_t{1}).has_value());
    CHECK_FALSE(arith::sub_checked(INT64_MIN, std::int64_t{1}).has_value());
    CHECK_FALSE(arith::mul_checked(INT64_MAX, std::int64_t{2}).has_value());
    CHECK(arith::add_checked(std::int64_t{2}, std::int64_t{3}) == 5);
    CHECK_FALSE(arith::narrow(static_cast<I128>(INT64_MAX) + 1).has_value());
    // 10^15 fen at 10^10 ppb per day for 3.6 M days: the interest does not fit in int64.
    CHECK_FALSE(arith::period_interest(arith::kMaxAmount, 10'000'000'000, 3'600'000, arith::Basis::kDaily,
                                       arith::Rounding::kHalfUp)
                    .has_value());
    // The 128-bit accumulator itself overflows on absurd inputs and stays failed.
    arith::InterestAccrual acc(INT64_MAX, arith::Basis::kDaily);
    acc.add(INT64_MAX, INT64_MAX);
    CHECK_FALSE(acc.ok());
    acc.add(1, 1);
    CHECK_FALSE(acc.rounded(arith::Rounding::kHalfUp).has_value());
    // A.1 headroom: the largest legitimate products fit.
    CHECK(arith::period_interest(arith::kMaxAmount, 1'000'000'000, 36'600, arith::Basis::kAct365F,
                                 arith::Rounding::kHalfUp) == std::int64_t{100'273'972'602'739'726});
    CHECK(arith::to_string_i128(-(static_cast<I128>(1) << 100)) == "-1267650600228229401496703205376");
    CHECK(arith::to_string_u128(static_cast<arith::U128>(0) - 1) == "340282366920938463463374607431768211455");
}

TEST_CASE("amount strings are canonical integer fen only", "[contracts][arith]") {
    CHECK(arith::parse_amount("0") == 0);
    CHECK(arith::parse_amount("800000") == 800000);
    CHECK(arith::parse_amount("1000000000000000") == arith::kMaxAmount);
    for (const char* bad : {"", "01", "-1", "+1", "1.0", "1e3", " 1", "1 ", "1000000000000001",
                            "9999999999999999", "10000000000000000", "0x10", "８"}) {
        CHECK_FALSE(arith::parse_amount(bad).has_value());
    }
    CHECK(arith::parse_uint_string("500000", 18) == 500000);
    CHECK_FALSE(arith::parse_uint_string("0500000", 18).has_value());
}

TEST_CASE("equal-instalment payment with exact rationals", "[contracts][arith][annuity]") {
    // Values worked out independently with Python's fractions.Fraction.
    CHECK(arith::equal_instalment_payment(1'000'000, 1, 100, 12) == 88849);
    CHECK(arith::equal_instalment_payment(800000, 15'000'000, 1'000'000'000, 12) == 73344);
    CHECK(arith::equal_instalment_payment(20'000'000, 4'350'000, 1'000'000'000, 360) == 110069);
    CHECK(arith::equal_instalment_payment(1200, 0, 1, 12) == 100);
    const auto rows = arith::equal_instalment_schedule(1'000'000, 1, 100, 12);
    REQUIRE(rows.has_value());
    REQUIRE(rows->size() == 12);
    CHECK(rows->front() == arith::AnnuityPeriod{10000, 78849, 88849, 921151});
    CHECK((*rows)[1] == arith::AnnuityPeriod{9212, 79637, 88849, 841514});
    CHECK(rows->back() == arith::AnnuityPeriod{880, 87967, 88847, 0});
    const auto rows2 = arith::equal_instalment_schedule(800000, 15'000'000, 1'000'000'000, 12);
    REQUIRE(rows2.has_value());
    CHECK(rows2->back() == arith::AnnuityPeriod{1084, 72261, 73345, 0});
    std::int64_t sum = 0;
    for (const auto& r : *rows2) {
        sum += r.principal;
    }
    CHECK(sum == 800000);
    // 9 fen over 6 periods at 0 %: A = round(1.5) = 2 would repay 10 > 9; reported, not negative.
    CHECK_FALSE(arith::equal_instalment_schedule(9, 0, 1, 6).has_value());
    CHECK_FALSE(arith::equal_instalment_payment(100, 1, 0, 12).has_value());
    CHECK_FALSE(arith::equal_instalment_payment(100, 1, 100, 0).has_value());
}
