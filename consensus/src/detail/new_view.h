// The new-view selection (docs/spec/consensus.md §6, ADR 0011): from a quorum of ViewChanges,
// the base (highest commit claim) and the parent-linked chain of highest-view prepared
// proposals above it. Pure and deterministic; the new primary computes it and every backup
// recomputes it to check a NewView. The ViewChanges must already be verified.
#pragma once

#include <jc/consensus/messages.h>

#include <optional>
#include <vector>

namespace jc::consensus::detail {

struct SelectedEntry {
    std::uint64_t height = 0;
    std::uint64_t view = 0;  // view of the prepared certificate it came from
    Proposal proposal;
};

struct Selection {
    std::uint64_t low = 0;
    Hash low_digest;
    std::optional<Certificate> low_certificate;
    // Heights floor+1 .. high. Those <= low re-commit the certified chain below the base (its
    // blocks may be held only by the validator whose certificate set the base); those above
    // are the highest-view prepared chain.
    std::uint64_t floor = 0;
    std::vector<SelectedEntry> entries;

    [[nodiscard]] std::uint64_t high() const { return floor + entries.size(); }
    [[nodiscard]] std::vector<NewViewEntry> as_new_view_entries() const;
};

// REQUIRES: `view_changes` non-empty. At most `recommit_heights_max` heights below the base.
Selection compute_new_view(const std::vector<const ViewChange*>& view_changes,
                           std::uint64_t recommit_heights_max);

}  // namespace jc::consensus::detail
