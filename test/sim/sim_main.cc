// jointclear-sim: runs the deterministic cluster simulator (test/sim/cluster.h) for one seed, a
// range of seeds, the fixed CI matrix or a batch of fresh random seeds. Prints one line per run
// and, on failure, the seed and the broken invariant; exits 0 iff every check held. The same
// seed and options replay exactly.
#include "cluster.h"

#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

// What is running, for the abort handler: a JC_ASSERT inside the replica aborts the process,
// and the seed must still be on the screen.
char g_current_run[256] = "";

extern "C" void on_abort(int) {
    const char prefix[] = "\nFAIL (aborted) ";
    (void)!write(2, prefix, sizeof(prefix) - 1);
    (void)!write(2, g_current_run, std::strlen(g_current_run));
    (void)!write(2, "\n", 1);
    std::signal(SIGABRT, SIG_DFL);
    std::raise(SIGABRT);
}

// A run is a bounded number of steps and takes well under a second; one still going after
// kRunSecondsMax is stuck inside a step (a loop that never ends). Name it before CTest's
// timeout kills the process without a word.
constexpr unsigned kRunSecondsMax = 60;

extern "C" void on_alarm(int) {
    const char prefix[] = "\nFAIL (no progress for 60 s: stuck inside a step) ";
    (void)!write(2, prefix, sizeof(prefix) - 1);
    (void)!write(2, g_current_run, std::strlen(g_current_run));
    (void)!write(2, "\n", 1);
    std::signal(SIGABRT, SIG_DFL);
    std::abort();  // a core dump, where the machine keeps them, shows the loop
}

struct Job {
    std::uint64_t seed = 1;
    std::uint32_t validators = 4;
    std::uint32_t byzantine = 0;
    bool weighted = false;
};

