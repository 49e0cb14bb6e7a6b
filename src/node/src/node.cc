#include <jc/node/node.h>

#include <jc/consensus/messages.h>
#include <jc/contracts/genesis.h>
#include <jc/core/assert.h>
#include <jc/core/codec.h>
#include <jc/core/file_util.h>
#include <jc/core/key_file.h>
#include <jc/core/sha256.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <latch>
#include <span>

#include "block_cut.h"
#include "contract_genesis.h"
#include "fd_budget.h"
#include "frame_limits.h"
#include "memory_stats.h"
#include "node_impl.h"
#include "thread_names.h"
#include "tick_schedule.h"

namespace jc::node {
namespace {

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t mono_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

constexpr std::string_view kRecordPrefix = "rec/";
constexpr std::size_t kSyncResponseBytesMax = 8 << 20;
constexpr std::int64_t kSyncProbeIntervalMs = 1000;
// How often the consensus thread looks for peers that (re)connected, and how many of the pool's
// oldest transactions it sends each of them (in gossip batches).
constexpr std::int64_t kPeerCheckIntervalMs = 500;
constexpr std::size_t kRegossipBatchesMax = 4;

// Binary gossip batch: varint count, then each envelope's canonical JSON as length-prefixed bytes.
Bytes encode_gossip_batch(std::span<const ledger::TxPtr> txs) {
    codec::Writer w;
    w.varint(txs.size());
    for (const auto& tx : txs) {
        w.str(tx->canonical_json());
    }
    return w.data();
}
constexpr std::size_t kRecentlyCommittedMax = 200'000;

Result<ledger::TxPtr> parse_tx(std::string_view text) {
    auto tx = ledger::Transaction::parse(text);
    if (!tx) {
        return tx.error();
    }
    return std::make_shared<const ledger::Transaction>(std::move(*tx));
}

// The proposals a consensus message carries (a pre-prepare's, and view changes' prepared ones).
std::vector<const consensus::Proposal*> proposals_of(const consensus::Message& message) {
    std::vector<const consensus::Proposal*> out;
    if (const auto* pp = std::get_if<consensus::PrePrepare>(&message)) {
        out.push_back(&pp->proposal);
    } else if (const auto* vc = std::get_if<consensus::ViewChange>(&message)) {
        for (const auto& e : vc->prepared) {
            out.push_back(&e.proposal);
        }
    } else if (const auto* nv = std::get_if<consensus::NewView>(&message)) {
        for (const auto& v : nv->view_changes) {
            for (const auto& e : v.prepared) {
                out.push_back(&e.proposal);
            }
        }
    }
    return out;
}

std::string record_key(std::uint64_t seq) {
    std::string key(kRecordPrefix);
    for (int i = 7; i >= 0; --i) {
        key.push_back(static_cast<char>((seq >> (8 * i)) & 0xff));  // big-endian: scans in order
    }
    return key;
}

ledger::Receipt to_ledger_receipt(const contracts::TxReceipt& r, const Hash& tx_hash, std::uint64_t height,
                                  std::uint32_t index) {
    ledger::Receipt out;
    out.tx_hash = tx_hash;
    out.height = height;
    out.index = index;
    out.status = static_cast<ledger::ReceiptStatus>(static_cast<std::uint8_t>(r.status));
    out.code = r.code;
    out.error = r.error;
    out.detail = r.detail;  // the engine's canonical text (ADR 0120): "" when none
    out.result = r.result;
    return out;
}

// The one line an operator reads when the store cannot be used: what is wrong and what to do.
Error store_open_error(const Error& e, const std::string& path) {
    if (e.code() == Errc::kCorruption) {
        return Error(Errc::kCorruption,
                     "ledger store " + path + " is damaged (" + e.message() +
                         "); the node will not start on it. Move the data_dir aside (keep it for analysis) "
                         "and start again: the node re-creates the store and catches up from its peers "
                         "(docs/reliability.md)");
    }
    return e.with_context("ledger store " + path);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Start-up

Status Node::Impl::init() {
    JC_ASSIGN_OR_RETURN(const std::string genesis_text, file::read_all(config_.genesis, ledger::kGenesisBytesMax));
    auto genesis = ledger::Genesis::parse(genesis_text);
    if (!genesis) {
        return genesis.error().with_context("genesis " + config_.genesis);
    }
    genesis_ = std::make_unique<ledger::Genesis>(std::move(*genesis));
    validator_keys_ = genesis_->validator_keys();
    if (config_.validator_index >= genesis_->validators().size()) {
        return Error(Errc::kInvalidArgument, "config validator_index " + std::to_string(config_.validator_index) +
                                                 " is not a validator in genesis (it has " +
                                                 std::to_string(genesis_->validators().size()) + ")");
    }
    auto key_file = crypto::load_key_file(config_.consensus_key);
    if (!key_file) {
        return key_file.error().with_context("consensus key");
    }
    if (key_file->public_key != genesis_->validators()[config_.validator_index].consensus_key) {
        return Error(Errc::kInvalidArgument, "consensus key " + config_.consensus_key +
                                                 " is not validator " + std::to_string(config_.validator_index) +
                                                 "'s consensus_key in genesis");
    }
    signer_ = std::make_unique<CountingSigner>(key_file->secret_key, metrics_.consensus_signatures_made);
    verifier_ = std::make_unique<CountingVerifier>(validator_keys_, metrics_.consensus_signature_checks);

    // Before anything is created on disk: a node that cannot start leaves no trace.
    const FdBudget fds = plan_file_descriptors(raise_open_file_limit(), config_, validator_keys_.size());
    if (!fds.fits) {
        using std::to_string;
        return Error(Errc::kLimit,
                     "open-file limit " + to_string(fds.limit) + " is below the " + to_string(fds.needed) +
                         " this node needs: " + to_string(fds.sockets) + " sockets (rpc.connections_max " +
                         to_string(config_.rpc.connections_max) + ", " + to_string(validator_keys_.size() - 1) +
                         " peers, p2p.inbound_connections_max " +
                         to_string(config_.p2p.limits.inbound_connections_max) + ") + " + to_string(kFdReserve) +
                         " reserved + " + to_string(kLevelDbFilesMin) +
                         " LevelDB tables at least; raise the limit (systemd LimitNOFILE=, docker --ulimit nofile=, "
                         "ulimit -n) or lower rpc.connections_max");
    }
    std::error_code ec;
    std::filesystem::create_directories(config_.data_dir, ec);
    if (ec) {
        return Error(Errc::kIo, "cannot create data dir " + config_.data_dir + ": " + ec.message());
    }
    ledger::StoreOptions options;
    options.path = config_.data_dir + "/ledger";
    options.max_open_files = static_cast<int>(fds.leveldb_files);
    if (fds.tight) {
        log_->warn("open-file limit {} leaves LevelDB {} open tables (sockets may take {}): past ~{} MB of ledger "
                   "reads will reopen tables; raise the limit (systemd LimitNOFILE=, docker --ulimit nofile=)",
                   fds.limit, fds.leveldb_files, fds.sockets, fds.leveldb_files * 2);
    } else {
        const auto split = ledger::split_open_files(options.max_open_files);
        log_->info("open-file limit {}: LevelDB may keep {} files open (chain database {}, state {}), sockets {}",
                   fds.limit, fds.leveldb_files, split.chain, split.state, fds.sockets);
    }
    ledger::name_background_thread("jc-leveldb");  // compaction's CPU shows as its own (docs/threads.md)
    auto store = ledger::Store::open(options, *genesis_);
    if (!store && store.error().code() == Errc::kNotFound) {
        auto writes =
            contracts::genesis_writes(contract_genesis_members(*genesis_), contract_genesis_params(*genesis_));
        if (!writes) {
            return writes.error().with_context("genesis state");
        }
        store = ledger::Store::create(options, *genesis_, *writes);
        if (store) {
            log_->info("created a new ledger at {} for chain {} (genesis {})", options.path, genesis_->chain_id(),
                       genesis_->hash().hex());
        }
    }
    if (!store) {
        return store_open_error(store.error(), options.path);
    }
    // Open checked the head; a flipped bit in an older table would only surface when a reader
    // touches it, so read everything once before serving (ADR 0090).
    const auto verify_started = std::chrono::steady_clock::now();
    auto verified = (*store)->verify_checksums();
    if (!verified) {
        return store_open_error(verified.error(), options.path);
    }
    log_->info("ledger verified: {} records, {} bytes, checksums ok in {} ms", verified->records, verified->bytes,
               std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - verify_started)
                   .count());
    if (const auto& torn = (*store)->torn_commit_removed()) {
        // The previous run stopped between a commit's two writes (ADR 0136); the block was not
        // committed here and comes back through consensus or catch-up.
        log_->warn("ledger: removed {} records of an unfinished commit of block {} (the node stopped between "
                   "writing the block and its state); the head is {}",
                   torn->records, torn->height, (*store)->head().height);
    }
    store_ = std::move(*store);
    const auto head = store_->head();
    {
        auto reg = MemberRegister::load(*store_->snapshot(), head.height);
        if (!reg) {
            return reg.error().with_context("member register at height " + std::to_string(head.height));
        }
        members_.publish(std::move(*reg));
    }
    committed_height_ = head.height;
    metrics_.height = head.height;

    // Rebuild the replica from the ledger head and the durable consensus records.
    consensus::Config cc;
    cc.chain_id = genesis_->chain_id();
    cc.validators = validator_keys_;
    cc.self = config_.validator_index;
    cc.genesis_digest = genesis_->hash();
    cc.window_heights = config_.consensus.window_heights;
    // Two sync responses' worth ahead of the head: one being applied, the next being fetched
    // and checked meanwhile (ADR 0125).
    cc.fetch_heights_max = 2 * kSyncBlocksPerResponseMax;
    cc.results_lag_heights_max = std::max<std::uint64_t>(cc.results_lag_heights_max, 2 * cc.window_heights);
    cc.checkpoint_horizon_heights = std::max<std::uint64_t>(cc.checkpoint_horizon_heights, 2 * cc.results_lag_heights_max);
    cc.view_change_timeout_ticks = config_.consensus.view_change_timeout_ticks;
    cc.view_change_timeout_ticks_max = config_.consensus.view_change_timeout_ticks_max;
    cc.proposal_bytes_max = std::min<std::size_t>(genesis_->params().block_bytes_max + 4096, ledger::kBlockBytesMax);
    codec_limits_ = consensus::codec_limits(cc);
    JC_TRY_STATUS(resolve_frame_limits(
        config_.p2p, consensus_message_bytes_max(codec_limits_),
        "genesis params.block_bytes_max " + std::to_string(genesis_->params().block_bytes_max) +
            " (proposals up to " + std::to_string(cc.proposal_bytes_max) + " bytes), consensus.window_heights " +
            std::to_string(cc.window_heights) + " (" + std::to_string(codec_limits_.prepared_entries_max) +
            " prepared proposals per view change) and " + std::to_string(validator_keys_.size()) + " validators"));
    log_->info("p2p frames up to {} bytes, send queues up to {} bytes", config_.p2p.limits.frame_bytes_max,
               config_.p2p.limits.send_queue_bytes_max);

    consensus::Recovered recovered;
    recovered.committed_height = head.height;
    recovered.committed_digest = head.hash;
    recovered.executed_height = head.height;
    recovered.executed_results_digest = head.results.digest();
    auto snapshot = store_->snapshot();
    if (head.height > 0) {
        JC_ASSIGN_OR_RETURN(auto cert, snapshot->commit_certificate(head.height));
        recovered.committed_certificate = cert;
    }
    // The newest stable checkpoint at or below the head (ADR 0012): without it a restarted
    // replica's voting window would depend on peers re-sending checkpoint votes.
    for (std::uint64_t h = head.height; h > 0 && head.height - h < 4 * cc.checkpoint_horizon_heights; --h) {
        JC_ASSIGN_OR_RETURN(auto checkpoint, snapshot->checkpoint_certificate(h));
        if (checkpoint) {
            recovered.stable_checkpoint = checkpoint;
            break;
        }
    }
    std::uint64_t max_seq = 0;
    Status scan_status;
    JC_TRY_STATUS(store_->scan_consensus_records(kRecordPrefix, [&](std::string_view key, std::string_view value) {
        auto record = consensus::decode_record(as_bytes(value), codec_limits_);
        if (!record) {
            scan_status = record.error().with_context("consensus record");
            return false;
        }
        std::uint64_t seq = 0;
        for (std::size_t i = kRecordPrefix.size(); i < key.size(); ++i) {
            seq = (seq << 8) | static_cast<std::uint8_t>(key[i]);
        }
        max_seq = std::max(max_seq, seq);
        recovered.records.push_back(std::move(*record));
        return true;
    }));
    JC_TRY_STATUS(scan_status);
    auto replica = consensus::Replica::create(cc, *signer_, *verifier_, *this, recovered);
    if (!replica) {
        return replica.error().with_context("consensus");
    }
    replica_ = std::move(*replica);
    record_key_base_ = max_seq;

    pool_ = std::make_unique<TxPool>(config_.pool.txs_max, config_.pool.bytes_max, validator_keys_.size());
    // As many transactions and bytes as the pool may hold: every pooled transaction can stay
    // cached until it commits (the entries share the pool's objects).
    tx_cache_ = make_tx_cache();
    crypto_pool_ = std::make_unique<asio::thread_pool>(config_.pool.verify_threads);
    name_pool_threads(*crypto_pool_, config_.pool.verify_threads, "jc-crypto");
    gossip_intake_ = std::make_unique<GossipIntake>(
        crypto_pool_->get_executor(), config_.pool.verify_backlog_txs_max, config_.pool.gossip_batch_txs_max * 4,
        [this](std::uint32_t from, std::vector<std::string> texts) {
            std::vector<ledger::TxPtr> txs;
            for (const auto& text : texts) {
                // Committed already (gossip slower than the proposal): nothing to do.
                if (tx_cache_->committed_recently(text)) {
                    metrics_.gossip_txs_late++;
                    continue;
                }
                // Seen before (a peer re-gossiping, or in a proposal first): no parse.
                ledger::TxPtr cached = tx_cache_->find(text);
                Result<ledger::TxPtr> tx = cached ? Result<ledger::TxPtr>(std::move(cached)) : parse_tx(text);
                Status admitted = tx ? admit_check(*tx) : Status(tx.error());
                if (!admitted) {
                    // A peer gossips only what it admitted, so a refusal means a faulty or hostile
                    // peer, except a signer this node does not know yet (a member registered in a
                    // block this node has not executed).
                    metrics_.gossip_txs_refused++;
                    const bool benign = admitted.error().message().rfind("UNKNOWN_SIGNER", 0) == 0;
                    refusals_.refused(from, "gossip transaction",
                                      benign ? RefusalLog::Severity::kBenign : RefusalLog::Severity::kHostile,
                                      (tx ? "transaction " + (*tx)->hash().hex() + ": " : std::string("undecodable: ")) +
                                          admitted.error().message(),
                                      mono_ms());
                    continue;
                }
                txs.push_back(std::move(*tx));
            }
            // Add to the pool without re-gossiping.
            asio::post(consensus_io_, [this, txs = std::move(txs)] {
                for (const auto& tx : txs) {
                    if (recently_committed_.count(tx->hash()) != 0) {
                        tx_cache_->erase(*tx);  // late gossip of a committed transaction
                    } else if (pool_->add(tx, TxPool::Origin::kPeer) == TxPool::AddResult::kFull) {
                        metrics_.gossip_txs_pool_full++;
                        tx_cache_->erase(*tx);  // not pooled: keep the cache to the pool's contents
                    }
                }
                maybe_propose();
            });
        });
    reader_pool_ = std::make_unique<asio::thread_pool>(config_.rpc.reader_threads);
    name_pool_threads(*reader_pool_, config_.rpc.reader_threads, "jc-reader");
    proposal_pool_ = std::make_unique<asio::thread_pool>(1);
    name_pool_threads(*proposal_pool_, 1, "jc-propcheck");
    sync_check_pool_ = std::make_unique<asio::thread_pool>(1);
    name_pool_threads(*sync_check_pool_, 1, "jc-synccheck");
    persist_pool_ = std::make_unique<asio::thread_pool>(1);
    name_pool_threads(*persist_pool_, 1, "jc-persist");
    sync_limiter_ = std::make_unique<SyncLimiter>(config_.p2p.sync_requests_per_second, config_.p2p.sync_queue_bytes_max);
    log_->info("validator {} of {} at height {} (chain {})", config_.validator_index, validator_keys_.size(),
               head.height, genesis_->chain_id());
    return {};
}

std::unique_ptr<VerifiedTxCache> Node::Impl::make_tx_cache() const {
    return std::make_unique<VerifiedTxCache>(config_.pool.txs_max, config_.pool.bytes_max, kRecentlyCommittedMax);
}

Status Node::Impl::wire() {
    p2p::Config pc;
    pc.self_index = config_.validator_index;
    pc.listen_address = config_.p2p.listen;
    for (const auto& [index, address] : config_.p2p.peer_addresses) {
        if (index >= genesis_->validators().size()) {
            return Error(Errc::kInvalidArgument, "config p2p.peer_addresses." + std::to_string(index) +
                                                     ": no such validator in genesis");
        }
        if (index == config_.validator_index) {
            return Error(Errc::kInvalidArgument, "config p2p.peer_addresses." + std::to_string(index) +
                                                     ": this is the node's own index; the routes are for "
                                                     "reaching its peers (set p2p.listen for its own address)");
        }
    }
    for (const auto& v : genesis_->validators()) {
        const auto route = config_.p2p.peer_addresses.find(v.index);
        pc.peers.push_back({v.index, v.tls_key, route != config_.p2p.peer_addresses.end() ? route->second : v.address});
    }
    pc.ca_cert_file = config_.p2p.ca_cert;
    pc.cert_file = config_.p2p.cert;
    pc.key_file = config_.p2p.key;
    pc.limits = config_.p2p.limits;
    pc.revocations.certificate_serials.insert(config_.p2p.revoked_serials.begin(), config_.p2p.revoked_serials.end());
    for (const auto& id : config_.p2p.revoked_identities) {
        pc.revocations.identities.insert(Hash::from_hex(id).value());
    }
    transport_ = std::make_unique<p2p::Transport>(io_, pc, consensus_io_.get_executor(),
                                                  [this](p2p::Message m) { on_message(std::move(m)); });
    dispatcher_ = std::make_shared<rpc::Dispatcher>();
    dispatcher_->set_limits({.body_bytes_max = config_.rpc.body_bytes_max,
                             .batch_length_max = config_.rpc.batch_length_max,
                             .depth_max = 32});
    register_rpc_methods(*dispatcher_);
    tick_timer_ = std::make_unique<asio::steady_timer>(consensus_io_);
    gossip_timer_ = std::make_unique<asio::steady_timer>(consensus_io_);
    return {};
}

Status Node::Impl::start() {
    JC_TRY_STATUS(wire());
    JC_TRY_STATUS(transport_->start());
#if defined(JC_BYZANTINE)
    if (byzantine_options_) {
        ByzantineLayer::Env env;
        env.chain_id = genesis_->chain_id();
        env.self = config_.validator_index;
        env.validators = static_cast<std::uint32_t>(validator_keys_.size());
        env.genesis_digest = genesis_->hash();
        env.signer = signer_.get();
        env.block_limits.txs_max = genesis_->params().block_txs_max;
        env.block_limits.bytes_max = genesis_->params().block_bytes_max;
        env.send = [this](std::uint32_t to, p2p::Channel channel, Bytes payload) {
            transport_->send(to, channel, payload);
        };
        env.wall_ms = [] { return wall_ms(); };
        for (const auto& m : genesis_->members()) {
            if (!m.keys.empty() && env.member_bank.empty()) {
                env.member_bank = m.bank_id;
                env.member_key = m.keys.front();
            }
        }
        byzantine_ = std::make_unique<ByzantineLayer>(*byzantine_options_, std::move(env));
    }
#endif

    rpc::ServerConfig sc;
    sc.listen_address = config_.rpc.listen;
    sc.connections_max = config_.rpc.connections_max;
    sc.ws_in_flight_max = config_.rpc.ws_in_flight_max;
    if (config_.rpc.tls.enabled()) {
        sc.tls.cert_chain_file = config_.rpc.tls.cert;
        sc.tls.key_file = config_.rpc.tls.key;
        sc.tls.client_ca_file = config_.rpc.tls.client_ca;
        sc.tls.handshake_timeout_ms = static_cast<std::int64_t>(config_.rpc.tls.handshake_timeout_ms);
        sc.tls.handshakes_max = config_.rpc.tls.handshakes_max;
    }
    for (const auto& token : config_.rpc.token_sha256_to_bank) {
        // Named copies, not structured bindings: clang 14 cannot capture those in a lambda.
        const std::string& hash_hex = token.first;
        const std::string& bank = token.second;
        const bool member = std::any_of(genesis_->members().begin(), genesis_->members().end(),
                                        [&](const auto& m) { return m.bank_id == bank; });
        if (!member) {
            return Error(Errc::kInvalidArgument, "config rpc.tokens: bank \"" + bank + "\" is not a member in genesis");
        }
        sc.bearer_tokens.emplace(Hash::from_hex(hash_hex).value(), rpc::TokenHolder{bank, false});
    }
    for (const auto& hash_hex : config_.rpc.auditor_token_sha256) {
        sc.bearer_tokens.emplace(Hash::from_hex(hash_hex).value(), rpc::TokenHolder{"", true});
    }
    const auto rpc_host = config_.rpc.listen.substr(0, config_.rpc.listen.rfind(':'));
    if (rpc_host.rfind("127.", 0) != 0 && rpc_host != "::1" && rpc_host != "[::1]" && rpc_host != "localhost") {
        if (sc.bearer_tokens.empty()) {
            log_->warn("RPC listens on {} without rpc.tokens: anyone who can reach it can submit as any bank "
                       "whose key they hold and read the whole ledger (docs/reliability.md, ADR 0091)",
                       config_.rpc.listen);
        } else if (!sc.tls.enabled()) {
            log_->warn("RPC listens on {} with rpc.tokens but without rpc.tls: tokens cross the network in clear "
                       "unless a TLS proxy is in front (docs/operations.md, ADR 0094)",
                       config_.rpc.listen);
        }
    }
    rpc::HttpHooks hooks;
    hooks.metrics = [this] { return metrics_text(); };
    hooks.healthy = [this] { return mono_ms() - last_tick_ms_.load() < 5000; };
    hooks.ready = [this]() -> std::pair<bool, std::string> {
        if (halted()) {
            std::lock_guard lock(state_mutex_);
            return {false, "halted: " + halt_reason_};
        }
        if (metrics_.syncing.load()) {
            return {false, "syncing"};
        }
        std::uint64_t weight = validator_keys_[config_.validator_index].weight;
        for (const auto& s : transport_->peer_status()) {
            if (s.connected) {
                weight += validator_keys_[s.index].weight;
            }
        }
        std::uint64_t total = 0;
        for (const auto& v : validator_keys_) {
            total += v.weight;
        }
        if (weight < quorum_weight(total)) {
            return {false, "connected to less than a quorum of validators"};
        }
        return {true, ""};
    };
    rpc_server_ = std::make_unique<rpc::Server>(io_, sc, dispatcher_, hooks);
    JC_TRY_STATUS(rpc_server_->start());

    last_tick_ms_ = mono_ms();
    asio::post(consensus_io_, [this] {
        drain();
        on_tick();
    });
    auto run = [this](asio::io_context& io) {
        auto guard = asio::make_work_guard(io);
        try {
            io.run();
        } catch (const std::exception& e) {
            // Nothing should throw past a handler; if something does, stop loudly, not abort.
            fatal(std::string("unexpected exception on a node thread: ") + e.what());
        }
    };
    // Named (≤ 15 characters) so top -H, perf and /proc/<pid>/task/*/comm tell them apart.
    threads_.emplace_back([this, run] {
        name_this_thread("jc-consensus");
        run(consensus_io_);
    });
    threads_.emplace_back([this, run] {
        name_this_thread("jc-storage");
        run(storage_io_);
    });
    for (int i = 0; i < 2; ++i) {
        threads_.emplace_back([this, run, i] {
            name_this_thread("jc-io-" + std::to_string(i));
            run(io_);
        });
    }
    log_->info("p2p on {} (port {}), RPC on {}://{}", config_.p2p.listen, transport_->listen_port(),
               sc.tls.enabled() ? "https" : "http",
               config_.rpc.listen.substr(0, config_.rpc.listen.rfind(':')) + ":" + std::to_string(rpc_server_->port()));
    return {};
}

void Node::Impl::fatal(const std::string& message) {
    {
        std::lock_guard lock(state_mutex_);
        if (halted_.load()) {
            // A second failure is a consequence of the first (e.g. the store refusing writes
            // after its first failed one): one FATAL line, the first cause.
            log_->error("after the fatal error: {}", message);
            return;
        }
        halt_reason_ = message;
        halted_.store(true, std::memory_order_release);
        log_->critical("FATAL: {}", message);
        if (!stopping_) {
            exit_code_ = 2;
            stopping_ = true;
        }
    }
    state_cv_.notify_all();
    // Callers waiting for a receipt learn why there will be none from this node, instead of a
    // closed connection (wait() gives the answers a moment to leave before closing).
    const rpc::RpcError error = halt_error();
    for (auto& waiter : waiters_.claim_all()) {
        if (waiter.on_error) {
            waiter.on_error(error);
        }
    }
}

rpc::RpcError Node::Impl::halt_error() {
    std::string reason;
    {
        std::lock_guard lock(state_mutex_);
        reason = halt_reason_;
    }
    return rpc::RpcError::server(rpc::kNotReady, "NOT_READY",
                                 "this node halted: " + reason +
                                     "; submit to another validator (a transaction submitted here may still "
                                     "commit: poll getReceipt)");
}

void Node::Impl::stop() {
    {
        std::lock_guard lock(state_mutex_);
        stopping_ = true;
    }
    state_cv_.notify_all();
}

int Node::Impl::wait() {
    {
        std::unique_lock lock(state_mutex_);
        state_cv_.wait(lock, [this] { return stopping_; });
    }
    log_->info("stopping");
    if (halted()) {
        // The RPC stays up a moment: the halt answers to waiting callers are queued on the I/O
        // threads and must reach them before the connections close, and a client arriving now
        // learns why this node takes no work (NOT_READY naming the failure, /readyz "halted")
        // instead of finding the port closed.
        std::this_thread::sleep_for(std::chrono::milliseconds(kHaltAnswerGraceMs));
    }
    if (rpc_server_) {
        rpc_server_->stop();
    }
    if (transport_) {
        transport_->stop();
    }
    // Let the storage thread finish the block in hand, then stop the loops.
    consensus_io_.stop();
    storage_io_.stop();
    io_.stop();
    for (auto& t : threads_) {
        t.join();
    }
    threads_.clear();
    // Before the crypto pool: a response being checked waits for its signature chunks there.
    if (sync_check_pool_) {
        sync_check_pool_->stop();
        sync_check_pool_->join();
    }
    if (crypto_pool_) {
        crypto_pool_->stop();  // drop the backlog: its results would go to stopped loops
        crypto_pool_->join();
    }
    for (auto* pool : {reader_pool_.get(), proposal_pool_.get(), persist_pool_.get()}) {
        if (pool != nullptr) {
            pool->stop();
            pool->join();
        }
    }
    if (halted() && replica_) {
        // Every loop is joined: the replica is ours to read. Votes whose records never became
        // durable were never released to the transport (persist before send, ADR 0012).
        const auto status = replica_->status();
        log_->info("consensus records durable through seq {}; messages held back unsent because their records "
                   "are not durable: {}",
                   records_durable_seq_.load(), status.pending_sends);
    }
    store_.reset();
    log_->info("stopped at height {}", metrics_.height.load());
    return exit_code_;
}

// ---------------------------------------------------------------------------------------------
// Admission

Status Node::Impl::verify_once(const ledger::TxPtr& tx) const {
    // Through the cache's in-flight marker: a synced block and the proposal or gossip carrying
    // the same transaction, checked on two threads at once, verify it once (ADR 0125).
    return tx_cache_->verify_once(tx, [this](const ledger::Transaction& t) {
        metrics_.tx_signature_checks++;
        return t.verify_signature();
    });
}

Result<DecodedBlock> Node::Impl::decode_block(ByteView payload, const ledger::BlockLimits& limits) const {
    return node::decode_block(payload, limits, *tx_cache_);
}

ledger::BlockLimits Node::Impl::proposal_limits() const {
    ledger::BlockLimits limits;
    limits.txs_max = genesis_->params().block_txs_max;
    limits.bytes_max = genesis_->params().block_bytes_max;
    return limits;
}

Status Node::Impl::admit_check(const ledger::TxPtr& tx_ptr) const {
    const ledger::Transaction& tx = *tx_ptr;
    if (tx.chain_id() != genesis_->chain_id()) {
        return Error(Errc::kInvalidArgument, "WRONG_CHAIN: transaction is for chain \"" + tx.chain_id() +
                                                 "\", this is \"" + genesis_->chain_id() + "\"");
    }
    // The register of the latest committed state (member changes on chain apply here at once).
    // Status is the engine's to judge: a suspended member's transaction gets a REJECTED receipt
    // with its code, as the engine checks it against the state the block executes on.
    const auto reg = members_.current();
    const auto member = reg->members.find(tx.sender());
    if (member == reg->members.end()) {
        return Error(Errc::kNotFound, "UNKNOWN_SIGNER: sender \"" + tx.sender() + "\" is not a member");
    }
    const auto& keys = member->second.keys;
    if (std::find(keys.begin(), keys.end(), tx.signer()) == keys.end()) {
        return Error(Errc::kNotFound, "UNKNOWN_SIGNER: signer " + tx.signer().hex() +
                                          " is not a registered key of " + tx.sender());
    }
    return verify_once(tx_ptr);
}

// ---------------------------------------------------------------------------------------------
// Consensus strand

bool Node::Impl::valid(std::uint64_t height, const consensus::Proposal& proposal) const {
    // Every refusal says why, rate-limited per peer and reason (a Byzantine primary repeats).
    const auto refuse = [&](const char* kind, const std::string& why) {
        refusals_.refused(stepping_from_.value_or(config_.validator_index), std::string("invalid proposal: ") + kind,
                          RefusalLog::Severity::kHostile, "block at height " + std::to_string(height) + " " + why,
                          mono_ms());
        return false;
    };
    auto decoded = decode_block(proposal.payload, proposal_limits());
    if (!decoded) {
        return refuse(decoded.error().code() == Errc::kLimit ? "oversize" : "undecodable",
                      "does not decode: " + decoded.error().message());
    }
    const ledger::Block* block = &decoded->block;
    const auto& h = block->header();
    if (block->hash() != proposal.digest) {
        return refuse("digest", "hashes to " + block->hash().hex() + ", not the proposal's digest " + proposal.digest.hex());
    }
    if (h.height != height) {
        return refuse("height", "says height " + std::to_string(h.height));
    }
    if (h.parent_hash != proposal.parent_digest) {
        return refuse("parent", "names parent " + h.parent_hash.hex() + ", the proposal names " +
                                    proposal.parent_digest.hex());
    }
    if (h.proposer >= validator_keys_.size()) {
        return refuse("proposer", "names proposer " + std::to_string(h.proposer) + ", not a validator");
    }
    if (h.timestamp_ms > wall_ms() + static_cast<std::int64_t>(config_.consensus.timestamp_skew_ms_max)) {
        return refuse("timestamp", "is " + std::to_string(h.timestamp_ms - wall_ms()) +
                                       " ms ahead of this node's clock (consensus.timestamp_skew_ms_max " +
                                       std::to_string(config_.consensus.timestamp_skew_ms_max) + ")");
    }
    // Timestamps never go backwards (DOMAIN.md A.5: business dates are monotone).
    if (const auto* parent = lineage_.find(h.parent_hash); parent != nullptr) {
        if (h.timestamp_ms < parent->timestamp_ms) {
            return refuse("timestamp", "is earlier than its parent's");
        }
    } else if (h.parent_hash == store_->head().hash && h.timestamp_ms < store_->head().timestamp_ms) {
        return refuse("timestamp", "is earlier than its parent's");
    }
    // Chain and signature only: whether the sender is a member is the engine's call, made
    // against the state the block executes on. A register check here would depend on how far
    // this node has executed, and validators would disagree about proposals around a member
    // change. Transactions found in the verified cache need no signature check; the
    // proposal-check thread verified the others already unless the cache evicted them since.
    std::size_t next_unverified = 0;
    for (std::size_t i = 0; i < block->txs().size(); ++i) {
        const auto& tx = block->txs()[i];
        const bool unverified = next_unverified < decoded->unverified.size() && decoded->unverified[next_unverified] == i;
        next_unverified += unverified ? 1 : 0;
        Status s = tx->chain_id() != genesis_->chain_id()
                       ? Status(Error(Errc::kInvalidArgument, "WRONG_CHAIN: chain \"" + tx->chain_id() + "\""))
                   : unverified ? verify_once(tx)
                                : Status();
        if (!s) {
            return refuse(tx->chain_id() == genesis_->chain_id() ? "transaction signature" : "transaction chain",
                          "carries transaction " + tx->hash().hex() + ": " + s.error().message());
        }
    }
    lineage_.record(proposal.digest, ProposalLineage::Entry{height, h.parent_hash, h.timestamp_ms, block->tx_hashes()});
    return true;
}

void Node::Impl::step(const consensus::Input& input) {
    const auto outcome = replica_->step(input);
    (void)outcome;  // rejections are counted inside the replica (rejections())
    drain();
}

void Node::Impl::step_received(std::uint32_t from, consensus::Message message) {
#if defined(JC_BYZANTINE)
    if (byzantine_) {
        byzantine_->on_received(message);
    }
#endif
    // Described only if refused (the common case is accepted; no string work for it).
    const std::string_view name = consensus::message_name(message);
    const std::uint64_t view = consensus::view_of(message);
    const consensus::ValidatorIndex signer = consensus::signer_of(message);
    stepping_from_ = from;
    const auto outcome = replica_->step(consensus::Received{from, std::move(message)});
    stepping_from_.reset();
    if (!outcome.ok()) {
        const auto reason = outcome.reason;
        metrics_.consensus_refused[static_cast<std::size_t>(reason)]++;
        // Reasons an honest cluster also produces (late votes after a quorum, an old view's
        // stragglers, retransmissions) are info; the rest only a faulty or hostile peer sends.
        const bool benign = reason == consensus::Rejection::kStaleView || reason == consensus::Rejection::kStaleHeight ||
                            reason == consensus::Rejection::kDuplicate || reason == consensus::Rejection::kOutOfWindow ||
                            reason == consensus::Rejection::kBufferFull || reason == consensus::Rejection::kNotReady ||
                            reason == consensus::Rejection::kHalted;
        refusals_.refused(from, "consensus " + std::string(consensus::rejection_name(reason)),
                          benign ? RefusalLog::Severity::kBenign : RefusalLog::Severity::kHostile,
                          std::string(name) + " view " + std::to_string(view) + " signed as validator " +
                              std::to_string(signer),
                          mono_ms());
    }
    drain();
}

void Node::Impl::drain() {
    for (int guard = 0; guard < 64; ++guard) {
        consensus::Ready ready = replica_->take_ready();
        if (ready.empty()) {
            break;
        }
        if (!ready.to_persist.empty()) {
            std::vector<ledger::ConsensusRecordWrite> writes;
            std::uint64_t max_seq = 0;
            for (const auto& r : ready.to_persist) {
                const Bytes encoded = consensus::encode_record(r.record);
                writes.push_back({record_key(record_key_base_ + r.seq), to_string(encoded)});
                max_seq = std::max(max_seq, r.seq);
            }
            asio::post(*persist_pool_, [this, w = std::move(writes), max_seq, handed = std::chrono::steady_clock::now()]() mutable {
                persist(std::move(w), max_seq, handed);
            });
        }
        for (const auto& out : ready.to_send) {
#if defined(JC_BYZANTINE)
            if (byzantine_) {
                byzantine_->send(out, replica_->status());  // tests only: may lie (ADR 0092)
                continue;
            }
#endif
            const Bytes bytes = consensus::encode(out.message);
            if (out.to) {
                transport_->send(*out.to, p2p::Channel::kConsensus, bytes);
            } else {
                transport_->broadcast(p2p::Channel::kConsensus, bytes);
            }
        }
        for (auto& c : ready.to_commit) {
            auto decoded = decode_block(c.proposal.payload, ledger::BlockLimits{});
            if (!decoded) {
                fatal("committed block at height " + std::to_string(c.height) + " does not decode: " +
                      decoded.error().message());
                return;
            }
            forget_committed(decoded->block.tx_hashes());
            lineage_.prune_below(c.height);
            // In order after the durable head or the last handed height: the storage thread
            // commits it (or halts). A block past a gap waits for sync, so it does not count.
            if (c.height <= std::max(metrics_.height.load(), commit_handed_height_) + 1) {
                commit_handed_height_ = std::max(commit_handed_height_, c.height);
            }
            const auto committed_at = std::chrono::steady_clock::now();
            // Only the block this node proposed at the height (stage_clock.h).
            if (const auto proposed = proposed_at_.committed(c.height, c.proposal.digest)) {
                metrics_.block_consensus.observe_us(
                    std::chrono::duration_cast<std::chrono::microseconds>(committed_at - *proposed).count());
            }
            asio::post(storage_io_, [this, b = std::move(decoded->block), cert = std::move(c.certificate), committed_at] {
                const std::uint64_t before = committed_height_;
                commit(b, cert, /*from_sync=*/false);
                // Not when a sync response committed the height first (stage_clock.h).
                if (durable_measured(b.height(), before, committed_height_)) {
                    metrics_.block_durable.observe_us(std::chrono::duration_cast<std::chrono::microseconds>(
                                                          std::chrono::steady_clock::now() - committed_at)
                                                          .count());
                }
            });
        }
        for (const auto& f : ready.fetch_requests) {
            request_sync(f.from_height, f.to_height, /*probe=*/false);
        }
        for (auto& cert : ready.stable_checkpoints) {
            asio::post(storage_io_, [this, cert] {
                if (halted()) {
                    return;
                }
                if (auto s = store_->put_checkpoint_certificate(cert); !s) {
                    if (s.error().code() == Errc::kCorruption) {
                        fatal(s.error().message());
                    } else if (s.error().code() == Errc::kIo) {
                        fatal("cannot store checkpoint certificate " + std::to_string(cert.height) + ": " +
                              s.error().message());
                    } else {
                        log_->warn("checkpoint at height {} not stored: {}", cert.height, s.error().message());
                    }
                }
            });
        }
        if (ready.diverged) {
            fatal("execution results at height " + std::to_string(ready.diverged->height) +
                  " differ from the quorum's (ours " + ready.diverged->ours.hex() + ", quorum " +
                  ready.diverged->quorum.hex() + "); refusing to continue on a diverged ledger");
            return;
        }
    }
    const auto status = replica_->status();
    if (status.view != last_view_) {
        metrics_.view_changes++;
        last_view_ = status.view;
        pool_->release_in_flight();
        log_->info("entered view {}", status.view);
    }
    metrics_.view = status.view;
    metrics_.pool_txs = pool_->size();
    metrics_.pool_bytes = pool_->bytes();
}

void Node::Impl::maybe_propose() {
    const auto slot = replica_->proposal_slot();
    if (!slot || pool_->proposable() == 0) {
        pool_nonempty_since_ms_ = pool_->proposable() == 0 ? -1 : pool_nonempty_since_ms_;
        return;
    }
    const std::int64_t now = mono_ms();
    if (pool_nonempty_since_ms_ < 0) {
        pool_nonempty_since_ms_ = now;
    }
    const std::size_t txs_max = std::min<std::size_t>(config_.consensus.block_txs_max, genesis_->params().block_txs_max);
    const std::size_t bytes_max = block_tx_bytes_max(genesis_->params().block_bytes_max);
    // Full means this block's own transactions reach a limit, not what its uncommitted
    // ancestors carry (tx_pool.h); the branch's hashes are built only when needed.
    std::optional<TxPool::HashSet> carried;
    const bool full = pool_->fills_block_on_branch(
        txs_max, bytes_max, [&] { return lineage_.txs_on_branch(slot->parent_digest); }, carried);
    // Cut a block when it is full, or when the block interval has passed since work arrived and
    // this one is at most blocks_ahead_max heights above the executed head, or when the
    // hold reached its bound (block_cut.h, ADR 0155). The head's Executed calls maybe_propose
    // again, and so does the tick timer, so no wake-up is lost.
    const BlockCut cut = decide_block_cut(BlockCutInput{
        .now_ms = now,
        .work_since_ms = pool_nonempty_since_ms_,
        .full = full,
        .height = slot->height,
        .executed_height = metrics_.height.load(),
        .blocks_ahead_max = config_.consensus.blocks_ahead_max,
        .block_interval_ms = static_cast<std::int64_t>(config_.consensus.block_interval_ms),
        .hold_ms_max = static_cast<std::int64_t>(config_.consensus.view_change_timeout_ticks * config_.consensus.tick_ms / 4),
    });
    if (cut != BlockCut::kCut) {
        return;
    }
    if (!carried) {
        carried = lineage_.txs_on_branch(slot->parent_digest);
    }
    std::vector<std::chrono::steady_clock::time_point> added;
    auto txs = pool_->take_for_block(txs_max, bytes_max, *carried, &added);
    if (txs.empty()) {
        pool_nonempty_since_ms_ = pool_->proposable() == 0 ? -1 : pool_nonempty_since_ms_;
        return;
    }
    std::int64_t timestamp = wall_ms();
    if (const auto* parent = lineage_.find(slot->parent_digest); parent != nullptr) {
        timestamp = std::max(timestamp, parent->timestamp_ms);
    }
    timestamp = std::max(timestamp, store_->head().timestamp_ms);
    auto block = ledger::Block::make(slot->height, slot->parent_digest, timestamp, config_.validator_index, std::move(txs));
    if (!block) {
        log_->error("cannot assemble block {}: {}", slot->height, block.error().message());
        pool_->release_in_flight();
        return;
    }
    pool_nonempty_since_ms_ = pool_->proposable() == 0 ? -1 : now;
    // valid() records the proposal in the lineage when the replica checks it.
    const auto proposed = std::chrono::steady_clock::now();
    for (const auto& t : added) {
        metrics_.tx_pool_wait.observe_us(std::chrono::duration_cast<std::chrono::microseconds>(proposed - t).count());
    }
    proposed_at_.proposed(slot->height, block->hash(), proposed);
    consensus::Proposal proposal{block->hash(), slot->parent_digest, block->encode()};
    step(consensus::Propose{slot->height, std::move(proposal)});
}

void Node::Impl::forget_committed(const std::vector<Hash>& hashes) {
    pool_->remove(hashes);
    for (const auto& h : hashes) {
        if (recently_committed_.insert(h).second) {
            recently_committed_order_.push_back(h);
        }
    }
    while (recently_committed_order_.size() > kRecentlyCommittedMax) {
        recently_committed_.erase(recently_committed_order_.front());
        recently_committed_order_.pop_front();
    }
}

void Node::Impl::on_tick() {
    // The timer runs at the shorter of the replica's tick and the block interval, so the primary
    // cuts blocks promptly; the replica sees a Tick only every tick_ms (its timeouts count those).
    const std::int64_t now = mono_ms();
    last_tick_ms_ = now;
    replica_->step(consensus::WorkPending{pool_->size() > 0});
    if (const TickDue tick = replica_tick_due(last_replica_tick_ms_, now, static_cast<std::int64_t>(config_.consensus.tick_ms));
        tick.due) {
        last_replica_tick_ms_ = tick.mark;
        step(consensus::Tick{});
    } else {
        drain();
    }
    maybe_propose();
    // Ask a peer for blocks above our head now and then: a node restarted on an idle chain hears
    // no consensus traffic that would tell it it is behind. A peer with nothing newer answers
    // nothing, so this costs one small frame per interval.
    if (now - last_peer_check_ms_ >= kPeerCheckIntervalMs) {
        last_peer_check_ms_ = now;
        gossip_pool_to_new_peers();
    }
#if defined(JC_BYZANTINE)
    if (byzantine_) {
        byzantine_->on_tick(replica_->status(), now);
    }
#endif
    // Also while consensus commits: it keeps every peer's sync path exercised, so a peer that
    // answers with forged blocks is noticed and logged (node_byzantine's forge phase relies on
    // it; ADR 0105). It asks only above the blocks consensus already handed to the storage
    // thread: asking from the durable head made a busy peer read, parse and send the block or
    // two this node was about to commit anyway, and this node decode them (ADR 0168).
    // The interval counts from a probe that went out: a node started before its peers connect
    // probes on the first tick one of them is there (a restarted validator learns it is behind
    // at once, not up to a second later).
    if (now - last_sync_probe_ms_ >= kSyncProbeIntervalMs) {
        const std::uint64_t head = std::max(metrics_.height.load(), commit_handed_height_);
        if (request_sync(head + 1, head + kSyncBlocksPerResponseMax, /*probe=*/true)) {
            last_sync_probe_ms_ = now;
        }
    }
    const std::int64_t period_ms = tick_timer_period_ms(static_cast<std::int64_t>(config_.consensus.tick_ms),
                                                        static_cast<std::int64_t>(config_.consensus.block_interval_ms));
    // On a fixed grid from the previous expiry, so the time on_tick takes does not stretch the
    // period; after a stall the grid restarts at now rather than firing to catch up.
    const auto period = std::chrono::milliseconds(period_ms);
    tick_timer_->expires_at(std::max(tick_timer_->expiry() + period, std::chrono::steady_clock::now()));
    tick_timer_->async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
            on_tick();
        }
    });
}

