// Private: the node's bounds against a Byzantine or merely fast peer (issue 8, ADR 0070).
//
// - `GossipIntake` bounds the crypto pool's backlog of gossiped transactions. A gossip batch is
//   admitted to the pool only if the transactions already waiting for a signature check plus
//   the batch's count stay within the bound; otherwise the whole batch is shed (counted, logged
//   at most once per 10 s). Client submissions are never shed here: they add to the backlog
//   (`add_client`/`done_client`) so gossip yields to them, and they meet only POOL_FULL.
// - `SyncLimiter` bounds what one peer can make the storage thread do for block sync: a token
//   bucket of requests per second per peer, and no new response while that peer's send queue
//   still holds more than a byte bound (the previous responses have not left yet).
//
// Thread-safety: GossipIntake's methods may be called from any thread (atomics). SyncLimiter
// is owned by one thread (the storage thread).
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/log.h>

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace jc::node {

class GossipIntake {
public:
    // Checks an accepted batch's envelope texts (parse, admission, signature) and hands the
    // good ones on; runs on the crypto pool. The batch leaves the backlog when it returns.
    using Process = std::function<void(std::uint32_t from, std::vector<std::string> texts)>;

    GossipIntake(boost::asio::any_io_executor crypto, std::size_t backlog_txs_max, std::size_t batch_txs_max,
                 Process process);

    enum class Offer : std::uint8_t {
        kAccepted,   // handed to the crypto pool
        kShed,       // the backlog is full (counted; logged at most once per 10 s)
        kMalformed,  // not a batch this node takes: no count, a zero count, or more than
                     // batch_txs_max (a peer whose pool.gossip_batch_txs_max is over 4x ours)
    };
    // Takes a gossip batch (varint count, then length-prefixed envelope texts). For kMalformed,
    // `why` (when given) says what is wrong; the caller reports it against the peer.
    Offer offer(std::uint32_t from, Bytes payload, std::string* why = nullptr);

    // A client submission entering and leaving the crypto pool (never refused).
    void add_client() { backlog_ += 1; }
    void done_client() { backlog_ -= 1; }

    [[nodiscard]] std::size_t backlog() const { return backlog_.load(); }
    [[nodiscard]] std::uint64_t shed_txs() const { return shed_txs_.load(); }
    [[nodiscard]] std::uint64_t shed_batches() const { return shed_batches_.load(); }

private:
    boost::asio::any_io_executor crypto_;
    std::size_t backlog_txs_max_;
    std::size_t batch_txs_max_;
    Process process_;
    std::atomic<std::size_t> backlog_{0};
    std::atomic<std::uint64_t> shed_txs_{0};
    std::atomic<std::uint64_t> shed_batches_{0};
    std::atomic<std::int64_t> last_log_ms_{-1'000'000};
    std::shared_ptr<spdlog::logger> log_;
};

class SyncLimiter {
public:
    enum class Verdict { kServe, kRateLimited, kQueueFull };

    // `requests_per_second` tokens per second per peer, bucket depth 2 × that; a peer whose send
    // queue holds more than `queue_bytes_max` gets nothing new.
    SyncLimiter(std::uint64_t requests_per_second, std::size_t queue_bytes_max)
        : per_second_(requests_per_second), queue_bytes_max_(queue_bytes_max) {}

    Verdict admit(std::uint32_t peer, std::int64_t now_ms, std::size_t peer_queue_bytes);

private:
    struct Bucket {
        std::uint64_t milli_tokens = 0;
        std::int64_t last_ms = 0;
        bool seen = false;
    };
    std::uint64_t per_second_;
    std::size_t queue_bytes_max_;
    std::map<std::uint32_t, Bucket> buckets_;
};

}  // namespace jc::node
