// Goal: a genesis document is accepted only when every field is well-formed, every refusal
// names the field path and what is wrong, and the genesis hash identifies the document.
// Method: a valid document (checked field by field, with defaults); then one test per rule,
// each mutating the valid document in one place and checking the exact message it produces;
// the hash checked against SHA-256 of the RFC 8785 form, independent of whitespace and key
// order but not of content.
#include <jc/ledger/genesis.h>

#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

#include <functional>

using namespace jc;
using jc::ledger::Genesis;

namespace {

std::string key_hex(int i) {
    return crypto::SecretKey::from_bytes(sha256("genesis-test-key-" + std::to_string(i)).bytes)
        .value()
        .public_key()
        .hex();
}

json::Value valid_document() {
    return json::Value{
        {"chain_id", "jointclear-local"},
        {"genesis_time_ms", 1'704'067'200'000},
        {"validators",
         {{{"index", 0},
           {"name", "node0"},
           {"consensus_key", key_hex(0)},
           {"tls_key", sha256("tls0").hex()},
           {"address", "127.0.0.1:26600"}},
          {{"index", 1},
           {"name", "node1"},
           {"consensus_key", key_hex(1)},
           {"tls_key", sha256("tls1").hex()},
           {"address", "node1.example.com:26601"},
           {"weight", 2}}}},
        {"members",
         {{{"bank_id", "WEBANK"},
           {"name", "WeBank"},
           {"cnaps_code", "323584000888"},
           {"keys", {key_hex(10)}},
           {"roles", {"SERVICER", "OPERATOR"}}},
          {{"bank_id", "HUARUI"},
           {"name", "Huarui Bank"},
           {"cnaps_code", "323290000016"},
           {"keys", {key_hex(11), key_hex(12)}},
           {"roles", {"FUNDER"}},
           {"status", "SUSPENDED"}}}}};
}

std::string error_for(const std::function<void(json::Value&)>& mutate) {
    json::Value doc = valid_document();
    mutate(doc);
    auto g = Genesis::parse(doc.dump());
    REQUIRE_FALSE(g.ok());
    return g.error().message();
}

}  // namespace

TEST_CASE("a valid genesis parses with its defaults", "[ledger][genesis]") {
    auto g = Genesis::parse(valid_document().dump());
    REQUIRE(g.ok());
    CHECK(g->chain_id() == "jointclear-local");
    CHECK(g->genesis_time_ms() == 1'704'067'200'000);
    REQUIRE(g->validators().size() == 2);
    CHECK(g->validators()[1].address == "node1.example.com:26601");
    CHECK(g->validators()[0].weight == 1);
    CHECK(g->validators()[1].weight == 2);
    CHECK(g->validators()[0].consensus_key.hex() == key_hex(0));
    CHECK(g->validators()[1].tls_key == sha256("tls1"));
    REQUIRE(g->members().size() == 2);
    const auto* webank = g->find_member("WEBANK");
    REQUIRE(webank != nullptr);
    CHECK(webank->has_role(ledger::MemberRole::kServicer));
    CHECK(webank->has_role(ledger::MemberRole::kOperator));
    CHECK_FALSE(webank->has_role(ledger::MemberRole::kFunder));
    CHECK(webank->status == ledger::MemberStatus::kActive);
    CHECK(g->find_member("HUARUI")->status == ledger::MemberStatus::kSuspended);
    CHECK(g->find_member("HUARUI")->keys.size() == 2);
    CHECK(g->find_member("NOBANK") == nullptr);

    const auto& p = g->params();
    CHECK(p.cycle_cutoffs_minutes == std::vector<std::uint32_t>{660, 990});
    CHECK(p.rounding_mode == ledger::RoundingMode::kHalfUp);
    CHECK_FALSE(p.max_rate_ppb.has_value());
    CHECK(p.rate_bases == std::vector<std::string>{"DAILY", "ACT/360", "ACT/365F"});
    CHECK(p.npl_dpd_min == 91);
    CHECK(p.block_txs_max == 1000);
    CHECK(p.block_bytes_max == 4u << 20);
    CHECK(p.record_version == 1);  // absent: the form of every chain founded before ADR 0175

    const auto keys = g->validator_keys();
    REQUIRE(keys.size() == 2);
    CHECK(keys[1].index == 1);
    CHECK(keys[1].weight == 2);
}

