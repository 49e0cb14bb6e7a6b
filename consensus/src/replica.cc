#include "replica_impl.h"

#include <jc/core/assert.h>

#include <algorithm>
#include <type_traits>

namespace jc::consensus {

// ---------------------------------------------------------------- public shell

Replica::Replica(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replica::~Replica() = default;

Result<std::unique_ptr<Replica>> Replica::create(const Config& config, Signer& signer,
                                                 const Verifier& verifier,
                                                 const ProposalValidator& validator,
                                                 const Recovered& recovered) {
    JC_TRY_STATUS(validate_config(config));
    auto impl = std::make_unique<Impl>(config, signer, verifier, validator);
    JC_TRY_STATUS(impl->recover(recovered));
    return std::unique_ptr<Replica>(new Replica(std::move(impl)));
}

StepOutcome Replica::step(const Input& input) { return impl_->step(input); }
Ready Replica::take_ready() { return impl_->take_ready(); }
std::optional<ProposalSlot> Replica::proposal_slot() const { return impl_->proposal_slot(); }
ReplicaStatus Replica::status() const { return impl_->status(); }
const std::array<std::uint64_t, kRejectionCount>& Replica::rejections() const { return impl_->rejections(); }
const Config& Replica::config() const { return impl_->config(); }

// ---------------------------------------------------------------- construction

Replica::Impl::Impl(const Config& config, Signer& signer, const Verifier& verifier,
                    const ProposalValidator& validator)
    : config_(config),
      weights_(config.validators),
      signer_(signer),
      verifier_(verifier),
      validator_(validator),
      limits_(codec_limits(config)),
      head_digest_(config.genesis_digest),
      certified_digest_(config.genesis_digest),
      peer_claim_(config.validators.size(), 0),
      timeout_ticks_(config.view_change_timeout_ticks),
      help_tick_(config.validators.size(), 0) {}

Status Replica::Impl::recover(const Recovered& r) {
    const auto corrupt = [](const std::string& what) { return Error(Errc::kCorruption, "consensus recovery: " + what); };
    head_ = r.committed_height;
    if (head_ > kHeightMax) {
        return corrupt("committed height out of range");
    }
    if (head_ == 0) {
        if (r.committed_digest != config_.genesis_digest || r.committed_certificate) {
            return corrupt("height 0 must be the genesis digest without a certificate");
        }
    } else {
        if (!r.committed_certificate) {
            return corrupt("committed head " + std::to_string(head_) + " has no certificate");
        }
        const Certificate& c = *r.committed_certificate;
        if (c.height != head_ || c.digest != r.committed_digest) {
            return corrupt("head certificate does not match the head");
        }
        if (auto st = verify_certificate_with(c, VoteKind::kCommit, config_.chain_id, config_.validators, verifier_); !st) {
            return corrupt("head certificate: " + st.error().message());
        }
        certified_certificate_ = c;
        recent_commits_[head_] = {c, 0};
    }
    head_digest_ = r.committed_digest;
    certified_ = head_;
    certified_digest_ = head_digest_;

    if (r.executed_height > head_) {
        return corrupt("executed height above the committed head");
    }
    executed_ = r.executed_height;
    if (r.stable_checkpoint) {
        const Certificate& c = *r.stable_checkpoint;
        if (c.view != 0) {
            return corrupt("stable checkpoint with a view");
        }
        if (auto st = verify_certificate_with(c, VoteKind::kCheckpoint, config_.chain_id, config_.validators, verifier_); !st) {
            return corrupt("stable checkpoint: " + st.error().message());
        }
        stable_ = c.height;
        if (stable_ > executed_) {
            quorum_results_[stable_] = c.digest;
        }
    }
    if (executed_ > 0 && executed_ > stable_) {
        own_results_[executed_] = r.executed_results_digest;
        queue(0, Checkpoint{executed_, r.executed_results_digest, config_.self, {}});
    }

    // Records: the votes signed above the head, the prepared certificates and the view.
    std::optional<ViewRecord> best_view;
    std::uint64_t view = 0;
    std::vector<const VoteRecord*> votes;
    std::map<std::uint64_t, PreparedEntry> prepared;
    for (const Record& rec : r.records) {
        if (const auto* v = std::get_if<ViewRecord>(&rec)) {
            if (v->view > kViewMax) {
                return corrupt("view record out of range");
            }
            if (!best_view || v->view > best_view->view ||
                (v->view == best_view->view && v->status == ViewStatus::kNormal)) {
                best_view = *v;
            }
            view = std::max(view, v->view);
        } else if (const auto* vr = std::get_if<VoteRecord>(&rec)) {
            if (vr->height <= head_) {
                continue;
            }
            if (vr->view > kViewMax || vr->height > head_ + config_.future_heights_max ||
                vr->proposal.has_value() != (vr->kind == VoteKind::kPrePrepare) ||
                (vr->proposal && vr->proposal->digest != vr->digest)) {
                return corrupt("malformed vote record at height " + std::to_string(vr->height));
            }
            const VoteKey key{static_cast<std::uint8_t>(vr->kind), vr->view, vr->height};
            auto [it, inserted] = signed_.emplace(key, vr->digest);
            if (!inserted && it->second != vr->digest) {
                return corrupt("two different votes recorded at view " + std::to_string(vr->view) +
                               " height " + std::to_string(vr->height));
            }
            votes.push_back(vr);
            view = std::max(view, vr->view);
        } else {
            const auto& pr = std::get<PreparedRecord>(rec);
            const Certificate& c = pr.entry.certificate;
            if (c.height <= head_) {
                continue;
            }
            if (c.digest != pr.entry.proposal.digest || c.height > head_ + config_.future_heights_max) {
                return corrupt("prepared record does not match its proposal");
            }
            if (auto st = verify_certificate_with(c, VoteKind::kPrepare, config_.chain_id, config_.validators, verifier_); !st) {
                return corrupt("prepared record at height " + std::to_string(c.height) + ": " + st.error().message());
            }
            view = std::max(view, c.view);
            auto it = prepared.find(c.height);
            if (it == prepared.end() || it->second.certificate.view < c.view) {
                prepared[c.height] = pr.entry;
            }
        }
    }
    view_ = view;
    for (auto& [h, entry] : prepared) {
        log_[h].prepared = entry;
    }
    const bool primary = primary_of(view_) == config_.self;
    if (view_ == 0 && (!best_view || best_view->view == 0)) {
        status_ = ViewStatus::kNormal;
    } else if (best_view && best_view->view == view_ && best_view->status == ViewStatus::kNormal && primary) {
        status_ = ViewStatus::kNormal;
        nv_low_ = best_view->nv_low;
        nv_high_ = best_view->nv_high;
    } else {
        // A backup that was normal in view_ > 0 does not remember the NewView it accepted, so it
        // waits for it again (the primary resends it on seeing our ViewChange).
        status_ = ViewStatus::kViewChange;
    }
    if (status_ == ViewStatus::kNormal) {
        // Rebuild the slots first, then re-send the recorded (durable) votes.
        std::vector<Message> resend;
        for (const VoteRecord* vr : votes) {
            if (vr->view != view_) {
                continue;
            }
            Slot& s = log_[vr->height];
            if (vr->kind == VoteKind::kPrePrepare) {
                s.preprepare = vr->proposal;
                resend.emplace_back(PrePrepare{vr->view, vr->height, *vr->proposal, config_.self, {}});
            } else if (vr->kind == VoteKind::kPrepare) {
                s.prepare_recorded = true;
                resend.emplace_back(Vote{VoteKind::kPrepare, vr->view, vr->height, vr->digest, config_.self, {}});
            } else {
                s.commit_recorded = true;
                resend.emplace_back(Vote{VoteKind::kCommit, vr->view, vr->height, vr->digest, config_.self, {}});
            }
        }
        for (auto& [h, s] : log_) {
            if (s.prepared && s.prepared->certificate.view == view_ && s.preprepare &&
                s.preprepare->digest == s.prepared->proposal.digest) {
                s.prepared_in_view = true;
            }
        }
        for (Message& m : resend) {
            queue(0, std::move(m));
        }
        evaluate();
    } else {
        send_view_change();
    }
    check_bounds();
    return {};
}

// ---------------------------------------------------------------- step

StepOutcome Replica::Impl::step(const Input& input) {
    if (halted_) {
        return reject(Rejection::kHalted);
    }
    StepOutcome out = std::visit(
        [this](const auto& in) -> StepOutcome {
            using T = std::decay_t<decltype(in)>;
            if constexpr (std::is_same_v<T, Tick>) {
                return on_tick();
            } else if constexpr (std::is_same_v<T, Received>) {
                if (in.from >= weights_.size() || in.from == config_.self) {
                    return reject(Rejection::kUnknownSender);
                }
                return on_message(in.from, in.message);
            } else if constexpr (std::is_same_v<T, Propose>) {
                return on_propose(in);
            } else if constexpr (std::is_same_v<T, Persisted>) {
                return on_persisted(in);
            } else if constexpr (std::is_same_v<T, Executed>) {
                return on_executed(in);
            } else if constexpr (std::is_same_v<T, Synced>) {
                return on_synced(in);
            } else {
                static_assert(std::is_same_v<T, WorkPending>);
                node_pending_ = in.pending;
                return StepOutcome::accepted();
            }
        },
        input);
    // Messages parked for a later view or window get another chance once either moved.
    for (int round = 0; round < 4 && replay_needed_ && !halted_; ++round) {
        replay_needed_ = false;
        replay_future();
    }
    check_bounds();
    return out;
}

Ready Replica::Impl::take_ready() {
    Ready out = std::move(ready_);
    ready_ = Ready{};
    return out;
}

StepOutcome Replica::Impl::reject(Rejection r) {
    JC_ASSERT(r != Rejection::kNone, "consensus.reject.has_reason");
    ++rejections_[static_cast<std::size_t>(r)];
    return StepOutcome::rejected(r);
}

StepOutcome Replica::Impl::buffer(ValidatorIndex from, const Message& message) {
    auto& q = future_[from];
    if (q.size() >= config_.future_messages_per_peer_max) {
        return reject(Rejection::kBufferFull);
    }
    q.push_back(message);
    return StepOutcome::buffered();
}

void Replica::Impl::replay_future() {
    auto parked = std::move(future_);
    future_.clear();
    for (auto& [from, q] : parked) {
        for (const Message& m : q) {
            (void)on_message(from, m);
            if (halted_) {
                return;
            }
        }
    }
}

ValidatorIndex Replica::Impl::primary_of(std::uint64_t view) const {
    return static_cast<ValidatorIndex>(view % weights_.size());
}

std::uint64_t Replica::Impl::window_high() const {
    // Anchored at the head, not at the certified height: a certificate for height H then
    // needs f+1 honest preparers whose heads are >= H - window, so the blocks below H stay
    // available from an honest ledger or from the NewView's re-commit walk (ADR 0011).
    return std::min(head_ + config_.window_heights, stable_ + config_.results_lag_heights_max);
}

bool Replica::Impl::verify_message(const Message& m) const {
    const ValidatorIndex signer = signer_of(m);
    JC_ASSERT(signer < weights_.size(), "consensus.verify.known_signer");
    const crypto::Signature& sig = std::visit([](const auto& x) -> const crypto::Signature& { return x.sig; }, m);
    return verifier_.verify(signer, signed_hash(config_.chain_id, m), sig);
}

std::optional<Hash> Replica::Impl::known_parent(std::uint64_t height) const {
    JC_ASSERT(height > head_, "consensus.known_parent.above_head");
    if (height - 1 == head_) {
        return head_digest_;
    }
    if (height - 1 == certified_) {
        return certified_digest_;
    }
    const auto it = log_.find(height - 1);
    if (it != log_.end() && it->second.preprepare && it->second.prepared_in_view) {
        return it->second.preprepare->digest;
    }
    return std::nullopt;
}

bool Replica::Impl::timer_work() const {
    if (node_pending_) {
        return true;
    }
    for (const auto& [h, s] : log_) {
        if (h > certified_ && s.preprepare && !s.commit_certificate) {
            return true;
        }
    }
    return false;
}

bool Replica::Impl::any_work() const {
    return timer_work() || status_ == ViewStatus::kViewChange || executed_ > stable_ ||
           certified_ > head_ || !new_view_wanted_.empty() || !log_.empty();
}

// ---------------------------------------------------------------- persistence and release

std::uint64_t Replica::Impl::persist(Record record) {
    const std::uint64_t seq = next_seq_++;
    ready_.to_persist.push_back({seq, std::move(record)});
    return seq;
}

void Replica::Impl::queue(std::uint64_t seq_required, Message message, std::optional<ValidatorIndex> to) {
    JC_ASSERT(seq_required < next_seq_, "consensus.queue.seq_issued");
    pending_.push_back({seq_required, std::move(message), to});
    release();
}

bool Replica::Impl::still_relevant(const Message& m) const {
    return std::visit(
        [this](const auto& x) -> bool {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, PrePrepare> || std::is_same_v<T, Vote>) {
                return x.view == view_ && status_ == ViewStatus::kNormal && x.height > head_;
            } else if constexpr (std::is_same_v<T, ViewChange>) {
                return x.new_view == view_ && status_ == ViewStatus::kViewChange;
            } else if constexpr (std::is_same_v<T, NewView>) {
                return x.view == view_ && status_ == ViewStatus::kNormal;
            } else {
                return true;
            }
        },
        m);
}

void Replica::Impl::release() {
    if (releasing_) {
        return;  // the outer loop continues in order
    }
    releasing_ = true;
    while (!pending_.empty() && pending_.front().seq_required <= durable_seq_) {
        PendingSend p = std::move(pending_.front());
        pending_.pop_front();
        JC_ASSERT(p.seq_required <= durable_seq_, "INV-P1-persist-before-send");
        if (!still_relevant(p.message)) {
            continue;
        }
        // Sign at release: no signature exists for a vote whose record could still be lost.
        std::visit(
            [this](auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, PrePrepare>) {
                    const auto it = signed_.find({static_cast<std::uint8_t>(VoteKind::kPrePrepare), x.view, x.height});
                    JC_ASSERT(it != signed_.end() && it->second == x.proposal.digest, "INV-S2-no-equivocation");
                } else if constexpr (std::is_same_v<T, Vote>) {
                    const auto it = signed_.find({static_cast<std::uint8_t>(x.kind), x.view, x.height});
                    JC_ASSERT(it != signed_.end() && it->second == x.digest, "INV-S2-no-equivocation");
                }
            },
            p.message);
        const Hash h = signed_hash(config_.chain_id, p.message);
        std::visit([&](auto& x) { x.sig = signer_.sign(h); }, p.message);
        ready_.to_send.push_back({p.to, p.message});
        apply_own(p.message);
    }
    releasing_ = false;
}