void Node::Impl::submit(ledger::TxPtr tx, std::function<void(Status, bool)> done) {
    asio::post(consensus_io_, [this, tx = std::move(tx), done = std::move(done)]() mutable {
        // Admission cached the verified envelope; what does not enter the pool leaves the cache
        // too, as on the gossip path, so refusals under overload do not push pooled
        // transactions out of it (ADR 0105).
        if (recently_committed_.count(tx->hash()) != 0) {
            tx_cache_->erase(*tx);
            done({}, false);
            return;
        }
        switch (pool_->add(tx, TxPool::Origin::kClient)) {
            case TxPool::AddResult::kFull:
                tx_cache_->erase(*tx);
                metrics_.txs_refused++;
                done(Error(Errc::kUnavailable, "POOL_FULL: the transaction pool is full (" + std::to_string(pool_->size()) +
                                                   " transactions, " + std::to_string(pool_->client_txs()) +
                                                   " of them from this node's clients)"),
                     false);
                return;
            case TxPool::AddResult::kDuplicate:
                done({}, false);
                return;
            case TxPool::AddResult::kAdded:
                break;
        }
        metrics_.txs_admitted++;
        gossip_queue_.push_back(tx);
        if (gossip_queue_.size() == 1) {
            gossip_timer_->expires_after(std::chrono::milliseconds(config_.pool.gossip_interval_ms));
            gossip_timer_->async_wait([this](const boost::system::error_code& ec) {
                if (!ec) {
                    gossip_flush();
                }
            });
        }
        if (gossip_queue_.size() >= config_.pool.gossip_batch_txs_max) {
            gossip_flush();
        }
        done({}, true);
        maybe_propose();
    });
}

