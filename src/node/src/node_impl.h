// Private: the Node's parts and the state each thread owns. See node.h for the thread model.
#pragma once

#include <jc/consensus/replica.h>
#include <jc/contracts/engine.h>
#include <jc/core/log.h>
#include <jc/ledger/background_thread.h>
#include <jc/ledger/genesis.h>
#include <jc/ledger/store.h>
#include <jc/node/node.h>
#include <jc/p2p/transport.h>
#include <jc/rpc/server.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "backpressure.h"
#include "latency_histogram.h"
#include "member_register.h"
#include "proposal_lineage.h"
#include "refusal_log.h"
#include "stage_clock.h"
#include "sync_pipeline.h"
#include "tx_cache.h"
#include "tx_pool.h"
#include "waiters.h"

#if defined(JC_BYZANTINE)
#include "byzantine_layer.h"
#endif

namespace jc::node {

namespace asio = boost::asio;

// Counters for /metrics; written by several threads.
struct Metrics {
    std::atomic<std::uint64_t> txs_admitted{0};
    std::atomic<std::uint64_t> txs_refused{0};
    std::atomic<std::uint64_t> txs_regossiped{0};  // sent again to a peer that (re)connected
    std::atomic<std::uint64_t> txs_committed{0};
    std::atomic<std::uint64_t> blocks_committed{0};
    std::atomic<std::uint64_t> view_changes{0};
    LatencyHistogram block_commit;        // execution plus durable commit of one block
    LatencyHistogram store_commit;        // the store's part: both synced LevelDB batches of one block
    LatencyHistogram consensus_persist;   // a Ready's consensus records: handed over -> durable
    // A committed transaction's way through this node, stage by stage (ADR 0155):
    LatencyHistogram tx_pool_wait;        // per transaction: entered this node's pool -> proposed by it (primary)
    LatencyHistogram block_consensus;     // per block this node proposed and consensus committed: proposal -> commit
    LatencyHistogram block_durable;       // per block committed by consensus and executed here: commit -> durable (queue included)
    std::atomic<std::uint64_t> height{0};
    std::atomic<std::uint64_t> view{0};
    std::atomic<std::uint64_t> pool_txs{0};
    std::atomic<std::uint64_t> pool_bytes{0};
    std::atomic<bool> syncing{false};
    std::atomic<std::uint64_t> sync_requests_refused{0};
    // Blocks applied from sync responses and where the storage thread's time went (µs).
    std::atomic<std::uint64_t> sync_blocks_applied{0};
    std::atomic<std::uint64_t> sync_txs_applied{0};
    std::atomic<std::uint64_t> sync_decode_us{0};
    std::atomic<std::uint64_t> sync_certificate_us{0};
    std::atomic<std::uint64_t> sync_signature_us{0};
    std::atomic<std::uint64_t> sync_commit_us{0};
    // Consensus messages refused, by consensus::Rejection (the replica's verdict), plus the
    // node's own refusals before the replica sees a message.
    std::array<std::atomic<std::uint64_t>, consensus::kRejectionCount> consensus_refused{};
    std::atomic<std::uint64_t> consensus_undecodable{0};
    std::atomic<std::uint64_t> proposals_bad_tx{0};
    std::atomic<std::uint64_t> gossip_txs_refused{0};
    std::atomic<std::uint64_t> gossip_batches_refused{0};  // whole batches: no count, zero, or over our cap
    std::atomic<std::uint64_t> gossip_txs_pool_full{0};
    // secp256k1 work: transaction signatures actually checked (cache misses), consensus
    // signatures checked and made. Per committed transaction these say whether anything is
    // verified twice (ADR 0105).
    std::atomic<std::uint64_t> tx_signature_checks{0};
    std::atomic<std::uint64_t> gossip_txs_late{0};
    std::atomic<std::uint64_t> consensus_signature_checks{0};
    std::atomic<std::uint64_t> consensus_signatures_made{0};
};

// The replica's signer and verifier, counted for /metrics.
class CountingSigner final : public consensus::Signer {
public:
    CountingSigner(crypto::SecretKey key, std::atomic<std::uint64_t>& count) : inner_(std::move(key)), count_(count) {}
    [[nodiscard]] crypto::Signature sign(const Hash& vote_hash) override {
        count_++;
        return inner_.sign(vote_hash);
    }

private:
    consensus::Secp256k1Signer inner_;
    std::atomic<std::uint64_t>& count_;
};

class CountingVerifier final : public consensus::Verifier {
public:
    CountingVerifier(const std::vector<ValidatorKey>& validators, std::atomic<std::uint64_t>& count)
        : inner_(validators), count_(count) {}
    [[nodiscard]] bool verify(consensus::ValidatorIndex validator, const Hash& vote_hash,
                              const crypto::Signature& sig) const override {
        count_++;
        return inner_.verify(validator, vote_hash, sig);
    }

private:
    consensus::Secp256k1Verifier inner_;
    std::atomic<std::uint64_t>& count_;
};

// A WebSocket subscription (API.md subscribe): topic "blocks", "receipts" or "bank_events".
struct Subscription {
    std::weak_ptr<rpc::NotificationSink> sink;
    std::string topic;
    std::string bank_id;  // bank_events only
};

class Node::Impl : public consensus::ProposalValidator {
public:
    explicit Impl(NodeConfig config) : config_(std::move(config)), log_(jc::log::get("node")) {}

