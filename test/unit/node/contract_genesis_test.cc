// Goal: every genesis `params` field the contracts act on reaches the state the chain is founded
// with (ADR 0176), and a document that sets none founds the state earlier builds founded.
// Method: genesis documents parsed by the ledger, converted by contract_genesis_params, written
// by contracts::genesis_writes into an in-memory state, and the params record read back from it.
#include "contract_genesis.h"

#include <jc/contracts/records.h>
#include <jc/core/sha256.h>
#include <jc/ledger/state.h>

#include <catch2/catch.hpp>

using namespace jc;
using namespace jc::node;
using contracts::arith::Basis;

namespace {

std::string key_hex(const std::string& seed) {
    return crypto::SecretKey::from_bytes(sha256(seed).bytes).value().public_key().hex();
}

json::Value document(json::Value params) {
    json::Value doc{
        {"chain_id", "jointclear-test"},
        {"genesis_time_ms", 1'704'067'200'000},
        {"validators",
         {{{"index", 0},
           {"name", "node0"},
           {"consensus_key", key_hex("validator-0")},
           {"tls_key", sha256("tls0").hex()},
           {"address", "127.0.0.1:26600"}}}},
        {"members",
         {{{"bank_id", "WEBANK"},
           {"name", "WeBank"},
           {"cnaps_code", "323584000888"},
           {"keys", {key_hex("member-webank")}},
           {"roles", {"SERVICER", "OPERATOR"}}},
          {{"bank_id", "HUARUI"},
           {"name", "Huarui Bank"},
           {"cnaps_code", "323290000016"},
           {"keys", {key_hex("member-huarui")}},
           {"roles", {"FUNDER"}}}}}};
    if (!params.is_null()) {
        doc["params"] = std::move(params);
    }
    return doc;
}

// The params record of the state a document founds.
contracts::Params founded_params(const json::Value& doc) {
    auto genesis = ledger::Genesis::parse(doc.dump());
    REQUIRE(genesis.ok());
    auto writes = contracts::genesis_writes(contract_genesis_members(*genesis), contract_genesis_params(*genesis));
    REQUIRE(writes.ok());
    ledger::MemoryState state;
    state.apply(*writes);
    auto bytes = state.get(contracts::keys::params());
    REQUIRE(bytes.ok());
    REQUIRE(bytes->has_value());
    auto params = contracts::decode_params(**bytes);
    REQUIRE(params.ok());
    return *params;
}

std::int64_t cap(const contracts::Params& p, Basis b) {
    return p.default_product.max_rate_ppb[static_cast<std::size_t>(b)];
}

}  // namespace

TEST_CASE("a genesis document without params founds the engine's defaults", "[node][unit]") {
    const contracts::Params p = founded_params(document(nullptr));
    // Only the cutoffs differ from a default Params: the document's defaults plus 24:00.
    contracts::Params expected;
    expected.cycle_cutoffs_minutes = {11 * 60, 16 * 60 + 30, 24 * 60};
    CHECK(p == expected);
    CHECK(p.rounding == contracts::arith::Rounding::kHalfUp);
    CHECK(p.rate_bases == contracts::kAllRateBases);
    CHECK(p.npl_dpd_threshold == 91);
    CHECK(cap(p, Basis::kDaily) == -1);
    CHECK(cap(p, Basis::kAct360) == -1);
    CHECK(cap(p, Basis::kAct365F) == -1);
    CHECK(p.record_version == contracts::RecordVersion::kFixed64);
}

TEST_CASE("every genesis params field reaches the founded state", "[node][unit]") {
    const contracts::Params p = founded_params(document({{"cycle_cutoffs", {"09:30", "15:00"}},
                                                         {"rounding_mode", "HALF_EVEN"},
                                                         {"max_rate_ppb", "240000000"},
                                                         {"rate_bases", {"ACT/365F", "DAILY"}},
                                                         {"npl_dpd_min", 181},
                                                         {"record_version", 2}}));
    CHECK(p.cycle_cutoffs_minutes == std::vector<std::uint32_t>{9 * 60 + 30, 15 * 60, 24 * 60});
    CHECK(p.rounding == contracts::arith::Rounding::kHalfEven);
    CHECK(p.rate_bases == ((1u << static_cast<unsigned>(Basis::kDaily)) |
                           (1u << static_cast<unsigned>(Basis::kAct365F))));
    CHECK(p.basis_allowed(Basis::kDaily));
    CHECK_FALSE(p.basis_allowed(Basis::kAct360));
    CHECK(p.basis_allowed(Basis::kAct365F));
    CHECK(p.npl_dpd_threshold == 181);
    CHECK(p.record_version == contracts::RecordVersion::kVarint64);
    // 24 % a year: each basis's cap is the largest rate whose interest over 365 days stays within
    // it. ACT/365F takes it as is; ACT/360 charges rate / 360 a day, so 24 % x 360 / 365; DAILY is
    // a rate per day, so 24 % / 365. Both rounded down.
    CHECK(cap(p, Basis::kAct365F) == 240'000'000);
    CHECK(cap(p, Basis::kAct360) == 236'712'328);
    CHECK(cap(p, Basis::kDaily) == 657'534);
    CHECK(cap(p, Basis::kDaily) * kCapDaysPerYear <= 240'000'000);
    CHECK((cap(p, Basis::kDaily) + 1) * kCapDaysPerYear > 240'000'000);
    CHECK(cap(p, Basis::kAct360) * kCapDaysPerYear / 360 <= 240'000'000);
    CHECK((cap(p, Basis::kAct360) + 1) * kCapDaysPerYear > 240'000'000LL * 360);
    // The form limit that applies to every rate is governance's, not the genesis cap.
    CHECK(p.max_rate_ppb == contracts::Params{}.max_rate_ppb);
}

TEST_CASE("a genesis rate cap under 365 ppb allows only a zero DAILY rate", "[node][unit]") {
    const contracts::Params p = founded_params(document({{"max_rate_ppb", "364"}}));
    CHECK(cap(p, Basis::kDaily) == 0);
    CHECK(cap(p, Basis::kAct360) == 359);
    CHECK(cap(p, Basis::kAct365F) == 364);
    const contracts::Params largest = founded_params(document({{"max_rate_ppb", "1000000000000"}}));
    CHECK(cap(largest, Basis::kDaily) == 1'000'000'000'000 / 365);
    CHECK(cap(largest, Basis::kAct360) == 1'000'000'000'000LL * 360 / 365);
    CHECK(cap(largest, Basis::kAct365F) == 1'000'000'000'000);
}
