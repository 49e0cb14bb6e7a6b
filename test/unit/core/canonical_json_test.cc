// Goal: the strict parser accepts exactly the protocol's JSON subset, reports precisely why it
// refuses anything else, and canonicalize() produces RFC 8785 output for the subset.
#include <jc/core/canonical_json.h>

#include <catch2/catch.hpp>

#include <string>

namespace {

std::string canon(std::string_view text) {
    auto v = jc::json::parse_strict(text);
    REQUIRE(v.ok());
    return jc::json::canonicalize(*v);
}

std::string error_of(std::string_view text, jc::json::ParseLimits limits = {}) {
    auto v = jc::json::parse_strict(text, limits);
    REQUIRE_FALSE(v.ok());
    return v.error().message();
}

}  // namespace

TEST_CASE("canonical form sorts keys, drops whitespace, escapes only quote and backslash",
          "[core][json]") {
    // RFC 8785 section 3.2.3's ordering rule on ASCII keys: "1" < "10" < "d".
    CHECK(canon(R"([56, {"d": true, "10": null, "1": [ ]}])") == R"([56,{"1":[],"10":null,"d":true}])");
    CHECK(canon(R"( { "b" : [1, 2, {"z":null,"a":true}], "a": "x\"y\\z\/" , "A":-5 } )") ==
          R"({"A":-5,"a":"x\"y\\z/","b":[1,2,{"a":true,"z":null}]})");
    CHECK(canon(R"("\u0041\u007e")") == R"("A~")");
    CHECK(canon("9007199254740991") == "9007199254740991");
    CHECK(canon("-9007199254740991") == "-9007199254740991");
    CHECK(canon("{}") == "{}");
    // Canonicalisation is idempotent.
    const std::string once = canon(R"({"k":[{"y":1,"x":[true,false,null]}],"e":""})");
    CHECK(canon(once) == once);
}

TEST_CASE("values outside the subset are refused with the reason", "[core][json]") {
    CHECK_THAT(error_of("1.5"), Catch::Contains("only integers"));
    CHECK_THAT(error_of("1e3"), Catch::Contains("only integers"));
    CHECK_THAT(error_of("-0"), Catch::Contains("-0"));
    CHECK_THAT(error_of("9007199254740992"), Catch::Contains("2^53"));
    CHECK_THAT(error_of("123456789012345678901234567890"), Catch::Contains("2^53"));
    CHECK_THAT(error_of("01"), Catch::Contains("leading zero"));
    CHECK_THAT(error_of(R"({"a":1,"a":2})"), Catch::Contains("duplicate key \"a\""));
    CHECK_THAT(error_of("\"caf\xc3\xa9\""), Catch::Contains("non-ASCII"));
    CHECK_THAT(error_of(R"("\u00e9")"), Catch::Contains("non-ASCII"));
    CHECK_THAT(error_of("\"a\tb\""), Catch::Contains("control character"));
    CHECK_THAT(error_of(R"("a\nb")"), Catch::Contains("control character"));
    CHECK_THAT(error_of(R"("\u0001")"), Catch::Contains("control character"));
    CHECK_THAT(error_of(R"("\x")"), Catch::Contains("invalid escape"));
    CHECK_THAT(error_of("[1,2"), Catch::Contains("unterminated array"));
    CHECK_THAT(error_of("[1,]"), Catch::Contains("unexpected character"));
    CHECK_THAT(error_of("{\"a\" 1}"), Catch::Contains("expected ':'"));
    CHECK_THAT(error_of("{1:2}"), Catch::Contains("string key"));
    CHECK_THAT(error_of("tru"), Catch::Contains("invalid literal"));
    CHECK_THAT(error_of("1 2"), Catch::Contains("after the JSON value"));
    CHECK_THAT(error_of(""), Catch::Contains("end of input"));
    CHECK_THAT(error_of("\"abc"), Catch::Contains("unterminated string"));
    CHECK_THAT(error_of("[1, 2.0]"), Catch::Contains("offset 4"));
}

TEST_CASE("limits on depth, length and size are enforced", "[core][json]") {
    jc::json::ParseLimits limits;
    limits.depth_max = 3;
    CHECK(jc::json::parse_strict("[[[1]]]", limits).ok());
    CHECK_THAT(error_of("[[[[1]]]]", limits), Catch::Contains("nesting deeper than 3"));
    limits = {};
    limits.document_bytes_max = 4;
    CHECK_THAT(error_of("[1,2,3]", limits), Catch::Contains("exceeds limit"));
    limits = {};
    limits.string_bytes_max = 3;
    CHECK_THAT(error_of(R"("abcd")", limits), Catch::Contains("string longer"));
    limits = {};
    limits.container_elements_max = 2;
    CHECK_THAT(error_of("[1,2,3]", limits), Catch::Contains("more than 2"));
    // Deep nesting far past the limit must not overflow the stack.
    const std::string deep(100000, '[');
    CHECK_FALSE(jc::json::parse_strict(deep).ok());
}

TEST_CASE("check_subset refuses values built in code that lie outside the subset",
          "[core][json]") {
    CHECK(jc::json::check_subset(jc::json::Value{{"a", 1}}).ok());
    CHECK_FALSE(jc::json::check_subset(jc::json::Value(1.5)).ok());
    CHECK_FALSE(jc::json::check_subset(jc::json::Value(std::int64_t{1} << 60)).ok());
    CHECK_FALSE(jc::json::check_subset(jc::json::Value("\x01")).ok());
    CHECK_FALSE(jc::json::check_subset(jc::json::Value{{"\xff", 1}}).ok());
}
