// jointclear bench --cluster DIR [--txs N] [--rate R] [--json] ...
//
// PERFORMANCE.md "How to measure": pre-signed realistic mix (bench_workload.h), many keep-alive
// connections to all validators, open-loop rate or flat out (bench_driver.h), a transaction
// counted only once its durable receipt is back, warm-up dropped, a progress line while it runs,
// then committed tx/s, p50/p90/p99/max latency, and this machine's secp256k1 verify rate
// measured in the same run with the ratio of the two.
//
// Exit 0 when every transaction got an OK receipt; 1 when any was rejected, refused or late.
#include "bench_driver.h"
#include "cli_util.h"
#include "money.h"

#include <CLI/CLI.hpp>

#include <jc/core/secp256k1.h>
#include <jc/core/sha256.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <memory>
#include <thread>
#include <unistd.h>

namespace jc::tools {
namespace {

using Clock = std::chrono::steady_clock;

struct VerifyRate {
    double one_thread = 0;
    double all_threads = 0;
    unsigned threads = 1;
};

// secp256k1 parse + verify per second on this machine right now, on 1 thread and on all.
VerifyRate measure_verify(std::chrono::milliseconds phase) {
    const auto key = must(crypto::SecretKey::generate(), "bench: key");
    const auto pub = key.public_key();
    std::vector<std::pair<Hash, crypto::Signature>> samples;
    for (int i = 0; i < 256; ++i) {
        const Hash h = sha256("bench verify sample " + std::to_string(i));
        samples.emplace_back(h, key.sign(h));
    }
    auto loop = [&](std::atomic<bool>& stop) {
        std::uint64_t n = 0;
        while (!stop.load(std::memory_order_relaxed)) {
            const auto& [h, sig] = samples[n % samples.size()];
            auto parsed = crypto::PublicKey::from_bytes(pub.bytes);
            if (!parsed || !crypto::verify(*parsed, h, sig)) {
                return std::uint64_t{0};  // cannot happen for our own signatures
            }
            ++n;
        }
        return n;
    };
    auto run = [&](unsigned threads) {
        std::atomic<bool> stop{false};
        std::vector<std::uint64_t> counts(threads, 0);
        std::vector<std::thread> pool;
        const auto started = Clock::now();
        for (unsigned t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] { counts[t] = loop(stop); });
        }
        std::this_thread::sleep_for(phase);  // the measurement window itself
        stop = true;
        for (auto& th : pool) {
            th.join();
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
        std::uint64_t total = 0;
        for (auto c : counts) {
            total += c;
        }
        return static_cast<double>(total) / seconds;
    };
    VerifyRate v;
    v.threads = std::max(1u, std::thread::hardware_concurrency());
    v.one_thread = run(1);
    v.all_threads = v.threads == 1 ? v.one_thread : run(v.threads);
    return v;
}

std::string rate_text(double v) { return grouped(static_cast<std::uint64_t>(std::llround(v))); }

struct Stats {
    std::size_t measured = 0;
    std::size_t ok = 0;
    std::size_t rejected = 0;
    std::size_t duplicate = 0;
    std::size_t failed = 0;  // errors and never answered, warm-up included
    std::size_t committed = 0;
    double seconds = 0;
    double tps = 0;
    double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
    // From the send to the error answer, for measured transactions refused with an answer (e.g.
    // POOL_FULL under overload): graceful degradation means these stay short.
    double refused_p50_ms = 0, refused_p99_ms = 0, refused_max_ms = 0;
};

// The q-quantile (nearest rank) of sorted nanosecond figures, in ms.
double quantile_ms(const std::vector<std::int64_t>& sorted, double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return static_cast<double>(sorted[std::max<std::size_t>(rank, 1) - 1]) / 1e6;
}

Stats compute(const DriveResult& r, const BenchOptions& o) {
    using State = TxOutcome::State;
    Stats s;
    std::vector<std::int64_t> latency;
    std::vector<std::int64_t> refused;
    std::int64_t first = -1;
    std::int64_t last = 0;
    for (std::size_t k = 0; k < r.outcomes.size(); ++k) {
        const auto& x = r.outcomes[k];
        const bool committed = x.state == State::kOk || x.state == State::kRejected || x.state == State::kDuplicate;
        if (!committed) {
            ++s.failed;
        }
        s.rejected += x.state == State::kRejected ? 1 : 0;
        s.duplicate += x.state == State::kDuplicate ? 1 : 0;
        if (k < o.warmup) {
            continue;
        }
        ++s.measured;
        const std::int64_t from = o.rate > 0 ? x.due_ns : x.sent_ns;
        if (from >= 0 && (first < 0 || from < first)) {
            first = from;
        }
        if (!committed) {
            if (x.sent_ns >= 0 && x.done_ns >= x.sent_ns) {
                refused.push_back(x.done_ns - x.sent_ns);
            }
            continue;
        }
        ++s.committed;
        s.ok += x.state == State::kOk ? 1 : 0;
        latency.push_back(x.done_ns - from);
        last = std::max(last, x.done_ns);
    }
    if (!latency.empty() && last > first) {
        s.seconds = static_cast<double>(last - first) / 1e9;
        s.tps = static_cast<double>(s.committed) / s.seconds;
        std::sort(latency.begin(), latency.end());
        s.p50_ms = quantile_ms(latency, 0.50);
        s.p90_ms = quantile_ms(latency, 0.90);
        s.p99_ms = quantile_ms(latency, 0.99);
        s.max_ms = static_cast<double>(latency.back()) / 1e6;
    }
    if (!refused.empty()) {
        std::sort(refused.begin(), refused.end());
        s.refused_p50_ms = quantile_ms(refused, 0.50);
        s.refused_p99_ms = quantile_ms(refused, 0.99);
        s.refused_max_ms = static_cast<double>(refused.back()) / 1e6;
    }
    return s;
}

}  // namespace

