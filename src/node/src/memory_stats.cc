#include "memory_stats.h"

#include <dlfcn.h>

#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>

namespace jc::node {

namespace {

using MallctlFn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

MallctlFn find_mallctl() {
    // Resolved once: the symbol is either in the process (jemalloc linked) or not.
    static const MallctlFn fn = reinterpret_cast<MallctlFn>(::dlsym(RTLD_DEFAULT, "mallctl"));
    return fn;
}

bool read_size(MallctlFn mallctl, const char* name, std::uint64_t& out) {
    std::size_t value = 0;
    std::size_t len = sizeof(value);
    if (mallctl(name, &value, &len, nullptr, 0) != 0) {
        return false;
    }
    out = value;
    return true;
}

}  // namespace

MemoryStats read_memory_stats() {
    MemoryStats stats;
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        std::uint64_t* target = nullptr;
        if (line.rfind("RssAnon:", 0) == 0) {
            target = &stats.resident_anon_bytes;
        } else if (line.rfind("RssFile:", 0) == 0) {
            target = &stats.resident_file_bytes;
        }
        if (target != nullptr) {
            std::istringstream fields(line.substr(line.find(':') + 1));
            std::uint64_t kib = 0;
            if (fields >> kib) {
                *target = kib * 1024;
            }
        }
    }
    if (const MallctlFn mallctl = find_mallctl()) {
        // jemalloc's statistics are a snapshot refreshed by writing "epoch".
        std::uint64_t epoch = 1;
        std::size_t epoch_len = sizeof(epoch);
        if (mallctl("epoch", &epoch, &epoch_len, &epoch, epoch_len) == 0) {
            JemallocStats je;
            if (read_size(mallctl, "stats.allocated", je.allocated_bytes) &&
                read_size(mallctl, "stats.active", je.active_bytes) &&
                read_size(mallctl, "stats.resident", je.resident_bytes) &&
                read_size(mallctl, "stats.mapped", je.mapped_bytes) &&
                read_size(mallctl, "stats.retained", je.retained_bytes)) {
                stats.jemalloc = je;
            }
        }
    }
    return stats;
}

}  // namespace jc::node
