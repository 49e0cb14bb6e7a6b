// Civil dates as day numbers, month arithmetic and the business date (DOMAIN.md A.5).
//
// A date is an int32 count of days since 1970-01-01 in the proleptic Gregorian calendar,
// converted with Howard Hinnant's integer-only days_from_civil / civil_from_days (the same
// numbers as C++20 std::chrono::sys_days). The text form is exactly "YYYY-MM-DD" with a
// four-digit year in [1, 9999]; anything else is not a date.
//
// Monthly due dates keep an anchor day and clamp to the month's end: with anchor 31, the
// months go 31 Jan, 29 Feb (2024), 31 Mar, 30 Apr. Clamping is always relative to the
// anchor, never to the previous (clamped) date, so a schedule does not drift to the 29th.
//
// The business date is the block timestamp in China Standard Time (UTC+8, no DST):
//   floor((timestamp_ms / 1000 + 8 * 3600) / 86400)   (floor division throughout).
//
// Thread-safety: pure functions.
#pragma once

#include <jc/contracts/arith/rounding.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jc::contracts::arith {

using Date = std::int32_t;  // days since 1970-01-01

struct Civil {
    std::int32_t year;
    std::uint32_t month;  // 1..12
    std::uint32_t day;    // 1..31

    friend bool operator==(const Civil&, const Civil&) = default;
};

// Hinnant, "chrono-Compatible Low-Level Date Algorithms": valid for every proleptic Gregorian
// date representable here.
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t y, std::uint32_t m,
                                                     std::uint32_t d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<std::uint32_t>(y - era * 400);                   // [0, 399]
    const std::uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;    // [0, 365]
    const std::uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              // [0, 146096]
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

[[nodiscard]] constexpr Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<std::uint32_t>(z - era * 146097);                     // [0, 146096]
    const std::uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   // [0, 399]
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const std::uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                 // [0, 365]
    const std::uint32_t mp = (5 * doy + 2) / 153;                                      // [0, 11]
    const std::uint32_t d = doy - (153 * mp + 2) / 5 + 1;                              // [1, 31]
    const std::uint32_t m = mp < 10 ? mp + 3 : mp - 9;                                 // [1, 12]
    return Civil{static_cast<std::int32_t>(y + (m <= 2 ? 1 : 0)), m, d};
}

[[nodiscard]] constexpr bool is_leap_year(std::int64_t y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

[[nodiscard]] constexpr std::uint32_t days_in_month(std::int64_t y, std::uint32_t m) {
    constexpr std::uint32_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap_year(y)) ? 29 : kDays[m - 1];
}

inline constexpr std::int32_t kYearMin = 1;
inline constexpr std::int32_t kYearMax = 9999;
inline constexpr Date kDateMin = static_cast<Date>(days_from_civil(kYearMin, 1, 1));
inline constexpr Date kDateMax = static_cast<Date>(days_from_civil(kYearMax, 12, 31));

[[nodiscard]] constexpr Date date_from_civil(std::int32_t y, std::uint32_t m, std::uint32_t d) {
    return static_cast<Date>(days_from_civil(y, m, d));
}

// Parses exactly "YYYY-MM-DD" (a real calendar date, year 0001..9999).
[[nodiscard]] inline std::optional<Date> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    auto digits = [&](std::size_t pos, std::size_t len) -> std::optional<std::uint32_t> {
        std::uint32_t v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            const char c = text[i];
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            v = v * 10 + static_cast<std::uint32_t>(c - '0');
        }
        return v;
    };
    const auto y = digits(0, 4);
    const auto m = digits(5, 2);
    const auto d = digits(8, 2);
    if (!y || !m || !d || *y < static_cast<std::uint32_t>(kYearMin) || *m < 1 || *m > 12 ||
        *d < 1 || *d > days_in_month(*y, *m)) {
        return std::nullopt;
    }
    return date_from_civil(static_cast<std::int32_t>(*y), *m, *d);
}

// "YYYY-MM-DD". REQUIRES: kDateMin <= date <= kDateMax.
[[nodiscard]] inline std::string format_date(Date date) {
    const Civil c = civil_from_days(date);
    std::string out(10, '0');
    auto put = [&](std::size_t pos, std::size_t len, std::uint32_t v) {
        for (std::size_t i = 0; i < len; ++i) {
            out[pos + len - 1 - i] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
    };
    put(0, 4, static_cast<std::uint32_t>(c.year));
    out[4] = '-';
    put(5, 2, c.month);
    out[7] = '-';
    put(8, 2, c.day);
    return out;
}

// The date `months` months after `date`, on day min(anchor_day, days in that month).
// Returns nullopt if the result leaves [kDateMin, kDateMax].
// REQUIRES: 1 <= anchor_day <= 31, months >= 0.
[[nodiscard]] inline std::optional<Date> add_months(Date date, std::int32_t months,
                                                    std::uint32_t anchor_day) {
    const Civil c = civil_from_days(date);
    const std::int64_t month_index = static_cast<std::int64_t>(c.year) * 12 + (c.month - 1) + months;
    const std::int64_t y = month_index / 12;
    const auto m = static_cast<std::uint32_t>(month_index % 12 + 1);
    if (y < kYearMin || y > kYearMax) {
        return std::nullopt;
    }
    const std::uint32_t d = std::min(anchor_day, days_in_month(y, m));
    return static_cast<Date>(days_from_civil(y, m, d));
}

// Same, anchored on the date's own day of month.
[[nodiscard]] inline std::optional<Date> add_months(Date date, std::int32_t months) {
    return add_months(date, months, civil_from_days(date).day);
}

// The business date of a block timestamp: its calendar day in UTC+8.
[[nodiscard]] constexpr std::int64_t business_date_from_ms(std::int64_t timestamp_ms) {
    const I128 seconds = floor_div(timestamp_ms, 1000);
    return static_cast<std::int64_t>(floor_div(seconds + 8 * 3600, 86400));
}

}  // namespace jc::contracts::arith