void Replica::Impl::apply_own(const Message& m) {
    if (const auto* pp = std::get_if<PrePrepare>(&m)) {
        log_[pp->height].my_preprepare = m;
    } else if (const auto* v = std::get_if<Vote>(&m)) {
        Slot& s = log_[v->height];
        if (v->kind == VoteKind::kPrepare) {
            s.my_prepare = m;
            s.prepares[config_.self] = {v->digest, v->sig};
        } else {
            s.my_commit = m;
            s.commits[config_.self] = {v->digest, v->sig};
        }
        evaluate();
    } else if (const auto* c = std::get_if<Checkpoint>(&m)) {
        // Checkpoints wait in the same FIFO as votes, so several can be released together:
        // trim here, where they are stored.
        my_checkpoints_[c->height] = m;
        while (my_checkpoints_.size() > config_.checkpoint_horizon_heights) {
            my_checkpoints_.erase(my_checkpoints_.begin());
        }
        add_checkpoint_vote(config_.self, c->height, c->results_digest, c->sig);
    } else if (const auto* vc = std::get_if<ViewChange>(&m)) {
        my_view_change_ = m;
        view_changes_[config_.self] = *vc;
        try_new_view();
    } else {
        my_new_view_ = m;
    }
}

StepOutcome Replica::Impl::on_persisted(const Persisted& p) {
    if (p.seq_durable >= next_seq_ || p.seq_durable < durable_seq_) {
        return reject(Rejection::kBadInput);
    }
    durable_seq_ = p.seq_durable;
    release();
    return StepOutcome::accepted();
}

