// Private: the state and logic behind jc::consensus::Replica (docs/spec/consensus.md).
// replica.cc holds construction, recovery, persistence/release, ticks and the normal case;
// replica_view_change.cc the view change and new view; replica_checkpoint.cc checkpoints,
// sync and fetch.
#pragma once

#include <jc/consensus/replica.h>

#include "detail/new_view.h"
#include "detail/quorum.h"

#include <deque>
#include <map>
#include <set>
#include <tuple>

namespace jc::consensus {

class Replica::Impl {
public:
    Impl(const Config& config, Signer& signer, const Verifier& verifier,
         const ProposalValidator& validator);

    Status recover(const Recovered& recovered);
    StepOutcome step(const Input& input);
    Ready take_ready();
    [[nodiscard]] std::optional<ProposalSlot> proposal_slot() const;
    [[nodiscard]] ReplicaStatus status() const;
    [[nodiscard]] const std::array<std::uint64_t, kRejectionCount>& rejections() const { return rejections_; }
    [[nodiscard]] const Config& config() const { return config_; }

private:
    struct SignedVote {
        Hash digest;
        crypto::Signature sig;
    };
    struct Slot {
        // Current view only; cleared when the view changes.
        std::optional<Proposal> preprepare;
        std::map<ValidatorIndex, SignedVote> prepares;
        std::map<ValidatorIndex, SignedVote> commits;
        bool prepare_recorded = false;
        bool commit_recorded = false;
        bool prepared_in_view = false;
        std::optional<Message> my_preprepare;  // signed, for retransmission
        std::optional<Message> my_prepare;
        std::optional<Message> my_commit;
        // Across views.
        // Commit votes of the two views before the current one: a certificate may still form
        // from late votes, so honest replicas need not rely on a peer that holds one.
        std::map<std::uint64_t, std::map<ValidatorIndex, SignedVote>> old_commits;
        std::optional<Message> my_old_commit;   // our latest Commit of an earlier view
        std::optional<PreparedEntry> prepared;  // highest-view prepared certificate
        std::optional<Certificate> commit_certificate;
        std::optional<Proposal> commit_proposal;
    };
    struct PendingSend {
        std::uint64_t seq_required = 0;
        Message message;
        std::optional<ValidatorIndex> to;
    };
    using VoteKey = std::tuple<std::uint8_t, std::uint64_t, std::uint64_t>;  // kind, view, height

    // ---- inputs ----
    StepOutcome on_tick();
    StepOutcome on_message(ValidatorIndex from, const Message& message);
    StepOutcome on_preprepare(ValidatorIndex from, const PrePrepare& m);
    StepOutcome on_vote(ValidatorIndex from, const Vote& m);
    StepOutcome on_old_commit(const Vote& m);
    StepOutcome on_checkpoint(const Checkpoint& m);
    StepOutcome on_view_change(ValidatorIndex from, const ViewChange& m);
    StepOutcome on_new_view(const NewView& m);
    StepOutcome on_propose(const Propose& p);
    StepOutcome on_persisted(const Persisted& p);
    StepOutcome on_executed(const Executed& e);
    StepOutcome on_synced(const Synced& s);

    // ---- helpers (replica.cc) ----
    StepOutcome reject(Rejection r);
    StepOutcome buffer(ValidatorIndex from, const Message& message);
    [[nodiscard]] ValidatorIndex primary_of(std::uint64_t view) const;
    [[nodiscard]] std::uint64_t window_high() const;
    [[nodiscard]] bool verify_message(const Message& m) const;
    [[nodiscard]] std::optional<Hash> known_parent(std::uint64_t height) const;
    [[nodiscard]] bool timer_work() const;
    [[nodiscard]] bool any_work() const;
    std::uint64_t persist(Record record);
    void queue(std::uint64_t seq_required, Message message, std::optional<ValidatorIndex> to = std::nullopt);
    void release();
    [[nodiscard]] bool still_relevant(const Message& m) const;
    void apply_own(const Message& m);
    bool record_vote(VoteKind kind, std::uint64_t height, const Hash& digest);
    void evaluate();
    void try_commit(std::uint64_t height, Slot& slot, std::uint64_t view,
                    const std::map<ValidatorIndex, SignedVote>& commits);
    void advance_head();
    void reset_view_state(std::uint64_t old_view);
    void raise_certified(std::uint64_t height, const Hash& digest, const Certificate& cert);
    void help_peer(ValidatorIndex from, std::uint64_t height);
    void retransmit();
    void replay_future();
    void prune_below_head();
    void check_bounds() const;