std::string describe(const Job& j, const jc::sim::Options& o) {  // a command line that replays it
    return "seed=" + std::to_string(j.seed) + " --validators " + std::to_string(j.validators) + " --byzantine " +
           std::to_string(j.byzantine) + " --mode " + std::string(jc::sim::byzantine_mode_name(o.byzantine_mode)) +
           " --steps " + std::to_string(o.steps) + (o.real_crypto ? " --real-crypto" : "") +
           (o.weighted ? " --weighted" : "") +
           (!o.network_faults && !o.partitions && !o.crashes ? " --no-faults" : "");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"jointclear-sim: deterministic PBFT cluster simulator"};
    std::uint64_t seed = 1;
    std::string seeds;
    std::uint32_t validators = 4;
    std::uint32_t byzantine = 0;
    std::uint64_t steps = 20000;
    std::string mode = "mixed";
    bool real_crypto = false;
    bool weighted = false;
    bool no_faults = false;
    bool fixed = false;
    std::uint32_t random_count = 0;
    bool quiet = false;
    bool reasons = false;
    app.add_option("--seed", seed, "seed of a single run");
    app.add_option("--seeds", seeds, "a range of seeds A..B");
    app.add_option("--validators", validators, "number of validators")->check(CLI::Range(1, 64));
    app.add_option("--byzantine", byzantine, "number of Byzantine validators");
    app.add_option("--steps", steps, "events under faults before the network heals");
    app.add_option("--mode", mode, "silent|equivocate|forge|replay|fake-view-change|flood|mixed");
    app.add_flag("--real-crypto", real_crypto, "secp256k1 instead of the fake signatures");
    app.add_flag("--no-faults", no_faults, "no network faults, partitions or crashes");
    app.add_flag("--weighted", weighted, "seeded validator weights 1..3 (Byzantine weight kept <= f)");
    app.add_flag("--fixed-seeds", fixed, "the fixed CI matrix: n=1,4,7 x byzantine 0..f");
    app.add_option("--random-seeds", random_count, "this many fresh random seeds across configurations");
    app.add_flag("--quiet", quiet, "print failures and the summary only");
    app.add_flag("--reasons", reasons, "print rejected inputs by reason for each run");
    CLI11_PARSE(app, argc, argv);

    const auto parsed_mode = jc::sim::parse_byzantine_mode(mode);
    if (!parsed_mode) {
        std::fprintf(stderr, "unknown --mode %s\n", mode.c_str());
        return 2;
    }
    std::vector<Job> jobs;
    if (fixed) {
        // Every configuration of the CI matrix, several seeds each.
        for (std::uint32_t n : {1u, 4u, 7u}) {
            const std::uint32_t f = (n - 1) / 3;
            for (std::uint32_t b = 0; b <= f; ++b) {
                const std::uint64_t count = n == 1 ? 3 : 5;
                for (std::uint64_t s = 1; s <= count; ++s) {
                    jobs.push_back({s * 1000 + n * 10 + b, n, b, false});
                }
            }
        }
        // Weighted validator sets (quorums by weight, not count).
        for (std::uint64_t s = 1; s <= 3; ++s) {
            jobs.push_back({s * 1000 + 500 + 4, 4, 1, true});
            jobs.push_back({s * 1000 + 500 + 7, 7, 2, true});
        }
    } else if (random_count > 0) {
        std::random_device rd;  // the one non-deterministic input: fresh seeds, printed
        const std::uint32_t configs[][2] = {{4, 0}, {4, 1}, {7, 1}, {7, 2}, {1, 0}, {5, 1}};
        for (std::uint32_t k = 0; k < random_count; ++k) {
            const std::uint64_t s = (static_cast<std::uint64_t>(rd()) << 32) | rd();
            jobs.push_back({s, configs[k % 6][0], configs[k % 6][1], k % 4 == 3});
        }
    } else if (!seeds.empty()) {
        const auto dots = seeds.find("..");
        if (dots == std::string::npos) {
            std::fprintf(stderr, "--seeds wants A..B\n");
            return 2;
        }
        const std::uint64_t a = std::stoull(seeds.substr(0, dots));
        const std::uint64_t b = std::stoull(seeds.substr(dots + 2));
        for (std::uint64_t s = a; s <= b; ++s) {
            jobs.push_back({s, validators, byzantine, weighted});
        }
    } else {
        jobs.push_back({seed, validators, byzantine, weighted});
    }

    std::signal(SIGABRT, on_abort);
    std::signal(SIGALRM, on_alarm);
    std::uint64_t failures = 0;
    std::uint64_t total_steps = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const Job& job : jobs) {
        jc::sim::Options o;
        o.seed = job.seed;
        o.validators = job.validators;
        o.byzantine = job.byzantine;
        o.byzantine_mode = *parsed_mode;
        o.steps = steps;
        o.real_crypto = real_crypto;
        o.weighted = job.weighted;
        if (no_faults) {
            o.network_faults = o.partitions = o.crashes = false;
        }
        const std::string what = describe(job, o);
        std::snprintf(g_current_run, sizeof(g_current_run), "%s", what.c_str());
        const auto t0 = std::chrono::steady_clock::now();
        alarm(kRunSecondsMax);
        jc::sim::Cluster cluster(o);
        const jc::sim::RunResult r = cluster.run();
        alarm(0);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        total_steps += r.steps;
        if (!r.ok) {
            ++failures;
            std::printf("FAIL %s\n  %s\n", what.c_str(), r.violation.c_str());
        } else if (!quiet) {
            std::printf("ok   %s  byzantine_weight=%llu/%llu steps=%llu sim=%llums heights=%llu..%llu view_max=%llu crashes=%llu msgs=%llu rejected=%llu %.0f steps/s\n",
                        what.c_str(), static_cast<unsigned long long>(r.byzantine_weight),
                        static_cast<unsigned long long>(r.total_weight), static_cast<unsigned long long>(r.steps),
                        static_cast<unsigned long long>(r.sim_time_ms), static_cast<unsigned long long>(r.height_min),
                        static_cast<unsigned long long>(r.height_max), static_cast<unsigned long long>(r.view_max),
                        static_cast<unsigned long long>(r.crashes), static_cast<unsigned long long>(r.messages),
                        static_cast<unsigned long long>(r.rejected), secs > 0 ? static_cast<double>(r.steps) / secs : 0.0);
        }
        if (reasons) {
            for (std::size_t k = 1; k < jc::consensus::kRejectionCount; ++k) {
                if (r.rejections[k] != 0) {
                    std::printf("    %s=%llu\n", std::string(jc::consensus::rejection_name(static_cast<jc::consensus::Rejection>(k))).c_str(),
                                static_cast<unsigned long long>(r.rejections[k]));
                }
            }
        }
        std::fflush(stdout);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%llu runs, %llu failed, %llu steps in %.1fs (%.0f steps/s)\n",
                static_cast<unsigned long long>(jobs.size()), static_cast<unsigned long long>(failures),
                static_cast<unsigned long long>(total_steps), secs, secs > 0 ? static_cast<double>(total_steps) / secs : 0.0);
    return failures == 0 ? 0 : 1;
}
