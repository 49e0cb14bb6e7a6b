// Fuzz target: a byte stream from a peer, as the transport and the node read it, never crashes
// and never allocates beyond the limits.
//
// The stream is cut into frames exactly as p2p/transport.cc does (a 5-byte header checked by
// decode_frame_header against the frame limit before any payload is read, then the payload),
// and each payload goes to the decoder of its channel with the node's layouts (src/node
// node.cc, docs/spec/consensus.md "wire"): consensus → consensus::decode; tx gossip →
// varint count (≤ 4 × gossip_batch_txs_max) then that many strings, each through
// Transaction::parse; sync request → two varints (from, to); sync response → varint count
// (≤ 64) then (bytes block, bytes certificate) pairs through Block::decode and
// Certificate::decode. Accepted values are re-encoded and must give back the same bytes.
// Loops are bounded by the input size. Seeds: corpus/p2p_frame_fuzz.
#include <jc/consensus/messages.h>
#include <jc/core/assert.h>
#include <jc/core/certificate.h>
#include <jc/core/codec.h>
#include <jc/ledger/block.h>
#include <jc/ledger/transaction.h>
#include <jc/p2p/frame.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace {

using jc::ByteView;
using jc::Bytes;

constexpr std::size_t kFrameBytesMax = 1 << 20;  // smaller than the default: fuzz inputs are small
constexpr std::uint64_t kGossipTxsMax = 4 * 500;
constexpr std::uint64_t kSyncBlocksMax = 64;

void consensus_payload(ByteView payload) {
    if (auto m = jc::consensus::decode(payload, jc::consensus::CodecLimits{})) {
        const Bytes again = jc::consensus::encode(*m);
        JC_ASSERT(std::equal(again.begin(), again.end(), payload.begin(), payload.end()), "fuzz.p2p.consensus.canonical");
    }
}

void gossip_payload(ByteView payload) {
    jc::codec::Reader r(payload);
    auto count = r.varint_max(kGossipTxsMax, "gossip batch size");
    if (!count) {
        return;
    }
    for (std::uint64_t i = 0; i < *count; ++i) {
        auto text = r.str(jc::ledger::TxLimits{}.envelope_bytes_max);
        if (!text) {
            return;
        }
        if (auto tx = jc::ledger::Transaction::parse(*text)) {
            auto again = jc::ledger::Transaction::parse(tx->canonical_json());
            JC_ASSERT(again.ok() && again->hash() == tx->hash(), "fuzz.p2p.gossip.reparse");
        }
    }
}

void sync_request_payload(ByteView payload) {
    jc::codec::Reader r(payload);
    auto from = r.varint();
    auto to = from ? r.varint() : from;
    (void)to;
}

void sync_response_payload(ByteView payload) {
    jc::codec::Reader r(payload);
    auto count = r.varint_max(kSyncBlocksMax, "sync block count");
    if (!count) {
        return;
    }
    for (std::uint64_t i = 0; i < *count; ++i) {
        auto block_bytes = r.bytes(jc::ledger::kBlockBytesMax);
        auto cert_bytes = r.bytes(1 << 20);
        if (!block_bytes || !cert_bytes) {
            return;
        }
        if (auto block = jc::ledger::Block::decode(*block_bytes)) {
            JC_ASSERT(block->encode() == Bytes(block_bytes->begin(), block_bytes->end()), "fuzz.p2p.sync.block");
        }
        if (auto cert = jc::Certificate::decode(*cert_bytes)) {
            JC_ASSERT(cert->encode() == Bytes(cert_bytes->begin(), cert_bytes->end()), "fuzz.p2p.sync.certificate");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::size_t at = 0;
    while (size - at >= jc::p2p::kFrameHeaderSize) {
        std::array<std::uint8_t, jc::p2p::kFrameHeaderSize> header{};
        std::memcpy(header.data(), data + at, header.size());
        at += header.size();
        auto h = jc::p2p::decode_frame_header(header, kFrameBytesMax);
        if (!h) {
            return 0;  // the transport closes the connection here
        }
        JC_ASSERT(h->payload_bytes <= kFrameBytesMax, "fuzz.p2p.frame.limit");
        JC_ASSERT(static_cast<std::uint8_t>(h->channel) <= jc::p2p::kChannelMax, "fuzz.p2p.frame.channel");
        if (size - at < h->payload_bytes) {
            return 0;  // incomplete frame: the transport waits for more bytes
        }
        const ByteView payload(data + at, h->payload_bytes);
        at += h->payload_bytes;
        const auto frame = jc::p2p::encode_frame(h->channel, payload);
        JC_ASSERT(std::equal(header.begin(), header.end(), frame->begin()), "fuzz.p2p.frame.header_round_trip");
        switch (h->channel) {
            case jc::p2p::Channel::kKeepalive:
                break;
            case jc::p2p::Channel::kConsensus:
                consensus_payload(payload);
                break;
            case jc::p2p::Channel::kTxGossip:
                gossip_payload(payload);
                break;
            case jc::p2p::Channel::kSyncRequest:
                sync_request_payload(payload);
                break;
            case jc::p2p::Channel::kSyncResponse:
                sync_response_payload(payload);
                break;
        }
    }
    return 0;
}