TEST_CASE("genesis params are read when given", "[ledger][genesis]") {
    json::Value doc = valid_document();
    doc["params"] = {{"cycle_cutoffs", {"09:30", "11:00", "16:30"}},
                     {"rounding_mode", "HALF_EVEN"},
                     {"max_rate_ppb", "240000000"},
                     {"rate_bases", {"ACT/365F"}},
                     {"npl_dpd_min", 90},
                     {"block_txs_max", 500},
                     {"block_bytes_max", 1048576},
                     {"record_version", 2}};
    auto g = Genesis::parse(doc.dump());
    REQUIRE(g.ok());
    const auto& p = g->params();
    CHECK(p.cycle_cutoffs_minutes == std::vector<std::uint32_t>{570, 660, 990});
    CHECK(p.rounding_mode == ledger::RoundingMode::kHalfEven);
    CHECK(p.max_rate_ppb == std::optional<std::uint64_t>{240'000'000});
    CHECK(p.rate_bases == std::vector<std::string>{"ACT/365F"});
    CHECK(p.npl_dpd_min == 90);
    CHECK(p.block_txs_max == 500);
    CHECK(p.block_bytes_max == 1048576);
    CHECK(p.record_version == 2);
}

TEST_CASE("the genesis hash identifies the document, not its formatting", "[ledger][genesis]") {
    const json::Value doc = valid_document();
    auto compact = Genesis::parse(doc.dump());
    auto pretty = Genesis::parse(doc.dump(4));
    REQUIRE(compact.ok());
    REQUIRE(pretty.ok());
    CHECK(compact->hash() == pretty->hash());
    CHECK(compact->canonical_json() == json::canonicalize(doc));
    CHECK(compact->hash() == sha256(json::canonicalize(doc)));

    json::Value changed = doc;
    changed["genesis_time_ms"] = 1'704'067'200'001;
    CHECK(Genesis::parse(changed.dump())->hash() != compact->hash());
    // Defaults are not filled in before hashing (docs/decisions/0022-genesis.md): stating a
    // default explicitly is a different document.
    json::Value explicit_default = doc;
    explicit_default["params"] = {{"npl_dpd_min", 91}};
    auto with_default = Genesis::parse(explicit_default.dump());
    REQUIRE(with_default.ok());
    CHECK(with_default->params().npl_dpd_min == compact->params().npl_dpd_min);
    CHECK(with_default->hash() != compact->hash());
}

TEST_CASE("genesis document-level errors", "[ledger][genesis]") {
    CHECK_THAT(Genesis::parse("[]").error().message(),
               Catch::Equals("genesis: must be a JSON object"));
    CHECK_THAT(Genesis::parse("{\"chain_id\":").error().message(), Catch::StartsWith("genesis: "));
    CHECK_THAT(Genesis::parse(R"({"chain_id":"a","chain_id":"b"})").error().message(),
               Catch::StartsWith("genesis: ") && Catch::Contains("duplicate"));
    CHECK(Genesis::parse(std::string(ledger::kGenesisBytesMax + 1, ' ')).error().code() ==
          Errc::kParse);
    CHECK_THAT(error_for([](auto& d) { d["extra"] = 1; }),
               Catch::Equals("genesis: extra: unknown field"));
    CHECK_THAT(error_for([](auto& d) { d.erase("chain_id"); }),
               Catch::Equals("genesis: chain_id: missing"));
    CHECK_THAT(error_for([](auto& d) { d["chain_id"] = 7; }),
               Catch::Equals("genesis: chain_id: must be a string"));
    CHECK_THAT(error_for([](auto& d) { d["chain_id"] = "bad chain"; }),
               Catch::Equals("genesis: chain_id: must be 1-64 characters of [A-Za-z0-9._-]"));
    CHECK_THAT(error_for([](auto& d) { d.erase("genesis_time_ms"); }),
               Catch::Equals("genesis: genesis_time_ms: missing"));
    CHECK_THAT(error_for([](auto& d) { d["genesis_time_ms"] = "1704067200000"; }),
               Catch::Equals("genesis: genesis_time_ms: must be an integer"));
    CHECK_THAT(error_for([](auto& d) { d["genesis_time_ms"] = -1; }),
               Catch::Equals("genesis: genesis_time_ms: must be an integer in 0-9007199254740991, got -1"));
}

