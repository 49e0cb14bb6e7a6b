// Replica: one validator's PBFT state machine (docs/spec/consensus.md).
//
// A pure, deterministic state machine: no I/O, clock, threads or randomness. The driver (the
// node's consensus strand, the simulator, a test) feeds inputs with step() and drains outputs
// with take_ready(), handling them in the order Ready lists. Peers are Byzantine, not buggy:
// bad input returns a rejection, is counted in rejections() and changes nothing; JC_ASSERTs
// guard only the replica's own invariants (named INV-… after the spec).
//
// Ownership: the replica keeps references to the Signer, Verifier and ProposalValidator given to
// create(); they must outlive it. Thread-safety: none; one thread (strand) owns a replica.
#pragma once

#include <jc/consensus/events.h>
#include <jc/consensus/signing.h>
#include <jc/consensus/types.h>

#include <array>
#include <memory>
#include <optional>

namespace jc::consensus {

// Where the primary may propose next.
struct ProposalSlot {
    std::uint64_t view = 0;
    std::uint64_t height = 0;
    Hash parent_digest;
};

// A read-only summary for checkers, metrics and RPC.
struct ReplicaStatus {
    std::uint64_t view = 0;
    ViewStatus status = ViewStatus::kNormal;
    std::uint64_t head_height = 0;
    Hash head_digest;
    std::uint64_t certified_height = 0;
    std::uint64_t executed_height = 0;
    std::uint64_t stable_height = 0;
    std::uint64_t timeout_ticks = 0;
    std::size_t log_slots = 0;
    std::size_t buffered_messages = 0;
    std::size_t pending_sends = 0;
    std::size_t checkpoint_votes = 0;
    bool halted = false;
};

class Replica {
public:
    // Validates the config and the recovered state (certificates are verified again; a corrupt
    // record is kCorruption).
    static Result<std::unique_ptr<Replica>> create(const Config& config, Signer& signer,
                                                   const Verifier& verifier,
                                                   const ProposalValidator& validator,
                                                   const Recovered& recovered);
    ~Replica();
    Replica(const Replica&) = delete;
    Replica& operator=(const Replica&) = delete;

    // Never blocks, never throws.
    StepOutcome step(const Input& input);
    [[nodiscard]] Ready take_ready();

    [[nodiscard]] std::optional<ProposalSlot> proposal_slot() const;
    [[nodiscard]] ReplicaStatus status() const;
    [[nodiscard]] const std::array<std::uint64_t, kRejectionCount>& rejections() const;
    [[nodiscard]] const Config& config() const;

    class Impl;

private:
    explicit Replica(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace jc::consensus
