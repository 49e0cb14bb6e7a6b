// The bench's workload (PERFORMANCE.md "How to measure"): a setup phase on the running cluster
// and then N + warm-up transactions of a realistic mix, all signed before the clock starts.
//
// Setup (not timed): one FRONTED partnership per servicer bank (bank i lends with bank i+1) and
// `base_loans` large loans for repayments to land on. The timed mix: `repay_pct` % loan.repay
// of 50.00 CNY on a base loan (accrual, waterfall, largest-remainder split, fee, postings,
// obligations), the rest loan.originate of a fresh 8,000.00 CNY 12-instalment loan at 30/70.
// Every id carries a per-run tag, so benches can run repeatedly on one chain.
//
// Thread-safety: single-threaded; the Workload is immutable once built.
#pragma once

#include "consortium.h"

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace jc::tools {

struct BenchOptions {
    std::size_t txs = 20'000;             // measured transactions
    std::size_t warmup = 0;               // extra transactions sent first and not measured
    double rate = 0;                      // offered tx/s; 0 = flat out
    std::size_t connections_per_node = 16;
    std::size_t batch = 50;               // submitTransaction calls per JSON-RPC batch
    unsigned repay_pct = 80;
    std::size_t base_loans = 100;
    unsigned timeout_ms = 30'000;         // per-transaction wait for a durable receipt
    bool json = false;
};

struct Workload {
    std::string tag;
    std::vector<std::string> requests;  // one JSON-RPC submitTransaction request object each
    std::vector<std::size_t> node;      // which validator each goes to (round robin)
    std::size_t repays = 0;
    std::size_t originations = 0;
    std::size_t partnerships = 0;
    std::size_t base_loans = 0;
    double setup_seconds = 0;
    double sign_seconds = 0;
};

// Runs the setup on the cluster (waiting for each receipt) and pre-signs warmup + txs
// transactions. Progress goes to `log`. Failures end the command with CliExit.
Workload prepare_workload(const Consortium& c, const BenchOptions& options, std::ostream& log);

}  // namespace jc::tools