    Status init();
    // Builds what start() serves from without starting it: the p2p transport (not listening),
    // the RPC method table in dispatcher_, the consensus timers. No thread, no port. start()
    // calls it; test/fuzz/node_rpc_fuzz.cc calls it alone to drive the real method table.
    Status wire();
    Status start();
    // A verified-transaction cache as init() builds it: the pool's bounds and the node's
    // recently-committed window. test/fuzz/node_rpc_fuzz.cc starts a fresh one per input.
    [[nodiscard]] std::unique_ptr<VerifiedTxCache> make_tx_cache() const;
    void stop();
    int wait();

    // consensus::ProposalValidator (called on the consensus strand).
    [[nodiscard]] bool valid(std::uint64_t height, const consensus::Proposal& proposal) const override;

    // ---- admission (any thread) ----
    // Checks form, chain, signer membership; verifies the signature (cached) on the calling
    // thread. Returns the reason word on refusal.
    Status admit_check(const ledger::TxPtr& tx) const;
    // Checks the signature unless this exact envelope (sig included) was verified before, and
    // caches it when it verifies.
    Status verify_once(const ledger::TxPtr& tx) const;
    // Decodes a proposal's or a synced block's payload, taking already verified transactions
    // from the cache (tx_cache.h); `unverified` are the indexes still to verify.
    Result<DecodedBlock> decode_block(ByteView payload, const ledger::BlockLimits& limits) const;
    [[nodiscard]] ledger::BlockLimits proposal_limits() const;
    void submit(ledger::TxPtr tx, std::function<void(Status, bool added)> done);

    // ---- consensus strand ----
    void on_tick();
    void step(const consensus::Input& input);
    // Steps a message a peer sent; a refusal is counted and logged (rate-limited).
    void step_received(std::uint32_t from, consensus::Message message);
    void drain();
    void maybe_propose();
    void on_message(p2p::Message message);
    void pump_inbox(std::uint32_t from);
    void gossip_flush();
    void gossip_pool_to_new_peers();
    void forget_committed(const std::vector<Hash>& hashes);

    // ---- storage thread ----
    void persist(std::vector<ledger::ConsensusRecordWrite> writes, std::uint64_t seq,
                 std::chrono::steady_clock::time_point handed);
    void wake_waiters(std::vector<ledger::Receipt> receipts);
    void commit(const ledger::Block& block, const Certificate& cert, bool from_sync);
    void serve_sync_request(std::uint32_t peer, ByteView payload);
    // A sync response's blocks above what is already applied or on its way, decoded, each
    // checked against its commit certificate and its transactions' signatures verified; built
    // on the sync-check thread, applied in order on the storage thread (ADR 0125). The
    // decisions are SyncPipeline's (sync_pipeline.h); these run them with the node's checks.
    // Sync-check thread: checks a response block by block and hands the checked blocks to the
    // storage thread in groups as it goes (so execution starts after the first group, not the
    // whole response); `credit` (the frame's delivery credit) is held until they are applied.
    void check_sync_response(ByteView payload, const std::shared_ptr<void>& credit);
    // Verifies the signatures of `txs` on the crypto pool and this thread at once; returns the
    // index of the first that fails, or txs.size().
    std::size_t verify_all(const std::vector<ledger::TxPtr>& txs);
    // Storage thread.
    void apply_sync_response(CheckedSync checked);
    // Consensus strand. False when no peer is connected to ask.
    bool request_sync(std::uint64_t from, std::uint64_t to, bool probe);

