// Goal: LevelDB's background thread carries the name the node gives it, so compaction's CPU
// appears under its own name in /proc and profiles (docs/threads.md).
// Method: name it, then read every thread's name of this process from /proc/self/task/*/comm;
// exactly the background thread must carry the name, and naming again renames the same thread.
#include <jc/ledger/background_thread.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> threads_named(const std::string& name) {
    std::vector<std::string> tids;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(entry.path() / "comm");
        std::string line;
        std::getline(comm, line);
        if (line == name) {
            tids.push_back(entry.path().filename().string());
        }
    }
    return tids;
}

}  // namespace

TEST_CASE("LevelDB's background thread takes the given name") {
    jc::ledger::name_background_thread("jc-test-bg-one");
    const auto first = threads_named("jc-test-bg-one");
    REQUIRE(first.size() == 1);

    // The thread is process-wide and lives on: naming again renames it, and makes no new one.
    jc::ledger::name_background_thread("jc-test-bg-two-and-a-long-tail");
    CHECK(threads_named("jc-test-bg-one").empty());
    CHECK(threads_named("jc-test-bg-two-") == first);  // cut to Linux's 15 characters
}
