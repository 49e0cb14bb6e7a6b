// Goal: hex is strict (lowercase, even length, valid digits, size limits) and round-trips.
#include <jc/core/bytes.h>

#include <catch2/catch.hpp>

TEST_CASE("hex round-trips every byte value", "[core][hex]") {
    jc::Bytes all(256);
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i] = static_cast<std::uint8_t>(i);
    }
    const std::string hex = jc::to_hex(all);
    CHECK(hex.size() == 512);
    auto back = jc::from_hex(hex);
    REQUIRE(back.ok());
    CHECK(*back == all);
    CHECK(jc::from_hex("").ok());
}

TEST_CASE("hex parsing rejects malformed input with a reason", "[core][hex]") {
    auto odd = jc::from_hex("abc");
    REQUIRE_FALSE(odd.ok());
    CHECK_THAT(odd.error().message(), Catch::Contains("odd length"));

    auto upper = jc::from_hex("ABCD");
    REQUIRE_FALSE(upper.ok());
    CHECK_THAT(upper.error().message(), Catch::Contains("offset 0"));

    auto bad = jc::from_hex("00zz");
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.error().message(), Catch::Contains("offset 2"));

    CHECK_FALSE(jc::from_hex("0x00").ok());
    CHECK_FALSE(jc::from_hex(" 0").ok());
    auto big = jc::from_hex("0011", 1);
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().code() == jc::Errc::kLimit);
}

TEST_CASE("Hash parses exactly 64 hex digits and orders bytewise", "[core][hex]") {
    auto h = jc::Hash::from_hex(std::string(64, '0'));
    REQUIRE(h.ok());
    CHECK(h->is_zero());
    CHECK_FALSE(jc::Hash::from_hex(std::string(62, '0')).ok());
    CHECK_FALSE(jc::Hash::from_hex(std::string(66, '0')).ok());
    auto one = jc::Hash::from_hex("01" + std::string(62, '0'));
    REQUIRE(one.ok());
    CHECK(*h < *one);
}
