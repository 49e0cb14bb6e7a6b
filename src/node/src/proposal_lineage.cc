#include "proposal_lineage.h"

#include <algorithm>

namespace jc::node {

void ProposalLineage::record(const Hash& digest, Entry entry) {
    if (auto it = entries_.find(digest); it != entries_.end()) {
        erase(it);
    }
    tx_hashes_ += entry.txs.size();
    entries_.emplace(digest, std::move(entry));
    while (entries_.size() > proposals_max_ || (tx_hashes_ > tx_hashes_max_ && !entries_.empty())) {
        erase(std::min_element(entries_.begin(), entries_.end(),
                               [](const auto& a, const auto& b) { return a.second.height < b.second.height; }));
    }
}

const ProposalLineage::Entry* ProposalLineage::find(const Hash& digest) const {
    const auto it = entries_.find(digest);
    return it == entries_.end() ? nullptr : &it->second;
}

std::unordered_set<Hash, HashHasher> ProposalLineage::txs_on_branch(const Hash& tip) const {
    std::unordered_set<Hash, HashHasher> out;
    const Entry* e = find(tip);
    while (e != nullptr) {
        out.insert(e->txs.begin(), e->txs.end());
        const Entry* parent = find(e->parent);
        // Heights strictly decrease along a branch; anything else is not a branch (and would loop).
        e = parent != nullptr && parent->height < e->height ? parent : nullptr;
    }
    return out;
}

void ProposalLineage::prune_below(std::uint64_t height) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second.height < height) {
            auto next = std::next(it);
            erase(it);
            it = next;
        } else {
            ++it;
        }
    }
}

void ProposalLineage::erase(std::map<Hash, Entry>::iterator it) {
    tx_hashes_ -= it->second.txs.size();
    entries_.erase(it);
}

}  // namespace jc::node
