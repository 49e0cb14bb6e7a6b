#include "detail/new_view.h"

#include <jc/core/assert.h>

#include <map>

namespace jc::consensus::detail {

std::vector<NewViewEntry> Selection::as_new_view_entries() const {
    std::vector<NewViewEntry> out;
    out.reserve(entries.size());
    for (const auto& e : entries) {
        out.push_back({e.height, e.proposal.digest});
    }
    return out;
}

Selection compute_new_view(const std::vector<const ViewChange*>& view_changes,
                           std::uint64_t recommit_heights_max) {
    JC_ASSERT(!view_changes.empty(), "consensus.new_view.nonempty");
    Selection s;
    const ViewChange* base = view_changes.front();
    for (const ViewChange* vc : view_changes) {
        // Ties between equal heights: commit certificates at one height agree (quorum
        // intersection), so which one is taken does not change the digest.
        if (vc->committed.height > base->committed.height) {
            base = vc;
        }
    }
    s.low = base->committed.height;
    s.low_digest = base->committed.digest;
    s.low_certificate = base->committed.certificate;

    // Highest-view prepared entry per height above the base; ties go to the larger digest so
    // every replica picks the same one.
    std::map<std::uint64_t, const PreparedEntry*> best;
    for (const ViewChange* vc : view_changes) {
        for (const auto& e : vc->prepared) {
            const std::uint64_t h = e.certificate.height;
            if (h <= s.low) {
                continue;
            }
            auto [it, inserted] = best.emplace(h, &e);
            if (!inserted) {
                const PreparedEntry* cur = it->second;
                if (e.certificate.view > cur->certificate.view ||
                    (e.certificate.view == cur->certificate.view && e.proposal.digest > cur->proposal.digest)) {
                    it->second = &e;
                }
            }
        }
    }
    // Below the base: the certified chain, walked down by parent links through entries with
    // exactly the expected digest (they are committed, so the view does not matter).
    std::vector<SelectedEntry> below;
    Hash expected = s.low_digest;
    for (std::uint64_t h = s.low; h > 0 && below.size() < recommit_heights_max; --h) {
        const PreparedEntry* match = nullptr;
        for (const ViewChange* vc : view_changes) {
            for (const auto& e : vc->prepared) {
                if (e.certificate.height == h && e.proposal.digest == expected) {
                    match = &e;
                    break;
                }
            }
            if (match != nullptr) {
                break;
            }
        }
        if (match == nullptr) {
            break;
        }
        below.push_back({h, match->certificate.view, match->proposal});
        expected = match->proposal.parent_digest;
    }
    s.floor = s.low - below.size();
    s.entries.assign(below.rbegin(), below.rend());

    Hash previous = s.low_digest;
    for (std::uint64_t h = s.low + 1;; ++h) {
        const auto it = best.find(h);
        if (it == best.end() || it->second->proposal.parent_digest != previous) {
            break;
        }
        s.entries.push_back({h, it->second->certificate.view, it->second->proposal});
        previous = it->second->proposal.digest;
    }
    // INV-V4: the selection is a parent-linked chain through the base.
    for (std::size_t i = 0; i < s.entries.size(); ++i) {
        JC_ASSERT(s.entries[i].height == s.floor + 1 + i, "INV-V4-chain-selection");
        if (i > 0) {
            JC_ASSERT(s.entries[i].proposal.parent_digest == s.entries[i - 1].proposal.digest, "INV-V4-chain-selection");
        }
        if (s.entries[i].height == s.low) {
            JC_ASSERT(s.entries[i].proposal.digest == s.low_digest, "INV-V4-chain-selection");
        }
        if (s.entries[i].height == s.low + 1) {
            JC_ASSERT(s.entries[i].proposal.parent_digest == s.low_digest, "INV-V4-chain-selection");
        }
    }
    return s;
}

}  // namespace jc::consensus::detail
