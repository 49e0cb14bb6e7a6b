// Private: how large a p2p frame the consensus protocol can need, and the check of the node's
// p2p limits against it (issue 8 item 3, ADR 0071).
//
// View changes carry every prepared proposal in full, and a new view carries the view changes:
// with big blocks and a deep window the largest consensus message is far larger than a block.
// A frame limit below it would make a view change undeliverable exactly when it is needed, so a
// node refuses to start with such a config rather than stall in the first view change.
//
// Thread-safety: pure functions.
#pragma once

#include <jc/consensus/types.h>
#include <jc/core/error.h>
#include <jc/node/config.h>

#include <cstddef>

namespace jc::node {

// The largest encoded consensus message that decodes under `limits` (a new view with the most
// view changes, each with the most prepared entries of the largest proposal, every certificate
// full). Exact for such a message: docs/spec/consensus.md §2's encoding.
std::size_t consensus_message_bytes_max(const consensus::CodecLimits& limits);

// Resolves p2p.frame_bytes_max and p2p.send_queue_bytes_max (in p2p.limits) against
// `message_bytes_max`: an unset (0) frame limit becomes max(16 MiB, the bound), an unset send
// queue max(64 MiB, 2 × the frame limit); a set value below what the bound needs is an error
// naming the key, the bound and what it is made of (`what`). The node hands p2p.limits to its
// transport as they are then.
Status resolve_frame_limits(P2pConfig& p2p, std::size_t message_bytes_max, const std::string& what);

}  // namespace jc::node
