// Micro-benchmarks of the contract engine (PERFORMANCE.md P6: loan.repay on a warm state,
// target >= 200,000/s on one core).
//
// Setup (not timed): genesis with two banks, a FRONTED partnership, and `loans` loans of
// 8,000 CNY at 30/70 over 12 monthly instalments, all in an in-memory state. A block of
// `block` repayments (one per loan, each a valid on-time instalment payment, pre-signed) is
// then executed repeatedly against that same warm parent: each iteration does the full work
// of execute_block (authorisation, idempotency, accrual, waterfall, allocation, postings,
// obligations, event journal, receipts, B1-B4 invariants, ordered writes). Items/s is
// repayments per second on one core.
//
// Records are written in the latest version (ADR 0175), as a chain `jointclear init` founds;
// JC_BENCH_RECORD_VERSION=1 measures a chain founded before it.
//
// Variants: BM_RepayBlock (production: B1-B4 per block), BM_RepayBlockTxInvariants (T1-T8
// after every transaction as well), BM_OriginateBlock (origination for comparison).
#include <jc/contracts/arith/date.h>
#include <jc/contracts/engine.h>
#include <jc/contracts/genesis.h>
#include <jc/ledger/state.h>
#include <jc/ledger/transaction.h>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace jc;
using namespace jc::contracts;

std::int64_t noon_ms(const char* date) {
    return static_cast<std::int64_t>(*arith::parse_date(date)) * 86'400'000 + 4 * 3'600'000;
}

template <typename T>
T must(Result<T> r) {
    if (!r) {
        throw std::runtime_error(r.error().to_string());
    }
    return std::move(r).value();
}

struct World {
    ledger::MemoryState state;
    crypto::SecretKey wb = must(crypto::SecretKey::from_hex(std::string(63, '1') + "1"));
    crypto::SecretKey hr = must(crypto::SecretKey::from_hex(std::string(63, '2') + "1"));
    std::uint64_t height = 0;
    std::uint64_t ref = 0;

    std::shared_ptr<const ledger::Transaction> tx(const crypto::SecretKey& key, const char* bank, const char* type,
                                                  json::Value body) {
        ledger::UnsignedTx u{"bench", type, bank, "R" + std::to_string(++ref), std::move(body)};
        return std::make_shared<const ledger::Transaction>(must(ledger::Transaction::sign(u, key)));
    }

    void run(const char* date, const std::vector<std::shared_ptr<const ledger::Transaction>>& txs) {
        const Engine engine;
        auto out = must(engine.execute_block(state, BlockContext::at(++height, noon_ms(date)), txs));
        for (const auto& r : out.receipts) {
            if (r.status != TxStatus::kOk) {
                throw std::runtime_error("setup transaction rejected: " + r.error + " " + r.detail);
            }
        }
        state.apply(out.writes);
    }