bool Replica::Impl::record_vote(VoteKind kind, std::uint64_t height, const Hash& digest) {
    JC_ASSERT(status_ == ViewStatus::kNormal, "consensus.vote.in_normal_view");
    JC_ASSERT(height > head_ && height <= window_high(), "INV-W1-window");
    const VoteKey key{static_cast<std::uint8_t>(kind), view_, height};
    const auto it = signed_.find(key);
    if (it != signed_.end()) {
        // Recorded before a restart: the same vote is already durable (and re-sent); a
        // different one must never be signed.
        if (it->second != digest) {
            ++rejections_[static_cast<std::size_t>(Rejection::kEquivocation)];
            return false;
        }
        return true;
    }
    signed_.emplace(key, digest);
    const std::uint64_t seq = persist(VoteRecord{kind, view_, height, digest, std::nullopt});
    queue(seq, Vote{kind, view_, height, digest, config_.self, {}});
    return true;
}

// ---------------------------------------------------------------- normal case

std::optional<ProposalSlot> Replica::Impl::proposal_slot() const {
    if (halted_ || status_ != ViewStatus::kNormal || primary_of(view_) != config_.self) {
        return std::nullopt;
    }
    std::uint64_t top = certified_;
    Hash parent = certified_digest_;
    for (auto it = log_.find(top + 1); it != log_.end() && it->first == top + 1 && it->second.preprepare; ++it) {
        top = it->first;
        parent = it->second.preprepare->digest;
    }
    const std::uint64_t next = top + 1;
    if (next <= nv_high_ || next > window_high()) {
        return std::nullopt;
    }
    return ProposalSlot{view_, next, parent};
}

