// secp256k1 keys, RFC 6979 recoverable ECDSA signatures with low-S, verification and recovery,
// through libsecp256k1 (PERFORMANCE.md: ~8x faster than OpenSSL's implementation).
//
// Wire forms (API.md):
//   public key  33 bytes, SEC1 compressed;
//   signature   65 bytes, r (32, big-endian) || s (32, big-endian, low-S) || recovery id (0/1).
// Signatures are over a 32-byte message hash; hashing is the caller's job.
//
// Thread-safety: all functions are safe to call concurrently (they share one read-only,
// randomised verification/signing context created on first use).
#pragma once

#include <jc/core/bytes.h>

#include <array>
#include <string>

namespace jc::crypto {

struct PublicKey {
    static constexpr std::size_t kSize = 33;
    std::array<std::uint8_t, kSize> bytes{};

    [[nodiscard]] std::string hex() const { return to_hex(bytes); }
    // Strict: 66 lowercase hex digits of a valid compressed point.
    static Result<PublicKey> from_hex(std::string_view hex);
    static Result<PublicKey> from_bytes(ByteView bytes);

    friend auto operator<=>(const PublicKey&, const PublicKey&) = default;
};

struct Signature {
    static constexpr std::size_t kSize = 65;
    std::array<std::uint8_t, kSize> bytes{};

    [[nodiscard]] std::string hex() const { return to_hex(bytes); }
    // Strict form only: 130 lowercase hex digits; r and s are range-checked at verification.
    static Result<Signature> from_hex(std::string_view hex);

    friend bool operator==(const Signature&, const Signature&) = default;
};

// A secret key. Its bytes are wiped on destruction and never printed by this class.
class SecretKey {
public:
    static constexpr std::size_t kSize = 32;

    // A fresh key from the operating system's randomness (getrandom).
    static Result<SecretKey> generate();
    // Strict: 64 lowercase hex digits encoding a valid scalar (0 < k < n).
    static Result<SecretKey> from_hex(std::string_view hex);
    static Result<SecretKey> from_bytes(ByteView bytes);

    SecretKey(const SecretKey&) = default;
    SecretKey& operator=(const SecretKey&) = default;
    ~SecretKey();

    [[nodiscard]] PublicKey public_key() const;
    // Deterministic (RFC 6979), low-S, recoverable.
    [[nodiscard]] Signature sign(const Hash& message_hash) const;
    [[nodiscard]] std::string hex() const { return to_hex(bytes_); }

private:
    SecretKey() = default;
    std::array<std::uint8_t, kSize> bytes_{};
};

// True when `sig` is a valid low-S signature of `message_hash` by `key`. A high-S signature,
// an invalid recovery id or an out-of-range r/s is rejected.
[[nodiscard]] bool verify(const PublicKey& key, const Hash& message_hash, const Signature& sig);

// Same as verify() but says why it failed.
Status verify_status(const PublicKey& key, const Hash& message_hash, const Signature& sig);

// The public key that produced `sig` over `message_hash`.
Result<PublicKey> recover(const Hash& message_hash, const Signature& sig);

// Fills `out` from the operating system's CSPRNG.
Status random_bytes(std::span<std::uint8_t> out);

}  // namespace jc::crypto
