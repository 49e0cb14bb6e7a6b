// Goal: a transaction handler's result reaches the receipt exactly once canonicalised, and a
// canonical-text std::string can no longer be passed where a JSON tree is expected (review of
// session 5: TxEffect's tree constructor took anything convertible to json::Value, so such a
// string silently became a JSON string in a hashed receipt). Method: compile-time checks of
// which argument types construct a TxEffect (a std::string, a const char* or a string_view do
// not; json::Value and CanonicalText do, explicitly only); byte checks that a tree becomes
// exactly json::canonicalize of it and canonical text is kept as given, for a receipt-shaped
// tree with nested objects, escapes and integers. That no hashed byte changed is shown by the
// rest of jc_contracts_tests run on this build (golden_test.cc's state root after E2, every
// receipt of every handler checked canonical by chain.cc) and by node_cluster's checked demo.
#include "../../../contracts/src/tx_env.h"

#include <jc/core/canonical_json.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace jc::contracts::test {
namespace {

// What the handlers pass.
static_assert(std::is_constructible_v<TxEffect, json::Value, std::string, std::uint32_t>);
static_assert(std::is_constructible_v<TxEffect, const json::Value&, const char*, int>);
static_assert(std::is_constructible_v<TxEffect, CanonicalText, std::string, std::uint32_t>);
// Text that is not wrapped as CanonicalText is refused, whatever its string type.
static_assert(!std::is_constructible_v<TxEffect, std::string, std::string, std::uint32_t>);
static_assert(!std::is_constructible_v<TxEffect, const std::string&, const char*, int>);
static_assert(!std::is_constructible_v<TxEffect, const char*, const char*, int>);
static_assert(!std::is_constructible_v<TxEffect, std::string_view, const char*, int>);
// Nor does anything else that converts to a json::Value (a number, a bool) pass for a result.
static_assert(!std::is_constructible_v<TxEffect, std::int64_t, const char*, int>);
static_assert(!std::is_constructible_v<TxEffect, bool, const char*, int>);

// Explicit: `return {tree, "", 0};` (copy-list-initialisation) does not compile either, so a
// handler always names which kind of result it returns.
[[maybe_unused]] void take(TxEffect) {}
template <typename... Args>
concept CopyListInitialisable = requires { take({std::declval<Args>()...}); };
static_assert(CopyListInitialisable<>);  // the probe itself works: {} value-initialises
static_assert(!CopyListInitialisable<json::Value, const char*, int>);
static_assert(!CopyListInitialisable<CanonicalText, const char*, int>);

TEST_CASE("a tree result is canonicalised exactly once, and canonical text is kept as given", "[contracts][receipt]") {
    const json::Value tree{{"zeta", "\"quoted\" \\ back\nslash"},
                           {"alpha", json::Value{{"b", 2}, {"a", -9007199254740991LL}}},
                           {"items", json::Value::array({json::Value{{"y", 1}, {"x", "é"}}, "two"})}};
    const std::string canonical = json::canonicalize(tree);
    const TxEffect from_tree(tree, "L-1", 7);
    CHECK(from_tree.result == canonical);
    CHECK(from_tree.result.front() == '{');  // an object, not a JSON string holding one
    CHECK(from_tree.loan_id == "L-1");
    CHECK(from_tree.event_seq == 7);
    // An rvalue tree, as the handlers pass it.
    CHECK(TxEffect(json::Value(tree), "", 0).result == canonical);

    const TxEffect from_text(CanonicalText{canonical}, "L-2", 3);
    CHECK(from_text.result == canonical);
    CHECK(from_text.loan_id == "L-2");
    CHECK(from_text.event_seq == 3);
    // What the removed implicit path produced from that same text: a JSON string, a different
    // receipt. Nothing can construct it any more (the static_asserts above).
    CHECK(json::canonicalize(json::Value(canonical)) != canonical);
}

}  // namespace
}  // namespace jc::contracts::test