StepOutcome Replica::Impl::on_propose(const Propose& p) {
    const auto slot = proposal_slot();
    if (!slot) {
        return reject(Rejection::kNotReady);
    }
    if (p.height != slot->height) {
        return reject(Rejection::kWrongHeight);
    }
    if (p.proposal.parent_digest != slot->parent_digest) {
        return reject(Rejection::kParentMismatch);
    }
    if (p.proposal.payload.size() > config_.proposal_bytes_max) {
        return reject(Rejection::kMalformed);
    }
    if (!validator_.valid(p.height, p.proposal)) {
        return reject(Rejection::kInvalidProposal);
    }
    const VoteKey key{static_cast<std::uint8_t>(VoteKind::kPrePrepare), view_, p.height};
    JC_ASSERT(!signed_.contains(key), "INV-S2-no-equivocation");
    signed_.emplace(key, p.proposal.digest);
    log_[p.height].preprepare = p.proposal;
    const std::uint64_t seq = persist(VoteRecord{VoteKind::kPrePrepare, view_, p.height, p.proposal.digest, p.proposal});
    queue(seq, PrePrepare{view_, p.height, p.proposal, config_.self, {}});
    evaluate();
    return StepOutcome::accepted();
}

StepOutcome Replica::Impl::on_message(ValidatorIndex from, const Message& message) {
    const ValidatorIndex signer = signer_of(message);
    if (signer >= weights_.size()) {
        return reject(Rejection::kUnknownSender);
    }
    if (signer == config_.self) {
        return reject(Rejection::kDuplicate);  // our own message echoed back
    }
    return std::visit(
        [&](const auto& m) -> StepOutcome {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, PrePrepare>) {
                return on_preprepare(from, m);
            } else if constexpr (std::is_same_v<T, Vote>) {
                return on_vote(from, m);
            } else if constexpr (std::is_same_v<T, Checkpoint>) {
                return on_checkpoint(m);
            } else if constexpr (std::is_same_v<T, ViewChange>) {
                return on_view_change(from, m);
            } else {
                return on_new_view(m);
            }
        },
        message);
}

