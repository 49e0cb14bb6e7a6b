// Goal: signatures are RFC 6979 deterministic, low-S and recoverable; they verify with an
// independent implementation (OpenSSL), and OpenSSL's signatures verify with ours. Malformed
// keys and signatures are refused, and so are high-S and flipped-recovery-id variants.
#include <jc/core/secp256k1.h>
#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "openssl_secp256k1.h"

using namespace jc;
using namespace jc::crypto;

namespace {
SecretKey key_from_int(int k) {
    std::string hex(64, '0');
    const std::string tail = to_hex(Bytes{static_cast<std::uint8_t>(k)});
    hex.replace(62, 2, tail);
    return SecretKey::from_hex(hex).value();
}
}  // namespace

TEST_CASE("known public key and RFC 6979 signature for secret key 1", "[core][secp256k1]") {
    const SecretKey one = key_from_int(1);
    // The generator point G, compressed.
    CHECK(one.public_key().hex() ==
          "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    // Known-answer vector (d = 1, SHA-256("Satoshi Nakamoto")), as published with the
    // deterministic-signature test vectors of several independent secp256k1 libraries.
    const Signature sig = one.sign(sha256(std::string_view("Satoshi Nakamoto")));
    CHECK(sig.hex().substr(0, 128) ==
          "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
          "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5");
    // Deterministic.
    CHECK(one.sign(sha256(std::string_view("Satoshi Nakamoto"))) == sig);
}

TEST_CASE("sign, verify and recover round-trip; OpenSSL agrees both ways", "[core][secp256k1]") {
    for (int i = 0; i < 20; ++i) {
        const SecretKey key = SecretKey::generate().value();
        const PublicKey pub = key.public_key();
        const Hash msg = sha256(std::string_view("message " + std::to_string(i)));
        const Signature sig = key.sign(msg);
        CHECK(verify(pub, msg, sig));
        CHECK(recover(msg, sig).value() == pub);
        CHECK(test::openssl_verify(pub.bytes, msg, ByteView(sig.bytes.data(), 64)));

        // OpenSSL signs (random nonce); with the right recovery id ours accepts it.
        std::array<std::uint8_t, 32> secret{};
        REQUIRE(from_hex_fixed(key.hex(), secret).ok());
        auto rs = test::openssl_sign_low_s(secret, msg);
        REQUIRE(rs.has_value());
        int accepted = 0;
        for (std::uint8_t recid = 0; recid < 2; ++recid) {
            Signature theirs;
            std::copy(rs->begin(), rs->end(), theirs.bytes.begin());
            theirs.bytes[64] = recid;
            accepted += verify(pub, msg, theirs) ? 1 : 0;
        }
        CHECK(accepted == 1);
    }
}

TEST_CASE("verification refuses wrong keys, messages and malleated signatures",
          "[core][secp256k1]") {
    const SecretKey key = SecretKey::generate().value();
    const PublicKey pub = key.public_key();
    const Hash msg = sha256(std::string_view("pay 100 fen"));
    const Signature sig = key.sign(msg);

    CHECK_FALSE(verify(SecretKey::generate().value().public_key(), msg, sig));
    CHECK_FALSE(verify(pub, sha256(std::string_view("pay 101 fen")), sig));

    Signature flipped = sig;
    flipped.bytes[64] ^= 1;
    CHECK_FALSE(verify(pub, msg, flipped));

    Signature bad_recid = sig;
    bad_recid.bytes[64] = 2;
    CHECK_THAT(verify_status(pub, msg, bad_recid).error().message(), Catch::Contains("recovery id"));

    // High-S twin: s' = n - s is valid ECDSA but refused (one encoding per signature).
    const std::array<std::uint8_t, 32> n = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
        0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
    Signature high = sig;
    int borrow = 0;
    for (int i = 31; i >= 0; --i) {
        int d = n[static_cast<std::size_t>(i)] - sig.bytes[static_cast<std::size_t>(32 + i)] - borrow;
        borrow = d < 0 ? 1 : 0;
        high.bytes[static_cast<std::size_t>(32 + i)] = static_cast<std::uint8_t>(d + 256 * borrow);
    }
    high.bytes[64] ^= 1;
    CHECK_THAT(verify_status(pub, msg, high).error().message(), Catch::Contains("low-S"));

    Signature zero;
    CHECK_FALSE(verify(pub, msg, zero));
    Signature overflow;
    overflow.bytes.fill(0xff);
    overflow.bytes[64] = 0;
    CHECK_THAT(verify_status(pub, msg, overflow).error().message(), Catch::Contains("out of range"));
}

TEST_CASE("key parsing is strict", "[core][secp256k1]") {
    CHECK_FALSE(SecretKey::from_hex(std::string(64, '0')).ok());  // zero scalar
    CHECK_FALSE(SecretKey::from_hex(std::string(64, 'f')).ok());  // >= n
    CHECK_FALSE(SecretKey::from_hex("01").ok());
    CHECK_FALSE(PublicKey::from_hex("04" + std::string(64, '1')).ok());
    CHECK_FALSE(PublicKey::from_hex("02" + std::string(64, '0')).ok());  // not on the curve
    CHECK_FALSE(PublicKey::from_hex("0279BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798").ok());
    CHECK(PublicKey::from_hex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798").ok());
    CHECK_FALSE(Signature::from_hex(std::string(128, '0')).ok());
}

// Valid points are remembered so that the same signer key is not decompressed again for every
// envelope. The memory must never change an answer: an invalid point stays invalid however
// often it is tried between valid ones, and a valid key stays valid after the bounded memory
// has started over (more distinct keys than it holds).
TEST_CASE("remembering valid points never changes what parses", "[core][secp256k1]") {
    const std::string off_curve = "02" + std::string(64, '0');
    const std::string generator = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
    for (int i = 0; i < 3; ++i) {
        CHECK(PublicKey::from_hex(generator).ok());
        CHECK_FALSE(PublicKey::from_hex(off_curve).ok());
    }
    std::vector<PublicKey> keys;
    for (int i = 0; i < 5000; ++i) {
        keys.push_back(SecretKey::generate().value().public_key());
    }
    for (const PublicKey& k : keys) {
        REQUIRE(PublicKey::from_bytes(k.bytes).ok());
    }
    for (const PublicKey& k : keys) {
        auto again = PublicKey::from_bytes(k.bytes);
        REQUIRE(again.ok());
        REQUIRE(again.value() == k);
    }
    CHECK_FALSE(PublicKey::from_hex(off_curve).ok());
    CHECK(PublicKey::from_hex(generator).ok());
}
