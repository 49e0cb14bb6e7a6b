// The settlement calendar (DOMAIN.md A.5, B.8; ADR 0051): which CST dates are business days,
// when the next automatic cycle cutoff falls, and on which business date a closing cycle's
// instructions settle. Pure functions of the governance parameters; integer milliseconds and
// day numbers only.
//
// Private to jc_contracts. Thread-safety: pure functions.
#pragma once

#include <jc/contracts/records.h>

#include <cstdint>

namespace jc::contracts::calendar {

inline constexpr std::int64_t kMsPerDay = 86'400'000;
inline constexpr std::int64_t kCstOffsetMs = 8 * 3'600'000;
inline constexpr std::uint32_t kEndOfDayMinutes = 1440;  // the "24:00" cutoff
// How far ahead the schedule is searched for the next cutoff or business day (a calendar with
// no business day in a year is treated as having no cutoff).
inline constexpr std::int32_t kSearchDays = 400;

// Monday-Friday unless a holiday; a weekend day listed in working_weekends is a business day.
bool is_business_day(const Params& p, Date d);

// The first business day >= d (d itself if it is one); d + kSearchDays if none is found.
Date business_day_on_or_after(const Params& p, Date d);

// UTC milliseconds of `minutes` after midnight CST on date d (1440: the next midnight).
std::int64_t cst_ms(Date d, std::uint32_t minutes);

// Minutes after midnight CST of a timestamp, in [0, 1440).
std::uint32_t cst_minutes(std::int64_t timestamp_ms);

// The first scheduled cutoff strictly after t_ms: a cutoff of p.cycle_cutoffs_minutes on a
// business day. 0 when the schedule is empty or has none within kSearchDays.
std::int64_t next_cutoff_after(const Params& p, std::int64_t t_ms);

// The settlement date of a cycle closed with reference time r_ms (the scheduled cutoff of an
// automatic close, the block time of an explicit one): r's CST date if that is a business day
// and r is no later than the last intraday cutoff (the largest cutoff below 24:00; 23:59 when
// there is none), otherwise the next business day after r's date.
Date settlement_date(const Params& p, std::int64_t r_ms);

}  // namespace jc::contracts::calendar