StepOutcome Replica::Impl::on_preprepare(ValidatorIndex from, const PrePrepare& m) {
    if (m.view < view_) {
        if (m.height <= head_) {
            help_peer(from, m.height);
        }
        if (status_ == ViewStatus::kNormal && primary_of(view_) == config_.self) {
            new_view_wanted_.insert(from);
        }
        return reject(Rejection::kStaleView);
    }
    if (m.view > view_ || status_ != ViewStatus::kNormal) {
        return buffer(from, m);
    }
    if (primary_of(m.view) != m.signer) {
        return reject(Rejection::kNotPrimary);
    }
    if (m.height <= certified_) {
        help_peer(from, m.height);
        return reject(Rejection::kStaleHeight);
    }
    if (m.height <= nv_high_) {
        return reject(Rejection::kStaleHeight);  // these heights come only inside the NewView
    }
    if (m.height > window_high()) {
        if (m.height <= certified_ + config_.future_heights_max) {
            return buffer(from, m);
        }
        return reject(Rejection::kOutOfWindow);
    }
    if (m.proposal.payload.size() > config_.proposal_bytes_max) {
        return reject(Rejection::kMalformed);
    }
    auto it = log_.find(m.height);
    if (it != log_.end() && it->second.preprepare) {
        if (it->second.preprepare->digest == m.proposal.digest) {
            return reject(Rejection::kDuplicate);
        }
        return reject(verify_message(m) ? Rejection::kEquivocation : Rejection::kBadSignature);
    }
    if (!verify_message(m)) {
        return reject(Rejection::kBadSignature);
    }
    if (m.height - 1 == certified_ && m.proposal.parent_digest != certified_digest_) {
        return reject(Rejection::kParentMismatch);
    }
    if (const auto below = log_.find(m.height - 1);
        below != log_.end() && below->second.preprepare && below->second.preprepare->digest != m.proposal.parent_digest) {
        return reject(Rejection::kParentMismatch);
    }
    if (const auto rec = signed_.find({static_cast<std::uint8_t>(VoteKind::kPrepare), view_, m.height});
        rec != signed_.end() && rec->second != m.proposal.digest) {
        return reject(Rejection::kEquivocation);  // we prepared another digest here before a restart
    }
    if (!validator_.valid(m.height, m.proposal)) {
        return reject(Rejection::kInvalidProposal);
    }
    log_[m.height].preprepare = m.proposal;
    evaluate();
    return StepOutcome::accepted();
}

StepOutcome Replica::Impl::on_vote(ValidatorIndex from, const Vote& m) {
    if (m.kind != VoteKind::kPrepare && m.kind != VoteKind::kCommit) {
        return reject(Rejection::kMalformed);
    }
    if (m.view < view_ && m.kind == VoteKind::kCommit && m.height > head_) {
        return on_old_commit(m);
    }
    if (m.view < view_) {
        if (m.height <= head_) {
            help_peer(from, m.height);
        }
        if (status_ == ViewStatus::kNormal && primary_of(view_) == config_.self) {
            new_view_wanted_.insert(from);
        }
        return reject(Rejection::kStaleView);
    }
    if (m.view > view_ || status_ != ViewStatus::kNormal) {
        return buffer(from, m);
    }
    if (m.height <= head_) {
        help_peer(from, m.height);
        return reject(Rejection::kStaleHeight);
    }
    if (m.height > window_high()) {
        if (m.height <= certified_ + config_.future_heights_max) {
            return buffer(from, m);
        }
        return reject(Rejection::kOutOfWindow);
    }
    Slot& s = log_[m.height];
    auto& votes = m.kind == VoteKind::kPrepare ? s.prepares : s.commits;
    if (const auto it = votes.find(m.signer); it != votes.end()) {
        if (it->second.digest == m.digest) {
            return reject(Rejection::kDuplicate);
        }
        return reject(verify_message(m) ? Rejection::kEquivocation : Rejection::kBadSignature);
    }
    if (!verify_message(m)) {
        return reject(Rejection::kBadSignature);
    }
    votes.emplace(m.signer, SignedVote{m.digest, m.sig});
    evaluate();
    return StepOutcome::accepted();
}

