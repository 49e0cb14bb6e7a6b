// The name of LevelDB's background (compaction) thread.
//
// LevelDB runs every database's flushes and compactions on one process-wide background thread,
// created the first time any database needs it; a new Linux thread inherits its creator's name,
// so without this it shows up as whichever node thread happened to write first (a second
// `jc-storage`, or `jc-persist-0`), and per-thread CPU figures mix compaction into that thread's.
// Naming it makes compaction's CPU visible on its own (`top -H`, /proc/PID/task/*/comm, perf).
//
// Thread-safety: may be called from any thread, at any time; it returns once the background
// thread carries the name.
#pragma once

#include <string>

namespace jc::ledger {

// Names LevelDB's background thread (at most 15 characters are kept), creating it if needed.
void name_background_thread(const std::string& name);

}  // namespace jc::ledger
