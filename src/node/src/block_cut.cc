#include "block_cut.h"

#include <jc/core/assert.h>
#include <jc/ledger/block.h>

namespace jc::node {

BlockCut decide_block_cut(const BlockCutInput& in) {
    if (in.full) {
        return BlockCut::kCut;
    }
    const std::int64_t waited_ms = in.now_ms - in.work_since_ms;
    if (waited_ms < in.block_interval_ms) {
        return BlockCut::kWait;
    }
    if (in.height > in.executed_height + in.blocks_ahead_max && waited_ms < in.hold_ms_max) {
        return BlockCut::kHold;
    }
    return BlockCut::kCut;
}

std::size_t block_tx_bytes_max(std::uint64_t block_bytes_max) {
    JC_ASSERT(block_bytes_max >= ledger::kBlockBytesMin, "node.block_cut.block_bytes_max_at_least_genesis_minimum");
    return static_cast<std::size_t>(block_bytes_max) - ledger::BlockHeader::kEncodedSize;
}

}  // namespace jc::node