void add_bench(CLI::App& app) {
    struct Options {
        std::string cluster;
        BenchOptions bench;
        long warmup = -1;
        unsigned verify_ms = 500;
        std::vector<std::string> nodes;  // empty: every validator
        bool allow_refused = false;
    };
    auto o = std::make_shared<Options>();
    CLI::App* cmd = app.add_subcommand("bench", "Load-test a running cluster: committed tx/s and latency percentiles");
    cmd->add_option("--cluster", o->cluster, "Consortium directory of the running cluster")->required();
    cmd->add_option("--txs", o->bench.txs, "Measured transactions (default 20000)")->check(CLI::Range(1, 10'000'000));
    cmd->add_option("--warmup", o->warmup, "Unmeasured transactions sent first (default 10 % of --txs)")
        ->check(CLI::Range(0, 10'000'000));
    cmd->add_option("--rate", o->bench.rate, "Offered load in tx/s, open loop (default 0 = flat out)")
        ->check(CLI::Range(0.0, 1e7));
    cmd->add_option("--connections", o->bench.connections_per_node, "Keep-alive connections per validator (default 16)")
        ->check(CLI::Range(1, 500));
    cmd->add_option("--batch", o->bench.batch, "submitTransaction calls per JSON-RPC batch (default 50)")
        ->check(CLI::Range(1, 100));
    cmd->add_option("--repay-pct", o->bench.repay_pct, "Share of loan.repay in the mix, rest loan.originate (default 80)")
        ->check(CLI::Range(0u, 100u));
    cmd->add_option("--base-loans", o->bench.base_loans, "Loans the repayments land on (default 100)")
        ->check(CLI::Range(1, 100'000));
    cmd->add_option("--timeout-ms", o->bench.timeout_ms, "Longest wait for one durable receipt (default 30000)")
        ->check(CLI::Range(1000u, 60'000u));
    cmd->add_option("--verify-ms", o->verify_ms, "Length of each secp256k1 verify-rate measurement (default 500)")
        ->check(CLI::Range(50u, 10'000u));
    cmd->add_option("--nodes", o->nodes,
                    "Send only to these validators (index or name, comma-separated; default all), "
                    "e.g. to load the others while one is stopped")
        ->delimiter(',');
    cmd->add_flag("--allow-refused", o->allow_refused,
                  "Submissions refused for load (POOL_FULL, OVERLOADED) do not fail the run (overload tests)");
    cmd->add_flag("--json", o->bench.json, "One JSON object on standard output (progress stays on standard error)");
    cmd->callback([o] {
        BenchOptions b = o->bench;
        b.warmup = o->warmup >= 0 ? static_cast<std::size_t>(o->warmup) : b.txs / 10;
        const auto all = must(Consortium::load(o->cluster));
        // The ceiling below divides by every validator (each verifies every transaction); the
        // load goes only to the ones named.
        const auto c = o->nodes.empty() ? all : must(all.only(o->nodes));
        std::ostream& log = std::cerr;
        const std::string mode = b.rate > 0 ? "open loop at " + rate_text(b.rate) + " tx/s" : "flat out";
        log << "bench: " << grouped(b.txs) << " transactions + " << grouped(b.warmup) << " warm-up, "
            << b.repay_pct << " % loan.repay / " << 100 - b.repay_pct << " % loan.originate, to "
            << c.nodes().size() << " validators over " << b.connections_per_node * c.nodes().size()
            << " keep-alive connections, batches of " << b.batch << ", " << mode << "\n";
        const Workload w = prepare_workload(c, b, log);
        const VerifyRate v = measure_verify(std::chrono::milliseconds(o->verify_ms));
        log << "secp256k1 parse+verify on this machine now: " << rate_text(v.one_thread) << "/s on 1 thread, "
            << rate_text(v.all_threads) << "/s on " << v.threads << "\n";
        const DriveResult r = drive(c, w, b, log, ::isatty(STDERR_FILENO) != 0);
        const Stats s = compute(r, b);
        const double ceiling = v.all_threads / static_cast<double>(all.nodes().size());
        const double ratio = ceiling > 0 ? s.tps / ceiling : 0;

        json::Value errors = json::Value::object();
        for (const auto& [reason, count] : r.errors) {
            errors[reason] = count;
        }
        if (b.json) {
            const json::Value out{
                {"validators", all.nodes().size()},
                {"targets", c.nodes().size()},
                {"txs", b.txs},
                {"warmup", b.warmup},
                {"rate_offered", b.rate},
                {"connections", b.connections_per_node * c.nodes().size()},
                {"batch", b.batch},
                {"mix", json::Value{{"loan.repay", w.repays}, {"loan.originate", w.originations}}},
                {"committed", s.committed},
                {"ok", s.ok},
                {"rejected", s.rejected},
                {"duplicate", s.duplicate},
                {"failed", s.failed},
                {"errors", errors},
                {"timed_out", r.timed_out},
                {"seconds", s.seconds},
                {"tps", s.tps},
                {"latency_ms", json::Value{{"p50", s.p50_ms}, {"p90", s.p90_ms}, {"p99", s.p99_ms}, {"max", s.max_ms}}},
                {"refused_latency_ms",
                 json::Value{{"p50", s.refused_p50_ms}, {"p99", s.refused_p99_ms}, {"max", s.refused_max_ms}}},
                {"latency_from", b.rate > 0 ? "due" : "sent"},
                {"verify_per_second", json::Value{{"threads_1", v.one_thread}, {"threads_all", v.all_threads}, {"threads", v.threads}}},
                {"signature_ceiling_tps", ceiling},
                {"ratio_to_ceiling", ratio},
                {"tps_per_verify_1thread", v.one_thread > 0 ? s.tps / v.one_thread : 0}};
            std::cout << out.dump() << "\n";
        } else {
            std::cout << "\nbench result (" << all.nodes().size() << " validators, " << mode << ")\n"
                      << "  committed   " << grouped(s.committed) << " of " << grouped(s.measured) << " measured ("
                      << grouped(b.warmup) << " warm-up dropped), " << s.rejected << " rejected, " << s.failed
                      << " failed\n"
                      << "  throughput  " << rate_text(s.tps) << " tx/s committed with durable receipts over "
                      << fixed(s.seconds, 2) << " s\n"
                      << "  latency     p50 " << fixed(s.p50_ms, 1) << " ms  p90 " << fixed(s.p90_ms, 1) << " ms  p99 "
                      << fixed(s.p99_ms, 1) << " ms  max " << fixed(s.max_ms, 1) << " ms  (from "
                      << (b.rate > 0 ? "the scheduled send" : "the send") << " to the receipt)\n"
                      << "  signatures  " << rate_text(v.all_threads) << " verify/s on " << v.threads << " threads / "
                      << all.nodes().size() << " validators = " << rate_text(ceiling) << " tx/s ceiling; committed is "
                      << fixed(100 * ratio, 1) << " % of it (" << fixed(s.tps / std::max(1.0, v.one_thread), 3)
                      << " x the 1-thread verify rate " << rate_text(v.one_thread) << "/s)\n";
            if (b.rate <= 0) {
                std::cout << "  target P1   >= 10,000 tx/s flat out: " << (s.tps >= 10'000 ? "met" : "not met") << "\n";
            } else if (std::abs(b.rate - 2000) < 1) {
                std::cout << "  target P2   at 2,000 tx/s p50 <= 50 ms and p99 <= 250 ms: "
                          << (s.p50_ms <= 50 && s.p99_ms <= 250 ? "met" : "not met") << "\n";
            }
            for (const auto& [reason, count] : r.errors) {
                std::cout << "  error       " << reason << ": " << count << "\n";
            }
            if (!r.errors.empty()) {
                std::cout << "  refused in  p50 " << fixed(s.refused_p50_ms, 1) << " ms  p99 " << fixed(s.refused_p99_ms, 1)
                          << " ms  max " << fixed(s.refused_max_ms, 1) << " ms  (from the send to the error answer)\n";
            }
        }
        if (r.timed_out) {
            throw CliExit(kExitFailure, "bench: no receipt for " + std::to_string(b.timeout_ms + 15'000) +
                                            " ms; the cluster looks stuck (cluster status " + o->cluster + ")");
        }
        // Refusals for load are the answer an overload test wants; anything else still fails.
        std::size_t refused_for_load = 0;
        if (o->allow_refused) {
            for (const char* reason : {"POOL_FULL", "OVERLOADED"}) {
                const auto it = r.errors.find(reason);
                refused_for_load += it == r.errors.end() ? 0 : it->second;
            }
        }
        if (s.failed > refused_for_load || s.rejected > 0 || s.duplicate > 0) {
            throw CliExit(kExitFailure, "bench: " + std::to_string(s.failed) + " failed, " + std::to_string(s.rejected) +
                                            " rejected, " + std::to_string(s.duplicate) + " duplicate; first: " +
                                            r.first_error);
        }
    });
}

}  // namespace jc::tools