void Node::Impl::gossip_flush() {
    if (gossip_queue_.empty()) {
        return;
    }
    const Bytes batch = encode_gossip_batch(gossip_queue_);
    gossip_queue_.clear();
    transport_->broadcast(p2p::Channel::kTxGossip, batch);
}

// Gossip is sent once, to the peers connected at that moment. A transaction admitted while a
// peer was away (restarting, partitioned, not yet redialled) never reaches it; if the primary
// then fails, the peers that lack it see no work pending, do not run their view-change timers,
// and the one validator holding it cannot gather a view change alone: the transaction waits
// until some other request arrives. So a peer that (re)connects gets the pool's oldest
// transactions (bounded); duplicates cost the receiver one cache lookup each.
void Node::Impl::gossip_pool_to_new_peers() {
    const auto peers = transport_->peer_status();
    for (const auto& peer : peers) {
        if (peer.index >= peer_was_connected_.size()) {
            peer_was_connected_.resize(peer.index + 1, false);
        }
        const bool was = peer_was_connected_[peer.index];
        peer_was_connected_[peer.index] = peer.connected;
        if (!peer.connected || was || pool_->size() == 0) {
            continue;
        }
        const auto txs = pool_->oldest(kRegossipBatchesMax * config_.pool.gossip_batch_txs_max);
        const std::span<const ledger::TxPtr> all(txs);
        for (std::size_t at = 0; at < all.size(); at += config_.pool.gossip_batch_txs_max) {
            const std::size_t n = std::min<std::size_t>(all.size() - at, config_.pool.gossip_batch_txs_max);
            transport_->send(peer.index, p2p::Channel::kTxGossip, encode_gossip_batch(all.subspan(at, n)));
        }
        metrics_.txs_regossiped += txs.size();
    }
}

