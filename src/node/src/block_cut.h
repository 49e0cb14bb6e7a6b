// Private: the primary's decision to cut a block now or to let the pool fill it further
// (ADR 0155, consensus.blocks_ahead_max).
//
// A full block goes out at once. A block that is not full waits for the block interval after
// work arrived, and then also while it would be more than blocks_ahead_max heights above the
// primary's executed head (under load small blocks would only queue at the
// storage thread), but never longer than the hold bound: a quarter of the view-change timeout,
// so a primary whose execution lags slows blocks down and never stops them (the view-change
// timers of every validator run while work is pending).
//
// Time is an input (milliseconds of a monotonic clock); nothing here reads a clock.
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jc::node {

struct BlockCutInput {
    std::int64_t now_ms = 0;
    std::int64_t work_since_ms = 0;       // when the pool's proposable work began to wait
    bool full = false;                    // this block's own transactions reach a block limit
    std::uint64_t height = 0;             // the height the block would take
    std::uint64_t executed_height = 0;    // the primary's executed (durable) head
    std::uint64_t blocks_ahead_max = 0;   // consensus.blocks_ahead_max
    std::int64_t block_interval_ms = 0;   // consensus.block_interval_ms
    std::int64_t hold_ms_max = 0;         // view_change_timeout_ticks x tick_ms / 4
};

enum class BlockCut {
    kCut,   // propose now
    kWait,  // not full and the block interval has not passed
    kHold,  // not full, the interval passed, but execution is too far behind (and the bound not reached)
};

[[nodiscard]] BlockCut decide_block_cut(const BlockCutInput& in);

// The bytes a block's transactions may take, as TxPool::take_for_block counts them, in a block
// of at most `block_bytes_max` encoded bytes (genesis params): all but the header. A transaction
// of the largest allowed size fits the smallest block genesis allows (ledger::kBlockBytesMin).
[[nodiscard]] std::size_t block_tx_bytes_max(std::uint64_t block_bytes_max);

}  // namespace jc::node
