// An independent secp256k1 ECDSA implementation for cross-checks: OpenSSL's, which shares no
// code with libsecp256k1. Tests use it to verify our signatures and to produce signatures that
// our code must accept.
#pragma once

#include <jc/core/bytes.h>

#include <array>
#include <optional>

namespace jc::test {

// Verifies a 64-byte r||s signature over a 32-byte digest with a 33-byte compressed key.
bool openssl_verify(const std::array<std::uint8_t, 33>& public_key, const Hash& digest,
                    ByteView r_s);

// Signs a digest with OpenSSL (random nonce) and returns r||s with s normalised to low-S.
std::optional<std::array<std::uint8_t, 64>> openssl_sign_low_s(
    const std::array<std::uint8_t, 32>& secret_key, const Hash& digest);

}  // namespace jc::test