void Node::Impl::on_message(p2p::Message message) {
    switch (message.channel) {
        case p2p::Channel::kConsensus: {
            auto decoded = consensus::decode(message.payload, codec_limits_);
            if (!decoded) {
                metrics_.consensus_undecodable++;
                refusals_.refused(message.from, "consensus undecodable", RefusalLog::Severity::kHostile,
                                  std::to_string(message.payload.size()) + " bytes: " + decoded.error().message(),
                                  mono_ms());
                return;
            }
            auto in = std::make_shared<Inbound>(Inbound{std::move(*decoded), std::move(message.credit)});
            const std::uint32_t from = message.from;
            inbox_[from].push_back(in);
            if (proposals_of(in->message).empty()) {
                in->ready = true;
                pump_inbox(from);
                return;
            }
            // Proposals' transaction signatures are checked off this thread (results cached), so
            // valid() here finds them verified and never runs secp256k1 itself.
            asio::post(*proposal_pool_, [this, in, from] {
                const ledger::BlockLimits limits = proposal_limits();
                bool bad_tx = false;
                for (const consensus::Proposal* p : proposals_of(in->message)) {
                    auto block = decode_block(p->payload, limits);
                    if (!block) {
                        continue;  // valid() refuses it, with the reason
                    }
                    for (const std::size_t i : block->unverified) {
                        if (!verify_once(block->block.txs()[i]).ok()) {
                            bad_tx = true;
                            break;
                        }
                    }
                }
                asio::post(consensus_io_, [this, in, from, bad_tx] {
                    in->ready = true;
                    // A pre-prepare carrying a badly signed transaction would fail valid(); refuse
                    // it here so the consensus thread does not verify it again. View changes carry
                    // prepared proposals (certified by a quorum); the replica judges those.
                    in->refused = bad_tx && std::holds_alternative<consensus::PrePrepare>(in->message);
                    if (in->refused) {
                        metrics_.proposals_bad_tx++;
                        refusals_.refused(from, "invalid proposal: transaction signature", RefusalLog::Severity::kHostile,
                                          std::string(consensus::message_name(in->message)) + " view " +
                                              std::to_string(consensus::view_of(in->message)) +
                                              " carries a badly signed transaction",
                                          mono_ms());
                    }
                    pump_inbox(from);
                });
            });
            return;
        }
        case p2p::Channel::kTxGossip:
            // Verified off the consensus strand, within the crypto pool's backlog bound; a batch
            // over it is shed (the sender's clients still have their own node's pool). A batch
            // this node does not take at all is the peer's fault, or a misconfiguration on one
            // side (pool.gossip_batch_txs_max over 4x ours): reported, never silent.
            {
                std::string why;
                if (gossip_intake_->offer(message.from, std::move(message.payload), &why) ==
                    GossipIntake::Offer::kMalformed) {
                    metrics_.gossip_batches_refused++;
                    refusals_.refused(message.from, "gossip batch", RefusalLog::Severity::kHostile, why, mono_ms());
                }
            }
            return;
        case p2p::Channel::kSyncRequest:
            asio::post(storage_io_, [this, m = std::move(message)] { serve_sync_request(m.from, m.payload); });
            return;
        case p2p::Channel::kSyncResponse:
            // Checked on the sync-check thread, then applied on the storage thread; the frame's
            // delivery credit is held until it is applied.
            asio::post(*sync_check_pool_, [this, m = std::move(message)] { check_sync_response(m.payload, m.credit); });
            return;
        case p2p::Channel::kKeepalive:
            return;
    }
}

