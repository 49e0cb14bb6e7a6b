// The transport's limits (transport.h): frame and queue sizes, timeouts, connection counts and
// each peer's delivery credit. Apart from the transport so that a configuration can hold them
// without the transport's Asio and OpenSSL headers (the node's P2pConfig does, ADR 0156).
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jc::p2p {

struct Limits {
    std::size_t frame_bytes_max = 16 << 20;
    std::size_t send_queue_bytes_max = 64 << 20;
    std::size_t write_batch_bytes_max = 256 << 10;
    std::int64_t keepalive_interval_ms = 1000;
    std::int64_t idle_timeout_ms = 5000;
    std::int64_t handshake_timeout_ms = 3000;
    std::int64_t reconnect_backoff_min_ms = 50;
    // Only the lower-indexed side of a pair dials, so a restarted validator waits for its
    // lower-indexed peers' next attempt: their cap bounds that wait (P3, ADR 0125). One connect
    // attempt a second to a peer that is down costs nothing.
    std::int64_t reconnect_backoff_max_ms = 1000;
    std::size_t inbound_connections_max = 64;
    // Pending TLS handshakes from one IP address: unknown dialers cannot take every handshake
    // slot and starve a validator's reconnect.
    std::size_t pending_handshakes_per_ip_max = 8;
    // Per-peer delivery credit: frames (and payload bytes) handed to `deliver` and not yet
    // handled. A single frame larger than the byte credit still passes, alone.
    std::size_t deliver_frames_max = 1024;
    std::size_t deliver_bytes_max = 32 << 20;
};

}  // namespace jc::p2p