    // Notifies the subscribers of a committed block. `executed` is the engine's output for it:
    // its concerns pick the bank_events each transaction and the prologue reach (ADR 0179).
    void publish(const ledger::Block& block, const std::vector<ledger::Receipt>& receipts,
                 const contracts::BlockOutput& executed);
    void fatal(const std::string& message);
    void register_rpc_methods(rpc::Dispatcher& d);
    std::string metrics_text() const;

    NodeConfig config_;
    std::shared_ptr<spdlog::logger> log_;
    // Peer input refused: first line per (peer, kind) at once, then one per 10 s with a count.
    mutable RefusalLog refusals_{log_, 10'000};
#if defined(JC_BYZANTINE)
    std::optional<ByzantineOptions> byzantine_options_;
    std::unique_ptr<ByzantineLayer> byzantine_;  // set at start() when byzantine_options_ is
#endif
    std::unique_ptr<ledger::Genesis> genesis_;
    std::vector<ValidatorKey> validator_keys_;
    std::unique_ptr<ledger::Store> store_;
    contracts::Engine engine_;
    std::unique_ptr<consensus::Signer> signer_;
    std::unique_ptr<consensus::Verifier> verifier_;
    std::unique_ptr<consensus::Replica> replica_;
    consensus::CodecLimits codec_limits_;

    asio::io_context io_;                 // p2p + rpc
    asio::io_context consensus_io_;       // the consensus strand (one thread)
    asio::io_context storage_io_;         // the storage/executor thread
    std::unique_ptr<asio::thread_pool> crypto_pool_;
    std::unique_ptr<GossipIntake> gossip_intake_;
    std::unique_ptr<asio::thread_pool> reader_pool_;  // RPC store/engine reads
    // Signature checks of received proposals' transactions: a thread of their own, so a
    // proposal never waits behind the admission and gossip backlog on the crypto pool.
    std::unique_ptr<asio::thread_pool> proposal_pool_;
    // Decodes sync responses and checks their certificates and signatures (spreading the
    // signatures over the crypto pool) while the storage thread executes the previous one.
    std::unique_ptr<asio::thread_pool> sync_check_pool_;
    // The catch-up pipeline's decisions and its staged height: the highest height checked and
    // handed to the storage thread; a response's blocks at or below it are skipped, fetches ask
    // above it, and the storage thread lowers it to the head when it refuses a block.
    SyncPipeline sync_{log_};
    // Writes and fsyncs the replica's consensus records, in the order handed over, then posts
    // Persisted back. Its own thread so votes never wait behind a block's execution on the
    // storage thread; LevelDB orders its writes with the storage thread's (ADR 0150).
    std::unique_ptr<asio::thread_pool> persist_pool_;
    std::vector<std::thread> threads_;
    std::unique_ptr<p2p::Transport> transport_;
    std::shared_ptr<rpc::Dispatcher> dispatcher_;
    std::unique_ptr<rpc::Server> rpc_server_;
    std::unique_ptr<asio::steady_timer> tick_timer_;
    std::unique_ptr<asio::steady_timer> gossip_timer_;

    // Consensus strand state.
    // A consensus message waiting for its proposals' signatures to be checked on the crypto
    // pool; per peer, messages are stepped in arrival order. Holds the frame's delivery credit.
    struct Inbound {
        consensus::Message message;
        std::shared_ptr<void> credit;
        bool ready = false;
        bool refused = false;
    };
    std::map<std::uint32_t, std::deque<std::shared_ptr<Inbound>>> inbox_;
    std::unique_ptr<TxPool> pool_;
    std::unordered_set<Hash, HashHasher> recently_committed_;  // bounded; refuses re-adding committed txs
    std::deque<Hash> recently_committed_order_;
    std::vector<ledger::TxPtr> gossip_queue_;
    std::int64_t pool_nonempty_since_ms_ = -1;
    // What and when this node proposed at each height still uncommitted (block_consensus).
    ProposalTimes proposed_at_;
    std::uint64_t last_view_ = 0;
    // Proposals above the committed height: parents' timestamps for valid(), and the
    // transactions a new block's ancestors already carry (proposal_lineage.h).
    // Far more than pipelining needs, few enough to bound a flood.
    static constexpr std::size_t kLineageProposalsMax = 4096;
    static constexpr std::size_t kLineageTxHashesMax = std::size_t{1} << 18;  // 8 MiB of hashes
    mutable ProposalLineage lineage_{kLineageProposalsMax, kLineageTxHashesMax};
    // The peer whose message the replica is stepping (valid() names it when it refuses a
    // proposal); nullopt while stepping our own inputs.
    std::optional<std::uint32_t> stepping_from_;
    std::uint64_t sync_requested_to_ = 0;
    // The highest height consensus handed to the storage thread with every height below it
    // durable or handed too: those blocks are on their way, so the sync probe asks only above
    // it (ADR 0168).
    std::uint64_t commit_handed_height_ = 0;
    std::uint32_t sync_peer_rotation_ = 0;
    std::int64_t last_replica_tick_ms_ = 0;
    std::int64_t last_sync_probe_ms_ = 0;
    std::int64_t last_peer_check_ms_ = 0;
    std::vector<bool> peer_was_connected_;  // by validator index, as of the last peer check

    // Storage thread state.
    std::uint64_t committed_height_ = 0;
    std::unique_ptr<SyncLimiter> sync_limiter_;
    std::int64_t last_sync_refusal_log_ms_ = -1'000'000;
    std::uint64_t records_gc_height_ = 0;
    // The replica's highest record seq written and synced (reported when the node halts).
    std::atomic<std::uint64_t> records_durable_seq_{0};

    // Shared.
    MemberRegisterCache members_;  // from committed state; rebuilt by the storage thread
    // Transactions whose signatures verified here, keyed by their whole canonical envelope
    // INCLUDING sig (tx_hash does not cover the signature, so keying by it would let a forged
    // sig ride on an honest verification). Bounded like the pool (ADR 0105).
    std::unique_ptr<VerifiedTxCache> tx_cache_;
    WaiterTable waiters_;  // callers of submitTransaction{wait:true} (waiters.h)
    std::mutex subscriptions_mutex_;
    std::map<std::string, Subscription> subscriptions_;
    std::uint64_t next_subscription_ = 1;
    mutable Metrics metrics_;  // counters; bumped from const checks too
    std::mutex state_mutex_;
    std::condition_variable state_cv_;
    bool stopping_ = false;
    int exit_code_ = 0;
    // Set by the first fatal(): from then on the storage thread writes nothing, submissions and
    // waiting callers are answered with halt_error() and /readyz says why, until the process
    // exits (ADR 0096).
    std::atomic<bool> halted_{false};
    // How long a halted node keeps its RPC up so the halt answers reach the clients.
    static constexpr int kHaltAnswerGraceMs = 500;
    std::string halt_reason_;  // under state_mutex_
    [[nodiscard]] bool halted() const { return halted_.load(std::memory_order_acquire); }
    // NOT_READY (-32004) naming the fatal error, for callers of a halted node.
    [[nodiscard]] rpc::RpcError halt_error();
    // The replica numbers records from 1 in every incarnation (ADR 0012); records are stored
    // under record_key_base_ + seq so a restart never overwrites an earlier incarnation's votes.
    std::uint64_t record_key_base_ = 0;
    std::atomic<std::int64_t> last_tick_ms_{0};
};

}  // namespace jc::node