void Node::Impl::pump_inbox(std::uint32_t from) {
    auto& queue = inbox_[from];
    bool stepped = false;
    while (!queue.empty() && queue.front()->ready) {
        auto in = std::move(queue.front());
        queue.pop_front();
        if (!in->refused) {
            step_received(from, std::move(in->message));
            stepped = true;
        }
    }
    if (stepped) {
        maybe_propose();
    }
}

// ---------------------------------------------------------------------------------------------
// Persist thread (ADR 0150) and storage thread

// On the persist thread: one batch of the replica's records, in the order handed over; their
// votes are released (Persisted) only once the batch is durable.
void Node::Impl::persist(std::vector<ledger::ConsensusRecordWrite> writes, std::uint64_t seq,
                         std::chrono::steady_clock::time_point handed) {
    if (halted()) {
        return;  // nothing is written after a fatal error; the votes stay unsent
    }
    if (auto s = store_->write_consensus_records(writes); !s) {
        // No Persisted: the replica keeps these records' votes (and everything after them) unsent.
        fatal("cannot persist consensus records (" + std::to_string(writes.size()) + " up to seq " +
              std::to_string(seq) + "; their votes are not sent): " + s.error().message());
        return;
    }
    records_durable_seq_ = seq;
    metrics_.consensus_persist.observe_us(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - handed).count());
    asio::post(consensus_io_, [this, seq] {
        step(consensus::Persisted{seq});
        maybe_propose();
    });
}

