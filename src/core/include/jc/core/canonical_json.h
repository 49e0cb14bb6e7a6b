// Strict JSON parsing and RFC 8785 (JSON Canonicalization Scheme) serialisation for the subset
// of JSON the protocol allows:
//
//   objects, arrays, strings, integers in [-(2^53 - 1), 2^53 - 1], true, false, null;
//   strings and keys of printable ASCII only (0x20..0x7e after unescaping).
//
// Anything outside the subset is rejected with a precise error (byte offset and reason), never
// silently normalised: fractions or exponents, -0, integers beyond 2^53, duplicate keys,
// non-ASCII bytes, control characters, nesting deeper than the limit, documents longer than the
// limit, trailing content.
//
// Within the subset RFC 8785 reduces to: object members sorted by key bytes (ASCII, so UTF-16
// code-unit order is byte order), no whitespace, integers in shortest decimal form, and strings
// with only '"' and '\' escaped. `canonicalize` produces exactly that.
//
// Thread-safety: free functions; no shared state.
#pragma once

#include <jc/core/error.h>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jc::json {

using Value = nlohmann::json;

inline constexpr std::int64_t kIntegerMax = (std::int64_t{1} << 53) - 1;

struct ParseLimits {
    std::size_t document_bytes_max = 1 << 20;
    std::size_t depth_max = 16;
    std::size_t string_bytes_max = 64 * 1024;
    std::size_t container_elements_max = 100'000;
};

// Parses `text` and checks it lies inside the subset.
Result<Value> parse_strict(std::string_view text, const ParseLimits& limits = {});

// Checks that a value built in code lies inside the subset (same rules as parse_strict).
Status check_subset(const Value& value, std::size_t depth_max = ParseLimits{}.depth_max);

// RFC 8785 serialisation. REQUIRES: check_subset(value) succeeds.
std::string canonicalize(const Value& value);

// True only if `text` is the canonical form of a value inside the subset within `limits`, i.e.
// parse_strict(text, limits) succeeds and canonicalize() of its value equals `text`; found in one
// pass without building the value. May answer false for a canonical text at a limit's edge, so a
// caller that needs the verdict or the error falls back to parse_strict + canonicalize (ADR 0130).
bool is_canonical(std::string_view text, const ParseLimits& limits = {});

}  // namespace jc::json