TEST_CASE("genesis validator errors", "[ledger][genesis]") {
    CHECK_THAT(error_for([](auto& d) { d["validators"] = json::Value::array(); }),
               Catch::Equals("genesis: validators: must list 1-256 validators, got 0"));
    CHECK_THAT(error_for([](auto& d) { d["validators"] = json::Value::object(); }),
               Catch::Equals("genesis: validators: must be an array"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][0] = "node0"; }),
               Catch::Equals("genesis: validators[0]: must be an object"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][1]["port"] = 1; }),
               Catch::Equals("genesis: validators[1].port: unknown field"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][1]["index"] = 0; }),
               Catch::Equals("genesis: validators[1].index: must be 1 (validators are listed in "
                             "index order from 0)"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][0].erase("name"); }),
               Catch::Equals("genesis: validators[0].name: missing"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][0]["name"] = ""; }),
               Catch::Equals("genesis: validators[0].name: must be 1-128 characters"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][0]["consensus_key"] = "02abcd"; }),
               Catch::StartsWith("genesis: validators[0].consensus_key: must be 66 lowercase hex "
                                 "digits of a compressed secp256k1 public key ("));
    CHECK_THAT(error_for([](auto& d) { d["validators"][1]["consensus_key"] = key_hex(0); }),
               Catch::Equals("genesis: validators[1].consensus_key: repeats the key of "
                             "validators[0].consensus_key"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][0]["tls_key"] = sha256("x").hex().substr(2); }),
               Catch::Equals("genesis: validators[0].tls_key: must be 64 lowercase hex digits "
                             "(SHA-256 of the node certificate's SubjectPublicKeyInfo)"));
    CHECK_THAT(error_for([](auto& d) {
                   std::string upper = sha256("x").hex();
                   for (auto& c : upper) c = static_cast<char>(std::toupper(c));
                   d["validators"][0]["tls_key"] = upper;
               }),
               Catch::StartsWith("genesis: validators[0].tls_key: must be 64 lowercase hex"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][1]["tls_key"] = sha256("tls0").hex(); }),
               Catch::Equals("genesis: validators[1].tls_key: repeats the key of "
                             "validators[0].tls_key"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][1]["address"] = "127.0.0.1:26600"; }),
               Catch::Equals("genesis: validators[1].address: repeats the address of validators[0]"));
    CHECK_THAT(error_for([](auto& d) { d["validators"][0]["weight"] = 0; }),
               Catch::Equals("genesis: validators[0].weight: must be an integer in 1-1000000, got 0"));

    const std::string address_error =
        "genesis: validators[0].address: must be host:port (a DNS name, IPv4 or [IPv6] address "
        "and a port in 1-65535)";
    for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":80", "host:0", "host:65536", "host:080",
                            "host:8o", "ho st:80", "-host:80", "a..b:80", "[::1]80", "[]:80",
                            "[zz::1]:80", "host:123456"}) {
        INFO(bad);
        CHECK_THAT(error_for([&](auto& d) { d["validators"][0]["address"] = bad; }),
                   Catch::Equals(address_error));
    }
    for (const char* good : {"[::1]:26600", "localhost:1", "10.0.0.7:65535"}) {
        json::Value doc = valid_document();
        doc["validators"][0]["address"] = good;
        CHECK(Genesis::parse(doc.dump()).ok());
    }
}

TEST_CASE("genesis member errors", "[ledger][genesis]") {
    CHECK_THAT(error_for([](auto& d) { d["members"] = json::Value::array(); }),
               Catch::Equals("genesis: members: must list 1-1024 members, got 0"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["lei"] = "x"; }),
               Catch::Equals("genesis: members[0].lei: unknown field"));
    CHECK_THAT(error_for([](auto& d) { d["members"][1]["bank_id"] = "huarui"; }),
               Catch::Equals("genesis: members[1].bank_id: must be 1-16 characters of [A-Z0-9_]"));
    CHECK_THAT(error_for([](auto& d) { d["members"][1]["bank_id"] = "WEBANK"; }),
               Catch::Equals("genesis: members[1].bank_id: repeats bank WEBANK of members[0]"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["name"] = std::string(129, 'n'); }),
               Catch::Equals("genesis: members[0].name: must be 1-128 characters"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["cnaps_code"] = "32358400088"; }),
               Catch::Equals("genesis: members[0].cnaps_code: must be exactly 12 digits (CNAPS "
                             "participant code)"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["cnaps_code"] = "32358400088X"; }),
               Catch::Equals("genesis: members[0].cnaps_code: must be exactly 12 digits (CNAPS "
                             "participant code)"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["keys"] = json::Value::array(); }),
               Catch::Equals("genesis: members[0].keys: must list 1-16 keys, got 0"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["keys"] = key_hex(10); }),
               Catch::Equals("genesis: members[0].keys: must be an array"));
    CHECK_THAT(error_for([](auto& d) { d["members"][1]["keys"][1] = 5; }),
               Catch::Equals("genesis: members[1].keys[1]: must be a string"));
    CHECK_THAT(error_for([](auto& d) { d["members"][1]["keys"][1] = "zz"; }),
               Catch::StartsWith("genesis: members[1].keys[1]: must be 66 lowercase hex digits"));
    CHECK_THAT(error_for([](auto& d) { d["members"][1]["keys"][1] = key_hex(11); }),
               Catch::Equals("genesis: members[1].keys[1]: repeats the key of members[1].keys[0]"));
    CHECK_THAT(error_for([](auto& d) { d["members"][1]["keys"][0] = key_hex(10); }),
               Catch::Equals("genesis: members[1].keys[0]: repeats the key of members[0].keys[0]"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["keys"][0] = key_hex(1); }),
               Catch::Equals("genesis: members[0].keys[0]: repeats the key of "
                             "validators[1].consensus_key"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["roles"] = json::Value::array(); }),
               Catch::Equals("genesis: members[0].roles: must list 1-4 roles, got 0"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["roles"][1] = "ADMIN"; }),
               Catch::Equals("genesis: members[0].roles[1]: must be one of SERVICER, FUNDER, "
                             "OPERATOR, REGULATOR"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["roles"][1] = "SERVICER"; }),
               Catch::Equals("genesis: members[0].roles[1]: repeats role SERVICER"));
    CHECK_THAT(error_for([](auto& d) { d["members"][0]["status"] = "active"; }),
               Catch::Equals("genesis: members[0].status: must be ACTIVE or SUSPENDED"));
}

