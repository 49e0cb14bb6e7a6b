// Execution results of a block and the state commitment (docs/decisions/0020-state-commitment.md).
//
// After executing block h a node has ExecutionResults{h, state_root_h, receipt_root_h}:
//
//   writes_hash_h  = SHA-256( encode_state_writes(ordered writes of block h) )
//   state_root_h   = SHA-256( codec: str("jointclear/state/v1") hash(state_root_{h-1})
//                                    hash(writes_hash_h) )
//   state_root_0   = the same chain step over the genesis state writes from the all-zero hash
//   receipt_root_h = RFC 6962 root over the block's receipt hashes (receipt.h)
//   results_digest = SHA-256( codec: str("jointclear/results/v1") u64(h) hash(state_root_h)
//                                    hash(receipt_root_h) )
//
// Validators sign results_digest in PBFT checkpoints (jc/core/certificate.h, VoteKind
// kCheckpoint), so two nodes whose executions differ in any write, in any order, disagree on the
// digest at that very height.
//
// State writes encoding (also the hashed form): varint(count), then per write str(key) and
// either u8(1) str(value) for a put or u8(0) for a delete. Keys are 1..kStateKeyBytesMax bytes,
// values 0..kStateValueBytesMax bytes.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/codec.h>
#include <jc/core/error.h>
#include <jc/ledger/state.h>

#include <cstdint>

namespace jc::ledger {

inline constexpr std::size_t kStateKeyBytesMax = 1024;
inline constexpr std::size_t kStateValueBytesMax = std::size_t{1} << 20;
// Per block (or per genesis): the number of writes and the sum of their key and value bytes.
inline constexpr std::size_t kStateWritesMax = 1'000'000;
inline constexpr std::size_t kStateWriteBytesMax = std::size_t{256} << 20;

// Checks every write against the limits above; the error names the write's position.
Status check_state_writes(const StateWrites& writes);

// REQUIRES: check_state_writes(writes) succeeds.
void encode_state_writes(codec::Writer& w, const StateWrites& writes);
// Strict: limits enforced, tag byte 0 or 1, nothing allocated beyond the input's size.
Result<StateWrites> decode_state_writes(codec::Reader& r);

// SHA-256 of encode_state_writes(writes), streamed without building the encoding.
Hash state_writes_hash(const StateWrites& writes);
// One step of the state chain. REQUIRES: check_state_writes(writes) succeeds.
Hash next_state_root(const Hash& parent_state_root, const StateWrites& writes);
Hash next_state_root(const Hash& parent_state_root, const Hash& writes_hash);
// next_state_root(all-zero hash, genesis_writes).
Hash genesis_state_root(const StateWrites& genesis_writes);

struct ExecutionResults {
    static constexpr std::size_t kEncodedSize = 8 + 2 * Hash::kSize;

    std::uint64_t height = 0;
    Hash state_root;
    Hash receipt_root;

    void encode(codec::Writer& w) const;
    [[nodiscard]] Bytes encode() const;
    static Result<ExecutionResults> decode(codec::Reader& r);
    static Result<ExecutionResults> decode(ByteView bytes);  // whole buffer, no trailing bytes

    // The digest validators sign in checkpoints.
    [[nodiscard]] Hash digest() const;

    friend bool operator==(const ExecutionResults&, const ExecutionResults&) = default;
};

inline Hash results_digest(const ExecutionResults& results) { return results.digest(); }

}  // namespace jc::ledger
