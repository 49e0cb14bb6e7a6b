// BlockHeader and Block: what PBFT orders and what the ledger stores.
//
// Header (docs/spec/storage.md; results are agreed by checkpoints, not header roots, so blocks
// can be pipelined: see jc/ledger/results.h):
//
//   u64(height) hash(parent_hash) i64(timestamp_ms) u32(proposer) u32(tx_count) hash(tx_root)
//
// 88 bytes, little-endian. The block hash is SHA-256 of exactly those bytes; it is the digest
// validators sign in prepares and commits. tx_root is the RFC 6962 root (merkle.h) over the
// transaction hashes in block order. Height 0 is the genesis, never a block: block 1's parent
// hash is the genesis hash (docs/decisions/0021-ledger-store.md).
//
// Block encoding: the header, then tx_count transactions, each as varint length + the
// transaction's canonical JSON (RFC 8785, with "sig"). Decoding is strict: the whole buffer is
// consumed, counts and sizes are bounded, every transaction re-parses with Transaction::parse
// and must already be in canonical form, tx_root must match, and no transaction appears twice.
// Signatures are NOT verified here (the crypto pool does that once per node).
//
// A Block can only be built through `make`, `from_parts` or `decode`, so a Block object always
// satisfies those rules: its header commits to exactly its transactions.
//
// Thread-safety: immutable after construction; share freely (transactions are held as
// shared_ptr<const Transaction>).
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/codec.h>
#include <jc/core/error.h>
#include <jc/ledger/transaction.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace jc::ledger {

// Protocol hard limits: no decoder accepts more, whatever the governance parameters say
// (genesis `block_txs_max` / `block_bytes_max` must stay at or below them).
inline constexpr std::uint32_t kBlockTxsMax = 10'000;
inline constexpr std::size_t kBlockBytesMax = std::size_t{32} << 20;

struct BlockLimits {
    std::uint32_t txs_max = kBlockTxsMax;
    std::size_t bytes_max = kBlockBytesMax;
    TxLimits tx;
};

using TxPtr = std::shared_ptr<const Transaction>;

struct BlockHeader {
    static constexpr std::size_t kEncodedSize = 8 + Hash::kSize + 8 + 4 + 4 + Hash::kSize;

    std::uint64_t height = 0;
    Hash parent_hash;
    std::int64_t timestamp_ms = 0;
    std::uint32_t proposer = 0;  // validator index
    std::uint32_t tx_count = 0;
    Hash tx_root;

    void encode(codec::Writer& w) const;
    [[nodiscard]] Bytes encode() const;
    // Strict: height >= 1, timestamp_ms >= 0, tx_count <= kBlockTxsMax, and an empty block
    // carries the empty tree's root.
    static Result<BlockHeader> decode(codec::Reader& r);
    static Result<BlockHeader> decode(ByteView bytes);  // whole buffer

    // SHA-256 of encode(): the block hash.
    [[nodiscard]] Hash hash() const;

    friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

// Bytes a transaction takes in a block's encoding beyond its canonical JSON: its varint length
// prefix, at most 3 bytes for an envelope below 2 MiB (TxLimits caps envelopes at 64 KiB).
inline constexpr std::size_t kBlockTxFramingBytesMax = 3;
static_assert(TxLimits{}.envelope_bytes_max < (std::size_t{1} << 21));
// The smallest block that holds one transaction of the largest allowed size: genesis
// `block_bytes_max` may not be lower, and a primary filling a block of this size must fit it.
inline constexpr std::size_t kBlockBytesMin =
    BlockHeader::kEncodedSize + kBlockTxFramingBytesMax + TxLimits{}.envelope_bytes_max;

class Block {
public:
    // A new block over `txs`; computes tx_count and tx_root. Errors: height 0, negative
    // timestamp, a null or repeated transaction, over the count or byte limit.
    static Result<Block> make(std::uint64_t height, const Hash& parent_hash, std::int64_t timestamp_ms,
                              std::uint32_t proposer, std::vector<TxPtr> txs,
                              const BlockLimits& limits = {});
    // Reassembles a block from a stored header and transactions, checking that the header
    // commits to exactly these transactions.
    static Result<Block> from_parts(const BlockHeader& header, std::vector<TxPtr> txs,
                                    const BlockLimits& limits = {});
    static Result<Block> decode(ByteView bytes, const BlockLimits& limits = {});
    // Same checks, codes and messages, but each transaction's envelope is first looked up with
    // `parsed`, and only those it does not return (null) are parsed here; their indexes go to
    // `parsed_here` (increasing) when it is given. For a cache of transactions this node has
    // already parsed and verified (ADR 0105). REQUIRES: a returned transaction was parsed from
    // exactly `envelope` under limits no looser than `limits.tx`.
    using ParsedLookup = std::function<TxPtr(std::string_view envelope)>;
    static Result<Block> decode(ByteView bytes, const BlockLimits& limits, const ParsedLookup& parsed,
                                std::vector<std::size_t>* parsed_here);

    [[nodiscard]] const BlockHeader& header() const { return header_; }
    [[nodiscard]] std::uint64_t height() const { return header_.height; }
    [[nodiscard]] const Hash& hash() const { return hash_; }
    [[nodiscard]] const std::vector<TxPtr>& txs() const { return txs_; }
    [[nodiscard]] std::vector<Hash> tx_hashes() const;
    [[nodiscard]] std::size_t encoded_size() const { return encoded_size_; }

    [[nodiscard]] Bytes encode() const;

    friend bool operator==(const Block& a, const Block& b);

private:
    Block() = default;

    BlockHeader header_;
    Hash hash_;
    std::vector<TxPtr> txs_;
    std::size_t encoded_size_ = 0;
};

}  // namespace jc::ledger
