// jointclear demo [--cluster DIR] [--keep]
//
// Tells the joint-loan story end to end (demo_story.h). Without --cluster it creates a fresh
// 4-validator consortium under the current directory, starts it, and stops it at the end unless
// --keep. Exit 0 only if every checked number came out as DOMAIN.md's rules give it.
#include "cli_util.h"
#include "cluster.h"
#include "demo_story.h"
#include "init.h"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

namespace fs = std::filesystem;

namespace jc::tools {
namespace {

std::string fresh_demo_dir() {
    for (int i = 1; i < 1000; ++i) {
        const std::string name = i == 1 ? "jointclear-demo" : "jointclear-demo-" + std::to_string(i);
        std::error_code ec;
        if (!fs::exists(name, ec)) {
            return name;
        }
    }
    throw CliExit(kExitFailure, "no free jointclear-demo-N directory name here; remove old demo directories");
}

// Runs the story; returns the number of failed checks (or throws CliExit when it had to stop).
int run_story(const Consortium& c, std::ostream& out) {
    DemoNet net(c);
    Checker check(out);
    Story s{net, check, out, "", {}, {}, {}, {}, 0};
    out << "JointClear demo: the joint-loan story on consortium " << c.chain_id() << " (" << c.nodes().size()
        << " validators) in " << c.dir() << "\n"
        << "Banks: WEBANK (lead servicer), HUARUI and BANKC (partners). Amounts in CNY, yuan with fen;\n"
        << "the chain stores integer fen. Every number is checked against DOMAIN.md's rules.\n";
    try {
        step_setup(s);
        step_consortium(s);
        step_partnerships(s);
        step_originations(s);
        step_repayments(s);
        step_overdue(s);
        step_prepayment(s);
        step_positions(s);
        step_settlement(s);
        step_agreement(s);
    } catch (const DemoAbort& e) {
        out << "\n  STOPPED: " << e.what() << "\n";
        out << "\n== Summary ==\n  " << check.passed() << " checks passed, " << check.failed()
            << " failed before the story had to stop.\n  demo: FAIL\n";
        throw CliExit(kExitFailure, std::string("demo stopped: ") + e.what());
    }
    out << "\n== Summary ==\n  " << check.passed() << " checks passed, " << check.failed() << " failed.\n";
    for (const auto& u : s.unavailable) {
        out << "  Not available in this build (not counted as passed): " << u << ".\n";
    }
    out << "  demo: " << (check.failed() == 0 ? "PASS" : "FAIL") << "\n";
    return check.failed();
}

}  // namespace

void add_demo(CLI::App& app) {
    struct Options {
        std::string cluster;
        std::string daemon;
        bool keep = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("demo", "The joint-loan story end to end, every number checked");
    cmd->add_option("--cluster", o->cluster, "A running consortium (default: create and start a fresh one here)");
    cmd->add_flag("--keep", o->keep, "Leave the fresh consortium running at the end");
    cmd->add_option("--jointcleard", o->daemon, "jointcleard binary for a fresh consortium");
    cmd->callback([o] {
        std::cout.setf(std::ios::unitbuf);  // show each step as it happens, also through a pipe
        if (!o->cluster.empty()) {
            const auto c = must(Consortium::load(o->cluster));
            std::vector<const ConsortiumNode*> nodes;
            for (const auto& n : c.nodes()) {
                if (!running_pid(n)) {
                    // Not started by `cluster up` on this machine: it must at least answer.
                    RpcClient probe(n.rpc, std::chrono::milliseconds(1000));
                    auto r = probe.get("/readyz");
                    if (!r) {
                        throw CliExit(kExitUnreachable, n.name + " is not running (start it: jointclear cluster up " +
                                                            o->cluster + "): " + r.error().message());
                    }
                }
                nodes.push_back(&n);
            }
            wait_ready(nodes, std::chrono::seconds(30));
            if (run_story(c, std::cout) != 0) {
                throw CliExit(kExitFailure, "demo: some numbers did not come out as expected (see MISMATCH above)");
            }
            return;
        }
        const std::string dir = fresh_demo_dir();
        InitOptions init;
        init.out = dir;
        init_consortium(init, std::cout);
        const auto c = must(Consortium::load(dir));
        ClusterOptions co;
        co.daemon = o->daemon;
        cluster_up(c, co, std::cout);
        int failed = 0;
        try {
            failed = run_story(c, std::cout);
        } catch (...) {
            if (!o->keep) {
                cluster_down(c, co, std::cout);
            }
            throw;
        }
        if (o->keep) {
            std::cout << "\nThe consortium keeps running. Talk to it:\n"
                      << "  jointclear cluster status " << dir << "\n"
                      << "  jointclear call --cluster " << dir << " getLoan '{\"loan_id\":\"L-0001\"}'\n"
                      << "Stop it: jointclear cluster down " << dir << "\n";
        } else {
            std::cout << "\n";
            cluster_down(c, co, std::cout);
            std::cout << "(consortium files kept in " << dir << "; remove the directory when done)\n";
        }
        if (failed != 0) {
            throw CliExit(kExitFailure, "demo: some numbers did not come out as expected (see MISMATCH above)");
        }
    });
}

}  // namespace jc::tools
