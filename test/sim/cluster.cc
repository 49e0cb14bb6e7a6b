#include "cluster.h"

#include "fake_crypto.h"
#include "node.h"

#include <jc/core/assert.h>
#include <jc/core/codec.h>
#include <jc/core/sha256.h>

#include <algorithm>
#include <deque>
#include <tuple>

namespace jc::sim {

using consensus::Message;
using consensus::Proposal;

// ------------------------------------------------------------------ rng and names

std::uint64_t Rng::next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::uint64_t Rng::range(std::uint64_t lo, std::uint64_t hi) {
    JC_ASSERT(lo <= hi, "sim.rng.range");
    const std::uint64_t span = hi - lo + 1;
    return span == 0 ? next() : lo + next() % span;
}

std::string_view byzantine_mode_name(ByzantineMode m) {
    switch (m) {
        case ByzantineMode::kSilent: return "silent";
        case ByzantineMode::kEquivocate: return "equivocate";
        case ByzantineMode::kForge: return "forge";
        case ByzantineMode::kReplay: return "replay";
        case ByzantineMode::kFakeViewChange: return "fake-view-change";
        case ByzantineMode::kFlood: return "flood";
        case ByzantineMode::kMixed: return "mixed";
    }
    return "unknown";
}

std::optional<ByzantineMode> parse_byzantine_mode(std::string_view name) {
    for (int i = 0; i < kByzantineModes; ++i) {
        const auto m = static_cast<ByzantineMode>(i);
        if (byzantine_mode_name(m) == name) {
            return m;
        }
    }
    return std::nullopt;
}

namespace {

constexpr std::string_view kChainId = "jc-sim";

Hash genesis_digest() { return sha256(std::string_view("jc-sim-genesis")); }

Bytes request_payload(std::uint64_t first, std::uint64_t last, std::uint32_t proposer, std::uint64_t view,
                      std::uint64_t height) {
    codec::Writer w;
    w.u8('R').u64(first).u64(last).u32(proposer).u64(view).u64(height);
    return w.take();
}

std::optional<std::uint64_t> payload_last_request(const Bytes& payload) {
    if (payload.size() != 37 || payload[0] != 'R') {
        return std::nullopt;
    }
    codec::Reader r(payload);
    (void)r.u8();
    (void)r.u64();
    auto last = r.u64();
    return last ? std::optional<std::uint64_t>(*last) : std::nullopt;
}

Cluster::Event make_event(Cluster::EventKind kind, std::uint32_t node = 0, std::uint32_t from = 0,
                          std::uint64_t epoch = 0, std::uint64_t a = 0, std::uint64_t b = 0, Bytes bytes = {}) {
    return Cluster::Event{kind, node, from, epoch, a, b, std::move(bytes)};
}

Bytes random_bytes(Rng& rng, std::size_t n) {
    Bytes b(n);
    for (auto& x : b) {
        x = static_cast<std::uint8_t>(rng.next());
    }
    return b;
}

Hash random_hash(Rng& rng) {
    Hash h;
    for (auto& x : h.bytes) {
        x = static_cast<std::uint8_t>(rng.next());
    }
    return h;
}

crypto::Signature random_sig(Rng& rng) {
    crypto::Signature s;
    for (auto& x : s.bytes) {
        x = static_cast<std::uint8_t>(rng.next());
    }
    return s;
}

}  // namespace

// ------------------------------------------------------------------ construction

Cluster::Cluster(Options options) : opt_(std::move(options)), rng_(opt_.seed * 0x2545f4914f6cdd1dULL + 1) {
    const std::uint32_t n = opt_.validators;
    JC_ASSERT(n >= 1 && n <= consensus::kValidatorsMax, "sim.validators");
    for (std::uint32_t i = 0; i < n; ++i) {
        secrets_.push_back(fake_secret(opt_.seed, i));
        ValidatorKey vk;
        vk.index = i;
        vk.weight = opt_.weighted ? rng_.range(1, 3) : 1;
        if (opt_.real_crypto) {
            auto sk = crypto::SecretKey::from_bytes(secrets_.back().view());
            JC_ASSERT(sk.ok(), "sim.real_key");
            vk.key = sk->public_key();
        }
        validators_.push_back(vk);
    }
    if (opt_.real_crypto) {
        verifier_ = std::make_unique<consensus::Secp256k1Verifier>(validators_);
    } else {
        verifier_ = std::make_unique<FakeVerifier>(secrets_);
    }
    std::vector<std::uint32_t> order(n);
    for (std::uint32_t i = 0; i < n; ++i) {
        order[i] = i;
    }
    for (std::uint32_t i = n; i > 1; --i) {  // Fisher-Yates with our own generator
        std::swap(order[i - 1], order[static_cast<std::size_t>(rng_.range(0, i - 1))]);
    }
    for (std::uint32_t i = 0; i < n; ++i) {
        auto node = std::make_unique<Node>();
        node->index = i;
        node->tick_period_ms = opt_.clock_skew ? rng_.range(opt_.tick_ms * 7 / 10, opt_.tick_ms * 13 / 10) : opt_.tick_ms;
        node->tick_period_ms = std::max<std::uint64_t>(node->tick_period_ms, 1);
        nodes_.push_back(std::move(node));
    }
    std::uint64_t total = 0;
    for (const auto& v : validators_) {
        total += v.weight;
    }
    // Byzantine validators within the fault bound: their weight never exceeds f.
    std::uint64_t bad_weight = 0;
    std::uint32_t placed = 0;
    for (std::uint32_t k = 0; k < n && placed < opt_.byzantine; ++k) {
        const std::uint32_t v = order[k];
        if (bad_weight + validators_[v].weight <= fault_weight_max(total)) {
            nodes_[v]->byzantine = true;
            nodes_[v]->mode = opt_.byzantine_mode;
            bad_weight += validators_[v].weight;
            ++placed;
        }
    }
    partition_group_.assign(n, 0);
    faults_on_ = true;
    for (std::uint32_t i = 0; i < n; ++i) {
        start_node(i);
    }
    schedule(1, make_event(EventKind::kClient));
    schedule(rng_.range(20, 100), make_event(EventKind::kFault));
    for (std::uint32_t i = 0; i < n; ++i) {
        if (nodes_[i]->byzantine) {
            schedule(rng_.range(5, 30), make_event(EventKind::kByzantine, i));
        }
    }
}

Cluster::~Cluster() = default;

consensus::Config Cluster::config_for(std::uint32_t node) const {
    consensus::Config c = opt_.base;
    c.chain_id = std::string(kChainId);
    c.validators = validators_;
    c.self = node;
    c.genesis_digest = genesis_digest();
    return c;
}

bool Cluster::is_byzantine(std::uint32_t node) const { return nodes_.at(node)->byzantine; }

void Cluster::start_node(std::uint32_t i) {
    Node& n = *nodes_[i];
    JC_ASSERT(!n.up, "sim.start_node.down");
    if (opt_.real_crypto) {
        auto sk = crypto::SecretKey::from_bytes(secrets_[i].view());
        n.signer = std::make_unique<consensus::Secp256k1Signer>(*sk);
    } else {
        n.signer = std::make_unique<FakeSigner>(secrets_[i]);
    }
    consensus::Recovered rec;
    rec.committed_height = n.ledger.size();
    rec.committed_digest = n.ledger.empty() ? genesis_digest() : n.ledger.back().proposal.digest;
    if (!n.ledger.empty()) {
        rec.committed_certificate = n.ledger.back().certificate;
    }
    rec.executed_height = n.results.size();
    if (!n.results.empty()) {
        rec.executed_results_digest = n.results.back();
    }
    rec.stable_checkpoint = n.stable_cert;
    for (const auto& r : n.durable) {
        const std::uint64_t h = consensus::record_height(r);
        if (h == 0 || h > rec.committed_height) {
            rec.records.push_back(r);
        }
    }
    static const SimProposalValidator kValidator;
    auto replica = consensus::Replica::create(config_for(i), *n.signer, *verifier_, kValidator, rec);
    if (!replica) {
        fail("sim.restart", "replica " + std::to_string(i) + " failed to start: " + replica.error().message());
        return;
    }
    n.replica = std::move(*replica);
    n.up = true;
    ++n.epoch;
    n.pending_sent = false;
    n.proposed_view = UINT64_MAX;
    n.inbox.clear();
    schedule(now_ + n.tick_period_ms, make_event(EventKind::kTick, i, 0, n.epoch));
    process_ready(i);
    after_step(i);
}

// ------------------------------------------------------------------ event loop

void Cluster::schedule(std::uint64_t at, Event event) {
    queue_.emplace(std::make_pair(at, event_seq_++), std::move(event));
}

bool Cluster::step() {
    if (queue_.empty() || !violation_.empty()) {
        return false;
    }
    auto it = queue_.begin();
    now_ = it->first.first;
    const Event e = std::move(it->second);
    queue_.erase(it);
    ++steps_;
    handle(e);
    if (heal_time_) {
        check_liveness();
    }
    return violation_.empty();
}

bool Cluster::run_until(const std::function<bool()>& done, std::uint64_t steps_max) {
    for (std::uint64_t i = 0; i < steps_max; ++i) {
        if (done()) {
            return true;
        }
        if (!step()) {
            return done();
        }
    }
    return done();
}

void Cluster::handle(const Event& e) {
    switch (e.kind) {
        case EventKind::kDeliver:
            deliver(e.node, e.from, e.bytes);
            break;
        case EventKind::kTick: {
            Node& n = *nodes_[e.node];
            if (n.up && n.epoch == e.epoch) {
                drive(e.node, consensus::Tick{});
                if (n.up && n.epoch == e.epoch) {
                    schedule(now_ + n.tick_period_ms, make_event(EventKind::kTick, e.node, 0, n.epoch));
                }
            }
            break;
        }
        case EventKind::kPersisted: {
            Node& n = *nodes_[e.node];
            if (!n.up || n.epoch != e.epoch) {
                break;
            }
            auto split = std::stable_partition(n.unsynced.begin(), n.unsynced.end(),
                                               [&](const auto& p) { return p.first <= e.a; });
            for (auto it = n.unsynced.begin(); it != split; ++it) {
                n.durable.push_back(std::move(it->second));
            }
            n.unsynced.erase(n.unsynced.begin(), split);
            drive(e.node, consensus::Persisted{e.a});
            break;
        }
        case EventKind::kSyncRequest:
            on_sync_request(e.node, e.from, e.a, e.b);
            break;
        case EventKind::kSyncResponse:
            if (nodes_[e.node]->up) {
                on_sync_response(e.node, e.bytes);
            }
            break;
        case EventKind::kRestart:
            if (!nodes_[e.node]->up) {
                restart(e.node);
            }
            break;
        case EventKind::kClient:
            if (!requests_paused_) {
                submit_requests(1);
            }
            requests_paused_ = false;
            if (faults_on_ && opt_.idle_gaps && rng_.chance(4)) {
                requests_paused_ = true;  // an idle stretch: timers must stay quiet
                schedule(now_ + rng_.range(200, 600), make_event(EventKind::kClient));
            } else {
                schedule(now_ + opt_.request_interval_ms, make_event(EventKind::kClient));
            }
            break;
        case EventKind::kFault:
            if (faults_on_) {
                maybe_inject_faults();
                schedule(now_ + rng_.range(20, 150), make_event(EventKind::kFault));
            }
            break;
        case EventKind::kByzantine:
            byzantine_act(e.node);
            schedule(now_ + rng_.range(10, 40), make_event(EventKind::kByzantine, e.node));
            break;
        case EventKind::kHealPartition:
            std::fill(partition_group_.begin(), partition_group_.end(), 0);
            break;
    }
}

void Cluster::drive(std::uint32_t i, const consensus::Input& input) {
    Node& n = *nodes_[i];
    if (!n.up || !violation_.empty()) {
        return;
    }
    (void)n.replica->step(input);
    process_ready(i);
    after_step(i);
}

void Cluster::process_ready(std::uint32_t i) {
    Node& n = *nodes_[i];
    for (int guard = 0; guard < 100000 && n.up && violation_.empty(); ++guard) {
        consensus::Ready r = n.replica->take_ready();
        if (r.empty()) {
            if (n.inbox.empty()) {
                return;
            }
            const consensus::Input in = std::move(n.inbox.front());
            n.inbox.pop_front();
            (void)n.replica->step(in);
            continue;
        }
        if (!r.to_persist.empty()) {
            for (auto& p : r.to_persist) {
                n.unsynced.emplace_back(p.seq, std::move(p.record));
            }
            const std::uint64_t done = std::max(now_, n.storage_busy_until) + rng_.range(1, 3);
            n.storage_busy_until = done;
            schedule(done, make_event(EventKind::kPersisted, i, 0, n.epoch, r.to_persist.back().seq));
        }
        for (const auto& out : r.to_send) {
            send_message(i, out);
        }
        for (const auto& b : r.to_commit) {
            commit_block(i, b.height, b.proposal, b.certificate, /*synced=*/false);
        }
        for (const auto& f : r.fetch_requests) {
            if (opt_.validators > 1) {
                std::uint32_t peer = static_cast<std::uint32_t>(rng_.range(0, opt_.validators - 2));
                if (peer >= i) {
                    ++peer;
                }
                if (!(faults_on_ && partitioned(i, peer)) && !(faults_on_ && opt_.network_faults && rng_.chance(opt_.drop_per_mille))) {
                    schedule(now_ + rng_.range(1, 8), make_event(EventKind::kSyncRequest, peer, i, 0, f.from_height, f.to_height));
                }
            }
        }
        if (!r.stable_checkpoints.empty()) {
            n.stable_cert = r.stable_checkpoints.back();
        }
        if (r.diverged && !n.byzantine) {
            fail("INV-S4-results", "replica " + std::to_string(i) + " diverged at height " +
                                       std::to_string(r.diverged->height));
        }
    }
}

void Cluster::after_step(std::uint32_t i) {
    Node& n = *nodes_[i];
    if (!n.up || !violation_.empty()) {
        return;
    }
    const bool pending = requests_submitted_ > n.max_request;
    if (!n.pending_sent || pending != n.last_pending) {
        n.pending_sent = true;
        n.last_pending = pending;
        (void)n.replica->step(consensus::WorkPending{pending});
        process_ready(i);
    }
    for (int k = 0; k < 64 && n.up && violation_.empty(); ++k) {
        const auto slot = n.replica->proposal_slot();
        if (!slot) {
            break;
        }
        std::uint64_t base = n.max_request;
        if (n.proposed_view == slot->view) {
            base = std::max(base, n.proposed_last);
        }
        if (base + 1 > requests_submitted_) {
            break;
        }
        const std::uint64_t last = std::min(requests_submitted_, base + 16);
        Proposal p = make_sim_proposal(slot->height, slot->parent_digest,
                                       request_payload(base + 1, last, i, slot->view, slot->height));
        n.proposed_view = slot->view;
        n.proposed_last = last;
        (void)n.replica->step(consensus::Propose{slot->height, std::move(p)});
        process_ready(i);
    }
}

// ------------------------------------------------------------------ ledger and checkers

void Cluster::commit_block(std::uint32_t i, std::uint64_t height, const Proposal& p, const Certificate& cert,
                           bool synced) {
    Node& n = *nodes_[i];
    const std::string who = "replica " + std::to_string(i) + (synced ? " (synced)" : "") + " height " + std::to_string(height);
    if (height != n.ledger.size() + 1) {
        if (!n.byzantine) {
            fail("INV-S5-chain", who + " does not extend ledger of " + std::to_string(n.ledger.size()));
        }
        return;
    }
    const Hash parent = n.ledger.empty() ? genesis_digest() : n.ledger.back().proposal.digest;
    if (p.parent_digest != parent) {
        if (!n.byzantine) {
            fail("INV-S5-chain", who + " parent mismatch");
        }
        return;
    }
    if (!n.byzantine) {
        auto st = consensus::verify_certificate_with(cert, VoteKind::kCommit, kChainId, validators_, *verifier_);
        if (!st || cert.height != height || cert.digest != p.digest) {
            fail("INV-S3-certified", who + ": " + (st ? "certificate for another block" : st.error().message()));
            return;
        }
        auto [it, inserted] = committed_.emplace(height, p.digest);
        if (!inserted && it->second != p.digest) {
            fail("INV-S1-agreement", who + " committed " + p.digest.hex().substr(0, 16) + " but another honest replica " +
                                         it->second.hex().substr(0, 16));
            return;
        }
    }
    n.ledger.push_back({height, p, cert});
    if (const auto last = payload_last_request(p.payload)) {
        n.max_request = std::max(n.max_request, *last);
    }
    const Hash prev = n.results.empty() ? Hash{} : n.results.back();
    const Hash r = sha256_parts({prev.view(), p.digest.view()});
    n.results.push_back(r);
    if (!n.byzantine) {
        auto [it, inserted] = results_.emplace(height, r);
        if (!inserted && it->second != r) {
            fail("INV-S4-results", who + " results differ");
            return;
        }
    }
    n.inbox.push_back(consensus::Executed{height, r});
    // The driver may drop records at or below its durable ledger head (ADR 0012).
    std::erase_if(n.durable, [&](const consensus::Record& rec) {
        const std::uint64_t h = consensus::record_height(rec);
        return h != 0 && h <= height;
    });
}

void Cluster::check_s2(std::uint32_t i, const Message& m) {
    using Key = std::tuple<std::uint8_t, std::uint64_t, std::uint64_t>;
    std::optional<std::pair<Key, Hash>> entry;
    if (const auto* pp = std::get_if<consensus::PrePrepare>(&m); pp && pp->signer == i) {
        entry = {{static_cast<std::uint8_t>(VoteKind::kPrePrepare), pp->view, pp->height}, pp->proposal.digest};
    } else if (const auto* v = std::get_if<consensus::Vote>(&m); v && v->signer == i) {
        entry = {{static_cast<std::uint8_t>(v->kind), v->view, v->height}, v->digest};
    } else if (const auto* nv = std::get_if<consensus::NewView>(&m); nv && nv->signer == i) {
        entry = {{static_cast<std::uint8_t>(VoteKind::kNewView), nv->view, 0}, nv->body_hash()};
    }
    if (!entry) {
        return;
    }
    auto [it, inserted] = nodes_[i]->signed_votes.emplace(entry->first, entry->second);
    if (!inserted && it->second != entry->second) {
        fail("INV-S2-no-equivocation", "replica " + std::to_string(i) + " signed two " +
                                           std::string(consensus::message_name(m)) + " at view " +
                                           std::to_string(std::get<1>(entry->first)) + " height " +
                                           std::to_string(std::get<2>(entry->first)));
    }
}

void Cluster::fail(const std::string& invariant, const std::string& detail) {
    if (violation_.empty()) {
        violation_ = invariant + ": " + detail + " (t=" + std::to_string(now_) + "ms step " + std::to_string(steps_) + ")";
    }
}

std::uint64_t Cluster::committed_height_min_honest() const {
    std::uint64_t m = UINT64_MAX;
    for (const auto& n : nodes_) {
        if (!n->byzantine) {
            m = std::min<std::uint64_t>(m, n->ledger.size());
        }
    }
    return m == UINT64_MAX ? 0 : m;
}

std::uint64_t Cluster::committed_height_max_honest() const {
    std::uint64_t m = 0;
    for (const auto& n : nodes_) {
        if (!n->byzantine) {
            m = std::max<std::uint64_t>(m, n->ledger.size());
        }
    }
    return m;
}

consensus::ReplicaStatus Cluster::status(std::uint32_t node) const {
    const Node& n = *nodes_.at(node);
    return n.up ? n.replica->status() : consensus::ReplicaStatus{};
}

std::uint64_t Cluster::rejected_total() const {
    std::uint64_t t = 0;
    for (const auto& n : nodes_) {
        if (n->up) {
            for (auto c : n->replica->rejections()) {
                t += c;
            }
        }
    }
    return t;
}

std::uint64_t Cluster::rejected_honest(consensus::Rejection reason) const {
    std::uint64_t t = 0;
    for (const auto& n : nodes_) {
        if (n->up && !n->byzantine) {
            t += n->replica->rejections()[static_cast<std::size_t>(reason)];
        }
    }
    return t;
}

std::string Cluster::describe_nodes() const {
    std::string out;
    for (std::uint32_t i = 0; i < opt_.validators; ++i) {
        const Node& n = *nodes_[i];
        out += "\n    replica " + std::to_string(i) + (n.byzantine ? " byzantine" : "") + (n.up ? "" : " down");
        if (n.up) {
            const auto st = n.replica->status();
            out += " view=" + std::to_string(st.view) + (st.status == consensus::ViewStatus::kNormal ? " normal" : " view-change") +
                   " head=" + std::to_string(st.head_height) + " certified=" + std::to_string(st.certified_height) +
                   " executed=" + std::to_string(st.executed_height) + " stable=" + std::to_string(st.stable_height) +
                   " timeout=" + std::to_string(st.timeout_ticks) + " slots=" + std::to_string(st.log_slots) +
                   " buffered=" + std::to_string(st.buffered_messages) + " pending=" + std::to_string(st.pending_sends);
        }
    }
    return out;
}

void Cluster::check_liveness() {
    if (live_at_) {
        return;
    }
    for (const auto& n : nodes_) {
        if (!n->byzantine && n->ledger.size() < heal_height_ + opt_.liveness_heights) {
            return;
        }
    }
    live_at_ = now_;
}

// ------------------------------------------------------------------ network

bool Cluster::partitioned(std::uint32_t a, std::uint32_t b) const { return partition_group_[a] != partition_group_[b]; }

void Cluster::send_bytes(std::uint32_t from, std::uint32_t to, Bytes bytes) {
    ++messages_;
    if (faults_on_ && partitioned(from, to)) {
        return;
    }
    const bool lossy = faults_on_ && opt_.network_faults;
    if (lossy && rng_.chance(opt_.drop_per_mille)) {
        return;
    }
    std::uint64_t delay = rng_.range(1, 8);
    if (lossy && rng_.chance(opt_.long_delay_per_mille)) {
        delay = rng_.range(20, 150);  // reordering past many later messages
    }
    if (lossy && rng_.chance(opt_.duplicate_per_mille)) {
        schedule(now_ + rng_.range(1, 60), make_event(EventKind::kDeliver, to, from, 0, 0, 0, bytes));
    }
    schedule(now_ + delay, make_event(EventKind::kDeliver, to, from, 0, 0, 0, std::move(bytes)));
}

void Cluster::send_message(std::uint32_t from, const consensus::Outbound& out) {
    if (nodes_[from]->byzantine) {
        byzantine_send(from, out);
        return;
    }
    check_s2(from, out.message);
    honest_send(from, out);
}

void Cluster::honest_send(std::uint32_t from, const consensus::Outbound& out) {
    const Bytes bytes = consensus::encode(out.message);
    if (out.to) {
        send_bytes(from, *out.to, bytes);
        return;
    }
    for (std::uint32_t j = 0; j < opt_.validators; ++j) {
        if (j != from) {
            send_bytes(from, j, bytes);
        }
    }
}

void Cluster::deliver(std::uint32_t to, std::uint32_t from, const Bytes& bytes) {
    Node& n = *nodes_[to];
    if (!n.up) {
        return;
    }
    if (n.byzantine) {
        if (n.captured.size() < 256) {
            n.captured.push_back(bytes);
        } else {
            n.captured[n.captured_next++ % 256] = bytes;
        }
    }
    auto m = consensus::decode(bytes, consensus::codec_limits(config_for(to)));
    if (!m) {
        return;  // the node's transport drops undecodable frames (counted there)
    }
    drive(to, consensus::Received{from, std::move(*m)});
}

// ------------------------------------------------------------------ sync

void Cluster::on_sync_request(std::uint32_t at, std::uint32_t requester, std::uint64_t from_h, std::uint64_t to_h) {
    Node& n = *nodes_[at];
    if (!n.up || from_h == 0 || to_h < from_h) {
        return;
    }
    codec::Writer w;
    if (n.byzantine) {
        const ByzantineMode m = n.mode == ByzantineMode::kMixed ? static_cast<ByzantineMode>(rng_.range(0, 5)) : n.mode;
        if (m != ByzantineMode::kForge) {
            return;
        }
        // A forged block: plausible shape, certificate signatures that do not verify.
        Proposal p = make_sim_proposal(from_h, random_hash(rng_), random_bytes(rng_, 8));
        Certificate c{VoteKind::kCommit, 0, from_h, p.digest, {}};
        for (std::uint32_t v = 0; v < opt_.validators; ++v) {
            c.signatures.push_back({v, random_sig(rng_)});
        }
        w.varint(1).u64(from_h);
        consensus::encode_proposal(w, p);
        c.encode(w);
    } else {
        const std::uint64_t last = std::min<std::uint64_t>({to_h, from_h + 15, n.ledger.size()});
        if (last < from_h) {
            return;
        }
        w.varint(last - from_h + 1);
        for (std::uint64_t h = from_h; h <= last; ++h) {
            const auto& b = n.ledger[h - 1];
            w.u64(b.height);
            consensus::encode_proposal(w, b.proposal);
            b.certificate.encode(w);
        }
    }
    if (faults_on_ && (partitioned(at, requester) || (opt_.network_faults && rng_.chance(opt_.drop_per_mille)))) {
        return;
    }
    schedule(now_ + rng_.range(1, 10), make_event(EventKind::kSyncResponse, requester, at, 0, 0, 0, w.take()));
}

void Cluster::on_sync_response(std::uint32_t at, const Bytes& blob) {
    const consensus::CodecLimits limits = consensus::codec_limits(config_for(at));
    codec::Reader r(blob);
    auto count = r.varint_max(64, "blocks");
    if (!count) {
        return;
    }
    for (std::uint64_t k = 0; k < *count; ++k) {
        Node& n = *nodes_[at];
        if (!n.up || !violation_.empty()) {
            return;
        }
        auto height = r.u64();
        if (!height) {
            return;
        }
        auto p = consensus::decode_proposal(r, limits);
        if (!p) {
            return;
        }
        auto c = consensus::decode_certificate(r, limits);
        if (!c) {
            return;
        }
        if (*height != n.ledger.size() + 1) {
            continue;
        }
        // The node verifies a fetched block before anything else sees it.
        const Hash parent = n.ledger.empty() ? genesis_digest() : n.ledger.back().proposal.digest;
        static const SimProposalValidator kValidator;
        if (p->parent_digest != parent || c->height != *height || c->digest != p->digest ||
            !kValidator.valid(*height, *p) ||
            !consensus::verify_certificate_with(*c, VoteKind::kCommit, kChainId, validators_, *verifier_)) {
            return;
        }
        commit_block(at, *height, *p, *c, /*synced=*/true);
        if (!violation_.empty()) {
            return;
        }
        // Synced before the Executed that commit_block queued.
        (void)n.replica->step(consensus::Synced{*height, p->digest, p->parent_digest, *c});
        process_ready(at);
        after_step(at);
    }
}

// ------------------------------------------------------------------ faults

void Cluster::submit_requests(std::uint64_t count) {
    requests_submitted_ += count;
    for (std::uint32_t i = 0; i < opt_.validators; ++i) {
        after_step(i);
    }
}

void Cluster::crash(std::uint32_t i) {
    Node& n = *nodes_[i];
    if (!n.up) {
        return;
    }
    n.up = false;
    n.unsynced.clear();  // unacknowledged writes are lost
    n.replica.reset();
    n.inbox.clear();
    ++crashes_;
}

void Cluster::restart(std::uint32_t i) {
    if (!nodes_[i]->up) {
        start_node(i);
    }
}

void Cluster::isolate(std::uint32_t node) {
    std::fill(partition_group_.begin(), partition_group_.end(), 0);
    partition_group_[node] = 1;
}

void Cluster::heal() {
    faults_on_ = false;
    std::fill(partition_group_.begin(), partition_group_.end(), 0);
    for (std::uint32_t i = 0; i < opt_.validators; ++i) {
        restart(i);
    }
}

void Cluster::maybe_inject_faults() {
    const std::uint32_t n = opt_.validators;
    const std::uint64_t f = fault_weight_max(n);
    if (opt_.crashes && rng_.chance(150)) {
        std::uint64_t down = 0;
        for (const auto& node : nodes_) {
            down += node->up ? 0U : 1U;
        }
        const auto victim = static_cast<std::uint32_t>(rng_.range(0, n - 1));
        if (down < std::max<std::uint64_t>(1, f) && nodes_[victim]->up && !nodes_[victim]->byzantine) {
            crash(victim);
            schedule(now_ + rng_.range(30, 500), make_event(EventKind::kRestart, victim));
        }
    }
    if (opt_.partitions && n > 1 && rng_.chance(80)) {
        const bool whole = std::all_of(partition_group_.begin(), partition_group_.end(), [](auto g) { return g == 0; });
        if (whole) {
            for (auto& g : partition_group_) {
                g = static_cast<std::uint32_t>(rng_.range(0, 1));
            }
            schedule(now_ + rng_.range(50, 800), make_event(EventKind::kHealPartition));
        }
    }
}

// ------------------------------------------------------------------ run

RunResult Cluster::run() {
    while (steps_ < opt_.steps && step()) {
    }
    // Enough for every Byzantine primary in a row (and one more failed view) at the capped
    // timeout, plus catching up.
    std::uint64_t f = fault_weight_max(opt_.validators);
    f = std::max<std::uint64_t>(f, static_cast<std::uint64_t>(std::count_if(
                                       nodes_.begin(), nodes_.end(), [](const auto& node) { return node->byzantine; })));
    const consensus::Config c = config_for(0);
    const std::uint64_t tick_max = opt_.clock_skew ? opt_.tick_ms * 13 / 10 + 1 : opt_.tick_ms;
    const std::uint64_t bound = opt_.liveness_bound_ms != 0
                                    ? opt_.liveness_bound_ms
                                    : (f + 3) * 2 * c.view_change_timeout_ticks_max * tick_max + 3000;
    if (violation_.empty()) {
        heal();
        heal_time_ = now_;
        heal_height_ = committed_height_max_honest();
        const std::uint64_t floor = steps_ + opt_.steps / 4;
        while (step()) {
            if (live_at_ && steps_ >= floor) {
                break;
            }
            if (!live_at_ && now_ > *heal_time_ + bound) {
                fail("INV-L1-liveness", "honest replicas did not all pass height " +
                                            std::to_string(heal_height_ + opt_.liveness_heights) + " within " +
                                            std::to_string(bound) + "ms of healing (min height " +
                                            std::to_string(committed_height_min_honest()) + ")" + describe_nodes());
                break;
            }
        }
        if (violation_.empty() && !live_at_) {
            fail("INV-L1-liveness", "event queue ran dry before liveness");
        }
    }
    RunResult out;
    out.ok = violation_.empty();
    out.violation = violation_;
    out.steps = steps_;
    out.sim_time_ms = now_;
    out.height_min = committed_height_min_honest();
    out.height_max = committed_height_max_honest();
    for (std::uint32_t i = 0; i < opt_.validators; ++i) {
        if (nodes_[i]->up) {
            out.view_max = std::max(out.view_max, nodes_[i]->replica->status().view);
        }
    }
    out.crashes = crashes_;
    out.messages = messages_;
    out.rejected = rejected_total();
    for (const auto& node : nodes_) {
        if (node->up) {
            for (std::size_t k = 0; k < consensus::kRejectionCount; ++k) {
                out.rejections[k] += node->replica->rejections()[k];
            }
        }
    }
    for (std::uint32_t i = 0; i < opt_.validators; ++i) {
        out.total_weight += validators_[i].weight;
        if (nodes_[i]->byzantine) {
            ++out.byzantine;
            out.byzantine_weight += validators_[i].weight;
        }
    }
    return out;
}

}  // namespace jc::sim