StepOutcome Replica::Impl::on_old_commit(const Vote& m) {
    auto it = log_.find(m.height);
    if (it == log_.end() || it->second.commit_certificate) {
        return reject(Rejection::kStaleView);
    }
    Slot& s = it->second;
    const auto views = s.old_commits.find(m.view);
    if (views == s.old_commits.end()) {
        return reject(Rejection::kStaleView);  // only the views we kept
    }
    if (const auto v = views->second.find(m.signer); v != views->second.end()) {
        return reject(v->second.digest == m.digest ? Rejection::kDuplicate : Rejection::kEquivocation);
    }
    if (!verify_message(m)) {
        return reject(Rejection::kBadSignature);
    }
    views->second.emplace(m.signer, SignedVote{m.digest, m.sig});
    try_commit(m.height, s, m.view, views->second);
    advance_head();
    return StepOutcome::accepted();
}

void Replica::Impl::evaluate() {
    if (status_ != ViewStatus::kNormal || halted_) {
        return;
    }
    const std::uint64_t q = weights_.quorum();
    const std::uint64_t high = window_high();
    for (auto& [h, s] : log_) {
        if (h <= head_ || s.commit_certificate) {
            continue;
        }
        if (h > high) {
            break;
        }
        if (s.preprepare && !s.prepare_recorded) {
            // Heights up to the NewView's base re-commit the certified chain: their digests are
            // final, so no predecessor needs to be prepared first.
            const bool recommit = h <= nv_low_;
            const auto parent = known_parent(h);
            if (recommit || (parent && *parent == s.preprepare->parent_digest)) {
                JC_ASSERT(recommit || *parent == s.preprepare->parent_digest, "INV-C1-prepare-chain");
                s.prepare_recorded = record_vote(VoteKind::kPrepare, h, s.preprepare->digest);
            }
        }
        if (s.preprepare && s.prepare_recorded && !s.prepared_in_view) {
            const Hash d = s.preprepare->digest;
            if (weights_.weight_where(s.prepares, [&](const SignedVote& v) { return v.digest == d; }) >= q) {
                Certificate cert{VoteKind::kPrepare, view_, h, d, {}};
                for (const auto& [validator, v] : s.prepares) {
                    if (v.digest == d) {
                        cert.signatures.push_back({validator, v.sig});
                    }
                }
                s.prepared_in_view = true;
                s.prepared = PreparedEntry{*s.preprepare, cert};
                (void)persist(PreparedRecord{*s.prepared});
            }
        }
        if (s.prepared_in_view && !s.commit_recorded) {
            s.commit_recorded = record_vote(VoteKind::kCommit, h, s.preprepare->digest);
        }
        if (!s.commit_certificate && !s.commits.empty()) {
            try_commit(h, s, view_, s.commits);
        }
    }
    advance_head();
}

void Replica::Impl::try_commit(std::uint64_t h, Slot& s, std::uint64_t view,
                               const std::map<ValidatorIndex, SignedVote>& commits) {
    // Any digest with a commit quorum (in one view) whose proposal we hold is committed.
    const std::uint64_t q = weights_.quorum();
    for (const Proposal* candidate : {s.preprepare ? &*s.preprepare : nullptr,
                                      s.prepared ? &s.prepared->proposal : nullptr}) {
        if (candidate == nullptr || s.commit_certificate) {
            continue;
        }
        const Hash d = candidate->digest;
        if (weights_.weight_where(commits, [&](const SignedVote& v) { return v.digest == d; }) < q) {
            continue;
        }
        Certificate cert{VoteKind::kCommit, view, h, d, {}};
        std::uint64_t w = 0;
        for (const auto& [validator, v] : commits) {
            if (v.digest == d) {
                cert.signatures.push_back({validator, v.sig});
                w += weights_.of(validator);
            }
        }
        JC_ASSERT(w >= q, "INV-S3-certified");
        s.commit_certificate = std::move(cert);
        s.commit_proposal = *candidate;
    }
}

