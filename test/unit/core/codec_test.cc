// Goal: the binary codec round-trips, has one encoding per value, and its strict decoder refuses
// truncation, non-minimal varints, overflow, lengths over the limit, bad bools and trailing
// bytes.
#include <jc/core/codec.h>

#include <catch2/catch.hpp>

#include <limits>

using jc::codec::Reader;
using jc::codec::Writer;

TEST_CASE("codec round-trips fixed ints, varints, bytes and strings", "[core][codec]") {
    const std::uint64_t varints[] = {0, 1, 127, 128, 300, 16383, 16384,
                                     (1ull << 32) - 1, 1ull << 56,
                                     std::numeric_limits<std::uint64_t>::max()};
    Writer w;
    w.u8(7).boolean(true).u16(0xbeef).u32(0xdeadbeef).u64(0x0123456789abcdefull).i64(-5);
    for (auto v : varints) {
        w.varint(v);
    }
    w.str("hello").bytes(jc::Bytes{1, 2, 3}).hash(jc::Hash{});
    Reader r(w.data());
    CHECK(*r.u8() == 7);
    CHECK(*r.boolean() == true);
    CHECK(*r.u16() == 0xbeef);
    CHECK(*r.u32() == 0xdeadbeef);
    CHECK(*r.u64() == 0x0123456789abcdefull);
    CHECK(*r.i64() == -5);
    for (auto v : varints) {
        auto got = r.varint();
        REQUIRE(got.ok());
        CHECK(*got == v);
        CHECK(jc::codec::varint_size(v) >= 1);
    }
    CHECK(*r.str(10) == "hello");
    auto b = r.bytes(3);
    REQUIRE(b.ok());
    CHECK(jc::Bytes(b->begin(), b->end()) == jc::Bytes{1, 2, 3});
    CHECK(r.hash()->is_zero());
    CHECK(r.finish().ok());
}

TEST_CASE("fixed-width integers are little-endian", "[core][codec]") {
    Writer w;
    w.u32(0x01020304);
    CHECK(w.data() == jc::Bytes{4, 3, 2, 1});
    Writer v;
    v.varint(300);
    CHECK(v.data() == jc::Bytes{0xac, 0x02});
}

TEST_CASE("strict decoding rejects malformed input", "[core][codec]") {
    SECTION("truncated") {
        jc::Bytes in{1, 2, 3};
        Reader r(in);
        auto v = r.u32();
        REQUIRE_FALSE(v.ok());
        CHECK_THAT(v.error().message(), Catch::Contains("truncated"));
    }
    SECTION("non-minimal varint") {
        jc::Bytes in{0x80, 0x00};
        Reader r(in);
        auto v = r.varint();
        REQUIRE_FALSE(v.ok());
        CHECK_THAT(v.error().message(), Catch::Contains("non-minimal"));
    }
    SECTION("varint overflowing 64 bits") {
        jc::Bytes in{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
        Reader r(in);
        CHECK_FALSE(r.varint().ok());
    }
    SECTION("varint longer than 10 bytes") {
        jc::Bytes in(11, 0x80);
        Reader r(in);
        CHECK_FALSE(r.varint().ok());
    }
    SECTION("length over the caller's limit, without allocating") {
        Writer w;
        w.varint(1ull << 40);
        Reader r(w.data());
        auto v = r.bytes(1024);
        REQUIRE_FALSE(v.ok());
        CHECK(v.error().code() == jc::Errc::kLimit);
    }
    SECTION("length larger than the input") {
        Writer w;
        w.varint(10).u8(1);
        Reader r(w.data());
        CHECK_FALSE(r.bytes(100).ok());
    }
    SECTION("bool other than 0 or 1") {
        jc::Bytes in{2};
        Reader r(in);
        CHECK_FALSE(r.boolean().ok());
    }
    SECTION("trailing bytes") {
        jc::Bytes in{1, 2};
        Reader r(in);
        REQUIRE(r.u8().ok());
        auto s = r.finish();
        REQUIRE_FALSE(s.ok());
        CHECK_THAT(s.error().message(), Catch::Contains("1 trailing bytes"));
    }
}
