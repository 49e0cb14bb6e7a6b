// The consortium transport: mutual TLS 1.3 between validators (and observers), length-prefixed
// frames, one connection per pair of nodes.
//
// Admission. A peer is admitted only if (1) the TLS 1.3 handshake succeeds with mutual
// authentication against the consortium CA (expired or foreign certificates fail here), (2) the
// SHA-256 of its certificate's SubjectPublicKeyInfo is one of the identities in `Config::peers`
// (from genesis), and (3) neither its certificate serial nor its identity is revoked. Anything
// else is closed and counted with the reason, and logged once per remote address. Revocations
// set later also close existing connections.
//
// Connections. Node i dials every peer with a larger index and accepts from smaller ones, so
// a pair never races two connections. Dialling retries with exponential backoff and jitter.
// Each connection runs on its own strand; its send queue is bounded in bytes, and a peer too
// slow to drain it is disconnected rather than allowed to grow memory. Small frames queued
// together go out in one write (batching). Keepalives flow when a link is quiet; a link silent
// for `idle_timeout_ms` is closed.
//
// Delivery. Received frames are posted to the `deliver` executor given at construction (the
// node's consensus strand) and handed to the handler there, in order per peer. Each peer has a
// delivery credit (`deliver_frames_max`, `deliver_bytes_max`): frames posted but not yet handled
// count against it, and when it is used up the session stops reading that peer's socket until
// the handler has caught up (counted in `read_pauses`, logged at most once per 10 s per peer).
// TCP flow control then pushes back on the sender, so a flooding peer fills its own send queue
// (and is eventually cut off by its peers' slow-peer rule), never the receiver's memory or the
// consensus thread's queue. Nothing is dropped: every frame read is delivered.
//
// Thread-safety: send(), broadcast(), set_revocations(), counters() and peer_status() may be
// called from any thread. start() and stop() from one controlling thread.
#pragma once

#include <jc/core/bytes.h>
#include <jc/p2p/frame.h>
#include <jc/p2p/limits.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace jc::p2p {

struct PeerInfo {
    std::uint32_t index = 0;  // validator index (observers: any unused index)
    Hash identity;            // SHA-256 of the certificate's SubjectPublicKeyInfo
    std::string address;      // "host:port" it listens on
};

struct Revocations {
    std::set<std::string> certificate_serials;  // lowercase hex, no leading zeros
    std::set<Hash> identities;
};

struct Config {
    std::uint32_t self_index = 0;
    std::string listen_address;  // "127.0.0.1:7000"; port 0 picks a free port
    std::vector<PeerInfo> peers; // the whole consortium; self may be included and is skipped
    std::string ca_cert_file;
    std::string cert_file;
    std::string key_file;
    Limits limits;
    Revocations revocations;
};

struct Message {
    std::uint32_t from = 0;
    Channel channel = Channel::kConsensus;
    Bytes payload;
    // The frame's share of its peer's delivery credit, returned when the last copy of this
    // token is dropped. A handler that continues the work asynchronously (e.g. on a thread
    // pool) keeps a copy until it is done, so the credit covers that work too.
    std::shared_ptr<void> credit;
};

// Monotonic counters for metrics.
struct Counters {
    std::uint64_t connections_established = 0;
    std::uint64_t connections_closed = 0;
    std::uint64_t refused_handshake = 0;        // TLS failed: no cert, foreign CA, expired, not TLS
    std::uint64_t refused_unknown_identity = 0; // valid cert, identity not in genesis
    std::uint64_t refused_revoked = 0;
    std::uint64_t refused_wrong_peer = 0;       // dialled peer presented another identity
    std::uint64_t refused_inbound_limit = 0;
    std::uint64_t refused_handshakes_per_ip = 0; // over pending_handshakes_per_ip_max
    std::uint64_t frames_in = 0;
    std::uint64_t frames_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t writes = 0;                   // socket writes (frames_out / writes = batching)
    std::uint64_t dropped_frame_too_large = 0;
    std::uint64_t dropped_bad_frame = 0;
    std::uint64_t dropped_slow_peer = 0;        // send queue overflow → disconnected
    std::uint64_t dropped_idle = 0;
    std::uint64_t dropped_not_connected = 0;    // send() to a peer with no connection
    std::uint64_t read_pauses = 0;              // reading paused: a peer's delivery credit ran out
};

struct PeerStatus {
    std::uint32_t index = 0;
    std::string address;
    bool connected = false;
    std::size_t send_queue_bytes = 0;
    std::size_t deliver_queued_frames = 0;      // delivered to the handler's executor, not yet handled
    std::size_t deliver_queued_bytes = 0;
    bool reading_paused = false;
};

class Transport {
public:
    using Handler = std::function<void(Message)>;

    // `io` runs the sockets; `deliver` is where `handler` is invoked.
    Transport(boost::asio::io_context& io, Config config, boost::asio::any_io_executor deliver,
              Handler handler);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Loads TLS material, binds the listener and starts dialling. Errors name the file or address.
    Status start();
    // Closes every connection and stops dialling. Idempotent.
    void stop();
    // The port actually bound (useful with port 0).
    [[nodiscard]] std::uint16_t listen_port() const;

    // Queues a frame for one peer; counted and dropped if there is no connection.
    void send(std::uint32_t peer, Channel channel, ByteView payload);
    // Queues one encoded frame for every connected peer.
    void broadcast(Channel channel, ByteView payload);

    // Replaces the revocation list and closes connections it now refuses.
    void set_revocations(Revocations revocations);

    [[nodiscard]] Counters counters() const;
    [[nodiscard]] std::vector<PeerStatus> peer_status() const;

    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace jc::p2p