void Replica::Impl::advance_head() {
    for (;;) {
        auto it = log_.find(head_ + 1);
        if (it == log_.end() || !it->second.commit_certificate) {
            break;
        }
        Slot& s = it->second;
        const Proposal& p = *s.commit_proposal;
        if (p.parent_digest != head_digest_) {
            // Only possible with more than f faulty weight: refuse to hand out a broken chain.
            ++rejections_[static_cast<std::size_t>(Rejection::kParentMismatch)];
            break;
        }
        if (head_ + 1 == certified_ && p.digest != certified_digest_) {
            // Our certificate and the known one disagree: only possible with more than f faulty.
            ++rejections_[static_cast<std::size_t>(Rejection::kBadCertificate)];
            break;
        }
        const std::uint64_t h = it->first;
        JC_ASSERT(s.commit_certificate->height == h && s.commit_certificate->digest == p.digest, "INV-S3-certified");
        JC_ASSERT(p.parent_digest == head_digest_, "INV-S5-chain");
        ready_.to_commit.push_back({h, p, *s.commit_certificate});
        recent_commits_[h] = {*s.commit_certificate, ticks_};
        head_ = h;
        head_digest_ = p.digest;
        if (h > certified_) {
            certified_ = h;
            certified_digest_ = p.digest;
            certified_certificate_ = *s.commit_certificate;
        }
        log_.erase(it);
        progress_ticks_ = 0;
        if (status_ == ViewStatus::kNormal) {
            timeout_ticks_ = config_.view_change_timeout_ticks;
        }
        replay_needed_ = true;
    }
    prune_below_head();
}

void Replica::Impl::prune_below_head() {
    while (!recent_commits_.empty() && recent_commits_.begin()->first + config_.window_heights <= head_) {
        recent_commits_.erase(recent_commits_.begin());
    }
    for (auto it = signed_.begin(); it != signed_.end();) {
        it = std::get<2>(it->first) <= head_ ? signed_.erase(it) : std::next(it);
    }
    // Slots at or below certified are only kept while they can still be handed out.
    for (auto it = log_.begin(); it != log_.end();) {
        const Slot& s = it->second;
        const bool dead = it->first <= head_ ||
                          (it->first <= certified_ && !s.commit_certificate && !s.preprepare && !s.prepared);
        it = dead ? log_.erase(it) : std::next(it);
    }
}

void Replica::Impl::raise_certified(std::uint64_t height, const Hash& digest, const Certificate& cert) {
    if (height <= certified_) {
        return;
    }
    JC_ASSERT(cert.kind == VoteKind::kCommit && cert.height == height && cert.digest == digest, "INV-S3-certified");
    certified_ = height;
    certified_digest_ = digest;
    certified_certificate_ = cert;
    if (auto it = log_.find(height); it != log_.end() && !it->second.commit_certificate) {
        // The certificate completes our own slot when we hold the proposal.
        const Slot& s = it->second;
        std::optional<Proposal> p;
        if (s.preprepare && s.preprepare->digest == digest) {
            p = s.preprepare;
        } else if (s.prepared && s.prepared->proposal.digest == digest) {
            p = s.prepared->proposal;
        }
        if (p) {
            it->second.commit_certificate = cert;
            it->second.commit_proposal = p;
        }
    }
    prune_below_head();
    replay_needed_ = true;
}

void Replica::Impl::help_peer(ValidatorIndex from, std::uint64_t height) {
    if (from >= weights_.size() || from == config_.self || help_tick_[from] == ticks_ + 1) {
        return;
    }
    const auto it = recent_commits_.find(height);
    // Votes that merely arrive after our quorum are normal; a peer still sending them
    // retransmit_ticks later is stuck on the height.
    if (it == recent_commits_.end() || ticks_ < it->second.tick + config_.retransmit_ticks) {
        return;
    }
    // The certificate's signatures are the commit votes themselves: a peer that missed them
    // can finish the height without a view change or a block fetch.
    help_tick_[from] = ticks_ + 1;
    const Certificate& c = it->second.certificate;
    for (const auto& s : c.signatures) {
        ready_.to_send.push_back({from, Vote{VoteKind::kCommit, c.view, c.height, c.digest, s.validator, s.sig}});
    }
}

void Replica::Impl::reset_view_state(std::uint64_t old_view) {
    for (auto& [h, s] : log_) {
        if (s.my_commit) {
            s.my_old_commit = s.my_commit;
        }
        if (s.preprepare || !s.prepares.empty() || !s.commits.empty()) {
            // Keep the view's commit votes (two views at most): late ones may still complete a
            // certificate.
            auto& kept = s.old_commits[old_view];
            for (const auto& [validator, v] : s.commits) {
                kept.emplace(validator, v);
            }
            while (s.old_commits.size() > 2) {
                s.old_commits.erase(s.old_commits.begin());
            }
        }
        s.preprepare.reset();
        s.prepares.clear();
        s.commits.clear();
        s.prepare_recorded = false;
        s.commit_recorded = false;
        s.prepared_in_view = false;
        s.my_preprepare.reset();
        s.my_prepare.reset();
        s.my_commit.reset();
    }
    // Messages of an older view would be dropped at release anyway.
    std::erase_if(pending_, [this](const PendingSend& p) {
        return !std::holds_alternative<Checkpoint>(p.message) && view_of(p.message) < view_;
    });
    my_new_view_.reset();
    my_view_change_.reset();
    new_view_wanted_.clear();
    nv_low_ = 0;
    nv_high_ = 0;
    progress_ticks_ = 0;
    view_change_ticks_ = 0;
    replay_needed_ = true;
}

