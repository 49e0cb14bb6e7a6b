#include "calendar.h"

#include <algorithm>

namespace jc::contracts::calendar {

namespace {

// 1970-01-01 was a Thursday; 0 = Monday ... 6 = Sunday.
int weekday(Date d) {
    const std::int64_t m = (static_cast<std::int64_t>(d) + 3) % 7;
    return static_cast<int>(m < 0 ? m + 7 : m);
}

}  // namespace

bool is_business_day(const Params& p, Date d) {
    if (weekday(d) >= 5) {
        return std::binary_search(p.working_weekends.begin(), p.working_weekends.end(), d);
    }
    return !std::binary_search(p.holidays.begin(), p.holidays.end(), d);
}

Date business_day_on_or_after(const Params& p, Date d) {
    for (std::int32_t i = 0; i < kSearchDays; ++i) {
        if (is_business_day(p, d + i)) {
            return d + i;
        }
    }
    return d + kSearchDays;
}

std::int64_t cst_ms(Date d, std::uint32_t minutes) {
    return static_cast<std::int64_t>(d) * kMsPerDay - kCstOffsetMs + static_cast<std::int64_t>(minutes) * 60'000;
}

std::uint32_t cst_minutes(std::int64_t timestamp_ms) {
    const auto date = static_cast<Date>(arith::business_date_from_ms(timestamp_ms));
    return static_cast<std::uint32_t>((timestamp_ms - cst_ms(date, 0)) / 60'000);
}

std::int64_t next_cutoff_after(const Params& p, std::int64_t t_ms) {
    if (p.cycle_cutoffs_minutes.empty()) {
        return 0;
    }
    // A 24:00 cutoff of the previous day falls at 00:00 today, hence the start one day back.
    const auto today = static_cast<Date>(arith::business_date_from_ms(t_ms));
    for (std::int32_t i = -1; i < kSearchDays; ++i) {
        const Date d = today + i;
        if (!is_business_day(p, d)) {
            continue;
        }
        for (const std::uint32_t m : p.cycle_cutoffs_minutes) {
            const std::int64_t at = cst_ms(d, m);
            if (at > t_ms) {
                return at;
            }
        }
    }
    return 0;
}

Date settlement_date(const Params& p, std::int64_t r_ms) {
    std::uint32_t last_intraday = kEndOfDayMinutes - 1;
    for (const std::uint32_t m : p.cycle_cutoffs_minutes) {
        if (m < kEndOfDayMinutes) {
            last_intraday = m;
        }
    }
    const auto date = static_cast<Date>(arith::business_date_from_ms(r_ms));
    if (is_business_day(p, date) && cst_minutes(r_ms) <= last_intraday) {
        return date;
    }
    return business_day_on_or_after(p, date + 1);
}

}  // namespace jc::contracts::calendar
