// Goal: SHA-256 matches the published FIPS 180-4 / NIST example vectors, through both the
// one-shot function and the incremental object, including context reuse.
#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("sha256 matches NIST vectors", "[core][sha256]") {
    CHECK(jc::sha256(std::string_view("")).hex() ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(jc::sha256(std::string_view("abc")).hex() ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(jc::sha256(std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hex() ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::string million(1000000, 'a');
    CHECK(jc::sha256(std::string_view(million)).hex() ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("incremental sha256 equals one-shot and resets after finish", "[core][sha256]") {
    jc::Sha256 h;
    h.update(std::string_view("ab")).update(std::string_view("c"));
    CHECK(h.finish().hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(h.finish().hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const std::string a = "ab";
    const std::string b = "c";
    CHECK(jc::sha256_parts({jc::as_bytes(a), jc::as_bytes(b)}) == jc::sha256(std::string_view("abc")));
}
