// The bench's load driver: sends a pre-signed Workload over many keep-alive connections to all
// validators, open-loop at a target rate or flat out, and records for every transaction when it
// was due, when it was sent and when its durable receipt came back.
//
// Each connection carries one HTTP request at a time: a JSON-RPC batch of up to `batch`
// submitTransaction calls with wait, which the node answers once every receipt in it is
// committed on that node (durable: fsynced with its block). A transaction's latency is
// therefore measured to its batch's answer, an upper bound on its own. At a target rate,
// transaction k is due at start + k / rate and its latency counts from then (queueing inside
// the bench included, no coordinated omission); flat out, all are due at the start and latency
// counts from the send.
//
// One thread runs everything (an io_context); a progress line goes to `progress` once a second.
//
// Thread-safety: single-threaded.
#pragma once

#include "bench_workload.h"

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace jc::tools {

struct TxOutcome {
    enum class State : std::uint8_t { kPending, kOk, kRejected, kDuplicate, kError };
    std::int64_t due_ns = 0;   // since the start
    std::int64_t sent_ns = -1;
    std::int64_t done_ns = -1;
    State state = State::kPending;
};

struct DriveResult {
    std::vector<TxOutcome> outcomes;
    std::map<std::string, std::size_t> errors;  // JSON-RPC error reason (or transport) -> count
    std::string first_error;                     // one example, for the report
    bool timed_out = false;
    double elapsed_seconds = 0;
};

DriveResult drive(const Consortium& c, const Workload& w, const BenchOptions& o, std::ostream& progress,
                  bool progress_in_place);

}  // namespace jc::tools
