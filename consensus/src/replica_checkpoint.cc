// Checkpoints, results agreement, block sync and fetch requests (docs/spec/consensus.md §5, §7;
// ADR 0010).
#include "replica_impl.h"

#include <jc/core/assert.h>

namespace jc::consensus {

StepOutcome Replica::Impl::on_checkpoint(const Checkpoint& m) {
    if (m.height == 0) {
        return reject(Rejection::kMalformed);
    }
    if (m.height <= stable_) {
        return reject(Rejection::kStaleHeight);
    }
    const auto hv = checkpoint_votes_.find(m.height);
    if (hv != checkpoint_votes_.end()) {
        if (const auto it = hv->second.find(m.signer); it != hv->second.end()) {
            if (it->second.digest == m.results_digest) {
                return reject(Rejection::kDuplicate);
            }
            return reject(verify_message(m) ? Rejection::kEquivocation : Rejection::kBadSignature);
        }
    }
    if (!verify_message(m)) {
        return reject(Rejection::kBadSignature);
    }
    peer_claim_[m.signer] = std::max(peer_claim_[m.signer], m.height);
    if (m.height > executed_ + config_.checkpoint_horizon_heights ||
        m.height + config_.checkpoint_horizon_heights <= executed_) {
        return StepOutcome::accepted();  // only evidence of progress; too far to tally
    }
    add_checkpoint_vote(m.signer, m.height, m.results_digest, m.sig);
    return StepOutcome::accepted();
}

void Replica::Impl::add_checkpoint_vote(ValidatorIndex signer, std::uint64_t height, const Hash& digest,
                                        const crypto::Signature& sig) {
    if (height <= stable_ || halted_) {
        return;
    }
    auto& votes = checkpoint_votes_[height];
    votes.emplace(signer, SignedVote{digest, sig});
    const std::uint64_t w = weights_.weight_where(votes, [&](const SignedVote& v) { return v.digest == digest; });
    if (w < weights_.quorum()) {
        return;
    }
    Certificate cert{VoteKind::kCheckpoint, 0, height, digest, {}};
    for (const auto& [validator, v] : votes) {
        if (v.digest == digest) {
            cert.signatures.push_back({validator, v.sig});
        }
    }
    make_stable(height, digest, std::move(cert));
}

void Replica::Impl::make_stable(std::uint64_t height, const Hash& digest, Certificate cert) {
    JC_ASSERT(height > stable_, "consensus.checkpoint.stable_increases");
    JC_ASSERT(cert.kind == VoteKind::kCheckpoint && cert.height == height && cert.digest == digest,
              "INV-S3-certified");
    stable_ = height;
    ready_.stable_checkpoints.push_back(std::move(cert));
    if (const auto own = own_results_.find(height); own != own_results_.end()) {
        if (own->second != digest) {
            diverge(height, own->second, digest);
            return;
        }
    } else if (height > executed_) {
        quorum_results_[height] = digest;
        while (quorum_results_.size() > config_.checkpoint_horizon_heights) {
            quorum_results_.erase(quorum_results_.begin());
        }
    }
    // GC (paper §4.3): everything about heights below the stable checkpoint.
    checkpoint_votes_.erase(checkpoint_votes_.begin(), checkpoint_votes_.upper_bound(height));
    own_results_.erase(own_results_.begin(), own_results_.lower_bound(height));
    my_checkpoints_.erase(my_checkpoints_.begin(), my_checkpoints_.lower_bound(height));
    replay_needed_ = true;  // the voting window may have moved
    evaluate();
}

void Replica::Impl::diverge(std::uint64_t height, const Hash& ours, const Hash& quorum) {
    // INV-S4: our execution disagrees with a quorum's. Stop loudly rather than diverge.
    ready_.diverged = ResultsDiverged{height, ours, quorum};
    halted_ = true;
}

StepOutcome Replica::Impl::on_executed(const Executed& e) {
    if (e.height != executed_ + 1 || e.height > head_) {
        return reject(Rejection::kWrongHeight);
    }
    executed_ = e.height;
    if (const auto q = quorum_results_.find(e.height); q != quorum_results_.end()) {
        const Hash quorum = q->second;
        quorum_results_.erase(quorum_results_.begin(), std::next(q));
        if (quorum != e.results_digest) {
            diverge(e.height, e.results_digest, quorum);
            return StepOutcome::accepted();
        }
    }
    quorum_results_.erase(quorum_results_.begin(), quorum_results_.upper_bound(e.height));
    if (e.height > config_.checkpoint_horizon_heights) {
        checkpoint_votes_.erase(checkpoint_votes_.begin(),
                                checkpoint_votes_.upper_bound(e.height - config_.checkpoint_horizon_heights));
    }
    if (e.height <= stable_) {
        return StepOutcome::accepted();  // already agreed without us
    }
    own_results_[e.height] = e.results_digest;
    while (own_results_.size() > config_.checkpoint_horizon_heights) {
        own_results_.erase(own_results_.begin());
    }
    queue(0, Checkpoint{e.height, e.results_digest, config_.self, {}});
    return StepOutcome::accepted();
}

StepOutcome Replica::Impl::on_synced(const Synced& s) {
    if (s.height <= head_) {
        return reject(Rejection::kStaleHeight);
    }
    if (s.height != head_ + 1) {
        return reject(Rejection::kWrongHeight);
    }
    if (s.parent_digest != head_digest_) {
        return reject(Rejection::kParentMismatch);
    }
    if (s.certificate.height != s.height || s.certificate.digest != s.digest ||
        !verify_certificate_with(s.certificate, VoteKind::kCommit, config_.chain_id, config_.validators, verifier_)) {
        return reject(Rejection::kBadCertificate);
    }
    if (s.height == certified_ && s.digest != certified_digest_) {
        return reject(Rejection::kBadCertificate);  // two certificates disagree: > f faulty
    }
    JC_ASSERT(s.parent_digest == head_digest_, "INV-S5-chain");
    head_ = s.height;
    head_digest_ = s.digest;
    recent_commits_[head_] = {s.certificate, ticks_};
    if (head_ > certified_) {
        certified_ = head_;
        certified_digest_ = s.digest;
        certified_certificate_ = s.certificate;
    }
    log_.erase(s.height);
    progress_ticks_ = 0;
    replay_needed_ = true;
    prune_below_head();
    evaluate();
    return StepOutcome::accepted();
}

void Replica::Impl::check_fetch() {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> claims;
    for (ValidatorIndex i = 0; i < peer_claim_.size(); ++i) {
        if (i != config_.self) {
            claims.emplace_back(peer_claim_[i], weights_.of(i));
        }
    }
    std::uint64_t target = certified_;
    if (const auto x = detail::join_view(claims, weights_.one_honest()); x && *x > target) {
        target = *x;  // at least one honest validator executed up to x
    }
    if (target <= head_) {
        behind_ticks_ = 0;
        return;
    }
    ++behind_ticks_;
    const std::uint64_t threshold = target > head_ + config_.window_heights ? 1 : config_.fetch_retry_ticks;
    const bool cooled = !fetched_once_ || ticks_ - last_fetch_tick_ >= config_.fetch_retry_ticks;
    if (behind_ticks_ >= threshold && cooled) {
        ready_.fetch_requests.push_back({head_ + 1, std::min(target, head_ + config_.fetch_heights_max)});
        last_fetch_tick_ = ticks_;
        fetched_once_ = true;
        behind_ticks_ = 0;
    }
}

}  // namespace jc::consensus
