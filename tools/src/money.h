// Amounts as an operator reads them: integer fen (the protocol's unit, DOMAIN.md A.1) shown as
// yuan with fen and thousands separators, e.g. 800000 -> "8,000.00 CNY".
//
// Thread-safety: pure functions.
#pragma once

#include <jc/core/canonical_json.h>
#include <jc/core/error.h>

#include <cstdint>
#include <string>

namespace jc::tools {

// "8,000.00" (negative amounts get a leading '-').
std::string yuan(std::int64_t fen);
// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t n);
// A measurement (not money) with `decimals` digits: fixed(2.345, 1) -> "2.3".
std::string fixed(double value, int decimals);
// "8,000.00 CNY".
std::string cny(std::int64_t fen);

// A protocol amount string ("^-?(0|[1-9][0-9]{0,17})$", signed because positions and balances
// may be negative) as int64 fen. Errors name `what`.
Result<std::int64_t> parse_fen(const json::Value& v, const std::string& what);

}  // namespace jc::tools