// ---------------------------------------------------------------- ticks

StepOutcome Replica::Impl::on_tick() {
    ++ticks_;
    if (status_ == ViewStatus::kNormal) {
        if (timer_work()) {
            if (++progress_ticks_ >= timeout_ticks_) {
                timeout_ticks_ = std::min(timeout_ticks_ * 2, config_.view_change_timeout_ticks_max);
                start_view_change(view_ + 1);
            }
        } else {
            progress_ticks_ = 0;
        }
    } else if (view_change_weight(view_) >= weights_.quorum()) {
        // Paper: the timer for the next view starts only once a quorum is changing too.
        if (++view_change_ticks_ >= timeout_ticks_) {
            timeout_ticks_ = std::min(timeout_ticks_ * 2, config_.view_change_timeout_ticks_max);
            start_view_change(view_ + 1);
        }
    }
    if (any_work()) {
        if (++retransmit_count_ >= config_.retransmit_ticks) {
            retransmit_count_ = 0;
            retransmit();
        }
    } else {
        retransmit_count_ = 0;
    }
    check_fetch();
    return StepOutcome::accepted();
}

void Replica::Impl::retransmit() {
    if (status_ == ViewStatus::kNormal) {
        for (const auto& [h, s] : log_) {
            if (h <= head_ || s.commit_certificate) {
                continue;
            }
            for (const auto* m : {&s.my_preprepare, &s.my_prepare, &s.my_commit, &s.my_old_commit}) {
                if (*m) {
                    ready_.to_send.push_back({std::nullopt, **m});
                }
            }
        }
        if (my_new_view_) {
            for (ValidatorIndex peer : new_view_wanted_) {
                ready_.to_send.push_back({peer, *my_new_view_});
            }
        }
        new_view_wanted_.clear();
    } else if (my_view_change_) {
        ready_.to_send.push_back({std::nullopt, *my_view_change_});
    }
    for (const auto& [h, m] : my_checkpoints_) {
        if (h >= stable_) {
            ready_.to_send.push_back({std::nullopt, m});
        }
    }
}

// ---------------------------------------------------------------- status and bounds

ReplicaStatus Replica::Impl::status() const {
    ReplicaStatus s;
    s.view = view_;
    s.status = status_;
    s.head_height = head_;
    s.head_digest = head_digest_;
    s.certified_height = certified_;
    s.executed_height = executed_;
    s.stable_height = stable_;
    s.timeout_ticks = timeout_ticks_;
    s.log_slots = log_.size();
    for (const auto& [from, q] : future_) {
        s.buffered_messages += q.size();
    }
    s.pending_sends = pending_.size();
    for (const auto& [h, votes] : checkpoint_votes_) {
        s.checkpoint_votes += votes.size();
    }
    s.halted = halted_;
    return s;
}

void Replica::Impl::check_bounds() const {
    const std::uint64_t w = config_.window_heights;
    JC_ASSERT(head_ <= certified_, "consensus.head_below_certified");
    JC_ASSERT(log_.size() <= config_.future_heights_max + w + 1, "INV-B1-bounded");
    for (const auto& [h, s] : log_) {
        JC_ASSERT(h > head_ && h <= certified_ + config_.future_heights_max, "INV-B1-bounded");
        JC_ASSERT(s.prepares.size() <= weights_.size() && s.commits.size() <= weights_.size(), "INV-B1-bounded");
    }
    for (const auto& [from, q] : future_) {
        JC_ASSERT(q.size() <= config_.future_messages_per_peer_max, "INV-B1-bounded");
    }
    JC_ASSERT(view_changes_.size() <= weights_.size(), "INV-B1-bounded");
    JC_ASSERT(pending_.size() <= 4 * (config_.future_heights_max + w) + 8, "INV-B1-bounded");
    JC_ASSERT(checkpoint_votes_.size() <= 2 * config_.checkpoint_horizon_heights + 1, "INV-B1-bounded");
    JC_ASSERT(own_results_.size() <= config_.checkpoint_horizon_heights + 1, "INV-B1-bounded");
    JC_ASSERT(my_checkpoints_.size() <= config_.checkpoint_horizon_heights + 1, "INV-B1-bounded");
    JC_ASSERT(quorum_results_.size() <= config_.checkpoint_horizon_heights + 1, "INV-B1-bounded");
    JC_ASSERT(recent_commits_.size() <= w + 1, "INV-B1-bounded");
    JC_ASSERT(certified_ == 0 || certified_certificate_.has_value(), "INV-S3-certified");
}

}  // namespace jc::consensus
