// Private: where a validator's memory is, for /metrics (issue 11, P4; ADR 0165): the process's
// resident set split into anonymous pages (the heap, stacks) and file-backed pages (the binary,
// libraries and any mapped LevelDB tables), and, when the daemon runs on jemalloc (ADR 0114),
// the allocator's own accounting: bytes the program holds, pages backing them, and pages it
// keeps resident or mapped without handing them out.
//
// Why: RSS alone cannot tell a growing structure (allocated grows) from allocator retention
// (resident - allocated grows) from mapped files (file-backed grows); an operator sizing a
// validator, and whoever chases the next P4 regression, needs the three apart.
//
// jemalloc is found at run time (dlsym of "mallctl"): the daemon links it, the tests and
// sanitizer builds do not, and this code is the same in all of them.
//
// Thread-safety: read_memory_stats may be called from any thread; jemalloc's "epoch" refresh is
// process-wide and cheap (it snapshots its counters under its own locks).
#pragma once

#include <cstdint>
#include <optional>

namespace jc::node {

struct JemallocStats {
    std::uint64_t allocated_bytes = 0;  // "stats.allocated": held by the program
    std::uint64_t active_bytes = 0;     // "stats.active": pages of active runs (allocated + fragmentation)
    std::uint64_t resident_bytes = 0;   // "stats.resident": resident pages the allocator maps (dirty ones included)
    std::uint64_t mapped_bytes = 0;     // "stats.mapped": mapped extents in active use
    std::uint64_t retained_bytes = 0;   // "stats.retained": virtual memory kept, not resident
};

struct MemoryStats {
    std::uint64_t resident_anon_bytes = 0;  // /proc/self/status RssAnon
    std::uint64_t resident_file_bytes = 0;  // /proc/self/status RssFile
    std::optional<JemallocStats> jemalloc;  // absent when malloc is not jemalloc's
};

[[nodiscard]] MemoryStats read_memory_stats();

}  // namespace jc::node