void Node::Impl::wake_waiters(std::vector<ledger::Receipt> receipts) {
    // Claimed here, answered on the reader pool (ADR 0135, waiters.h).
    waiters_.wake(std::move(receipts), *reader_pool_, log_);
}

void Node::Impl::commit(const ledger::Block& block, const Certificate& cert, bool from_sync) {
    if (halted()) {
        return;  // nothing is written after a fatal error
    }
    if (block.height() <= committed_height_) {
        return;  // already committed (sync and consensus can both deliver a height)
    }
    if (block.height() != committed_height_ + 1) {
        log_->warn("block {} arrived before block {}; waiting for sync", block.height(), committed_height_ + 1);
        return;
    }
    const auto started = std::chrono::steady_clock::now();
    auto snapshot = store_->snapshot();
    // The block executes on its parent's state. This guards an invariant, not a known path:
    // only this thread commits, so the snapshot's head is committed_height_'s. The store checks
    // the block against its own head at commit but no longer the state the engine read (it
    // computes the results itself, ADR 0160); if the invariant ever broke, this stops the node
    // before executing, with what went wrong, instead of at the next checkpoint's mismatch.
    if (const auto& head = snapshot->head(); head.height + 1 != block.height() ||
                                             head.hash != block.header().parent_hash) {
        fatal("block " + std::to_string(block.height()) + " would execute on the state at height " +
              std::to_string(head.height) + " (" + head.hash.hex() + "), not on its parent's");
        return;
    }
    const auto ctx = contracts::BlockContext::at(block.height(), block.header().timestamp_ms);
    auto output = engine_.execute_block(*snapshot, ctx, block.txs());
    if (!output) {
        fatal("block " + std::to_string(block.height()) + " cannot be executed: " + output.error().message());
        return;
    }
    std::vector<ledger::Receipt> receipts;
    receipts.reserve(block.txs().size());
    for (std::uint32_t i = 0; i < block.txs().size(); ++i) {
        receipts.push_back(to_ledger_receipt(output->receipts[i], block.txs()[i]->hash(), block.height(), i));
    }
    snapshot.reset();
    // The store computes the results (receipt root, state chain step) while it files the
    // receipts and writes, so each is hashed once (ADR 0160).
    const auto store_started = std::chrono::steady_clock::now();
    auto committed = store_->commit_block(block, cert, receipts, output->writes);
    metrics_.store_commit.observe_us(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - store_started).count());
    if (!committed) {
        // Before any receipt leaves: a block whose batch did not become durable is acknowledged
        // to nobody.
        fatal("cannot commit block " + std::to_string(block.height()) + " (no receipt of it was given): " +
              committed.error().message());
        return;
    }
    const ledger::ExecutionResults& results = *committed;
    committed_height_ = block.height();
    metrics_.height = block.height();
    if (MemberRegister::touches_members(output->writes)) {
        auto reg = MemberRegister::load(*store_->snapshot(), block.height());
        if (reg) {
            log_->info("member register refreshed at height {} ({} members)", block.height(), reg->members.size());
            members_.publish(std::move(*reg));
        } else {
            // Keep admitting against the previous register; the engine still judges every
            // transaction against the committed state, so this cannot admit wrongly into a block.
            log_->error("cannot read the member register at height {}: {}", block.height(), reg.error().message());
        }
    }
    metrics_.blocks_committed++;
    metrics_.txs_committed += block.txs().size();
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    metrics_.block_commit.observe_us(us);

    const Hash digest = results.digest();
    asio::post(consensus_io_, [this, h = block.height(), digest, from_sync, block_hash = block.hash(),
                               parent = block.header().parent_hash, cert] {
        if (from_sync) {
            replica_->step(consensus::Synced{h, block_hash, parent, cert});
        }
        step(consensus::Executed{h, digest});
        if (h >= sync_requested_to_) {
            metrics_.syncing = false;
        }
        maybe_propose();
    });
    publish(block, receipts, *output);
    // A committed envelope is not needed again (a proposal carrying it again re-verifies).
    for (const auto& tx : block.txs()) {
        tx_cache_->erase_committed(*tx);
    }
    // Every commit, from consensus or from sync, clears its transactions from the pool and
    // keeps them from coming back through late gossip.
    asio::post(consensus_io_, [this, hashes = block.tx_hashes()] { forget_committed(hashes); });
    wake_waiters(std::move(receipts));
    // Drop consensus records the ledger now makes redundant (every 64 heights).
    if (committed_height_ >= records_gc_height_ + 64) {
        std::vector<ledger::ConsensusRecordWrite> erase;
        (void)store_->scan_consensus_records(kRecordPrefix, [&](std::string_view key, std::string_view value) {
            auto record = consensus::decode_record(as_bytes(value), codec_limits_);
            if (record && consensus::record_height(*record) != 0 &&
                consensus::record_height(*record) + 2 * config_.consensus.window_heights <= committed_height_) {
                erase.push_back({std::string(key), std::nullopt});
            }
            return erase.size() < 10'000;
        });
        if (!erase.empty()) {
            if (auto s = store_->write_consensus_records(erase); !s) {
                fatal("cannot erase old consensus records: " + s.error().message());
                return;
            }
        }
        records_gc_height_ = committed_height_;
    }
}