    static json::Value originate(std::size_t i) {
        char borrower[65];
        std::snprintf(borrower, sizeof borrower, "%064zx", i + 1);
        return json::Value{
            {"loan_id", "L-" + std::to_string(i)},
            {"product_code", "CONSUMER"},
            {"borrower_ref", borrower},
            {"principal", "800000"},
            {"currency", "CNY"},
            {"value_date", "2024-01-15"},
            {"rate_ppb", "500000"},
            {"basis", "DAILY"},
            {"penalty_rate_ppb", "750000"},
            {"schedule", json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 12}, {"first_due_date", "2024-02-15"}}},
            {"tranches", json::Value::array({json::Value{{"bank_id", "WEBANK"}, {"share_bps", 3000}},
                                             json::Value{{"bank_id", "HUARUI"}, {"share_bps", 7000},
                                                         {"partnership_id", "P"}}})},
            {"disbursement", json::Value{{"channel_ref", "D-" + std::to_string(i)}, {"mode", "FRONTED"}}}};
    }

    explicit World(std::size_t loans) {
        GenesisMembers members;
        members.members.push_back(GenesisMember{"WEBANK", "WeBank", "313100000013", "", "", {wb.public_key()},
                                                {Role::kServicer, Role::kFunder}, MemberStatus::kActive});
        members.members.push_back(GenesisMember{"HUARUI", "Huarui", "323100000017", "", "", {hr.public_key()},
                                                {Role::kServicer, Role::kFunder}, MemberStatus::kActive});
        GenesisParams gp;
        gp.genesis_time_ms = noon_ms("2024-01-01");
        const char* version = std::getenv("JC_BENCH_RECORD_VERSION");
        gp.params.record_version = version != nullptr && std::string_view(version) == "1" ? RecordVersion::kFixed64
                                                                                           : kRecordVersionLatest;
        state.apply(must(genesis_writes(members, gp)));
        run("2024-01-01", {tx(wb, "WEBANK", "partnership.propose",
                              json::Value{{"partnership_id", "P"},
                                          {"servicer_bank", "WEBANK"},
                                          {"partner_bank", "HUARUI"},
                                          {"agreement_ref", std::string(64, 'a')},
                                          {"funding_mode", "FRONTED"},
                                          {"max_outstanding_principal", "1000000000000000"},
                                          {"fronting_limit", "1000000000000000"},
                                          {"collection_limit", "1000000000000000"},
                                          {"service_fee_bps", 1250}})});
        run("2024-01-01", {tx(hr, "HUARUI", "partnership.accept", json::Value{{"partnership_id", "P"}})});
        for (std::size_t start = 0; start < loans; start += 1000) {
            std::vector<std::shared_ptr<const ledger::Transaction>> txs;
            for (std::size_t i = start; i < std::min(loans, start + 1000); ++i) {
                txs.push_back(tx(wb, "WEBANK", "loan.originate", originate(i)));
            }
            run("2024-01-15", txs);
        }
    }

    // Each loan's first instalment, paid on its due date: 79067 fen (E2 row 1).
    std::vector<std::shared_ptr<const ledger::Transaction>> repayments(std::size_t count) {
        std::vector<std::shared_ptr<const ledger::Transaction>> txs;
        for (std::size_t i = 0; i < count; ++i) {
            txs.push_back(tx(wb, "WEBANK", "loan.repay",
                             json::Value{{"loan_id", "L-" + std::to_string(i)},
                                         {"value_date", "2024-02-15"},
                                         {"amount", "79067"},
                                         {"channel_ref", "P-" + std::to_string(i)}}));
        }
        return txs;
    }
};

// One timed block execution; a separate, non-inlined function so that instruction counters
// (valgrind --tool=callgrind --toggle-collect='*execute_timed_block*') can isolate it from setup.
[[gnu::noinline]] bool execute_timed_block(const Engine& engine, const ledger::StateReader& state,
                                           const BlockContext& ctx,
                                           const std::vector<std::shared_ptr<const ledger::Transaction>>& txs) {
    auto out = engine.execute_block(state, ctx, txs);
    if (!out || out->receipts.back().status != TxStatus::kOk) {
        return false;
    }
    benchmark::DoNotOptimize(out->writes.data());
    return true;
}

void repay_block(benchmark::State& st, bool tx_invariants) {
    const auto block = static_cast<std::size_t>(st.range(0));
    static World* world = nullptr;  // built once: ~10 s of signing and origination
    if (world == nullptr) {
        const char* env = std::getenv("JC_BENCH_LOANS");  // smaller worlds for profilers
        world = new World(env != nullptr ? std::strtoul(env, nullptr, 10) : 10'000);
    }
    const auto txs = world->repayments(block);
    const Engine engine(EngineOptions{.check_tx_invariants = tx_invariants});
    const BlockContext ctx = BlockContext::at(world->height + 1, noon_ms("2024-02-15"));
    for (auto _ : st) {
        if (!execute_timed_block(engine, world->state, ctx, txs)) {
            st.SkipWithError("repayment block failed");
            break;
        }
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(block));
}

void BM_RepayBlock(benchmark::State& st) { repay_block(st, false); }
void BM_RepayBlockTxInvariants(benchmark::State& st) { repay_block(st, true); }

void BM_OriginateBlock(benchmark::State& st) {
    const auto block = static_cast<std::size_t>(st.range(0));
    World world(0);
    std::vector<std::shared_ptr<const ledger::Transaction>> txs;
    for (std::size_t i = 0; i < block; ++i) {
        txs.push_back(world.tx(world.wb, "WEBANK", "loan.originate", World::originate(i)));
    }
    const Engine engine;
    const BlockContext ctx = BlockContext::at(world.height + 1, noon_ms("2024-01-15"));
    for (auto _ : st) {
        auto out = engine.execute_block(world.state, ctx, txs);
        if (!out || out->receipts.back().status != TxStatus::kOk) {
            st.SkipWithError("origination block failed");
            break;
        }
        benchmark::DoNotOptimize(out->writes.data());
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(block));
}

}  // namespace

BENCHMARK(BM_RepayBlock)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RepayBlock)->Name("BM_RepayBlockSmall")->Arg(1000)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RepayBlockTxInvariants)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_OriginateBlock)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
