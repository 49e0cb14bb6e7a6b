// Ledger micro-benchmarks (Google Benchmark): the costs PERFORMANCE.md budgets for.
//
//   BM_MerkleRoot/n         RFC 6962 root of n leaves (counter: node hashes per second, to
//                           compare with the machine's ~8.8 M SHA-256(32||32)/s)
//   BM_MerkleAllPaths/n     a Tree plus the audit path of every leaf (getProof for a block)
//   BM_StateWritesHash/n    the state-commitment step over n writes of ~150 bytes
//   BM_BlockDecode/n        strict decode of an n-transaction block (JSON re-parse included)
//   BM_CommitBlock/n        Store::commit_block of an n-transaction block with receipts, state
//                           writes and a quorum certificate (signatures verified), fsync on
//
// Run from a release build: jc_ledger_bench --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true. Record results in docs/performance.md.
#include <jc/core/sha256.h>
#include <jc/ledger/block.h>
#include <jc/ledger/merkle.h>
#include <jc/ledger/results.h>
#include <jc/ledger/store.h>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "test_chain.h"

using namespace jc;
namespace merkle = jc::ledger::merkle;

namespace {

std::vector<Hash> leaves(std::size_t n) {
    std::vector<Hash> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(sha256("leaf-" + std::to_string(i)));
    }
    return out;
}

void BM_MerkleRoot(benchmark::State& state) {
    const auto d = leaves(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        benchmark::DoNotOptimize(merkle::root(d));
    }
    // n leaf hashes and n - 1 node hashes per root.
    state.counters["hashes_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * static_cast<double>(2 * d.size() - 1),
        benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MerkleRoot)->Arg(1000)->Arg(10000);

void BM_MerkleAllPaths(benchmark::State& state) {
    const auto d = leaves(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        const merkle::Tree tree(d);
        for (std::size_t i = 0; i < d.size(); ++i) {
            benchmark::DoNotOptimize(tree.audit_path(i));
        }
    }
}
BENCHMARK(BM_MerkleAllPaths)->Arg(1000);

void BM_StateWritesHash(benchmark::State& state) {
    ledger::StateWrites writes;
    for (std::int64_t i = 0; i < state.range(0); ++i) {
        writes.push_back({"loan/L-" + std::to_string(i) + "/tranche/0", std::string(120, 'v')});
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(ledger::next_state_root(Hash{}, writes));
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_StateWritesHash)->Arg(10000);

const test::TestChain& chain() {
    static const test::TestChain c(99);
    return c;
}

// A pool of distinct signed transactions, built once (signing is not what is measured).
const std::vector<ledger::TxPtr>& pool(std::size_t n) {
    static std::vector<ledger::TxPtr> txs;
    while (txs.size() < n) {
        const std::size_t i = txs.size();
        txs.push_back(chain().tx(i % test::TestChain::kMembers, "BENCH-" + std::to_string(i), 1000 + i));
    }
    return txs;
}

void BM_BlockDecode(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto& txs = pool(n);
    const auto block =
        ledger::Block::make(1, Hash{}, 0, 0, std::vector<ledger::TxPtr>(txs.begin(), txs.begin() + static_cast<std::ptrdiff_t>(n)))
            .value();
    const Bytes bytes = block.encode();
    for (auto _ : state) {
        benchmark::DoNotOptimize(ledger::Block::decode(bytes));
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}
BENCHMARK(BM_BlockDecode)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_CommitBlock(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    constexpr std::size_t kBlocks = 20;
    const auto& txs = pool(n * kBlocks);
    std::string tmpl = (std::filesystem::temp_directory_path() / "jc-ledger-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
        state.SkipWithError("mkdtemp failed");
        return;
    }
    ledger::StoreOptions options;
    options.path = tmpl + "/ledger";
    auto store = ledger::Store::create(options, chain().genesis(), chain().genesis_writes()).value();
    std::size_t next = 0;
    for (auto _ : state) {
        state.PauseTiming();
        std::vector<ledger::TxPtr> block_txs(txs.begin() + static_cast<std::ptrdiff_t>(next * n),
                                             txs.begin() + static_cast<std::ptrdiff_t>((next + 1) * n));
        next = (next + 1) % kBlocks;
        const auto step = chain().next(store->head(), std::move(block_txs));
        state.ResumeTiming();
        const auto status =
            store->commit_block(step.block, step.certificate, step.receipts, step.writes, step.results);
        if (!status) {
            state.SkipWithError(status.error().message().c_str());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    store.reset();
    std::filesystem::remove_all(tmpl);
}
BENCHMARK(BM_CommitBlock)->Arg(1000)->Iterations(20)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
