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

Selection compute_new_view(const std::vector<const ViewChange*>& view_changes) {
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
    Hash previous = s.low_digest;
    for (std::uint64_t h = s.low + 1;; ++h) {
        const auto it = best.find(h);
        if (it == best.end() || it->second->proposal.parent_digest != previous) {
            break;
        }
        s.entries.push_back({h, it->second->certificate.view, it->second->proposal});
        previous = it->second->proposal.digest;
    }
    // INV-V4: the selection is a parent-linked chain from the base.
    Hash parent = s.low_digest;
    for (std::size_t i = 0; i < s.entries.size(); ++i) {
        JC_ASSERT(s.entries[i].height == s.low + 1 + i, "INV-V4-chain-selection");
        JC_ASSERT(s.entries[i].proposal.parent_digest == parent, "INV-V4-chain-selection");
        parent = s.entries[i].proposal.digest;
    }
    return s;
}

}  // namespace jc::consensus::detail
