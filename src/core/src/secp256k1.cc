#include <jc/core/secp256k1.h>

#include <jc/core/assert.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>

namespace jc::crypto {
namespace {

// One context for the process, randomised once against side channels, then only read.
const secp256k1_context* context() {
    static const secp256k1_context* ctx = [] {
        secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        JC_ASSERT(c != nullptr, "core.secp256k1.context_create");
        std::array<std::uint8_t, 32> seed{};
        JC_ASSERT(random_bytes(seed).ok(), "core.secp256k1.context_seed");
        JC_ASSERT(secp256k1_context_randomize(c, seed.data()) == 1,
                  "core.secp256k1.context_randomize");
        return c;
    }();
    return ctx;
}

Status parse_pubkey(const PublicKey& key, secp256k1_pubkey& out) {
    if (secp256k1_ec_pubkey_parse(context(), &out, key.bytes.data(), key.bytes.size()) != 1) {
        return Error(Errc::kCrypto, "public key is not a valid compressed secp256k1 point");
    }
    return {};
}

// Compressed points already proven valid. Checking a point decompresses it (a square root mod p,
// several microseconds), and every envelope names its signer again: a node parsed the same
// few member keys once per transaction at admission and again in every block it decoded, ~6 %
// of a validator's CPU. Only valid points enter, so a hit answers exactly what parsing would.
// Bounded: when full it starts over (the working set is the consortium's keys).
class ValidPointCache {
public:
    bool contains(const PublicKey& key) {
        const std::lock_guard lock(mutex_);
        return points_.contains(key.bytes);
    }
    void insert(const PublicKey& key) {
        const std::lock_guard lock(mutex_);
        if (points_.size() >= kEntriesMax) {
            points_.clear();
        }
        points_.insert(key.bytes);
    }

private:
    static constexpr std::size_t kEntriesMax = 4096;
    std::mutex mutex_;
    std::set<std::array<std::uint8_t, PublicKey::kSize>> points_;
};

ValidPointCache& valid_points() {
    static ValidPointCache cache;
    return cache;
}

}  // namespace

Status random_bytes(std::span<std::uint8_t> out) {
    std::size_t filled = 0;
    while (filled < out.size()) {
        const ssize_t n = getrandom(out.data() + filled, out.size() - filled, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return Error(Errc::kIo, std::string("getrandom failed: ") + std::strerror(errno));
        }
        filled += static_cast<std::size_t>(n);
    }
    return {};
}

Result<PublicKey> PublicKey::from_bytes(ByteView bytes) {
    if (bytes.size() != kSize) {
        return Error(Errc::kCrypto, "public key must be 33 bytes, got " + std::to_string(bytes.size()));
    }
    if (bytes[0] != 0x02 && bytes[0] != 0x03) {
        return Error(Errc::kCrypto, "public key must be compressed (prefix 02 or 03)");
    }
    PublicKey key;
    std::copy(bytes.begin(), bytes.end(), key.bytes.begin());
    if (valid_points().contains(key)) {
        return key;
    }
    secp256k1_pubkey parsed;
    JC_TRY_STATUS(parse_pubkey(key, parsed));
    valid_points().insert(key);
    return key;
}

Result<PublicKey> PublicKey::from_hex(std::string_view hex) {
    std::array<std::uint8_t, kSize> raw{};
    if (auto s = from_hex_fixed(hex, raw); !s) {
        return s.error().with_context("public key");
    }
    return from_bytes(raw);
}

Result<Signature> Signature::from_hex(std::string_view hex) {
    Signature sig;
    if (auto s = from_hex_fixed(hex, sig.bytes); !s) {
        return s.error().with_context("signature");
    }
    return sig;
}

SecretKey::~SecretKey() {
    // Volatile writes so the compiler cannot drop the wipe of a dying object.
    volatile std::uint8_t* p = bytes_.data();
    for (std::size_t i = 0; i < kSize; ++i) {
        p[i] = 0;
    }
}

Result<SecretKey> SecretKey::generate() {
    SecretKey key;
    // A uniformly random 32-byte string is invalid with probability ~2^-128; retry anyway.
    for (int attempt = 0; attempt < 8; ++attempt) {
        JC_TRY_STATUS(random_bytes(key.bytes_));
        if (secp256k1_ec_seckey_verify(context(), key.bytes_.data()) == 1) {
            return key;
        }
    }
    return Error(Errc::kCrypto, "could not generate a valid secret key");
}

Result<SecretKey> SecretKey::from_bytes(ByteView bytes) {
    if (bytes.size() != kSize) {
        return Error(Errc::kCrypto, "secret key must be 32 bytes");
    }
    SecretKey key;
    std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
    if (secp256k1_ec_seckey_verify(context(), key.bytes_.data()) != 1) {
        return Error(Errc::kCrypto, "secret key is not a valid secp256k1 scalar");
    }
    return key;
}

Result<SecretKey> SecretKey::from_hex(std::string_view hex) {
    std::array<std::uint8_t, kSize> raw{};
    if (auto s = from_hex_fixed(hex, raw); !s) {
        return Error(Errc::kCrypto, "secret key: " + s.error().message());
    }
    auto key = from_bytes(raw);
    raw.fill(0);
    return key;
}

PublicKey SecretKey::public_key() const {
    secp256k1_pubkey pub;
    JC_ASSERT(secp256k1_ec_pubkey_create(context(), &pub, bytes_.data()) == 1,
              "core.secp256k1.pubkey_of_valid_secret");
    PublicKey out;
    std::size_t len = out.bytes.size();
    JC_ASSERT(secp256k1_ec_pubkey_serialize(context(), out.bytes.data(), &len, &pub,
                                            SECP256K1_EC_COMPRESSED) == 1 &&
                  len == PublicKey::kSize,
              "core.secp256k1.pubkey_serialize");
    return out;
}

Signature SecretKey::sign(const Hash& message_hash) const {
    secp256k1_ecdsa_recoverable_signature rsig;
    // nonce function null = RFC 6979; libsecp256k1 always produces low-S.
    JC_ASSERT(secp256k1_ecdsa_sign_recoverable(context(), &rsig, message_hash.bytes.data(),
                                               bytes_.data(), nullptr, nullptr) == 1,
              "core.secp256k1.sign");
    Signature sig;
    int recid = -1;
    JC_ASSERT(secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), sig.bytes.data(),
                                                                     &recid, &rsig) == 1,
              "core.secp256k1.serialize");
    JC_ASSERT(recid == 0 || recid == 1, "core.secp256k1.recid_0_or_1");
    sig.bytes[64] = static_cast<std::uint8_t>(recid);
    return sig;
}

