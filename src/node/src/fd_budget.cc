#include "fd_budget.h"

#include <algorithm>

#include <sys/resource.h>

namespace jc::node {

FdBudget plan_file_descriptors(std::uint64_t limit, std::uint64_t rpc_connections_max, std::uint64_t validators,
                               std::uint64_t p2p_inbound_max) {
    FdBudget b;
    b.limit = limit;
    // Outbound: at most one dialled socket per peer. Inbound: the transport's own bound, which
    // also covers unknown dialers holding handshakes open.
    b.sockets = rpc_connections_max + (validators > 0 ? validators - 1 : 0) + p2p_inbound_max;
    const std::uint64_t spare = limit > b.sockets + kFdReserve ? limit - b.sockets - kFdReserve : 0;
    b.needed = b.sockets + kFdReserve + kLevelDbFilesMin;
    b.fits = limit >= b.needed;
    b.leveldb_files = std::clamp(spare, kLevelDbFilesMin, kLevelDbFilesMax);
    b.tight = b.leveldb_files < 1000;
    return b;
}

FdBudget plan_file_descriptors(std::uint64_t limit, const NodeConfig& config, std::uint64_t validators) {
    return plan_file_descriptors(limit, config.rpc.connections_max, validators,
                                 config.p2p.limits.inbound_connections_max);
}

std::uint64_t raise_open_file_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) {
        return 1024;  // the usual soft default; the plan then stays modest
    }
    if (r.rlim_cur != RLIM_INFINITY && (r.rlim_max == RLIM_INFINITY || r.rlim_cur < r.rlim_max)) {
        rlimit raised = r;
        raised.rlim_cur = r.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            r = raised;
        }
    }
    return r.rlim_cur == RLIM_INFINITY ? kLevelDbFilesMax * 16 : static_cast<std::uint64_t>(r.rlim_cur);
}

}  // namespace jc::node
