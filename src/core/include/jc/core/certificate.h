// Quorum certificates: the validator signatures that make a block final (commit certificate)
// or make execution results agreed (checkpoint certificate), and exactly what those signatures
// sign.
//
// This is the one piece of consensus that the ledger, the node, block sync and offline
// verifiers all need, so it lives in core (the shared kernel) rather than in consensus/ (which
// ledger may not link) or ledger/ (which consensus may not link). See
// docs/decisions/0006-certificates-in-core.md.
//
// A vote signature is secp256k1 (jc/core/secp256k1.h) over
//
//   vote_hash = SHA-256( codec: str("jointclear/vote/v1") str(chain_id) u8(kind)
//                               u64(view) u64(height) hash(digest) )
//
// where `kind` is the VoteKind below, `digest` is the block header hash (Prepare/Commit) or the
// results digest (Checkpoint). Binding chain_id and kind stops a signature being replayed on
// another chain or as another phase.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/codec.h>
#include <jc/core/secp256k1.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace jc {

// Stable numbers: they are signed over. Never renumber.
enum class VoteKind : std::uint8_t {
    kPrePrepare = 1,
    kPrepare = 2,
    kCommit = 3,
    kViewChange = 4,
    kNewView = 5,
    kCheckpoint = 6,
};

Hash vote_hash(std::string_view chain_id, VoteKind kind, std::uint64_t view, std::uint64_t height,
               const Hash& digest);

struct ValidatorKey {
    std::uint32_t index = 0;
    crypto::PublicKey key;
    std::uint64_t weight = 1;
};

// f = floor((W - 1) / 3) and quorum Q = W - f for total weight W (PBFT.md). REQUIRES: W >= 1.
std::uint64_t fault_weight_max(std::uint64_t total_weight);
std::uint64_t quorum_weight(std::uint64_t total_weight);

struct VoteSignature {
    std::uint32_t validator = 0;
    crypto::Signature sig;
    friend bool operator==(const VoteSignature&, const VoteSignature&) = default;
};

// `kind` votes by validators for (view, height, digest). Signatures are kept sorted by validator
// index with no duplicates, so a certificate has one canonical encoding.
struct Certificate {
    static constexpr std::size_t kSignaturesMax = 1024;

    VoteKind kind = VoteKind::kCommit;
    std::uint64_t view = 0;
    std::uint64_t height = 0;
    Hash digest;
    std::vector<VoteSignature> signatures;

    void encode(codec::Writer& w) const;
    [[nodiscard]] Bytes encode() const;
    // Strict: known kind, sorted unique validator indexes, at most kSignaturesMax, no trailing
    // bytes (when decoding a whole buffer).
    static Result<Certificate> decode(codec::Reader& r);
    static Result<Certificate> decode(ByteView bytes);

    friend bool operator==(const Certificate&, const Certificate&) = default;
};

// Checks every signature against the validator set and that the signers' weight reaches the
// quorum. Unknown validators, bad signatures and duplicates are errors that say which validator.
Status verify_certificate(const Certificate& cert, std::string_view chain_id,
                          const std::vector<ValidatorKey>& validators);

}  // namespace jc
