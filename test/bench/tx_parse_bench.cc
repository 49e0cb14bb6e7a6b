// Transaction::parse micro-benchmark (issue 11, ADR 0115): the strict parse every node does once
// per envelope it admits from a client or from gossip.
//
//   BM_TxParse/0   a loan.repay envelope, canonical, as tools/src/bench_workload.cc signs it
//   BM_TxParse/1   a loan.originate envelope, canonical, same source
//   BM_TxSign/0,1  Transaction::sign of the same (shares seal() with parse)
//
// Counters: allocs_per_parse counts calls of the global operator new (this binary replaces it
// with a counting wrapper, which is why it is a separate executable from jc_ledger_bench).
//
// Run from a release build: jc_tx_parse_bench --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true. Record results in docs/performance.md.
#include <jc/ledger/transaction.h>

#include "bench_bodies.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

namespace {
std::atomic<std::uint64_t> g_allocs{0};
}  // namespace

void* operator new(std::size_t n) {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) {
        return p;
    }
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace jc;

namespace {

// The bodies of tools/src/bench_workload.cc (loan_body and the repay body), with its identifiers.
ledger::UnsignedTx workload_tx(bool originate) {
    const std::string tag = "B1234abcdef";
    const std::string ref = tag + "-4711";
    ledger::UnsignedTx u;
    u.chain_id = "jointclear-local";
    u.sender = "WEBANK";
    u.client_ref = ref;
    if (!originate) {
        u.type = "loan.repay";
        u.body = testsupport::bench_repay_body(tag + "-BASE-7", 5000, "R-" + ref);
        return u;
    }
    u.type = "loan.originate";
    u.body = testsupport::bench_loan_body("L-" + ref, "WEBANK", "CITIC", "P-" + tag + "-0", 800000);
    return u;
}

const crypto::SecretKey& key() {
    static const crypto::SecretKey k = crypto::SecretKey::generate().value();
    return k;
}

void BM_TxParse(benchmark::State& state) {
    const auto tx = ledger::Transaction::sign(workload_tx(state.range(0) == 1), key()).value();
    const std::string text = tx.canonical_json();
    const auto allocs_before = g_allocs.load();
    for (auto _ : state) {
        auto parsed = ledger::Transaction::parse(text);
        if (!parsed) {
            state.SkipWithError("parse failed");
            break;
        }
        benchmark::DoNotOptimize(parsed);
    }
    state.counters["allocs_per_parse"] =
        static_cast<double>(g_allocs.load() - allocs_before) / static_cast<double>(state.iterations());
    state.counters["envelope_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_TxParse)->Arg(0)->Arg(1);

void BM_TxSign(benchmark::State& state) {
    const auto u = workload_tx(state.range(0) == 1);
    for (auto _ : state) {
        benchmark::DoNotOptimize(ledger::Transaction::sign(u, key()));
    }
}
BENCHMARK(BM_TxSign)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
