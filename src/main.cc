// jointcleard: the JointClear validator daemon (API.md "Binaries").
//
//   jointcleard --config PATH [--log-format text|json]
//
// Exit status: 0 after a clean stop (SIGTERM/SIGINT), 1 with one clear line on a config or
// start-up error, 2 after a fatal runtime error (e.g. results diverged from the quorum).
#include <jc/core/log.h>
#include <jc/node/node.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

namespace {

int usage() {
    std::cerr << "usage: jointcleard --config PATH [--log-format text|json]\n";
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path;
    std::string log_format;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if ((arg == "--config" || arg == "--log-format") && i + 1 < argc) {
            (arg == "--config" ? config_path : log_format) = argv[++i];
        } else if (arg == "--help" || arg == "-h") {
            usage();
            return 0;
        } else {
            std::cerr << "jointcleard: unknown argument \"" << arg << "\"\n";
            return usage();
        }
    }
    if (config_path.empty()) {
        return usage();
    }
    auto config = jc::node::load_config(config_path);
    if (!config) {
        std::cerr << "jointcleard: " << config.error().message() << "\n";
        return 1;
    }
    if (!log_format.empty()) {
        if (log_format != "text" && log_format != "json") {
            std::cerr << "jointcleard: --log-format must be text or json\n";
            return 1;
        }
        config->log.format = log_format;
    }
    jc::log::init({.node = config->node_name,
                   .format = config->log.format == "json" ? jc::log::Format::kJson : jc::log::Format::kText,
                   .level = spdlog::level::from_str(config->log.level)});

    // Block the stop signals in every thread; one thread waits for them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto node = jc::node::Node::create(*config);
    if (!node) {
        std::cerr << "jointcleard: " << node.error().message() << "\n";
        return 1;
    }
    if (auto s = (*node)->start(); !s) {
        std::cerr << "jointcleard: " << s.error().message() << "\n";
        return 1;
    }
    // The first signal stops cleanly; a second one means "now" and exits at once.
    std::thread signal_waiter([&] {
        int sig = 0;
        sigwait(&signals, &sig);
        jc::log::get("node")->info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        (*node)->stop();
        sigwait(&signals, &sig);
        std::fprintf(stderr, "jointcleard: second signal, exiting immediately\n");
        std::_Exit(3);
    });
    signal_waiter.detach();
    const int code = (*node)->wait();
    std::fflush(nullptr);
    // Exit without destroying the Node under the signal thread's feet.
    std::_Exit(code);
}
