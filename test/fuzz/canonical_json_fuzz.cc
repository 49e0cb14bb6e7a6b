// Fuzz target: strict JSON parsing never crashes, and whatever it accepts canonicalises to a
// fixed point that parses back to the same value. The one-pass is_canonical() agrees: it accepts
// the canonical text, and accepts the input only if the input is that text (ADR 0130).
#include <jc/core/assert.h>
#include <jc/core/canonical_json.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto value = jc::json::parse_strict(text);
    if (!value) {
        JC_ASSERT(!jc::json::is_canonical(text), "fuzz.json.is_canonical_sound");
        return 0;
    }
    JC_ASSERT(jc::json::check_subset(*value).ok(), "fuzz.json.accepted_is_in_subset");
    const std::string canonical = jc::json::canonicalize(*value);
    auto again = jc::json::parse_strict(canonical);
    JC_ASSERT(again.ok(), "fuzz.json.canonical_reparses");
    JC_ASSERT(*again == *value, "fuzz.json.canonical_same_value");
    JC_ASSERT(jc::json::canonicalize(*again) == canonical, "fuzz.json.canonical_fixed_point");
    JC_ASSERT(!jc::json::is_canonical(text) || text == canonical, "fuzz.json.is_canonical_sound");
    // Complete below the string limit (a longer escaped string may exceed it raw, not decoded).
    JC_ASSERT(canonical.size() > jc::json::ParseLimits{}.string_bytes_max || jc::json::is_canonical(canonical),
              "fuzz.json.is_canonical_complete");
    return 0;
}
