#include "frame_limits.h"

#include <jc/core/codec.h>
#include <jc/core/secp256k1.h>

#include <algorithm>

namespace jc::node {

namespace {

constexpr std::size_t kSig = crypto::Signature::kSize;
constexpr std::size_t kHash = 32;

std::size_t certificate_bytes(std::uint64_t signatures) {
    // kind u8, view u64, height u64, digest, varint count, (validator u32, sig) each
    return 1 + 8 + 8 + kHash + codec::varint_size(signatures) + static_cast<std::size_t>(signatures) * (4 + kSig);
}

std::size_t proposal_bytes(std::size_t payload) {
    return 2 * kHash + codec::varint_size(payload) + payload;
}

}  // namespace

std::size_t consensus_message_bytes_max(const consensus::CodecLimits& l) {
    const std::size_t cert = certificate_bytes(l.certificate_signatures_max);
    const std::size_t claim = 8 + kHash + 1 + cert;
    const std::size_t entries = static_cast<std::size_t>(l.prepared_entries_max);
    const std::size_t view_change =
        8 + 4 + claim + codec::varint_size(entries) + entries * (proposal_bytes(l.proposal_bytes_max) + cert) + kSig;
    const std::size_t view_changes = static_cast<std::size_t>(l.view_changes_max);
    const std::size_t selected = static_cast<std::size_t>(l.selected_max);
    const std::size_t new_view = 1 + 1 + 8 + 4 + codec::varint_size(view_changes) + view_changes * view_change +
                                 codec::varint_size(selected) + selected * (8 + kHash) + kSig;
    const std::size_t pre_prepare = 1 + 1 + 8 + 8 + proposal_bytes(l.proposal_bytes_max) + 4 + kSig;
    return std::max({new_view, 1 + 1 + view_change, pre_prepare});
}

Status resolve_frame_limits(P2pConfig& p2p, std::size_t message_bytes_max, const std::string& what) {
    p2p::Limits& limits = p2p.limits;
    const std::uint64_t bound = message_bytes_max;
    if (limits.frame_bytes_max == 0) {
        limits.frame_bytes_max = std::max<std::uint64_t>(std::uint64_t{16} << 20, bound);
    } else if (limits.frame_bytes_max < bound) {
        return Error(Errc::kInvalidArgument,
                     "config p2p.frame_bytes_max: " + std::to_string(limits.frame_bytes_max) + " is below " +
                         std::to_string(bound) + ", the largest consensus message (a new view) " + what +
                         " can produce; set it to at least " + std::to_string(bound) +
                         ", leave it out to use that bound, or lower the block or window limits");
    }
    // Sending one such frame must not trip the slow-peer rule on an otherwise empty queue.
    if (limits.send_queue_bytes_max == 0) {
        limits.send_queue_bytes_max = std::max<std::uint64_t>(std::uint64_t{64} << 20, 2 * limits.frame_bytes_max);
    } else if (limits.send_queue_bytes_max < 2 * limits.frame_bytes_max) {
        return Error(Errc::kInvalidArgument,
                     "config p2p.send_queue_bytes_max: " + std::to_string(limits.send_queue_bytes_max) +
                         " is below twice p2p.frame_bytes_max (" + std::to_string(2 * limits.frame_bytes_max) +
                         "): a peer could not be sent two of the largest consensus messages");
    }
    return {};
}

}  // namespace jc::node
