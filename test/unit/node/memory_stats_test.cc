// Goal: the memory figures /metrics reports (memory_stats.h, ADR 0165) are read from the
// process, not invented: the resident set's anonymous part grows when the test touches memory,
// and jemalloc's figures appear exactly when jemalloc is the allocator.
// Method: read the stats, allocate and touch 64 MiB, read again; whether jemalloc is in the
// process is judged independently (dlsym of "mallctl"). The unit tests run on glibc's malloc,
// so there the jemalloc part must be absent; the daemon's figures are checked by the P4 runs.
#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstring>
#include <memory>

#include "memory_stats.h"

using jc::node::read_memory_stats;

TEST_CASE("read_memory_stats sees anonymous memory the process touches", "[node][memory]") {
    const auto before = read_memory_stats();
    CHECK(before.resident_anon_bytes > 0);
    CHECK(before.resident_file_bytes > 0);  // the test binary itself is mapped
    constexpr std::size_t kBytes = std::size_t{64} << 20;
    auto block = std::make_unique<unsigned char[]>(kBytes);
    std::memset(block.get(), 0x5a, kBytes);
    const auto after = read_memory_stats();
    CHECK(block[kBytes - 1] == 0x5a);
    CHECK(after.resident_anon_bytes >= before.resident_anon_bytes + kBytes / 2);
}

TEST_CASE("read_memory_stats reports jemalloc exactly when it is the allocator", "[node][memory]") {
    const bool has_jemalloc = ::dlsym(RTLD_DEFAULT, "mallctl") != nullptr;
    const auto stats = read_memory_stats();
    CHECK(stats.jemalloc.has_value() == has_jemalloc);
    if (stats.jemalloc) {
        CHECK(stats.jemalloc->allocated_bytes > 0);
        CHECK(stats.jemalloc->active_bytes >= stats.jemalloc->allocated_bytes);
    }
}
