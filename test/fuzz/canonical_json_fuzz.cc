// Fuzz target: strict JSON parsing never crashes, and whatever it accepts canonicalises to a
// fixed point that parses back to the same value.
#include <jc/core/assert.h>
#include <jc/core/canonical_json.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto value = jc::json::parse_strict(text);
    if (!value) {
        return 0;
    }
    JC_ASSERT(jc::json::check_subset(*value).ok(), "fuzz.json.accepted_is_in_subset");
    const std::string canonical = jc::json::canonicalize(*value);
    auto again = jc::json::parse_strict(canonical);
    JC_ASSERT(again.ok(), "fuzz.json.canonical_reparses");
    JC_ASSERT(*again == *value, "fuzz.json.canonical_same_value");
    JC_ASSERT(jc::json::canonicalize(*again) == canonical, "fuzz.json.canonical_fixed_point");
    return 0;
}