bool Node::Impl::request_sync(std::uint64_t from, std::uint64_t to, bool probe) {
    // Runs on the consensus strand. Ask one connected peer at a time, rotating, for a bounded range.
    if (to < from) {
        return true;
    }
    std::vector<std::uint32_t> peers;
    for (const auto& s : transport_->peer_status()) {
        if (s.connected) {
            peers.push_back(s.index);
        }
    }
    if (peers.empty()) {
        return false;
    }
    if (!probe) {
        metrics_.syncing = true;
        sync_requested_to_ = std::max(sync_requested_to_, to);
    }
    // Not the heights already fetched and checked, or being applied (sync_pipeline.h).
    const auto range = sync_.fetch_range(from, to);
    if (!range) {
        return true;  // everything asked for is on its way
    }
    const std::uint32_t peer = peers[sync_peer_rotation_++ % peers.size()];
    codec::Writer w;
    w.u64(range->first).u64(range->second);
    transport_->send(peer, p2p::Channel::kSyncRequest, w.data());
    return true;
}

void Node::Impl::serve_sync_request(std::uint32_t peer, ByteView payload) {
    codec::Reader r(payload);
    auto from = r.u64();
    auto to = r.u64();
    if (!from || !to || !r.finish().ok() || *to < *from || *from == 0) {
        log_->debug("malformed sync request from {}", peer);
        return;
    }
    std::size_t queue_bytes = 0;
    for (const auto& s : transport_->peer_status()) {
        queue_bytes = s.index == peer ? s.send_queue_bytes : queue_bytes;
    }
    if (const auto verdict = sync_limiter_->admit(peer, mono_ms(), queue_bytes); verdict != SyncLimiter::Verdict::kServe) {
        // The requester retries (its probe runs every second and fetches are re-asked), so a
        // refusal delays an honest peer a little and costs a flooding one everything.
        metrics_.sync_requests_refused++;
        const std::int64_t now = mono_ms();
        if (now - last_sync_refusal_log_ms_ >= 10'000) {
            last_sync_refusal_log_ms_ = now;
            log_->warn("sync request from validator {} refused: {} (logged once per 10 s)", peer,
                       verdict == SyncLimiter::Verdict::kRateLimited ? "over p2p.sync_requests_per_second"
                                                                    : "its send queue is over p2p.sync_queue_bytes_max");
        }
        return;
    }
    auto snapshot = store_->snapshot();
#if defined(JC_BYZANTINE)
    if (byzantine_) {
        // Tests only (ADR 0092): in forge mode, a fabricated block on our real block from - 1.
        Hash parent = genesis_->hash();
        bool known = *from == 1;
        if (*from > 1) {
            auto below = snapshot->block(*from - 1);
            if (below && *below) {
                parent = (*below)->hash();
                known = true;
            }
        }
        if (known && byzantine_->forge_sync_response(peer, *from, parent)) {
            return;
        }
    }
#endif
    const std::uint64_t last = std::min({*to, snapshot->head().height, *from + kSyncBlocksPerResponseMax - 1});
    codec::Writer w;
    std::vector<std::pair<Bytes, Bytes>> items;
    std::size_t bytes = 0;
    for (std::uint64_t h = *from; h <= last && bytes < kSyncResponseBytesMax; ++h) {
        auto block = snapshot->block(h);
        auto cert = snapshot->commit_certificate(h);
        if (!block || !*block || !cert || !*cert) {
            break;
        }
        items.emplace_back((*block)->encode(), (*cert)->encode());
        bytes += items.back().first.size() + items.back().second.size();
    }
    if (items.empty()) {
        return;
    }
    w.varint(items.size());
    for (const auto& [b, c] : items) {
        w.bytes(b).bytes(c);
    }
    transport_->send(peer, p2p::Channel::kSyncResponse, w.data());
}

std::size_t Node::Impl::verify_all(const std::vector<ledger::TxPtr>& txs) {
    // Contiguous chunks, one per crypto-pool thread and one for this thread; the cache's
    // in-flight marker keeps a transaction another thread is checking from being checked twice.
    const std::size_t chunks = std::min<std::size_t>(config_.pool.verify_threads + 1, txs.size());
    if (chunks == 0) {
        return 0;
    }
    std::atomic<std::size_t> first_bad{txs.size()};
    const auto run = [&](std::size_t chunk) {
        const std::size_t begin = txs.size() * chunk / chunks;
        const std::size_t end = txs.size() * (chunk + 1) / chunks;
        for (std::size_t i = begin; i < end && i < first_bad.load(); ++i) {
            if (!verify_once(txs[i]).ok()) {
                std::size_t seen = first_bad.load();
                while (i < seen && !first_bad.compare_exchange_weak(seen, i)) {
                }
                return;
            }
        }
    };
    std::latch done(static_cast<std::ptrdiff_t>(chunks - 1));
    for (std::size_t c = 1; c < chunks; ++c) {
        asio::post(*crypto_pool_, [&run, &done, c] {
            run(c);
            done.count_down();
        });
    }
    run(0);
    done.wait();  // the node stops this thread's pool before the crypto pool, so this returns
    return first_bad.load();
}

void Node::Impl::check_sync_response(ByteView payload, const std::shared_ptr<void>& credit) {
    SyncChecks checks;
    checks.decode = [this](ByteView bytes) { return decode_block(bytes, ledger::BlockLimits{}); };
    checks.verify_certificate = [this](const Certificate& cert) {
        return verify_certificate(cert, genesis_->chain_id(), validator_keys_);
    };
    checks.verify_signatures = [this](const std::vector<ledger::TxPtr>& txs) { return verify_all(txs); };
    checks.committed_height = [this] { return metrics_.height.load(); };
    checks.stopping = [this] { return halted() || storage_io_.stopped(); };
    sync_.check(payload, checks, [this, &credit](CheckedSync group) {
        asio::post(storage_io_, [this, c = std::move(group), credit]() mutable { apply_sync_response(std::move(c)); });
    });
}

void Node::Impl::apply_sync_response(CheckedSync checked) {
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    SyncStore store;
    store.head_height = [this] { return committed_height_; };
    store.head_hash = [this] { return store_->head().hash; };
    store.commit = [this](const ledger::Block& block, const Certificate& cert) { commit(block, cert, /*from_sync=*/true); };
    const SyncPipeline::Applied applied = sync_.apply(checked, store);
    const std::uint64_t first_applied = applied.first;
    const std::uint64_t last_applied = applied.last;
    const std::uint64_t txs = applied.txs;
    const auto commit_us =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
    // Where the time of a response went: the catch-up's timeline in the log, totals in /metrics.
    metrics_.sync_decode_us += checked.decode_us;
    metrics_.sync_certificate_us += checked.certificate_us;
    metrics_.sync_signature_us += checked.signature_us;
    metrics_.sync_commit_us += commit_us;
    if (first_applied != 0) {
        metrics_.sync_blocks_applied += last_applied - first_applied + 1;
        metrics_.sync_txs_applied += txs;
        log_->info("sync: applied heights {}..{} ({} txs) {} ms after their check began: checked in {} ms (decode {} ms, "
                   "certificates {} ms, tx signatures {} ms), executed and stored in {} ms",
                   first_applied, last_applied, txs, mono_ms() - checked.received_ms,
                   (checked.decode_us + checked.certificate_us + checked.signature_us) / 1000, checked.decode_us / 1000,
                   checked.certificate_us / 1000, checked.signature_us / 1000, commit_us / 1000);
    }
    asio::post(consensus_io_, [this] {
        if (metrics_.height.load() >= sync_requested_to_) {
            metrics_.syncing = false;
        }
    });
}

