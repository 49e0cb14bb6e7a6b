#include "contract_genesis.h"

#include <jc/contracts/arith/day_count.h>

namespace jc::node {

contracts::GenesisMembers contract_genesis_members(const ledger::Genesis& genesis) {
    contracts::GenesisMembers out;
    for (const auto& m : genesis.members()) {
        contracts::GenesisMember cm;
        cm.bank_id = m.bank_id;
        cm.name = m.name;
        cm.cnaps_code = m.cnaps_code;
        cm.keys = m.keys;
        for (auto r : m.roles) {
            cm.roles.push_back(static_cast<contracts::Role>(static_cast<std::uint8_t>(r)));
        }
        cm.status = m.status == ledger::MemberStatus::kActive ? contracts::MemberStatus::kActive
                                                              : contracts::MemberStatus::kSuspended;
        out.members.push_back(std::move(cm));
    }
    return out;
}

contracts::GenesisParams contract_genesis_params(const ledger::Genesis& genesis) {
    const ledger::GenesisParams& in = genesis.params();
    contracts::GenesisParams out;
    out.genesis_time_ms = genesis.genesis_time_ms();
    contracts::Params& p = out.params;

    // Settlement cycles (ADR 0051): the document's intraday cutoffs plus the end-of-day cutoff
    // at 24:00 CST, whose cycle settles the next business day.
    p.cycle_cutoffs_minutes = in.cycle_cutoffs_minutes;
    p.cycle_cutoffs_minutes.push_back(24 * 60);

    p.rounding = in.rounding_mode == ledger::RoundingMode::kHalfEven ? contracts::arith::Rounding::kHalfEven
                                                                      : contracts::arith::Rounding::kHalfUp;
    p.rate_bases = 0;
    for (const auto& name : in.rate_bases) {
        // The ledger accepted only the three names parse_basis knows.
        if (const auto basis = contracts::arith::parse_basis(name)) {
            p.rate_bases |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(*basis));
        }
    }
    p.npl_dpd_threshold = static_cast<std::int32_t>(in.npl_dpd_min);

    if (in.max_rate_ppb) {
        // The ledger bounds the cap to 10^12, far inside int64.
        const auto annual = static_cast<std::int64_t>(*in.max_rate_ppb);
        auto& caps = p.default_product.max_rate_ppb;
        // Each basis gets the largest rate whose interest over a 365-day year stays within the
        // annual cap: a day's interest is rate / 365 (ACT/365F), rate / 360 (ACT/360) or the
        // rate itself (DAILY). Products of at most 10^12 x 360: no overflow.
        caps[static_cast<std::size_t>(contracts::arith::Basis::kDaily)] = annual / kCapDaysPerYear;
        caps[static_cast<std::size_t>(contracts::arith::Basis::kAct360)] = annual * 360 / kCapDaysPerYear;
        caps[static_cast<std::size_t>(contracts::arith::Basis::kAct365F)] = annual;
    }
    p.record_version = static_cast<contracts::RecordVersion>(in.record_version);
    return out;
}

}  // namespace jc::node
