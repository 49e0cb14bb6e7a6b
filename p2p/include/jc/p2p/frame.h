// Framing of the node-to-node stream.
//
//   frame = u32 little-endian payload length | u8 channel | payload
//
// The length counts the payload only. A frame whose length exceeds the configured maximum, or
// whose channel is unknown, is a protocol violation: the connection is closed and the reason
// counted. The header is checked before any payload memory is allocated.
//
// Thread-safety: plain functions and values.
#pragma once

#include <jc/core/bytes.h>

#include <array>
#include <cstdint>
#include <memory>

namespace jc::p2p {

// Stable numbers (they are on the wire).
enum class Channel : std::uint8_t {
    kKeepalive = 0,    // empty payload; proves liveness in both directions
    kConsensus = 1,    // PBFT messages (binary, consensus codec)
    kTxGossip = 2,     // a batch of admitted transactions
    kSyncRequest = 3,  // block-sync range request
    kSyncResponse = 4, // block-sync range response
};
inline constexpr std::uint8_t kChannelMax = 4;

inline constexpr std::size_t kFrameHeaderSize = 5;

struct FrameHeader {
    std::uint32_t payload_bytes = 0;
    Channel channel = Channel::kKeepalive;
};

// Encodes a whole frame (header + payload) ready to write.
std::shared_ptr<const Bytes> encode_frame(Channel channel, ByteView payload);

// Checks a received header against the limit and the known channels.
Result<FrameHeader> decode_frame_header(const std::array<std::uint8_t, kFrameHeaderSize>& header,
                                        std::size_t payload_bytes_max);

}  // namespace jc::p2p
