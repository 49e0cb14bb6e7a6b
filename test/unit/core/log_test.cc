// Goal: JSON log lines are valid JSON whatever the message contains, and carry time, level,
// node and component (API.md "Operations surface").
#include <jc/core/canonical_json.h>
#include <jc/core/log.h>

#include <spdlog/sinks/ostream_sink.h>

#include <catch2/catch.hpp>

#include <sstream>

TEST_CASE("JSON log lines escape hostile messages and carry every field", "[core][log]") {
    std::ostringstream out;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
    jc::log::init({.node = "node\"7", .format = jc::log::Format::kJson, .level = spdlog::level::info, .sink = sink});
    jc::log::get("p2p")->warn("peer said \"hi\"\nand \\ left {}", "\x01");
    const std::string line = out.str();
    REQUIRE(!line.empty());
    CHECK(line.back() == '\n');
    const auto v = nlohmann::json::parse(line);
    CHECK(v["level"] == "warning");
    CHECK(v["node"] == "node\"7");
    CHECK(v["component"] == "p2p");
    CHECK(v["msg"] == "peer said \"hi\"\nand \\ left \x01");
    CHECK(v["time"].get<std::string>().size() == 24);
    jc::log::init({.node = "n", .format = jc::log::Format::kText, .level = spdlog::level::info, .sink = sink});
}
