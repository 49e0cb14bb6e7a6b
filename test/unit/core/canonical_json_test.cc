// Goal: the strict parser accepts exactly the protocol's JSON subset, reports precisely why it
// refuses anything else, and canonicalize() produces RFC 8785 output for the subset. The one-pass
// is_canonical() (ADR 0130) is checked against parse_strict + canonicalize: by hand on each rule,
// then differentially on seeded random values and on every one-byte mutation of their text.
#include <jc/core/canonical_json.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
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

namespace {

// The reference verdict: the text parses strictly and is its own canonical form.
bool canonical_by_parse(std::string_view text, const jc::json::ParseLimits& limits = {}) {
    auto v = jc::json::parse_strict(text, limits);
    return v.ok() && jc::json::canonicalize(*v) == text;
}

jc::json::Value random_value(std::mt19937_64& rng, int depth) {
    const auto pick = [&](std::uint64_t n) { return rng() % n; };
    static constexpr std::string_view kChars = "ab\"\\ /~0A";  // quote and backslash get escaped
    const auto random_string = [&] {
        std::string s;
        for (auto n = pick(4); n > 0; --n) {
            s.push_back(kChars[pick(kChars.size())]);
        }
        return s;
    };
    switch (depth >= 4 ? pick(5) : pick(7)) {
        case 0:
            return nullptr;
        case 1:
            return pick(2) == 0;
        case 2: {
            static constexpr std::int64_t kEdges[] = {0, 1, -1, 9, 10, -10, jc::json::kIntegerMax, -jc::json::kIntegerMax};
            return pick(2) == 0 ? kEdges[pick(8)] : static_cast<std::int64_t>(pick(2'000'001)) - 1'000'000;
        }
        case 3:
        case 4:
            return random_string();
        case 5: {
            auto a = jc::json::Value::array();
            for (auto n = pick(4); n > 0; --n) {
                a.push_back(random_value(rng, depth + 1));
            }
            return a;
        }
        default: {
            auto o = jc::json::Value::object();
            for (auto n = pick(4); n > 0; --n) {
                o[random_string()] = random_value(rng, depth + 1);
            }
            return o;
        }
    }
}

}  // namespace

TEST_CASE("is_canonical accepts canonical text and refuses every departure from it", "[core][json]") {
    using jc::json::is_canonical;
    for (std::string_view yes : {R"({"1":[],"10":null,"d":true})", R"({"A":-5,"a":"x\"y\\z/","b":[1,2]})", "0", "-1",
                                 "9007199254740991", "-9007199254740991", "{}", "[]", R"("")", "true", "false", "null",
                                 R"({"a":{"b":[{}]}})", R"({"\"":1,"\\":2,"a":3})"}) {
        INFO(yes);
        CHECK(canonical_by_parse(yes));
        CHECK(is_canonical(yes));
    }
    for (std::string_view no : {"", " 0", "0 ", "[1, 2]", R"({"b":1,"a":2})", R"({"a":1,"a":1})", "-0", "01", "+1",
                                "1.0", "1e3", "9007199254740992", "-9007199254740992", "12345678901234567",
                                R"("\/")", R"("\u0041")", R"("\n")", "\"\x7f\"", "\"\xc3\xa9\"", "\"\x01\"",
                                R"("a)", "[1,]", "{,}", R"({"a"})", R"({"a":})", "tru", "nul", "[", "]", "[]]",
                                R"({"a":1}{)", R"({"\\":1,"\"":2})"}) {
        INFO(no);
        CHECK_FALSE(canonical_by_parse(no));
        CHECK_FALSE(is_canonical(no));
    }
    // Limits: refused when parse_strict would refuse.
    jc::json::ParseLimits limits;
    limits.depth_max = 2;
    CHECK(is_canonical("[[1]]", limits));
    CHECK_FALSE(is_canonical("[[[1]]]", limits));
    CHECK_FALSE(canonical_by_parse("[[[1]]]", limits));
    limits = {};
    limits.document_bytes_max = 4;
    CHECK_FALSE(is_canonical("12345", limits));
    limits = {};
    limits.string_bytes_max = 3;
    CHECK(is_canonical(R"("abc")", limits));
    CHECK_FALSE(is_canonical(R"("abcd")", limits));
    limits = {};
    limits.container_elements_max = 2;
    CHECK(is_canonical("[1,2]", limits));
    CHECK_FALSE(is_canonical("[1,2,3]", limits));
    CHECK_FALSE(is_canonical(R"({"a":1,"b":2,"c":3})", limits));
}

TEST_CASE("is_canonical agrees with parse_strict + canonicalize on random values and their mutations",
          "[core][json]") {
    std::mt19937_64 rng(0x4a43'0130);
    static constexpr std::string_view kBytes = "{}[],:\"\\-0123456789aenrtulfs \x7f\x80";
    std::size_t mutants = 0;
    for (int i = 0; i < 300; ++i) {
        const std::string text = jc::json::canonicalize(random_value(rng, 0));
        INFO(text);
        REQUIRE(canonical_by_parse(text));
        REQUIRE(jc::json::is_canonical(text));
        // Every single-byte replacement, deletion and insertion at every position: whatever the
        // scanner accepts must be canonical by the reference.
        for (std::size_t at = 0; at <= text.size(); ++at) {
            for (char b : kBytes) {
                for (int op = 0; op < 3; ++op) {
                    std::string m = text;
                    if (op == 0 && at < m.size()) {
                        m[at] = b;
                    } else if (op == 1 && at < m.size()) {
                        m.erase(at, 1);
                    } else if (op == 2) {
                        m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), b);
                    } else {
                        continue;
                    }
                    ++mutants;
                    if (jc::json::is_canonical(m) != canonical_by_parse(m)) {
                        FAIL_CHECK("disagree on " << m);
                    }
                }
            }
        }
    }
    CHECK(mutants > 100'000);
}
