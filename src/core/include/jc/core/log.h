// Logging, set up in one place.
//
// Every component gets a named spdlog logger through `jc::log::get("consensus")`. `init` chooses
// the format once per process: human-readable lines by default, JSON lines with
// `Format::kJson` (API.md: `--log-format json`). Every line carries time, level, node and
// component.
//
// Thread-safety: init() must be called before other threads log; get() is thread-safe.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace jc::log {

enum class Format { kText, kJson };

struct Options {
    std::string node = "-";             // node name on every line
    Format format = Format::kText;
    spdlog::level::level_enum level = spdlog::level::info;
    spdlog::sink_ptr sink = nullptr;    // where lines go; default stderr (tests inject one)
};

void init(const Options& options);

// The logger for `component`, created on first use with the process's format.
std::shared_ptr<spdlog::logger> get(std::string_view component);

}  // namespace jc::log