std::string Node::Impl::metrics_text() const {
    std::string out;
    auto gauge = [&](const char* name, const char* help, std::uint64_t value, const char* type = "gauge") {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
               std::to_string(value) + "\n";
    };
    gauge("jointclear_height", "Committed block height.", metrics_.height.load());
    gauge("jointclear_view", "Current PBFT view.", metrics_.view.load());
    gauge("jointclear_view_changes_total", "View changes seen.", metrics_.view_changes.load(), "counter");
    gauge("jointclear_txs_committed_total", "Transactions committed.", metrics_.txs_committed.load(), "counter");
    gauge("jointclear_blocks_committed_total", "Blocks committed.", metrics_.blocks_committed.load(), "counter");
    gauge("jointclear_txs_admitted_total", "Transactions admitted to the pool.", metrics_.txs_admitted.load(), "counter");
    gauge("jointclear_txs_refused_total", "Transactions refused at admission.", metrics_.txs_refused.load(), "counter");
    gauge("jointclear_txs_regossiped_total", "Pool transactions sent again to a peer that (re)connected.",
          metrics_.txs_regossiped.load(), "counter");
    gauge("jointclear_pool_txs", "Transactions in the pool.", metrics_.pool_txs.load());
    gauge("jointclear_pool_bytes", "Bytes in the pool.", metrics_.pool_bytes.load());
    std::uint64_t peers = 0;
    if (transport_) {
        for (const auto& s : transport_->peer_status()) {
            peers += s.connected ? 1 : 0;
        }
    }
    gauge("jointclear_peers", "Connected validators.", peers);
    if (transport_) {
        const auto c = transport_->counters();
        gauge("jointclear_p2p_read_pauses_total", "Times reading from a peer paused: its delivery credit ran out.",
              c.read_pauses, "counter");
        gauge("jointclear_p2p_refused_handshakes_per_ip_total",
              "Inbound connections closed: too many pending handshakes from their address.", c.refused_handshakes_per_ip,
              "counter");
    }
    if (gossip_intake_) {
        gauge("jointclear_verify_backlog_txs", "Transactions waiting for a signature check on the crypto pool.",
              gossip_intake_->backlog());
        gauge("jointclear_gossip_txs_shed_total", "Gossiped transactions shed: the signature backlog was full.",
              gossip_intake_->shed_txs(), "counter");
    }
    gauge("jointclear_gossip_txs_late_total",
          "Gossiped transactions dropped unparsed: they had committed before the gossip arrived.",
          metrics_.gossip_txs_late.load(), "counter");
    gauge("jointclear_tx_signature_checks_total",
          "Transaction signatures checked with secp256k1 (admission, gossip, proposals and sync; cache misses).",
          metrics_.tx_signature_checks.load(), "counter");
    gauge("jointclear_consensus_signature_checks_total", "Consensus message and certificate signatures checked.",
          metrics_.consensus_signature_checks.load(), "counter");
    gauge("jointclear_consensus_signatures_total", "Consensus votes signed.", metrics_.consensus_signatures_made.load(),
          "counter");
    if (tx_cache_) {
        gauge("jointclear_verified_txs_cached", "Transactions whose verified envelopes are cached (ADR 0105).",
              tx_cache_->size());
        gauge("jointclear_verified_txs_cache_hits_total",
              "Envelopes found verified in the cache: a parse and a signature check saved.", tx_cache_->hits(),
              "counter");
        gauge("jointclear_verified_txs_cache_misses_total", "Envelopes not in the cache: parsed and verified.",
              tx_cache_->misses(), "counter");
        gauge("jointclear_verified_txs_cache_evictions_total",
              "Cached envelopes evicted by the count or byte bound before they committed.", tx_cache_->evictions(),
              "counter");
    }
    // Where the memory is (ADR 0165): the process, the allocator, LevelDB, the node's own tables.
    const MemoryStats mem = read_memory_stats();
    gauge("jointclear_memory_resident_anon_bytes", "Resident anonymous memory (RssAnon: heap, stacks).",
          mem.resident_anon_bytes);
    gauge("jointclear_memory_resident_file_bytes",
          "Resident file-backed memory (RssFile: the binary, libraries, mapped files).", mem.resident_file_bytes);
    if (mem.jemalloc) {
        gauge("jointclear_jemalloc_allocated_bytes", "Bytes the program holds from jemalloc (stats.allocated).",
              mem.jemalloc->allocated_bytes);
        gauge("jointclear_jemalloc_active_bytes", "Pages of jemalloc's active extents (stats.active).",
              mem.jemalloc->active_bytes);
        gauge("jointclear_jemalloc_resident_bytes",
              "Resident pages jemalloc maps, unused dirty pages included (stats.resident).",
              mem.jemalloc->resident_bytes);
        gauge("jointclear_jemalloc_mapped_bytes", "jemalloc's mapped extents in use (stats.mapped).",
              mem.jemalloc->mapped_bytes);
        gauge("jointclear_jemalloc_retained_bytes",
              "Virtual memory jemalloc keeps mapped but returned to the kernel (stats.retained).",
              mem.jemalloc->retained_bytes);
    }
    if (store_) {
        const auto usage = store_->memory_usage();
        gauge("jointclear_leveldb_chain_memtable_bytes",
              "The chain database's memtables, the one being flushed included (LevelDB's estimate).",
              usage.chain_bytes);
        gauge("jointclear_leveldb_state_memtable_bytes",
              "The state database's memtables, the one being flushed included (LevelDB's estimate).",
              usage.state_bytes);
        gauge("jointclear_leveldb_block_cache_bytes", "The shared LevelDB block cache's charge.",
              usage.block_cache_bytes);
        // Each open table keeps its index and Bloom filter blocks on the heap (ADR 0166).
        gauge("jointclear_leveldb_chain_table_files",
              "The chain database's table files; each open one holds ~80 KB of index and filter on the heap.",
              usage.chain_table_files);
        gauge("jointclear_leveldb_state_table_files",
              "The state database's table files; each open one holds ~80 KB of index and filter on the heap.",
              usage.state_table_files);
    }
    if (tx_cache_) {
        gauge("jointclear_verified_txs_cached_bytes", "Envelope bytes of the cached verified transactions.",
              tx_cache_->bytes());
    }
    gauge("jointclear_rpc_waiters", "submitTransaction{wait:true} callers waiting for a receipt.", waiters_.size());
    out += "# HELP jointclear_consensus_messages_refused_total Consensus messages from peers refused, by reason.\n"
           "# TYPE jointclear_consensus_messages_refused_total counter\n";
    for (std::size_t r = 1; r < consensus::kRejectionCount; ++r) {
        out += "jointclear_consensus_messages_refused_total{reason=\"" +
               std::string(consensus::rejection_name(static_cast<consensus::Rejection>(r))) + "\"} " +
               std::to_string(metrics_.consensus_refused[r].load()) + "\n";
    }
    out += "jointclear_consensus_messages_refused_total{reason=\"undecodable\"} " +
           std::to_string(metrics_.consensus_undecodable.load()) + "\n";
    out += "jointclear_consensus_messages_refused_total{reason=\"proposal_bad_transaction\"} " +
           std::to_string(metrics_.proposals_bad_tx.load()) + "\n";
    gauge("jointclear_gossip_txs_refused_total",
          "Gossiped transactions refused: malformed, badly signed, another chain, or an unknown signer.",
          metrics_.gossip_txs_refused.load(), "counter");
    gauge("jointclear_gossip_batches_refused_total",
          "Whole gossip batches refused unread: no count, a zero count, or more transactions than 4 x this node's "
          "pool.gossip_batch_txs_max.",
          metrics_.gossip_batches_refused.load(), "counter");
    gauge("jointclear_gossip_txs_pool_full_total",
          "Gossiped transactions dropped because the pool was full (each validator's clients fill at most their share).",
          metrics_.gossip_txs_pool_full.load(), "counter");
    gauge("jointclear_sync_requests_refused_total", "Block-sync requests refused by the per-peer rate or queue limit.",
          metrics_.sync_requests_refused.load(), "counter");
    gauge("jointclear_sync_blocks_applied_total", "Blocks committed from block-sync responses.",
          metrics_.sync_blocks_applied.load(), "counter");
    gauge("jointclear_sync_txs_applied_total", "Transactions in blocks committed from block-sync responses.",
          metrics_.sync_txs_applied.load(), "counter");
    gauge("jointclear_sync_decode_microseconds_total", "Sync-check thread: decoding synced blocks and certificates.",
          metrics_.sync_decode_us.load(), "counter");
    gauge("jointclear_sync_certificate_microseconds_total", "Sync-check thread: checking synced blocks' commit certificates.",
          metrics_.sync_certificate_us.load(), "counter");
    gauge("jointclear_sync_signature_microseconds_total",
          "Sync-check thread: checking synced transactions' signatures (wall time, spread over the crypto pool).",
          metrics_.sync_signature_us.load(), "counter");
    gauge("jointclear_sync_commit_microseconds_total", "Storage thread: executing and storing synced blocks (fsync included).",
          metrics_.sync_commit_us.load(), "counter");
    if (dispatcher_) {
        gauge("jointclear_rpc_requests_total", "JSON-RPC requests.", dispatcher_->counters().requests.load(), "counter");
        gauge("jointclear_rpc_errors_total", "JSON-RPC error responses.", dispatcher_->counters().errors.load(), "counter");
    }
    if (rpc_server_) {
        gauge("jointclear_rpc_ws_overloaded_total", "WebSocket messages refused over rpc.ws_in_flight_max.",
              rpc_server_->counters().ws_overloaded.load(), "counter");
        gauge("jointclear_rpc_unauthorized_total", "RPC requests refused for a missing or unknown bearer token.",
              rpc_server_->counters().unauthorized.load(), "counter");
        if (config_.rpc.tls.enabled()) {
            const auto& rc = rpc_server_->counters();
            gauge("jointclear_rpc_tls_handshakes_total", "RPC TLS handshakes completed.", rc.tls_handshakes.load(),
                  "counter");
            gauge("jointclear_rpc_tls_handshakes_failed_total",
                  "RPC TLS handshakes failed: bad handshake, deadline passed, or plain HTTP to the TLS port.",
                  rc.tls_handshakes_failed.load(), "counter");
            gauge("jointclear_rpc_tls_handshakes_refused_total",
                  "RPC connections closed at accept: rpc.tls.handshakes_max handshakes already in progress.",
                  rc.tls_handshakes_refused.load(), "counter");
        }
    }
    metrics_.block_commit.append_text(out, "jointclear_block_commit_seconds",
                                      "Execution plus durable commit of one block.");
    metrics_.store_commit.append_text(out, "jointclear_store_commit_seconds",
                                      "The store's part of a block's commit: indexing, hashing and the two synced LevelDB "
                                      "write batches (chain, then state).");
    metrics_.consensus_persist.append_text(
        out, "jointclear_consensus_persist_seconds",
        "From the replica handing over consensus records to their fsync: how long votes wait to be sent.");
    metrics_.tx_pool_wait.append_text(
        out, "jointclear_tx_pool_wait_seconds",
        "Per transaction this node proposed: from entering its pool (client or gossip) to the proposal.");
    metrics_.block_consensus.append_text(out, "jointclear_block_consensus_seconds",
                                         "Per block this node proposed that consensus committed (not another primary's block at "
                                         "that height): from the proposal to its commit by consensus.");
    metrics_.block_durable.append_text(out, "jointclear_block_durable_seconds",
                                       "Per block committed by consensus and executed here (not one a sync response "
                                       "committed first): from the commit to executed and durable (storage queue "
                                       "included).");
#if defined(JC_BYZANTINE)
    if (byzantine_) {
        out += byzantine_->metrics_text();
    }
#endif
    return out;
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<Node>> Node::create(const NodeConfig& config) {
    auto impl = std::make_unique<Impl>(config);
    JC_TRY_STATUS(impl->init());
    return std::unique_ptr<Node>(new Node(std::move(impl)));
}

#if defined(JC_BYZANTINE)
Result<std::unique_ptr<Node>> Node::create(const NodeConfig& config, const ByzantineOptions& byzantine) {
    if (byzantine.behaviours.empty()) {
        return Error(Errc::kInvalidArgument, "--byzantine: no behaviour given");
    }
    auto impl = std::make_unique<Impl>(config);
    impl->byzantine_options_ = byzantine;
    JC_TRY_STATUS(impl->init());
    return std::unique_ptr<Node>(new Node(std::move(impl)));
}

void Node::byzantine_next() {
    if (impl_->byzantine_) {
        impl_->byzantine_->next_behaviour();
    }
}
#endif

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;
Status Node::start() { return impl_->start(); }
void Node::stop() { impl_->stop(); }
int Node::wait() { return impl_->wait(); }
std::uint16_t Node::rpc_port() const { return impl_->rpc_server_ ? impl_->rpc_server_->port() : 0; }

}  // namespace jc::node
