#include "block_cut.h"

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

}  // namespace jc::node
