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
#include <jc/core/sha256.h>
#include <jc/ledger/transaction.h>

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
        u.body = json::Value{{"loan_id", tag + "-BASE-7"},
                             {"value_date", "2024-02-15"},
                             {"amount", "5000"},
                             {"channel_ref", "R-" + ref}};
        return u;
    }
    const std::string loan_id = "L-" + ref;
    u.type = "loan.originate";
    u.body = json::Value{
        {"loan_id", loan_id},
        {"product_code", "CONSUMER"},
        {"borrower_ref", sha256("bench borrower " + loan_id).hex()},
        {"principal", "800000"},
        {"currency", "CNY"},
        {"value_date", "2024-01-15"},
        {"rate_ppb", "500000"},
        {"basis", "DAILY"},
        {"interest_method", "ACTUAL_DAYS"},
        {"penalty_rate_ppb", "750000"},
        {"penalty_mode", "REPLACE"},
        {"schedule", json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 12}, {"first_due_date", "2024-02-15"}}},
        {"prepay_mode", "SHORTEN"},
        {"tranches", json::Value::array({json::Value{{"bank_id", "WEBANK"}, {"share_bps", 3000}},
                                         json::Value{{"bank_id", "CITIC"},
                                                     {"share_bps", 7000},
                                                     {"partnership_id", "P-" + tag + "-0"}}})},
        {"disbursement", json::Value{{"channel_ref", "D-" + loan_id}, {"mode", "FRONTED"}}}};
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
