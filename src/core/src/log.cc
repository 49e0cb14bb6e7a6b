#include <jc/core/log.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace jc::log {
namespace {

std::mutex g_mutex;
Options g_options;
spdlog::sink_ptr g_sink;

// JSON lines: one object per line with every field escaped, so a message carrying quotes or
// control characters can never break a log shipper's parser.
class JsonFormatter final : public spdlog::formatter {
public:
    explicit JsonFormatter(std::string node) : node_(std::move(node)) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
        const std::time_t secs = static_cast<std::time_t>(ms / 1000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        char time_buf[80];  // room for any int fields, so -Wformat-truncation holds
        std::snprintf(time_buf, sizeof time_buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
        std::string line = "{\"time\":\"";
        line += time_buf;
        line += "\",\"level\":\"";
        const auto level = spdlog::level::to_string_view(msg.level);
        line.append(level.data(), level.size());
        line += "\",\"node\":";
        append_escaped(line, node_);
        line += ",\"component\":";
        append_escaped(line, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
        line += ",\"msg\":";
        append_escaped(line, std::string_view(msg.payload.data(), msg.payload.size()));
        line += "}\n";
        dest.append(line.data(), line.data() + line.size());
    }

    [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>(node_);
    }

private:
    static void append_escaped(std::string& out, std::string_view s) {
        out.push_back('"');
        for (const char ch : s) {
            const auto c = static_cast<unsigned char>(ch);
            if (c == '"' || c == '\\') {
                out.push_back('\\');
                out.push_back(ch);
            } else if (c < 0x20 || c >= 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out.push_back(ch);
            }
        }
        out.push_back('"');
    }

    std::string node_;
};

std::unique_ptr<spdlog::formatter> make_formatter(const Options& o) {
    if (o.format == Format::kJson) {
        return std::make_unique<JsonFormatter>(o.node);
    }
    return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %L " + o.node + " %n: %v",
                                                       spdlog::pattern_time_type::utc);
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
    if (options.sink) {
        g_sink = options.sink;
        // Loggers created before keep their old sink; re-point them.
        spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
            l->sinks().clear();
            l->sinks().push_back(g_sink);
        });
    }
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
