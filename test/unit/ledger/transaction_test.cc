// Goal: the envelope of API.md is parsed strictly, hashed over its RFC 8785 signing bytes, and
// signed so that an independent implementation (OpenSSL) verifies it, and vice versa.
#include <jc/ledger/transaction.h>

#include <catch2/catch.hpp>

#include "openssl_secp256k1.h"

using namespace jc;
using jc::ledger::Transaction;

namespace {

ledger::UnsignedTx sample() {
    ledger::UnsignedTx tx;
    tx.chain_id = "jointclear-local";
    tx.type = "loan.repay";
    tx.sender = "WEBANK";
    tx.client_ref = "WB-REPAY-20240215-000123";
    tx.body = json::Value{{"loan_id", "L-0001"},
                          {"value_date", "2024-02-15"},
                          {"amount", "79067"},
                          {"channel_ref", "PAY-1"}};
    return tx;
}

}  // namespace

TEST_CASE("signed envelope parses back identically and verifies", "[ledger][tx]") {
    const auto key = crypto::SecretKey::generate().value();
    auto tx = Transaction::sign(sample(), key);
    REQUIRE(tx.ok());
    CHECK(tx->verify_signature().ok());
    CHECK(tx->signing_bytes().find("\"sig\"") == std::string::npos);

    auto parsed = Transaction::parse(tx->canonical_json());
    REQUIRE(parsed.ok());
    CHECK(*parsed == *tx);
    CHECK(parsed->hash() == tx->hash());
    CHECK(parsed->verify_signature().ok());
    CHECK(tx->canonical_body() == json::canonicalize(tx->body()));
    CHECK(parsed->canonical_body() == tx->canonical_body());

    // Whitespace and key order do not change the hash: it is over canonical bytes.
    std::string pretty = tx->to_value().dump(2);
    auto reparsed = Transaction::parse(pretty);
    REQUIRE(reparsed.ok());
    CHECK(reparsed->hash() == tx->hash());

    CHECK(test::openssl_verify(key.public_key().bytes, tx->hash(),
                               ByteView(tx->sig().bytes.data(), 64)));
}

TEST_CASE("tampering with any signed field breaks the signature", "[ledger][tx]") {
    const auto key = crypto::SecretKey::generate().value();
    const auto tx = Transaction::sign(sample(), key).value();
    const std::pair<const char*, const char*> changes[] = {{"chain_id", "jointclear-other"},
                                                           {"type", "loan.originate"},
                                                           {"sender", "HUARUI"},
                                                           {"client_ref", "WB-REPAY-2"}};
    for (const auto& [field, replacement] : changes) {
        json::Value v = tx.to_value();
        v[field] = replacement;
        auto changed = Transaction::from_value(v);
        REQUIRE(changed.ok());
        CHECK_FALSE(changed->verify_signature().ok());
    }
    json::Value v = tx.to_value();
    v["body"]["amount"] = "79068";
    CHECK_FALSE(Transaction::from_value(v)->verify_signature().ok());
}

TEST_CASE("malformed envelopes are refused with the field named", "[ledger][tx]") {
    const auto key = crypto::SecretKey::generate().value();
    const json::Value good = Transaction::sign(sample(), key)->to_value();
    auto error_for = [&](const std::function<void(json::Value&)>& mutate) {
        json::Value v = good;
        mutate(v);
        auto tx = Transaction::from_value(v);
        REQUIRE_FALSE(tx.ok());
        return tx.error().message();
    };
    CHECK_THAT(error_for([](auto& v) { v.erase("sig"); }), Catch::Contains("\"sig\": missing"));
    CHECK_THAT(error_for([](auto& v) { v["extra"] = 1; }), Catch::Contains("\"extra\": unknown"));
    CHECK_THAT(error_for([](auto& v) { v["sender"] = "webank"; }), Catch::Contains("\"sender\""));
    CHECK_THAT(error_for([](auto& v) { v["client_ref"] = ""; }), Catch::Contains("\"client_ref\""));
    CHECK_THAT(error_for([](auto& v) { v["client_ref"] = std::string(65, 'a'); }),
               Catch::Contains("\"client_ref\""));
    CHECK_THAT(error_for([](auto& v) { v["client_ref"] = "a b"; }), Catch::Contains("\"client_ref\""));
    CHECK_THAT(error_for([](auto& v) { v["type"] = "Loan.Repay"; }), Catch::Contains("\"type\""));
    CHECK_THAT(error_for([](auto& v) { v["type"] = "loan..repay"; }), Catch::Contains("\"type\""));
    CHECK_THAT(error_for([](auto& v) { v["chain_id"] = 5; }), Catch::Contains("must be a string"));
    CHECK_THAT(error_for([](auto& v) { v["signer"] = "02"; }), Catch::Contains("\"signer\""));
    CHECK_THAT(error_for([](auto& v) { v["sig"] = std::string(130, 'G'); }), Catch::Contains("\"sig\""));
    CHECK_THAT(error_for([](auto& v) { v["body"] = "x"; }), Catch::Contains("\"body\": must be an object"));
    CHECK_THAT(error_for([](auto& v) { v["body"]["amount"] = 1.5; }), Catch::Contains("floating"));

    auto too_big = Transaction::parse(std::string(70000, ' '));
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().code() == Errc::kLimit);
    CHECK_FALSE(Transaction::parse("[]").ok());
    CHECK_FALSE(Transaction::parse("{\"chain_id\":\"a\",\"chain_id\":\"b\"}").ok());
}
