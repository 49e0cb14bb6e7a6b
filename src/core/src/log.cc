#include <jc/core/log.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>

namespace jc::log {
namespace {

std::mutex g_mutex;
Options g_options;
spdlog::sink_ptr g_sink;

std::string pattern_for(const Options& o) {
    if (o.format == Format::kJson) {
        // Node names are validated elsewhere to be JSON-safe tokens; the message is escaped by
        // the callers that log untrusted text (they log lengths and hashes, not raw bytes).
        return R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","node":")" + o.node +
               R"(","component":"%n","msg":"%v"})";
    }
    return "%Y-%m-%dT%H:%M:%S.%eZ %L " + o.node + " %n: %v";
}

std::unique_ptr<spdlog::formatter> make_formatter(const Options& o) {
    return std::make_unique<spdlog::pattern_formatter>(pattern_for(o), spdlog::pattern_time_type::utc);
}

spdlog::sink_ptr sink_locked() {
    if (!g_sink) {
        g_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        g_sink->set_formatter(make_formatter(g_options));
    }
    return g_sink;
}

}  // namespace

void init(const Options& options) {
    std::lock_guard lock(g_mutex);
    g_options = options;
    sink_locked()->set_formatter(make_formatter(g_options));
    spdlog::set_level(options.level);
}

std::shared_ptr<spdlog::logger> get(std::string_view component) {
    std::lock_guard lock(g_mutex);
    const std::string name(component);
    if (auto existing = spdlog::get(name)) {
        return existing;
    }
    auto logger = std::make_shared<spdlog::logger>(name, sink_locked());
    logger->set_level(g_options.level);
    spdlog::register_logger(logger);
    return logger;
}

}  // namespace jc::log
