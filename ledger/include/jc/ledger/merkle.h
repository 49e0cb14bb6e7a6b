// Merkle trees exactly as RFC 6962 section 2.1 (and RFC 9162 section 2.1) defines them, over
// 32-byte entries (transaction hashes for tx_root, receipt hashes for receipt_root):
//
//   MTH({})      = SHA-256()                                   (the empty string)
//   MTH({d0})    = SHA-256(0x00 || d0)                          leaf hash
//   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))  node hash, k the largest power
//                                                               of two smaller than n
//
// An audit path (RFC 6962 2.1.1 PATH(m, D[n])) lists the sibling subtree roots from the leaf up
// to the root. `verify_inclusion` is the verification algorithm of RFC 9162 section 2.1.3.2,
// which needs nothing but the entry, its index, the tree size, the path and the root: anyone
// holding a block header (and its commit certificate) can check a transaction's inclusion
// without trusting the node that served the proof. The tree size must itself be authenticated
// (it is: tx_count is in the signed header): sizes that give a leaf the same path shape — leaf 0
// of a 5- and a 6-leaf tree — verify alike, as in every RFC 6962 verifier.
//
// `root` computes MTH bottom-up in one buffer with one reused hashing context (the RFC's
// recursive split and the bottom-up pairing in which an odd last node is promoted unchanged
// produce the same tree). `Tree` keeps every level so that all audit paths of a block are
// cheap to produce.
//
// Thread-safety: free functions are safe from any thread; a Tree is immutable after
// construction and may be shared for concurrent const use.
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/error.h>

#include <cstdint>
#include <span>
#include <vector>

namespace jc::ledger::merkle {

// A tree of at most 2^63 leaves has a path of at most 63 nodes; anything longer is malformed.
inline constexpr std::size_t kAuditPathLengthMax = 64;

// SHA-256 of the empty string: the root of a tree with no leaves.
Hash empty_root();
// SHA-256(0x00 || entry).
Hash leaf_hash(const Hash& entry);
// SHA-256(0x01 || left || right).
Hash node_hash(const Hash& left, const Hash& right);

// MTH(entries).
Hash root(std::span<const Hash> entries);

// All levels of the tree, for producing audit paths.
class Tree {
public:
    explicit Tree(std::span<const Hash> entries);

    [[nodiscard]] std::uint64_t size() const { return size_; }
    [[nodiscard]] const Hash& root() const { return root_; }
    // PATH(index, D[size]), bottom-up. REQUIRES: index < size().
    [[nodiscard]] std::vector<Hash> audit_path(std::uint64_t index) const;

private:
    std::uint64_t size_ = 0;
    Hash root_;
    std::vector<std::vector<Hash>> levels_;  // levels_[0] = leaf hashes, last = {root}
};

// PATH(index, D[entries.size()]); an error when index is out of range.
Result<std::vector<Hash>> audit_path(std::span<const Hash> entries, std::uint64_t index);

// The root that `path` proves for `entry` at `index` in a tree of `tree_size` leaves
// (RFC 9162 2.1.3.2 steps 1-4), or an error saying why the path is malformed for that
// position (index out of range, path too short or too long).
Result<Hash> root_from_audit_path(const Hash& entry, std::uint64_t index, std::uint64_t tree_size,
                                  std::span<const Hash> path);

// RFC 9162 2.1.3.2 in full: ok when `path` proves that `entry` is leaf `index` of the tree of
// `tree_size` leaves whose root is `root`.
Status verify_inclusion(const Hash& entry, std::uint64_t index, std::uint64_t tree_size,
                        std::span<const Hash> path, const Hash& root);

}  // namespace jc::ledger::merkle
