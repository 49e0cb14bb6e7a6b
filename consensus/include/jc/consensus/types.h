// Basic consensus types: validator indexes, the opaque proposal, the replica's Config and the
// limits the message codec enforces.
//
// The payload is opaque to consensus: a proposal is a digest, the parent's digest and bytes.
// The node's ProposalValidator (signing.h) binds them (the digest is the block header hash,
// which commits to the parent, the height and the transactions).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/certificate.h>
#include <jc/core/error.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace jc::consensus {

using ValidatorIndex = std::uint32_t;

// Views above this are malformed: view + 1 can never overflow.
inline constexpr std::uint64_t kViewMax = std::uint64_t{1} << 62;
// Heights above this are malformed, for the same reason.
inline constexpr std::uint64_t kHeightMax = std::uint64_t{1} << 62;
inline constexpr std::size_t kValidatorsMax = 256;
inline constexpr std::uint64_t kWindowHeightsMax = 64;

struct Proposal {
    Hash digest;
    Hash parent_digest;
    Bytes payload;

    friend bool operator==(const Proposal&, const Proposal&) = default;
};

// Every limit the replica works within. Relationships are checked by validate_config().
struct Config {
    std::string chain_id;
    // Indexes must be 0..n-1 in order; weights >= 1.
    std::vector<ValidatorKey> validators;
    ValidatorIndex self = 0;
    // Digest of the block at height 0 (the parent of height 1).
    Hash genesis_digest;

    // Pipelining: heights in flight above the certified head.
    std::uint64_t window_heights = 8;
    // No vote above the stable checkpoint plus this (ADR 0010). >= window_heights.
    std::uint64_t results_lag_heights_max = 16;
    // Checkpoint votes kept above the executed height. >= results_lag_heights_max.
    std::uint64_t checkpoint_horizon_heights = 32;
    // Messages for heights up to certified + this are buffered rather than refused.
    std::uint64_t future_heights_max = 64;

    std::uint64_t view_change_timeout_ticks = 20;
    std::uint64_t view_change_timeout_ticks_max = 320;
    std::uint64_t retransmit_ticks = 4;
    std::uint64_t fetch_retry_ticks = 10;
    std::uint64_t fetch_heights_max = 64;
    std::uint64_t future_messages_per_peer_max = 32;
    std::size_t proposal_bytes_max = std::size_t{1} << 20;
};

Status validate_config(const Config& config);

// What the strict decoder accepts.
struct CodecLimits {
    std::size_t proposal_bytes_max = std::size_t{1} << 20;
    std::uint64_t prepared_entries_max = kWindowHeightsMax;
    std::uint64_t view_changes_max = kValidatorsMax;
    std::uint64_t selected_max = kWindowHeightsMax;
    std::uint64_t certificate_signatures_max = kValidatorsMax;
};

CodecLimits codec_limits(const Config& config);

}  // namespace jc::consensus
