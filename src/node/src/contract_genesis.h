// Private: the genesis document (ledger's format) turned into the contracts' genesis inputs.
//
// The ledger parses and validates genesis.json; the contracts own the state it founds. Every
// field of the document's `params` that the contracts act on is carried across here, so a
// consortium gets the chain its document describes (ADR 0176):
//
//   cycle_cutoffs   -> Params::cycle_cutoffs_minutes, plus the end-of-day cutoff 24:00 (ADR 0051)
//   rounding_mode   -> Params::rounding
//   rate_bases      -> Params::rate_bases (bit per arith::Basis)
//   npl_dpd_min     -> Params::npl_dpd_threshold
//   max_rate_ppb    -> the default product's cap per basis: the largest rate whose interest
//                      over a 365-day year stays within the annual cap (ACT/365F: the cap;
//                      ACT/360: floor(cap x 360 / 365); DAILY: floor(cap / 365)); absent: no cap
//   record_version  -> Params::record_version (ADR 0175)
//
// block_txs_max and block_bytes_max are the node's, not the contracts'.
//
// Thread-safety: pure functions.
#pragma once

#include <jc/contracts/genesis.h>
#include <jc/ledger/genesis.h>

#include <cstdint>

namespace jc::node {

// The year the genesis cap is an annual cap over: 365 days, ACT/365F's fixed year.
inline constexpr std::int64_t kCapDaysPerYear = 365;

[[nodiscard]] contracts::GenesisMembers contract_genesis_members(const ledger::Genesis& genesis);
[[nodiscard]] contracts::GenesisParams contract_genesis_params(const ledger::Genesis& genesis);

}  // namespace jc::node
