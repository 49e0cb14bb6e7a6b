// View change and new view (docs/spec/consensus.md §6, ADR 0011).
#include "replica_impl.h"

#include <jc/core/assert.h>

namespace jc::consensus {

Status Replica::Impl::verify_view_change(const ViewChange& vc) const {
    const auto bad = [&](const std::string& what) {
        return Error(Errc::kCrypto, "view change from " + std::to_string(vc.signer) + " for view " +
                                        std::to_string(vc.new_view) + ": " + what);
    };
    if (vc.signer >= weights_.size()) {
        return bad("unknown signer");
    }
    if (vc.new_view == 0 || vc.new_view > kViewMax) {
        return bad("view out of range");
    }
    if (!verify_message(vc)) {
        return bad("bad signature");
    }
    const CommittedClaim& c = vc.committed;
    if (c.height == 0) {
        if (c.certificate || c.digest != config_.genesis_digest) {
            return bad("height 0 claim must be genesis without certificate");
        }
    } else {
        if (!c.certificate || c.certificate->height != c.height || c.certificate->digest != c.digest) {
            return bad("commit claim without a matching certificate");
        }
        if (auto st = verify_certificate_with(*c.certificate, VoteKind::kCommit, config_.chain_id,
                                              config_.validators, verifier_);
            !st) {
            return bad("commit claim: " + st.error().message());
        }
    }
    if (vc.prepared.size() > 2 * config_.window_heights) {
        return bad("too many prepared entries");
    }
    // Entries may start below the claim (a replica whose certified height ran ahead of its
    // head reports what it prepared there, so the chain stays available).
    std::uint64_t previous = c.height > config_.window_heights ? c.height - config_.window_heights : 0;
    for (const auto& e : vc.prepared) {
        const Certificate& pc = e.certificate;
        if (pc.height <= previous || pc.height > c.height + config_.window_heights) {
            return bad("prepared heights not increasing inside the window");
        }
        previous = pc.height;
        if (pc.digest != e.proposal.digest || pc.view >= vc.new_view) {
            return bad("prepared certificate does not match its proposal or view");
        }
        if (e.proposal.payload.size() > config_.proposal_bytes_max) {
            return bad("prepared proposal too large");
        }
        if (auto st = verify_certificate_with(pc, VoteKind::kPrepare, config_.chain_id, config_.validators, verifier_);
            !st) {
            return bad("prepared at height " + std::to_string(pc.height) + ": " + st.error().message());
        }
    }
    return {};
}

ViewChange Replica::Impl::build_view_change() const {
    ViewChange vc;
    vc.new_view = view_;
    vc.signer = config_.self;
    vc.committed.height = certified_;
    vc.committed.digest = certified_digest_;
    if (certified_ > 0) {
        JC_ASSERT(certified_certificate_.has_value(), "INV-S3-certified");
        vc.committed.certificate = certified_certificate_;
    }
    const std::uint64_t lowest = std::max(head_, certified_ > config_.window_heights ? certified_ - config_.window_heights : 0);
    for (const auto& [h, s] : log_) {
        // A backup restarted in the view it had entered asks for that view's NewView again;
        // what it prepared in that very view cannot be reported in a ViewChange for it (its
        // records still stop it from voting differently there).
        if (h > lowest && h <= certified_ + config_.window_heights && s.prepared &&
            s.prepared->certificate.view < view_) {
            vc.prepared.push_back(*s.prepared);
        }
    }
    return vc;
}

void Replica::Impl::send_view_change() {
    JC_ASSERT(status_ == ViewStatus::kViewChange && view_ > 0, "consensus.view_change.status");
    const std::uint64_t seq = persist(ViewRecord{view_, ViewStatus::kViewChange, 0, 0});
    queue(seq, build_view_change());
}

void Replica::Impl::start_view_change(std::uint64_t target) {
    JC_ASSERT(target > view_ && target <= kViewMax, "consensus.view_change.forward");
    const std::uint64_t old_view = view_;
    view_ = target;
    status_ = ViewStatus::kViewChange;
    reset_view_state(old_view);
    send_view_change();
    maybe_join();
    try_new_view();
}

std::uint64_t Replica::Impl::view_change_weight(std::uint64_t view) const {
    // Validators already past `view` count too: otherwise replicas split between v and v+1
    // each wait for a quorum at their own view and none ever times out.
    std::uint64_t w = 0;
    for (const auto& [validator, vc] : view_changes_) {
        if (vc.new_view >= view) {
            w += weights_.of(validator);
        }
    }
    return w;
}

void Replica::Impl::maybe_join() {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> views;
    for (const auto& [validator, vc] : view_changes_) {
        if (validator != config_.self && vc.new_view > view_) {
            views.emplace_back(vc.new_view, weights_.of(validator));
        }
    }
    const auto x = detail::join_view(views, weights_.one_honest());
    if (x && *x > view_) {
        // INV-V3: f+1 weight is at view >= x, so at least one honest validator is.
        start_view_change(*x);
    }
}

void Replica::Impl::try_new_view() {
    if (status_ != ViewStatus::kViewChange || primary_of(view_) != config_.self || halted_) {
        return;
    }
    std::vector<std::pair<ValidatorIndex, std::uint64_t>> present;
    for (const auto& [validator, vc] : view_changes_) {
        if (vc.new_view == view_) {
            present.emplace_back(validator, weights_.of(validator));
        }
    }
    const auto chosen = detail::quorum_prefix(present, weights_.quorum());
    if (chosen.empty()) {
        return;
    }
    NewView nv;
    nv.view = view_;
    nv.signer = config_.self;
    std::vector<const ViewChange*> vcs;
    for (ValidatorIndex i : chosen) {
        nv.view_changes.push_back(view_changes_.at(i));
    }
    for (const auto& vc : nv.view_changes) {
        vcs.push_back(&vc);
    }
    const detail::Selection sel = detail::compute_new_view(vcs, config_.window_heights);
    nv.selected = sel.as_new_view_entries();
    // Persist the view (the promise never to send another NewView for it) and the pre-prepares
    // the NewView stands for, then enter the view.
    std::uint64_t seq = persist(ViewRecord{view_, ViewStatus::kNormal, sel.low, sel.high()});
    for (const auto& e : sel.entries) {
        if (e.height <= head_) {
            continue;
        }
        const VoteKey key{static_cast<std::uint8_t>(VoteKind::kPrePrepare), view_, e.height};
        JC_ASSERT(!signed_.contains(key), "INV-S2-no-equivocation");
        signed_.emplace(key, e.proposal.digest);
        seq = persist(VoteRecord{VoteKind::kPrePrepare, view_, e.height, e.proposal.digest, e.proposal});
    }
    status_ = ViewStatus::kNormal;
    queue(seq, std::move(nv));
    apply_selection(sel);
}

void Replica::Impl::apply_selection(const detail::Selection& sel) {
    JC_ASSERT(status_ == ViewStatus::kNormal, "consensus.new_view.normal");
    nv_low_ = sel.low;
    nv_high_ = sel.high();
    progress_ticks_ = 0;
    view_change_ticks_ = 0;
    if (sel.low > certified_) {
        JC_ASSERT(sel.low_certificate.has_value(), "INV-S3-certified");
        raise_certified(sel.low, sel.low_digest, *sel.low_certificate);
    }
    for (const auto& e : sel.entries) {
        if (e.height <= head_ || e.height > certified_ + config_.future_heights_max) {
            continue;
        }
        if (!validator_.valid(e.height, e.proposal)) {
            // Prepared by a quorum, so an honest validator found it valid; we only refuse to
            // vote on it ourselves.
            ++rejections_[static_cast<std::size_t>(Rejection::kInvalidProposal)];
            continue;
        }
        log_[e.height].preprepare = e.proposal;
    }
    replay_needed_ = true;
    evaluate();
}

StepOutcome Replica::Impl::on_view_change(ValidatorIndex from, const ViewChange& m) {
    if (m.new_view == 0) {
        return reject(Rejection::kMalformed);
    }
    if (const auto it = view_changes_.find(m.signer); it != view_changes_.end() && it->second.new_view >= m.new_view) {
        return reject(it->second == m ? Rejection::kDuplicate : Rejection::kStaleView);
    }
    if (m.new_view < view_ || (m.new_view == view_ && status_ == ViewStatus::kNormal)) {
        if (status_ == ViewStatus::kNormal && primary_of(view_) == config_.self) {
            new_view_wanted_.insert(from);  // it missed our NewView
        }
        return reject(Rejection::kStaleView);
    }
    if (!verify_view_change(m)) {
        return reject(Rejection::kBadViewChange);
    }
    view_changes_[m.signer] = m;
    if (m.committed.height > certified_) {
        raise_certified(m.committed.height, m.committed.digest, *m.committed.certificate);
    }
    maybe_join();
    try_new_view();
    return StepOutcome::accepted();
}

StepOutcome Replica::Impl::on_new_view(const NewView& m) {
    if (m.view == 0) {
        return reject(Rejection::kMalformed);
    }
    if (m.view < view_ || (m.view == view_ && status_ == ViewStatus::kNormal)) {
        return reject(Rejection::kStaleView);
    }
    if (primary_of(m.view) != m.signer) {
        return reject(Rejection::kNotPrimary);
    }
    if (!verify_message(m)) {
        return reject(Rejection::kBadSignature);
    }
    // Every included ViewChange is verified signature by signature (INV-V2), unless it is the
    // very message we already verified from that validator.
    std::uint64_t weight = 0;
    std::vector<const ViewChange*> vcs;
    for (std::size_t i = 0; i < m.view_changes.size(); ++i) {
        const ViewChange& vc = m.view_changes[i];
        if (vc.new_view != m.view || vc.signer >= weights_.size() ||
            (i > 0 && vc.signer <= m.view_changes[i - 1].signer)) {
            return reject(Rejection::kBadNewView);
        }
        const auto known = view_changes_.find(vc.signer);
        const bool already_verified = known != view_changes_.end() && known->second == vc;
        if (!already_verified && !verify_view_change(vc)) {
            return reject(Rejection::kBadNewView);
        }
        weight += weights_.of(vc.signer);
        vcs.push_back(&vc);
    }
    if (vcs.empty() || weight < weights_.quorum()) {
        return reject(Rejection::kBadNewView);
    }
    const detail::Selection sel = detail::compute_new_view(vcs, config_.window_heights);
    if (sel.as_new_view_entries() != m.selected) {
        return reject(Rejection::kBadNewView);  // INV-V1: the primary's selection must be ours
    }
    const std::uint64_t old_view = view_;
    view_ = m.view;
    status_ = ViewStatus::kNormal;
    reset_view_state(old_view);
    apply_selection(sel);
    return StepOutcome::accepted();
}

}  // namespace jc::consensus