    // ---- view change (replica_view_change.cc) ----
    Status verify_view_change(const ViewChange& vc) const;
    [[nodiscard]] ViewChange build_view_change() const;
    void start_view_change(std::uint64_t target);
    void send_view_change();
    void maybe_join();
    void try_new_view();
    void apply_selection(const detail::Selection& selection);
    [[nodiscard]] std::uint64_t view_change_weight(std::uint64_t view) const;

    // ---- checkpoints and sync (replica_checkpoint.cc) ----
    void add_checkpoint_vote(ValidatorIndex signer, std::uint64_t height, const Hash& digest,
                             const crypto::Signature& sig);
    void make_stable(std::uint64_t height, const Hash& digest, Certificate cert);
    void diverge(std::uint64_t height, const Hash& ours, const Hash& quorum);
    void check_fetch();

    // ---- configuration and injected services ----
    Config config_;
    detail::Weights weights_;
    Signer& signer_;
    const Verifier& verifier_;
    const ProposalValidator& validator_;
    CodecLimits limits_;

    // ---- state ----
    std::uint64_t view_ = 0;
    ViewStatus status_ = ViewStatus::kNormal;
    std::uint64_t nv_low_ = 0;
    std::uint64_t nv_high_ = 0;

    std::uint64_t head_ = 0;
    Hash head_digest_;
    std::uint64_t certified_ = 0;
    Hash certified_digest_;
    std::optional<Certificate> certified_certificate_;
    struct RecentCommit {
        Certificate certificate;
        std::uint64_t tick = 0;  // when we handed it out
    };
    std::map<std::uint64_t, RecentCommit> recent_commits_;  // last window_heights heads

    std::map<std::uint64_t, Slot> log_;
    std::map<VoteKey, Hash> signed_;  // own recorded votes above the head (INV-S2)

    std::uint64_t next_seq_ = 1;
    std::uint64_t durable_seq_ = 0;
    std::deque<PendingSend> pending_;
    bool releasing_ = false;

    std::map<ValidatorIndex, ViewChange> view_changes_;  // each validator's highest verified
    std::optional<Message> my_view_change_;
    std::optional<Message> my_new_view_;
    std::set<ValidatorIndex> new_view_wanted_;

    std::uint64_t executed_ = 0;
    std::map<std::uint64_t, Hash> own_results_;
    std::map<std::uint64_t, Message> my_checkpoints_;
    std::map<std::uint64_t, std::map<ValidatorIndex, SignedVote>> checkpoint_votes_;
    std::map<std::uint64_t, Hash> quorum_results_;  // stable digests above executed_
    std::uint64_t stable_ = 0;
    std::vector<std::uint64_t> peer_claim_;  // highest verified checkpoint height per validator

    std::map<ValidatorIndex, std::deque<Message>> future_;
    bool replay_needed_ = false;

    bool node_pending_ = false;
    std::uint64_t ticks_ = 0;
    std::uint64_t progress_ticks_ = 0;
    std::uint64_t view_change_ticks_ = 0;
    std::uint64_t timeout_ticks_ = 0;
    std::uint64_t retransmit_count_ = 0;
    std::uint64_t behind_ticks_ = 0;
    std::uint64_t last_fetch_tick_ = 0;
    bool fetched_once_ = false;
    std::vector<std::uint64_t> help_tick_;  // tick + 1 of the last help per peer

    bool halted_ = false;
    Ready ready_;
    std::array<std::uint64_t, kRejectionCount> rejections_{};
};

}  // namespace jc::consensus
