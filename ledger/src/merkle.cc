#include <jc/ledger/merkle.h>

#include <jc/core/assert.h>
#include <jc/core/sha256.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

namespace jc::ledger::merkle {
namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

// One stack buffer per hash: SHA-256 over a single contiguous 33- or 65-byte input is cheaper
// than three separate updates, and nothing is allocated per node.
Hash hash_leaf(const Hash& entry) {
    std::array<std::uint8_t, 1 + Hash::kSize> buf;
    buf[0] = kLeafPrefix;
    std::memcpy(buf.data() + 1, entry.bytes.data(), Hash::kSize);
    return sha256(ByteView(buf));
}

Hash hash_node(const Hash& left, const Hash& right) {
    std::array<std::uint8_t, 1 + 2 * Hash::kSize> buf;
    buf[0] = kNodePrefix;
    std::memcpy(buf.data() + 1, left.bytes.data(), Hash::kSize);
    std::memcpy(buf.data() + 1 + Hash::kSize, right.bytes.data(), Hash::kSize);
    return sha256(ByteView(buf));
}

// Replaces level[0:count] by the next level up in place and returns its length. An odd last
// node is promoted unchanged: that is exactly where RFC 6962's split at the largest power of two
// leaves the right-most subtree one level shallower.
std::size_t reduce_level(std::vector<Hash>& level, std::size_t count) {
    std::size_t out = 0;
    for (std::size_t i = 0; i + 1 < count; i += 2) {
        level[out++] = hash_node(level[i], level[i + 1]);
    }
    if (count % 2 == 1) {
        level[out++] = level[count - 1];
    }
    return out;
}

Error path_error(std::string what) { return Error(Errc::kCrypto, "merkle audit path: " + what); }

}  // namespace

Hash empty_root() {
    static const Hash kEmpty = sha256(ByteView{});
    return kEmpty;
}

Hash leaf_hash(const Hash& entry) { return hash_leaf(entry); }

Hash node_hash(const Hash& left, const Hash& right) { return hash_node(left, right); }

Hash root(std::span<const Hash> entries) {
    if (entries.empty()) {
        return empty_root();
    }
    std::vector<Hash> level(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        level[i] = hash_leaf(entries[i]);
    }
    std::size_t count = level.size();
    while (count > 1) {
        const std::size_t next = reduce_level(level, count);
        JC_ASSERT(next == (count + 1) / 2, "ledger.merkle.level_halves");
        count = next;
    }
    return level[0];
}

Tree::Tree(std::span<const Hash> entries) : size_(entries.size()) {
    if (entries.empty()) {
        root_ = empty_root();
        return;
    }
    std::vector<Hash> leaves(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        leaves[i] = hash_leaf(entries[i]);
    }
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() > 1) {
        const std::vector<Hash>& below = levels_.back();
        std::vector<Hash> up((below.size() + 1) / 2);
        for (std::size_t i = 0; i + 1 < below.size(); i += 2) {
            up[i / 2] = hash_node(below[i], below[i + 1]);
        }
        if (below.size() % 2 == 1) {
            up.back() = below.back();  // promoted, as in reduce_level
        }
        levels_.push_back(std::move(up));
    }
    root_ = levels_.back()[0];
    JC_ASSERT(levels_.size() <= kAuditPathLengthMax + 1, "ledger.merkle.depth_bounded");
}

std::vector<Hash> Tree::audit_path(std::uint64_t index) const {
    JC_ASSERT(index < size_, "ledger.merkle.path_index_in_range");
    std::vector<Hash> path;
    std::size_t i = static_cast<std::size_t>(index);
    for (std::size_t level = 0; level + 1 < levels_.size(); ++level) {
        const std::size_t sibling = i ^ 1U;
        // The last node of an odd level has no sibling: it is promoted, so it adds nothing.
        if (sibling < levels_[level].size()) {
            path.push_back(levels_[level][sibling]);
        }
        i /= 2;
    }
    JC_ASSERT(i == 0, "ledger.merkle.path_reaches_root");
    return path;
}

Result<std::vector<Hash>> audit_path(std::span<const Hash> entries, std::uint64_t index) {
    if (index >= entries.size()) {
        return path_error("leaf index " + std::to_string(index) + " is not below tree size " +
                          std::to_string(entries.size()));
    }
    return Tree(entries).audit_path(index);
}

Result<Hash> root_from_audit_path(const Hash& entry, std::uint64_t index, std::uint64_t tree_size,
                                  std::span<const Hash> path) {
    // RFC 9162 2.1.3.2, step by step.
    if (index >= tree_size) {  // 1.
        return path_error("leaf index " + std::to_string(index) + " is not below tree size " +
                          std::to_string(tree_size));
    }
    if (path.size() > kAuditPathLengthMax) {
        return path_error("length " + std::to_string(path.size()) + " exceeds limit " +
                          std::to_string(kAuditPathLengthMax));
    }
    std::uint64_t fn = index;            // 2.
    std::uint64_t sn = tree_size - 1;
    Hash r = hash_leaf(entry);           // 3.
    for (const Hash& p : path) {         // 4.
        if (sn == 0) {                   // 4a.
            return path_error("longer than the tree of size " + std::to_string(tree_size) +
                              " allows for leaf " + std::to_string(index));
        }
        if ((fn & 1U) == 1U || fn == sn) {  // 4b.
            r = hash_node(p, r);
            if ((fn & 1U) == 0U) {
                while ((fn & 1U) == 0U && fn != 0) {
                    fn >>= 1U;
                    sn >>= 1U;
                }
            }
        } else {
            r = hash_node(r, p);
        }
        fn >>= 1U;                       // 4c.
        sn >>= 1U;
    }
    if (sn != 0) {                       // 5. (first half)
        return path_error("shorter than the tree of size " + std::to_string(tree_size) +
                          " requires for leaf " + std::to_string(index));
    }
    return r;
}

Status verify_inclusion(const Hash& entry, std::uint64_t index, std::uint64_t tree_size,
                        std::span<const Hash> path, const Hash& root) {
    JC_ASSIGN_OR_RETURN(const Hash computed, root_from_audit_path(entry, index, tree_size, path));
    if (computed != root) {  // 5. (second half)
        return path_error("leaf " + std::to_string(index) + " of " + std::to_string(tree_size) +
                          " does not lead to the expected root");
    }
    return {};
}

}  // namespace jc::ledger::merkle
