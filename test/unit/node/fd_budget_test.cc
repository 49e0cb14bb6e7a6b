// Goal: LevelDB gets the open files the process can spare after the sockets the config allows,
// within [kLevelDbFilesMin, kLevelDbFilesMax], and a limit that leaves it fewer than LevelDB's
// own default is flagged; a limit that cannot hold the sockets, the reserve and that floor does
// not fit (the node refuses to start on it); raising the limit never lowers it; and the node's
// plan counts the very inbound bound it hands the p2p transport, as configured (review of
// session 5: it read the transport's default instead, so the two could drift). Method: the arithmetic on chosen
// limits; a parsed config with a non-default p2p.inbound_connections_max planned as the node
// plans it, and its p2p limits, which wire() hands the transport as they are; the real getrlimit before and
// after raise_open_file_limit().
#include "fd_budget.h"

#include <jc/node/config.h>

#include <catch2/catch.hpp>

#include <sys/resource.h>

namespace jc::node {
namespace {

TEST_CASE("LevelDB gets what the sockets leave of the open-file limit", "[node][fd]") {
    // The container test's limit: plenty.
    const auto roomy = plan_file_descriptors(20'000, 512, 4, 64);
    CHECK(roomy.sockets == 512 + 3 + 64);
    CHECK(roomy.leveldb_files == kLevelDbFilesMax);
    CHECK_FALSE(roomy.tight);
    // Between: exactly the rest.
    const auto mid = plan_file_descriptors(2'000, 512, 4, 64);
    CHECK(mid.leveldb_files == 2'000 - 579 - kFdReserve);
    CHECK_FALSE(mid.tight);
    // A shell's usual soft limit: fewer than LevelDB's default, so the node warns.
    const auto shell = plan_file_descriptors(1'100, 512, 4, 64);
    CHECK(shell.leveldb_files == 1'100 - 579 - kFdReserve);
    CHECK(shell.tight);
    // Never below the floor; a limit that cannot hold the floor beside the sockets does not fit.
    const auto starved = plan_file_descriptors(256, 512, 4, 64);
    CHECK(starved.leveldb_files == kLevelDbFilesMin);
    CHECK(starved.tight);
    CHECK_FALSE(starved.fits);
    CHECK(starved.needed == 579 + kFdReserve + kLevelDbFilesMin);
    CHECK(roomy.fits);
    CHECK(shell.fits);
    // A single validator dials no peer, but strangers may still dial it.
    CHECK(plan_file_descriptors(20'000, 10, 1, 64).sockets == 10 + 64);
}

TEST_CASE("a limit fits from exactly the sockets, the reserve and LevelDB's floor", "[node][fd][regress]") {
    // Review of session 8: below this the floor overshot the limit, so RPC clients up to
    // rpc.connections_max could take the descriptors a table open needs, and the node halts on a
    // failed store read or write. The node now refuses to start there (ADR 0167).
    const std::uint64_t needed = 512 + 3 + 64 + kFdReserve + kLevelDbFilesMin;
    const auto at = plan_file_descriptors(needed, 512, 4, 64);
    CHECK(at.fits);
    CHECK(at.needed == needed);
    CHECK(at.leveldb_files == kLevelDbFilesMin);
    CHECK(at.sockets + kFdReserve + at.leveldb_files == at.limit);  // exactly full, not over
    const auto below = plan_file_descriptors(needed - 1, 512, 4, 64);
    CHECK_FALSE(below.fits);
    CHECK(below.needed == needed);
    // Fewer RPC clients make the same limit fit: the operator's other way out.
    CHECK(plan_file_descriptors(needed - 1, 511, 4, 64).fits);
}

TEST_CASE("the node's plan counts the inbound bound it hands the transport, as configured", "[node][fd][regress]") {
    const auto config = parse_config(R"({"node": "n0", "genesis": "g.json", "data_dir": "d", "consensus_key": "k.json",
        "p2p": {"ca_cert": "ca.crt", "cert": "tls.crt", "key": "tls.key", "inbound_connections_max": 300,
                "pending_handshakes_per_ip_max": 5, "deliver_frames_max": 77},
        "rpc": {"connections_max": 100}})",
                                     "/etc/jc");
    REQUIRE(config.ok());
    const p2p::Limits& handed = config->p2p.limits;  // what wire() hands the transport
    CHECK(handed.inbound_connections_max == 300);
    CHECK(handed.inbound_connections_max != p2p::Limits{}.inbound_connections_max);  // not the default
    CHECK(handed.pending_handshakes_per_ip_max == 5);
    CHECK(handed.deliver_frames_max == 77);
    const auto plan = plan_file_descriptors(20'000, *config, 4);
    CHECK(plan.sockets == 100 + 3 + handed.inbound_connections_max);
    CHECK(plan.sockets == plan_file_descriptors(20'000, 100, 4, 300).sockets);
    // Left out, the key is the transport's own default, and the plan counts that.
    const auto defaults = parse_config(R"({"node": "n0", "genesis": "g.json", "data_dir": "d",
        "consensus_key": "k.json", "p2p": {"ca_cert": "ca.crt", "cert": "tls.crt", "key": "tls.key"}})",
                                       "/etc/jc");
    REQUIRE(defaults.ok());
    CHECK(defaults->p2p.limits.inbound_connections_max == p2p::Limits{}.inbound_connections_max);
    CHECK(plan_file_descriptors(20'000, *defaults, 4).sockets == 512 + 3 + p2p::Limits{}.inbound_connections_max);
}

TEST_CASE("raising the open-file limit reaches the hard limit and never lowers it", "[node][fd]") {
    rlimit before{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
    const std::uint64_t now = raise_open_file_limit();
    rlimit after{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &after) == 0);
    CHECK(after.rlim_cur >= before.rlim_cur);
    CHECK(after.rlim_cur == after.rlim_max);
    CHECK((after.rlim_cur == RLIM_INFINITY || now == after.rlim_cur));
}

}  // namespace
}  // namespace jc::node
