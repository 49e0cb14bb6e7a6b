// The consensus wire messages and their strict binary codec (docs/spec/consensus.md §2).
//
// Each message names its signer and carries a secp256k1 signature over `signed_hash()`, which is
// core's vote_hash over (chain_id, kind, view, height, digest); for ViewChange and NewView the
// digest is the SHA-256 of the body without the signature. A message's signer is a claim until
// the replica verifies the signature.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <jc/consensus/types.h>
#include <jc/core/certificate.h>
#include <jc/core/secp256k1.h>

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace jc::consensus {

struct PrePrepare {
    std::uint64_t view = 0;
    std::uint64_t height = 0;
    Proposal proposal;
    ValidatorIndex signer = 0;
    crypto::Signature sig;
    friend bool operator==(const PrePrepare&, const PrePrepare&) = default;
};

// Prepare (kind kPrepare) or Commit (kind kCommit).
struct Vote {
    VoteKind kind = VoteKind::kPrepare;
    std::uint64_t view = 0;
    std::uint64_t height = 0;
    Hash digest;
    ValidatorIndex signer = 0;
    crypto::Signature sig;
    friend bool operator==(const Vote&, const Vote&) = default;
};

struct Checkpoint {
    std::uint64_t height = 0;
    Hash results_digest;
    ValidatorIndex signer = 0;
    crypto::Signature sig;
    friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// The highest height the sender knows committed; the certificate is absent only at height 0.
struct CommittedClaim {
    std::uint64_t height = 0;
    Hash digest;
    std::optional<Certificate> certificate;
    friend bool operator==(const CommittedClaim&, const CommittedClaim&) = default;
};

// A prepared certificate (kind kPrepare) with the proposal it prepared.
struct PreparedEntry {
    Proposal proposal;
    Certificate certificate;
    friend bool operator==(const PreparedEntry&, const PreparedEntry&) = default;
};

struct ViewChange {
    std::uint64_t new_view = 0;
    ValidatorIndex signer = 0;
    CommittedClaim committed;
    std::vector<PreparedEntry> prepared;  // heights strictly increasing
    crypto::Signature sig;

    // SHA-256 of the encoding without the signature.
    [[nodiscard]] Hash body_hash() const;
    friend bool operator==(const ViewChange&, const ViewChange&) = default;
};

struct NewViewEntry {
    std::uint64_t height = 0;
    Hash digest;
    friend bool operator==(const NewViewEntry&, const NewViewEntry&) = default;
};

struct NewView {
    std::uint64_t view = 0;
    ValidatorIndex signer = 0;
    std::vector<ViewChange> view_changes;  // signers strictly increasing
    std::vector<NewViewEntry> selected;    // heights consecutive from low + 1
    crypto::Signature sig;

    [[nodiscard]] Hash body_hash() const;
    friend bool operator==(const NewView&, const NewView&) = default;
};

using Message = std::variant<PrePrepare, Vote, Checkpoint, ViewChange, NewView>;

inline constexpr std::uint8_t kWireVersion = 1;

[[nodiscard]] Bytes encode(const Message& message);
// Strict: see the spec. Semantic checks (signatures, certificates, windows) are the replica's.
Result<Message> decode(ByteView bytes, const CodecLimits& limits);

// The hash the signer signs for this message.
[[nodiscard]] Hash signed_hash(std::string_view chain_id, const Message& message);
[[nodiscard]] ValidatorIndex signer_of(const Message& message);
[[nodiscard]] std::string_view message_name(const Message& message);
// View of a normal-case message (PrePrepare/Vote), new view of a ViewChange, view of a NewView,
// 0 for a Checkpoint.
[[nodiscard]] std::uint64_t view_of(const Message& message);

// Codec pieces shared with the record codec.
void encode_proposal(codec::Writer& w, const Proposal& p);
Result<Proposal> decode_proposal(codec::Reader& r, const CodecLimits& limits);
void encode_view_change(codec::Writer& w, const ViewChange& vc);
Result<ViewChange> decode_view_change(codec::Reader& r, const CodecLimits& limits);
// A certificate whose signature count is bounded by `limits` (core's decoder allows more).
Result<Certificate> decode_certificate(codec::Reader& r, const CodecLimits& limits);

}  // namespace jc::consensus
