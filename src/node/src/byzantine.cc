// The Byzantine validator mode (tests only, ADR 0092). See byzantine_layer.h.
#include "byzantine_layer.h"

#include <jc/core/sha256.h>

#include <algorithm>

#if !defined(JC_BYZANTINE)
#error "byzantine.cc is compiled only with JC_BYZANTINE (ADR 0092)"
#endif
#if defined(NDEBUG)
// Second fence after cmake/JcByzantineGuard.cmake: optimised builds define NDEBUG.
#error "the Byzantine validator mode is refused in optimised/release builds (ADR 0092)"
#endif

namespace jc::node {

std::string_view byzantine_behaviour_name(ByzantineBehaviour b) {
    switch (b) {
        case ByzantineBehaviour::kHonest: return "honest";
        case ByzantineBehaviour::kEquivocate: return "equivocate";
        case ByzantineBehaviour::kForge: return "forge";
        case ByzantineBehaviour::kStale: return "stale";
        case ByzantineBehaviour::kInvalid: return "invalid";
    }
    return "unknown";
}

Result<std::vector<ByzantineBehaviour>> parse_byzantine_behaviours(std::string_view list) {
    std::vector<ByzantineBehaviour> out;
    std::size_t at = 0;
    while (at <= list.size()) {
        const std::size_t comma = std::min(list.find(',', at), list.size());
        const std::string_view word = list.substr(at, comma - at);
        bool known = false;
        for (auto b : {ByzantineBehaviour::kHonest, ByzantineBehaviour::kEquivocate, ByzantineBehaviour::kForge,
                       ByzantineBehaviour::kStale, ByzantineBehaviour::kInvalid}) {
            if (word == byzantine_behaviour_name(b)) {
                out.push_back(b);
                known = true;
            }
        }
        if (!known) {
            return Error(Errc::kInvalidArgument, "--byzantine: unknown behaviour \"" + std::string(word) +
                                                     "\" (honest, equivocate, forge, stale, invalid)");
        }
        at = comma + 1;
    }
    if (out.empty() || out.size() > 64) {
        return Error(Errc::kInvalidArgument, "--byzantine: give 1 to 64 behaviours");
    }
    return out;
}

namespace {

constexpr std::size_t kCapturedMax = 512;
constexpr std::size_t kCapturedBytesMax = 64 << 10;  // big proposals are not worth keeping
constexpr std::size_t kAlternativesMax = 64;
constexpr std::int64_t kForgeIntervalMs = 250;
constexpr std::int64_t kStaleIntervalMs = 100;
constexpr std::int64_t kCountsLogIntervalMs = 5000;
constexpr std::int64_t kOversizeIntervalMs = 2000;  // an oversize block is block_bytes_max bytes
constexpr std::uint64_t kInvalidKinds = 11;

Hash junk_hash(std::uint64_t a, std::uint64_t b) {
    codec::Writer w;
    w.str("jc-byzantine-junk").u64(a).u64(b);
    return sha256(w.data());
}

crypto::Signature junk_sig(std::uint64_t a) {
    crypto::Signature s;
    const Hash h = junk_hash(a, 0x5151);
    for (std::size_t i = 0; i < s.bytes.size(); ++i) {
        s.bytes[i] = h.bytes[i % Hash::kSize];
    }
    return s;
}

// A block with this header and the original block's transaction bytes (what follows the
// header in its encoding), so header fields can lie about the transactions.
Bytes with_header(const ledger::BlockHeader& header, const Bytes& original_payload) {
    Bytes out = header.encode();
    out.insert(out.end(), original_payload.begin() + static_cast<std::ptrdiff_t>(ledger::BlockHeader::kEncodedSize),
               original_payload.end());
    return out;
}

}  // namespace

std::uint64_t ByzantineLayer::SplitMix::next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

ByzantineLayer::ByzantineLayer(ByzantineOptions options, Env env)
    : options_(std::move(options)),
      env_(std::move(env)),
      log_(jc::log::get("byzantine")),
      rng_{options_.seed},
      sync_rng_{options_.seed ^ 0x5eedULL} {
    log_->warn("BYZANTINE TEST BUILD: validator {} misbehaves on purpose; behaviours {} (SIGUSR1 steps), now {}",
               env_.self, options_.behaviours.size(), byzantine_behaviour_name(behaviour()));
}

ByzantineBehaviour ByzantineLayer::behaviour() const {
    return options_.behaviours[index_.load() % options_.behaviours.size()];
}

void ByzantineLayer::next_behaviour() {
    log_counts("switching");
    const std::size_t next = index_.fetch_add(1) + 1;
    log_->warn("BYZANTINE: behaviour now {}", byzantine_behaviour_name(options_.behaviours[next % options_.behaviours.size()]));
}

void ByzantineLayer::count(const std::string& kind, std::uint64_t n) {
    std::lock_guard lock(counts_mutex_);
    counts_[kind] += n;
}

void ByzantineLayer::log_counts(const char* why) {
    std::string line;
    {
        std::lock_guard lock(counts_mutex_);
        for (const auto& [kind, n] : counts_) {
            line += (line.empty() ? "" : " ") + kind + "=" + std::to_string(n);
        }
    }
    log_->warn("BYZANTINE injected so far ({}): {}", why, line.empty() ? "nothing" : line);
}

std::string ByzantineLayer::metrics_text() const {
    std::string out =
        "# HELP jointclear_byzantine_injected_total Messages the Byzantine test mode injected, by kind.\n"
        "# TYPE jointclear_byzantine_injected_total counter\n";
    std::lock_guard lock(counts_mutex_);
    for (const auto& [kind, n] : counts_) {
        out += "jointclear_byzantine_injected_total{kind=\"" + kind + "\"} " + std::to_string(n) + "\n";
    }
    out += "# HELP jointclear_byzantine_behaviour Index of the active Byzantine behaviour.\n"
           "# TYPE jointclear_byzantine_behaviour gauge\n"
           "jointclear_byzantine_behaviour{name=\"" +
           std::string(byzantine_behaviour_name(behaviour())) + "\"} " + std::to_string(index_.load()) + "\n";
    return out;
}

void ByzantineLayer::sign(consensus::Message& m) {
    const Hash h = consensus::signed_hash(env_.chain_id, m);
    std::visit([&](auto& x) { x.sig = env_.signer->sign(h); }, m);
}

void ByzantineLayer::send_message(std::uint32_t to, const consensus::Message& m) {
    env_.send(to, p2p::Channel::kConsensus, consensus::encode(m));
}

std::vector<std::uint32_t> ByzantineLayer::peers() const {
    std::vector<std::uint32_t> out;
    for (std::uint32_t j = 0; j < env_.validators; ++j) {
        if (j != env_.self) {
            out.push_back(j);
        }
    }
    return out;
}

std::vector<std::uint32_t> ByzantineLayer::targets(const consensus::Outbound& out) const {
    return out.to ? std::vector<std::uint32_t>{*out.to} : peers();
}

void ByzantineLayer::capture(const consensus::Message& m) {
    Bytes b = consensus::encode(m);
    if (b.size() > kCapturedBytesMax) {
        return;
    }
    captured_.push_back(std::move(b));
    while (captured_.size() > kCapturedMax) {
        captured_.pop_front();
    }
}

void ByzantineLayer::on_received(const consensus::Message& message) { capture(message); }

void ByzantineLayer::send(const consensus::Outbound& out, const consensus::ReplicaStatus& status) {
    capture(out.message);
    switch (behaviour()) {
        case ByzantineBehaviour::kEquivocate:
            equivocate(out);
            return;
        case ByzantineBehaviour::kForge:
            forge(out);
            return;
        case ByzantineBehaviour::kInvalid:
            invalid(out, status);
            return;
        case ByzantineBehaviour::kHonest:
        case ByzantineBehaviour::kStale:
            break;
    }
    for (auto to : targets(out)) {
        send_message(to, out.message);
    }
}

void ByzantineLayer::on_tick(const consensus::ReplicaStatus& status, std::int64_t now_ms) {
    if (now_ms - last_counts_log_ms_ >= kCountsLogIntervalMs) {
        last_counts_log_ms_ = now_ms;
        log_counts("periodic");
    }
    switch (behaviour()) {
        case ByzantineBehaviour::kForge:
            if (now_ms - last_forge_ms_ >= kForgeIntervalMs) {
                last_forge_ms_ = now_ms;
                forge_background(status);
            }
            return;
        case ByzantineBehaviour::kStale:
            if (now_ms - last_stale_ms_ >= kStaleIntervalMs) {
                last_stale_ms_ = now_ms;
                stale_background(status);
            }
            return;
        case ByzantineBehaviour::kHonest:
        case ByzantineBehaviour::kEquivocate:
        case ByzantineBehaviour::kInvalid:
            return;
    }
}

// ---------------------------------------------------------------------------------- equivocate

std::optional<consensus::PrePrepare> ByzantineLayer::alternative(const consensus::PrePrepare& pp) {
    const auto key = std::make_pair(pp.view, pp.height);
    if (auto it = alternatives_.find(key); it != alternatives_.end()) {
        return it->second;  // retransmissions repeat the same lie
    }
    auto block = ledger::Block::decode(pp.proposal.payload);
    if (!block) {
        return std::nullopt;
    }
    // Another valid block for the same slot: one transaction fewer, or a later timestamp.
    std::vector<ledger::TxPtr> txs = block->txs();
    std::int64_t timestamp = block->header().timestamp_ms;
    if (txs.size() >= 2) {
        txs.pop_back();
    } else {
        timestamp += 1;
    }
    auto alt = ledger::Block::make(pp.height, pp.proposal.parent_digest, timestamp, env_.self, std::move(txs));
    if (!alt) {
        return std::nullopt;
    }
    consensus::Message m = consensus::PrePrepare{pp.view, pp.height,
                                                 consensus::Proposal{alt->hash(), pp.proposal.parent_digest, alt->encode()},
                                                 env_.self, {}};
    sign(m);
    alternatives_[key] = std::get<consensus::PrePrepare>(m);
    while (alternatives_.size() > kAlternativesMax) {
        alternatives_.erase(alternatives_.begin());
    }
    return std::get<consensus::PrePrepare>(m);
}

void ByzantineLayer::equivocate(const consensus::Outbound& out) {
    const auto all = peers();
    const auto to = targets(out);
    if (const auto* pp = std::get_if<consensus::PrePrepare>(&out.message); pp && pp->signer == env_.self) {
        const auto alt = alternative(*pp);
        if (!alt) {
            for (auto t : to) {
                send_message(t, out.message);
            }
            return;
        }
        const std::uint32_t only_alt = all[pp->height % all.size()];
        const std::uint32_t both = all[(pp->height + 1) % all.size()];
        for (auto t : to) {
            if (t == only_alt) {
                send_message(t, *alt);
                count("equivocate.preprepare_other_block");
            } else {
                send_message(t, out.message);
                if (t == both) {
                    send_message(t, *alt);  // the same (view, height), two digests, both signed by us
                    count("equivocate.preprepare_both_blocks");
                }
            }
        }
        return;
    }
    for (auto t : to) {
        send_message(t, out.message);
    }
    if (const auto* v = std::get_if<consensus::Vote>(&out.message); v && v->signer == env_.self) {
        consensus::Message conflicting = *v;
        std::get<consensus::Vote>(conflicting).digest = junk_hash(v->height, v->view * 4 + static_cast<std::uint64_t>(v->kind));
        sign(conflicting);
        const std::uint32_t t = all[(v->height + static_cast<std::uint64_t>(v->kind)) % all.size()];
        if (std::find(to.begin(), to.end(), t) != to.end()) {
            send_message(t, conflicting);
            count(v->kind == VoteKind::kPrepare ? "equivocate.prepare" : "equivocate.commit");
        }
    }
}

// ---------------------------------------------------------------------------------- forge

void ByzantineLayer::forge(const consensus::Outbound& out) {
    const auto to = targets(out);
    const std::uint32_t t = to[rng_.below(to.size())];
    consensus::Message forged = out.message;
    switch (rng_.below(3)) {
        case 0:
            // Our own message with a broken signature, sent before the real one.
            std::visit([&](auto& x) { x.sig.bytes[rng_.below(64)] ^= 0x5a; }, forged);
            send_message(t, forged);
            count("forge.bad_signature");
            break;
        case 1: {
            // The same content claiming another validator as its signer, signed by us.
            const auto all = peers();
            const std::uint32_t claimed = all[rng_.below(all.size())];
            std::visit([&](auto& x) { x.signer = claimed; }, forged);
            sign(forged);
            send_message(t, forged);
            count("forge.claims_other_validator");
            break;
        }
        default: {
            Bytes truncated = consensus::encode(out.message);
            truncated.resize(static_cast<std::size_t>(rng_.below(truncated.size())));
            env_.send(t, p2p::Channel::kConsensus, std::move(truncated));
            count("forge.truncated");
            break;
        }
    }
    for (auto target : to) {
        send_message(target, out.message);
    }
}

void ByzantineLayer::forge_background(const consensus::ReplicaStatus& status) {
    const auto all = peers();
    const auto random_peer = [&] { return all[rng_.below(all.size())]; };
    // Bytes that are not a consensus message at all.
    {
        Bytes garbage(static_cast<std::size_t>(rng_.below(300)));
        for (auto& b : garbage) {
            b = static_cast<std::uint8_t>(rng_.next());
        }
        env_.send(random_peer(), p2p::Channel::kConsensus, std::move(garbage));
        count("forge.garbage_bytes");
    }
    // A view change for the next view: a commit claim "certified" by forged signatures, or a
    // prepared certificate whose other signatures are forged.
    {
        consensus::ViewChange vc;
        vc.new_view = status.view + 1;
        vc.signer = env_.self;
        vc.committed.height = 0;
        vc.committed.digest = env_.genesis_digest;
        const std::uint64_t salt = rng_.next();
        if (rng_.below(2) == 0) {
            vc.committed.height = status.certified_height + 1;
            vc.committed.digest = junk_hash(salt, 1);
            Certificate c{VoteKind::kCommit, status.view, vc.committed.height, vc.committed.digest, {}};
            for (std::uint32_t v = 0; v < env_.validators; ++v) {
                c.signatures.push_back({v, v == env_.self ? env_.signer->sign(vote_hash(env_.chain_id, VoteKind::kCommit,
                                                                                         c.view, c.height, c.digest))
                                                          : junk_sig(salt + v)});
            }
            vc.committed.certificate = c;
            count("forge.view_change_commit_certificate");
        } else {
            const Hash digest = junk_hash(salt, 2);
            Certificate c{VoteKind::kPrepare, status.view, 1, digest, {}};
            for (std::uint32_t v = 0; v < env_.validators; ++v) {
                c.signatures.push_back({v, v == env_.self ? env_.signer->sign(vote_hash(env_.chain_id, VoteKind::kPrepare,
                                                                                         c.view, c.height, c.digest))
                                                          : junk_sig(salt + v)});
            }
            vc.prepared.push_back({consensus::Proposal{digest, env_.genesis_digest, Bytes{0x01, 0x02}}, c});
            count("forge.view_change_prepared_certificate");
        }
        consensus::Message m = vc;
        sign(m);
        send_message(random_peer(), m);
    }
    // A NewView for the next view we lead, backed by our view change alone (no quorum).
    {
        std::uint64_t target = status.view + 1;
        while (target % env_.validators != env_.self) {
            ++target;
        }
        consensus::ViewChange own;
        own.new_view = target;
        own.signer = env_.self;
        own.committed.digest = env_.genesis_digest;
        consensus::Message own_m = own;
        sign(own_m);
        consensus::NewView nv;
        nv.view = target;
        nv.signer = env_.self;
        nv.view_changes.push_back(std::get<consensus::ViewChange>(own_m));
        consensus::Message m = nv;
        sign(m);
        send_message(random_peer(), m);
        count("forge.new_view_without_quorum");
    }
    forge_gossip(random_peer());
    // A PrePrepare and a Commit claiming to come from another validator.
    {
        const std::uint32_t primary = static_cast<std::uint32_t>(status.view % env_.validators);
        const std::uint32_t claimed = primary != env_.self ? primary : random_peer();
        const std::uint64_t salt = rng_.next();
        consensus::Message pp = consensus::PrePrepare{
            status.view, status.head_height + 1,
            consensus::Proposal{junk_hash(salt, 3), status.head_digest, Bytes{0x42}}, claimed, {}};
        sign(pp);  // our signature under another validator's name
        send_message(random_peer(), pp);
        consensus::Message commit =
            consensus::Vote{VoteKind::kCommit, status.view, status.head_height + 1, junk_hash(salt, 4), random_peer(), {}};
        sign(commit);
        send_message(random_peer(), commit);
        count("forge.claims_other_validator", 2);
    }
}

void ByzantineLayer::forge_gossip(std::uint32_t to) {
    if (env_.member_bank.empty()) {
        return;
    }
    // An envelope in a member bank's name, naming one of the bank's registered keys as signer,
    // signed by another key: only the signature check can tell. And one that does not parse.
    const std::uint64_t salt = rng_.next();
    ledger::UnsignedTx u{env_.chain_id, "loan.repay", env_.member_bank, "BYZ-" + std::to_string(salt),
                         json::Value{{"loan_id", "BYZ-LOAN"}, {"value_date", "2024-02-15"}, {"amount", "1"},
                                     {"channel_ref", "BYZ-" + std::to_string(salt)}}};
    auto key = crypto::SecretKey::from_bytes(junk_hash(salt, 16).bytes);
    if (!key) {
        return;
    }
    auto signed_tx = ledger::Transaction::sign(u, *key);
    if (!signed_tx) {
        return;
    }
    json::Value v = signed_tx->to_value();
    v["signer"] = env_.member_key.hex();
    auto forged = ledger::Transaction::from_value(v);
    if (!forged) {
        return;
    }
    codec::Writer w;
    w.varint(2);
    w.str(forged->canonical_json());
    w.str("{\"chain_id\":\"" + env_.chain_id + "\",\"not\":\"an envelope\"}");
    env_.send(to, p2p::Channel::kTxGossip, w.data());
    count("forge.gossip_transaction", 2);
}

bool ByzantineLayer::forge_sync_response(std::uint32_t peer, std::uint64_t from, const Hash& parent) {
    if (behaviour() != ByzantineBehaviour::kForge || from == 0) {
        return false;
    }
    auto block = ledger::Block::make(from, parent, env_.wall_ms(), env_.self, {});
    if (!block) {
        return false;
    }
    const std::uint64_t salt = sync_rng_.next();
    Certificate c{VoteKind::kCommit, 0, from, block->hash(), {}};
    const char* kind = "";
    switch (sync_counter_++ % 3) {
        case 0:  // every other validator's signature forged
            for (std::uint32_t v = 0; v < env_.validators; ++v) {
                c.signatures.push_back({v, v == env_.self ? env_.signer->sign(vote_hash(env_.chain_id, VoteKind::kCommit,
                                                                                         0, from, c.digest))
                                                          : junk_sig(salt + v)});
            }
            kind = "forge.sync_block_forged_certificate";
            break;
        case 1:  // only our own (valid) signature: below the quorum
            c.signatures.push_back({env_.self, env_.signer->sign(vote_hash(env_.chain_id, VoteKind::kCommit, 0, from,
                                                                            c.digest))});
            kind = "forge.sync_block_certificate_below_quorum";
            break;
        default:  // a certificate for another digest
            c.digest = junk_hash(salt, 5);
            c.signatures.push_back({env_.self, env_.signer->sign(vote_hash(env_.chain_id, VoteKind::kCommit, 0, from,
                                                                            c.digest))});
            kind = "forge.sync_certificate_other_digest";
            break;
    }
    codec::Writer w;
    w.varint(1);
    w.bytes(block->encode()).bytes(c.encode());
    env_.send(peer, p2p::Channel::kSyncResponse, w.data());
    count(kind);
    return true;
}

// ---------------------------------------------------------------------------------- stale

void ByzantineLayer::stale_background(const consensus::ReplicaStatus& status) {
    const auto all = peers();
    const auto random_peer = [&] { return all[rng_.below(all.size())]; };
    // Replays of captured messages, oldest half first: other validators' votes, pre-prepares,
    // view changes and NewViews of views and heights long gone, still validly signed.
    if (captured_.size() >= 8) {
        for (int k = 0; k < 3; ++k) {
            const std::size_t i = static_cast<std::size_t>(rng_.below(captured_.size() / 2));
            env_.send(random_peer(), p2p::Channel::kConsensus, captured_[i]);
        }
        count("stale.replayed", 3);
    }
    // Votes of ours, validly signed, for an old view and for heights already committed.
    if (status.view > 0) {
        consensus::Message m = consensus::Vote{VoteKind::kPrepare, status.view - 1, status.head_height + 1,
                                               junk_hash(status.view, status.head_height), env_.self, {}};
        sign(m);
        send_message(random_peer(), m);
        count("stale.old_view_vote");
    }
    if (status.head_height >= 2) {
        const std::uint64_t h = 1 + rng_.below(status.head_height - 1);
        consensus::Message m =
            consensus::Vote{VoteKind::kCommit, status.view, h, junk_hash(h, status.view), env_.self, {}};
        sign(m);
        send_message(random_peer(), m);
        count("stale.old_height_vote");
    }
}

// ---------------------------------------------------------------------------------- invalid

std::optional<consensus::PrePrepare> ByzantineLayer::invalid_variant(const consensus::PrePrepare& pp,
                                                                    std::uint64_t certified_height, std::string& kind) {
    auto block = ledger::Block::decode(pp.proposal.payload);
    if (!block) {
        return std::nullopt;
    }
    const auto& header = block->header();
    const std::uint64_t salt = rng_.next();
    const std::int64_t now = env_.wall_ms();
    consensus::Proposal p = pp.proposal;
    std::uint64_t which = invalid_counter_++ % kInvalidKinds;
    if (which == 5 && now - last_oversize_ms_ < kOversizeIntervalMs) {
        which = 4;  // the byte-oversize block is big: at most one per interval
    }
    if (which == 10 && pp.height != certified_height + 1) {
        // An unknown parent is refused outright only right above the certified head; higher up
        // a backup keeps it (it never prepares it: the chain rule) and would then count every
        // later variant as an equivocation instead of judging it.
        which = 0;
    }
    const auto remake = [&](std::uint64_t height, const Hash& parent, std::int64_t ts,
                            std::vector<ledger::TxPtr> txs) -> bool {
        auto b = ledger::Block::make(height, parent, ts, env_.self, std::move(txs));
        if (!b) {
            return false;
        }
        p.digest = b->hash();
        p.payload = b->encode();
        return true;
    };
    switch (which) {
        case 0:
            kind = "invalid.header_parent_not_proposal_parent";
            if (!remake(pp.height, junk_hash(salt, 10), header.timestamp_ms, block->txs())) {
                return std::nullopt;
            }
            break;
        case 1: {
            kind = "invalid.tx_root";
            ledger::BlockHeader h = header;
            h.tx_root = junk_hash(salt, 11);
            p.payload = with_header(h, pp.proposal.payload);
            p.digest = h.hash();
            break;
        }
        case 2: {
            kind = "invalid.tx_bad_signature";
            auto txs = block->txs();
            json::Value v = txs.front()->to_value();
            std::string sig = v["sig"].get<std::string>();
            sig[10] = sig[10] == '0' ? '1' : '0';
            v["sig"] = sig;
            auto tampered = ledger::Transaction::from_value(v);
            if (!tampered) {
                return std::nullopt;
            }
            txs.front() = std::make_shared<const ledger::Transaction>(std::move(*tampered));
            if (!remake(pp.height, pp.proposal.parent_digest, header.timestamp_ms, std::move(txs))) {
                return std::nullopt;
            }
            break;
        }
        case 3: {
            kind = "invalid.tx_other_chain";
            auto txs = block->txs();
            const auto& tx = *txs.front();
            ledger::UnsignedTx u{"jc-byzantine-other-chain", tx.type(), tx.sender(), tx.client_ref(), tx.body()};
            auto key = crypto::SecretKey::from_bytes(junk_hash(salt, 12).bytes);
            if (!key) {
                return std::nullopt;
            }
            auto other = ledger::Transaction::sign(u, *key);
            if (!other) {
                return std::nullopt;
            }
            txs.front() = std::make_shared<const ledger::Transaction>(std::move(*other));
            if (!remake(pp.height, pp.proposal.parent_digest, header.timestamp_ms, std::move(txs))) {
                return std::nullopt;
            }
            break;
        }
        case 4: {
            kind = "invalid.oversize_tx_count";
            ledger::BlockHeader h = header;
            h.tx_count = env_.block_limits.txs_max + 1;
            p.payload = h.encode();
            p.digest = h.hash();
            break;
        }
        case 5: {
            kind = "invalid.oversize_bytes";
            last_oversize_ms_ = now;
            p.payload.resize(env_.block_limits.bytes_max + 1, 0);
            break;
        }
        case 6:
            kind = "invalid.timestamp_an_hour_ahead";
            if (!remake(pp.height, pp.proposal.parent_digest, now + 3'600'000, block->txs())) {
                return std::nullopt;
            }
            break;
        case 7:
            kind = "invalid.wrong_height";
            if (!remake(pp.height + 1, pp.proposal.parent_digest, header.timestamp_ms, block->txs())) {
                return std::nullopt;
            }
            break;
        case 8:
            kind = "invalid.digest_not_the_block";
            p.digest = junk_hash(salt, 13);
            break;
        case 9: {
            kind = "invalid.undecodable";
            Bytes junk(200);
            for (auto& b : junk) {
                b = static_cast<std::uint8_t>(rng_.next());
            }
            p.payload = std::move(junk);
            p.digest = junk_hash(salt, 14);
            break;
        }
        default:
            kind = "invalid.unknown_parent";
            p.parent_digest = junk_hash(salt, 15);
            if (!remake(pp.height, p.parent_digest, header.timestamp_ms, block->txs())) {
                return std::nullopt;
            }
            break;
    }
    consensus::Message m = consensus::PrePrepare{pp.view, pp.height, std::move(p), env_.self, {}};
    sign(m);
    return std::get<consensus::PrePrepare>(m);
}

void ByzantineLayer::invalid(const consensus::Outbound& out, const consensus::ReplicaStatus& status) {
    const auto* pp = std::get_if<consensus::PrePrepare>(&out.message);
    if (pp == nullptr || pp->signer != env_.self) {
        for (auto t : targets(out)) {
            send_message(t, out.message);
        }
        return;
    }
    for (auto t : targets(out)) {
        std::string kind;
        if (auto bad = invalid_variant(*pp, status.certified_height, kind)) {
            send_message(t, *bad);
            count(kind);
        }
        // No valid proposal reaches anyone: the honest validators must change view.
    }
}

}  // namespace jc::node
