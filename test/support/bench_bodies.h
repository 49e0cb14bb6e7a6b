// The transaction bodies of `jointclear bench`'s workload (tools/src/bench_workload.cc), for the
// benchmarks and tests that must measure or check exactly what the bench sends: the growth and
// parse benchmarks and the parse-equivalence test. The CLI keeps its own copy because nothing
// may depend on test/; if the bench's bodies change, change these with them, or the benchmarks
// stop measuring the bench's transactions.
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <jc/core/canonical_json.h>

#include <cstdint>
#include <string>

namespace jc::testsupport {

// loan.originate: 12 equal-principal instalments from 2024-02-15 at 0.05 %/day, 30 % funded by
// the servicer and 70 % by the partner bank in `partnership_id`, disbursed FRONTED.
json::Value bench_loan_body(const std::string& loan_id, const std::string& servicer_bank,
                            const std::string& partner_bank, const std::string& partnership_id,
                            std::int64_t principal_fen);

// loan.repay of `amount_fen` on `loan_id`, value date 2024-02-15 (the first instalment's due date).
json::Value bench_repay_body(const std::string& loan_id, std::int64_t amount_fen, const std::string& channel_ref);

}  // namespace jc::testsupport
