// Private, JC_BYZANTINE builds only (ADR 0092): the layer that makes this validator Byzantine.
//
// It sits where the node hands the Replica's outputs to the transport (Node::Impl::drain) and
// where the storage thread answers block-sync requests. The Replica itself runs honestly and
// never learns what the layer did; the layer rewrites, duplicates, forges and replays what
// leaves the node, signing only with this validator's own consensus key:
//
//   equivocate  a PrePrepare of ours goes out as two blocks for the same (view, height): one
//               peer gets the other block only, one gets both (the second is a provable
//               equivocation), the rest the original; every vote of ours is followed by a
//               conflicting one to one peer.
//   forge       before our messages: copies with a broken signature, copies claiming another
//               validator, truncated encodings; every 250 ms: garbage bytes, view changes with
//               forged commit/prepared certificates, a NewView without a quorum, a PrePrepare
//               and a Commit claiming to be another validator's; sync requests get fabricated
//               blocks with forged certificates; transaction gossip carries envelopes in a
//               member bank's name with a signature that is not the bank's, and malformed ones.
//   stale       every 100 ms: captured old messages (ours and other validators', validly
//               signed) replayed to random peers, and votes of ours for old views and heights.
//   invalid     a PrePrepare of ours carries, per peer and per send, an invalid block: header
//               parent not the proposal's, wrong tx root, a badly signed or other-chain
//               transaction, over the count or byte limit, a timestamp an hour ahead, the wrong
//               height, a digest that is not the block's, undecodable bytes, an unknown parent.
//
// What it injected is counted per kind (metrics_text(), and a log line at every behaviour
// switch and every 5 s), so a test can tell that each attack really happened.
//
// Thread-safety: send(), on_received() and on_tick() run on the consensus strand;
// forge_sync_response() on the storage thread (its own generator); next_behaviour(),
// behaviour() and metrics_text() from any thread.
#pragma once

#include <jc/consensus/events.h>
#include <jc/consensus/replica.h>
#include <jc/consensus/signing.h>
#include <jc/core/log.h>
#include <jc/ledger/block.h>
#include <jc/node/byzantine.h>
#include <jc/p2p/frame.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace jc::node {

class ByzantineLayer {
public:
    struct Env {
        std::string chain_id;
        std::uint32_t self = 0;
        std::uint32_t validators = 0;
        Hash genesis_digest;
        consensus::Signer* signer = nullptr;  // this validator's own key; outlives the layer
        ledger::BlockLimits block_limits;     // genesis params
        std::function<void(std::uint32_t to, p2p::Channel channel, Bytes payload)> send;
        std::function<std::int64_t()> wall_ms;
        std::string member_bank;       // a member bank and one of its registered keys, for
        crypto::PublicKey member_key;  // envelopes forged in its name (never its secret key)
    };

    ByzantineLayer(ByzantineOptions options, Env env);

    [[nodiscard]] ByzantineBehaviour behaviour() const;
    void next_behaviour();

    // Consensus strand: one of the Replica's outputs, to be sent (honestly or not).
    void send(const consensus::Outbound& out, const consensus::ReplicaStatus& status);
    // Consensus strand: a message received from a peer (kept for replays).
    void on_received(const consensus::Message& message);
    // Consensus strand: background attacks of the current behaviour.
    void on_tick(const consensus::ReplicaStatus& status, std::int64_t now_ms);

    // Storage thread: in forge mode answers a sync request for heights from `from` with a
    // fabricated block on top of `parent` (the hash of block from - 1) and a forged
    // certificate, and returns true; otherwise false (answer honestly).
    bool forge_sync_response(std::uint32_t peer, std::uint64_t from, const Hash& parent);

    [[nodiscard]] std::string metrics_text() const;

private:
    struct SplitMix {
        std::uint64_t state;
        std::uint64_t next();
        std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }
    };

    void count(const std::string& kind, std::uint64_t n = 1);
    void log_counts(const char* why);
    void sign(consensus::Message& m);
    void send_message(std::uint32_t to, const consensus::Message& m);
    [[nodiscard]] std::vector<std::uint32_t> peers() const;
    [[nodiscard]] std::vector<std::uint32_t> targets(const consensus::Outbound& out) const;
    void capture(const consensus::Message& m);

    void equivocate(const consensus::Outbound& out);
    void forge(const consensus::Outbound& out);
    void invalid(const consensus::Outbound& out, const consensus::ReplicaStatus& status);
    void forge_background(const consensus::ReplicaStatus& status);
    void forge_gossip(std::uint32_t to);
    void stale_background(const consensus::ReplicaStatus& status);
    std::optional<consensus::PrePrepare> alternative(const consensus::PrePrepare& pp);
    // An invalid variant of our PrePrepare (signed); the kind's name is written to `kind`.
    std::optional<consensus::PrePrepare> invalid_variant(const consensus::PrePrepare& pp, std::uint64_t certified_height,
                                                         std::string& kind);

    const ByzantineOptions options_;
    const Env env_;
    std::shared_ptr<spdlog::logger> log_;
    std::atomic<std::size_t> index_{0};

    // Consensus strand.
    SplitMix rng_;
    std::map<std::pair<std::uint64_t, std::uint64_t>, consensus::PrePrepare> alternatives_;  // (view, height)
    std::deque<Bytes> captured_;  // encoded messages, oldest first, bounded
    std::uint64_t invalid_counter_ = 0;
    std::int64_t last_oversize_ms_ = -1'000'000;
    std::int64_t last_forge_ms_ = 0;
    std::int64_t last_stale_ms_ = 0;
    std::int64_t last_counts_log_ms_ = 0;

    // Storage thread.
    SplitMix sync_rng_;
    std::uint64_t sync_counter_ = 0;

    mutable std::mutex counts_mutex_;
    std::map<std::string, std::uint64_t> counts_;  // GUARDED_BY(counts_mutex_)
};

}  // namespace jc::node
