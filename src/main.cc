// jointcleard: the JointClear validator daemon (API.md "Binaries").
//
//   jointcleard --config PATH [--log-format text|json]
//
// JC_BYZANTINE test builds only (ADR 0092; CMake refuses the option for release build types,
// and a release jointcleard answers these flags with "unknown argument"):
//   --byzantine LIST      misbehave: honest,equivocate,forge,stale,invalid (the first is active;
//                         SIGUSR1 steps to the next, wrapping)
//   --byzantine-seed N    the Byzantine layer's generator seed (default 1)
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
#include <optional>
#include <string>
#include <thread>

#if defined(JC_JEMALLOC_LINKED)
// jemalloc's build-time options (ADR 0165 and 0174, issue 11 P4 and P1). By default jemalloc
// keeps freed dirty pages resident for 10 s and purges them only when the arena that freed them
// allocates again; a validator frees a 32 MiB state memtable every few seconds (ADR 0161) and
// large commit and sync buffers, so 40-75 MiB of unused pages stayed resident. A background
// thread purges them whatever the arenas do, after 5 s: at ADR 0165's 1 s it also purged pages
// the next memtable and the next blocks' buffers would use again, and every page given back is
// a page fault later (~11 us each on the 2-core VMs, 1.4 faults per transaction; ADR 0174).
// Muzzy pages are returned at once. The environment's MALLOC_CONF is read after this and
// overrides it.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's (malloc_conf, unprefixed in Debian's build).
const char* malloc_conf = "background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0";
}
#endif

namespace {

int usage() {
    std::cerr << "usage: jointcleard --config PATH [--log-format text|json]\n";
#if defined(JC_BYZANTINE)
    std::cerr << "       (test build) [--byzantine honest,equivocate,forge,stale,invalid] [--byzantine-seed N]\n";
#endif
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path;
    std::string log_format;
#if defined(JC_BYZANTINE)
    std::string byzantine_list;
    std::string byzantine_seed = "1";
#endif
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if ((arg == "--config" || arg == "--log-format") && i + 1 < argc) {
            (arg == "--config" ? config_path : log_format) = argv[++i];
#if defined(JC_BYZANTINE)
        } else if ((arg == "--byzantine" || arg == "--byzantine-seed") && i + 1 < argc) {
            (arg == "--byzantine" ? byzantine_list : byzantine_seed) = argv[++i];
#endif
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
#if defined(JC_BYZANTINE)
    sigaddset(&signals, SIGUSR1);  // steps the Byzantine behaviour
#endif
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

#if defined(JC_BYZANTINE)
    std::optional<jc::node::ByzantineOptions> byzantine;
    if (!byzantine_list.empty()) {
        auto behaviours = jc::node::parse_byzantine_behaviours(byzantine_list);
        if (!behaviours) {
            std::cerr << "jointcleard: " << behaviours.error().message() << "\n";
            return 1;
        }
        if (byzantine_seed.empty() || byzantine_seed.size() > 18 ||
            byzantine_seed.find_first_not_of("0123456789") != std::string::npos) {
            std::cerr << "jointcleard: --byzantine-seed must be a decimal integer\n";
            return 1;
        }
        byzantine = jc::node::ByzantineOptions{*behaviours, std::stoull(byzantine_seed)};
    }
    auto node = byzantine ? jc::node::Node::create(*config, *byzantine) : jc::node::Node::create(*config);
#else
    auto node = jc::node::Node::create(*config);
#endif
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
        const auto wait_stop = [&] {
            int sig = 0;
            for (;;) {
                sigwait(&signals, &sig);
#if defined(JC_BYZANTINE)
                if (sig == SIGUSR1) {
                    (*node)->byzantine_next();
                    continue;
                }
#endif
                return sig;
            }
        };
        const int sig = wait_stop();
        jc::log::get("node")->info("received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        (*node)->stop();
        (void)wait_stop();
        std::fprintf(stderr, "jointcleard: second signal, exiting immediately\n");
        std::_Exit(3);
    });
    signal_waiter.detach();
    const int code = (*node)->wait();
    std::fflush(nullptr);
    // Exit without destroying the Node under the signal thread's feet.
    std::_Exit(code);
}