Result<PublicKey> recover(const Hash& message_hash, const Signature& sig) {
    const std::uint8_t recid = sig.bytes[64];
    if (recid > 1) {
        return Error(Errc::kCrypto, "signature recovery id must be 0 or 1");
    }
    // Range-check r and s and refuse high-S before anything else: the signature form is strict,
    // so one signed message has exactly one valid signature encoding.
    secp256k1_ecdsa_signature plain;
    if (secp256k1_ecdsa_signature_parse_compact(context(), &plain, sig.bytes.data()) != 1) {
        return Error(Errc::kCrypto, "signature r or s is out of range");
    }
    secp256k1_ecdsa_signature normalized;
    if (secp256k1_ecdsa_signature_normalize(context(), &normalized, &plain) == 1) {
        return Error(Errc::kCrypto, "signature is not low-S");
    }
    secp256k1_ecdsa_recoverable_signature rsig;
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rsig, sig.bytes.data(),
                                                            recid) != 1) {
        return Error(Errc::kCrypto, "signature does not parse");
    }
    secp256k1_pubkey pub;
    if (secp256k1_ecdsa_recover(context(), &pub, &rsig, message_hash.bytes.data()) != 1) {
        return Error(Errc::kCrypto, "no public key recovers from this signature");
    }
    PublicKey out;
    std::size_t len = out.bytes.size();
    JC_ASSERT(secp256k1_ec_pubkey_serialize(context(), out.bytes.data(), &len, &pub,
                                            SECP256K1_EC_COMPRESSED) == 1,
              "core.secp256k1.recovered_serialize");
    return out;
}

Status verify_status(const PublicKey& key, const Hash& message_hash, const Signature& sig) {
    // Recovering and comparing costs one EC operation, like verify, and also pins the recovery
    // id: a signature with a flipped recovery id is refused, so signatures are not malleable.
    auto recovered = recover(message_hash, sig);
    if (!recovered) {
        return recovered.error();
    }
    if (*recovered != key) {
        return Error(Errc::kCrypto, "signature was not made by the stated key");
    }
    return {};
}

bool verify(const PublicKey& key, const Hash& message_hash, const Signature& sig) {
    return verify_status(key, message_hash, sig).ok();
}

}  // namespace jc::crypto