TEST_CASE("genesis params errors", "[ledger][genesis]") {
    auto with_params = [](json::Value params) {
        return error_for([&](auto& d) { d["params"] = params; });
    };
    CHECK_THAT(with_params(json::Value::array()), Catch::Equals("genesis: params: must be an object"));
    CHECK_THAT(with_params({{"block_interval_ms", 5}}),
               Catch::Equals("genesis: params.block_interval_ms: unknown field"));
    CHECK_THAT(with_params({{"cycle_cutoffs", json::Value::array()}}),
               Catch::Equals("genesis: params.cycle_cutoffs: must list 1-8 cutoff times, got 0"));
    for (const char* bad : {"24:00", "11:60", "1100", "11:0", "ab:cd", "11:00 "}) {
        INFO(bad);
        CHECK_THAT(with_params({{"cycle_cutoffs", {"09:00", bad}}}),
                   Catch::Equals("genesis: params.cycle_cutoffs[1]: must be a time HH:MM between "
                                 "00:00 and 23:59"));
    }
    CHECK_THAT(with_params({{"cycle_cutoffs", {"16:30", "11:00"}}}),
               Catch::Equals("genesis: params.cycle_cutoffs[1]: must be later than the cutoff before it"));
    CHECK_THAT(with_params({{"cycle_cutoffs", {"11:00", "11:00"}}}),
               Catch::Equals("genesis: params.cycle_cutoffs[1]: must be later than the cutoff before it"));
    for (const int bad : {0, 3}) {
        CHECK_THAT(with_params({{"record_version", bad}}),
                   Catch::Contains("genesis: params.record_version: ") && Catch::Contains("1") && Catch::Contains("2"));
    }
    CHECK_THAT(with_params({{"rounding_mode", "HALF_DOWN"}}),
               Catch::Equals("genesis: params.rounding_mode: must be HALF_UP or HALF_EVEN"));
    const std::string rate_error = "genesis: params.max_rate_ppb: must be a string of an integer in "
                                   "1-1000000000000 (parts per billion)";
    CHECK_THAT(with_params({{"max_rate_ppb", 240000000}}),
               Catch::Equals("genesis: params.max_rate_ppb: must be a string"));
    for (const char* bad : {"0", "0240", "-1", "1e9", "", "1000000000001", "99999999999999"}) {
        INFO(bad);
        CHECK_THAT(with_params({{"max_rate_ppb", bad}}), Catch::Equals(rate_error));
    }
    CHECK_THAT(with_params({{"rate_bases", {"ACT/365"}}}),
               Catch::Equals("genesis: params.rate_bases[0]: must be one of DAILY, ACT/360, ACT/365F"));
    CHECK_THAT(with_params({{"rate_bases", {"DAILY", "DAILY"}}}),
               Catch::Equals("genesis: params.rate_bases[1]: repeats basis DAILY"));
    CHECK_THAT(with_params({{"npl_dpd_min", 0}}),
               Catch::Equals("genesis: params.npl_dpd_min: must be an integer in 1-3650, got 0"));
    CHECK_THAT(with_params({{"block_txs_max", 10001}}),
               Catch::Equals("genesis: params.block_txs_max: must be an integer in 1-10000, got 10001"));
    CHECK_THAT(with_params({{"block_bytes_max", 1000}}),
               Catch::Equals("genesis: params.block_bytes_max: must be an integer in "
                             "65627-33554432, got 1000"));
}
