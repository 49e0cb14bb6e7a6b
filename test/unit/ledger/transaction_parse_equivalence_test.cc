// Goal: the single-pass Transaction::parse / from_value / sign of ADR 0115 accept and refuse
// exactly what the previous implementation did, with the same error codes and messages, and
// produce byte-identical signing bytes, tx_hash and canonical JSON.
//
// Method: `reference_parse` below is the pre-ADR-0115 implementation, kept verbatim as a
// test-only oracle (it uses only public APIs: parse_strict, check_subset, the field checkers,
// PublicKey/Signature::from_hex, canonicalize, sha256). Both run over a corpus of canonical
// envelopes (the bench workload's loan.repay and loan.originate), non-canonical spellings of them
// (whitespace, member order, escapes), hand-made malformed envelopes (each field missing, of the
// wrong type or form, unknown fields, limits, out-of-subset JSON) and every single-byte deletion,
// substitution and insertion of both canonical envelopes; every outcome must agree.
#include <jc/core/sha256.h>
#include <jc/ledger/transaction.h>

#include "bench_bodies.h"

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

using namespace jc;
using jc::ledger::Transaction;

namespace {

// ---- The reference: Transaction::parse and from_value as they were before ADR 0115. ----------

struct Outcome {
    bool ok = false;
    Errc code = Errc::kInvalidArgument;
    std::string message;
    std::string signing_bytes;
    Hash hash;
    std::string canonical_json;
};

Error ref_field_error(std::string_view field, std::string_view what) {
    return Error(Errc::kInvalidArgument, "field \"" + std::string(field) + "\": " + std::string(what));
}

const std::string& ref_string_field(const json::Value& v, std::string_view key, Status& status) {
    static const std::string kEmpty;
    const auto it = v.find(key);
    if (it == v.end()) {
        status = ref_field_error(key, "missing");
        return kEmpty;
    }
    if (!it->is_string()) {
        status = ref_field_error(key, "must be a string");
        return kEmpty;
    }
    return it->get_ref<const std::string&>();
}

Outcome failed(const Error& e) {
    Outcome o;
    o.code = e.code();
    o.message = e.message();
    return o;
}

#define REF_TRY(expr)                   \
    do {                                \
        const Status s_ = (expr);       \
        if (!s_) {                      \
            return failed(s_.error());  \
        }                               \
    } while (false)

Outcome reference_from_value(const json::Value& envelope, const ledger::TxLimits& limits) {
    static constexpr std::array<std::string_view, 7> kKeys = {"body",   "chain_id", "client_ref", "sender",
                                                              "sig",    "signer",   "type"};
    if (!envelope.is_object()) {
        return failed(Error(Errc::kInvalidArgument, "transaction must be a JSON object"));
    }
    REF_TRY(json::check_subset(envelope, limits.body_depth_max + 1));
    for (auto it = envelope.begin(); it != envelope.end(); ++it) {
        bool known = false;
        for (auto key : kKeys) {
            known = known || it.key() == key;
        }
        if (!known) {
            return failed(ref_field_error(it.key(), "unknown envelope field"));
        }
    }
    Status status;
    const std::string chain_id = ref_string_field(envelope, "chain_id", status);
    REF_TRY(status);
    REF_TRY(ledger::check_chain_id(chain_id));
    const std::string type = ref_string_field(envelope, "type", status);
    REF_TRY(status);
    REF_TRY(ledger::check_tx_type(type));
    const std::string sender = ref_string_field(envelope, "sender", status);
    REF_TRY(status);
    REF_TRY(ledger::check_bank_id(sender));
    const std::string& signer_hex = ref_string_field(envelope, "signer", status);
    REF_TRY(status);
    auto signer = crypto::PublicKey::from_hex(signer_hex);
    if (!signer) {
        return failed(ref_field_error("signer", signer.error().message()));
    }
    const std::string client_ref = ref_string_field(envelope, "client_ref", status);
    REF_TRY(status);
    REF_TRY(ledger::check_client_ref(client_ref));
    const auto body = envelope.find("body");
    if (body == envelope.end()) {
        return failed(ref_field_error("body", "missing"));
    }
    if (!body->is_object()) {
        return failed(ref_field_error("body", "must be an object"));
    }
    const std::string& sig_hex = ref_string_field(envelope, "sig", status);
    REF_TRY(status);
    auto sig = crypto::Signature::from_hex(sig_hex);
    if (!sig) {
        return failed(ref_field_error("sig", sig.error().message()));
    }
    // The old seal(): build the envelope object and canonicalise it twice.
    json::Value v = json::Value::object();
    v["chain_id"] = chain_id;
    v["type"] = type;
    v["sender"] = sender;
    v["signer"] = signer->hex();
    v["client_ref"] = client_ref;
    v["body"] = *body;
    Outcome o;
    o.ok = true;
    o.signing_bytes = json::canonicalize(v);
    o.hash = sha256(o.signing_bytes);
    v["sig"] = sig->hex();
    o.canonical_json = json::canonicalize(v);
    return o;
}

Outcome reference_parse(std::string_view text, const ledger::TxLimits& limits) {
    if (text.size() > limits.envelope_bytes_max) {
        return failed(Error(Errc::kLimit, "transaction of " + std::to_string(text.size()) + " bytes exceeds limit " +
                                              std::to_string(limits.envelope_bytes_max)));
    }
    json::ParseLimits parse_limits;
    parse_limits.document_bytes_max = limits.envelope_bytes_max;
    parse_limits.depth_max = limits.body_depth_max + 1;
    auto value = json::parse_strict(text, parse_limits);
    if (!value) {
        return failed(value.error());
    }
    return reference_from_value(*value, limits);
}

Outcome outcome_of(const Result<Transaction>& tx) {
    if (!tx) {
        return failed(tx.error());
    }
    Outcome o;
    o.ok = true;
    o.signing_bytes = tx->signing_bytes();
    o.hash = tx->hash();
    o.canonical_json = tx->canonical_json();
    // The body's canonical bytes the engine's request digest hashes are the canonicalised body.
    CHECK(tx->canonical_body() == json::canonicalize(tx->body()));
    return o;
}

// Compares the new parse (and from_value where the text parses) with the reference on `text`.
// Returns whether the envelope was accepted, so the corpus can assert it covers both sides.
bool same_outcome(const std::string& text, const ledger::TxLimits& limits = {}) {
    INFO("envelope: " << text);
    const Outcome want = reference_parse(text, limits);
    const Outcome got = outcome_of(Transaction::parse(text, limits));
    REQUIRE(got.ok == want.ok);
    if (!want.ok) {
        CHECK(got.code == want.code);
        CHECK(got.message == want.message);
    } else {
        CHECK(got.signing_bytes == want.signing_bytes);
        CHECK(got.hash == want.hash);
        CHECK(got.canonical_json == want.canonical_json);
    }
    // from_value keeps its own check_subset; compare it on every text that is JSON at all.
    json::ParseLimits loose;
    loose.depth_max = 64;
    if (auto value = json::parse_strict(text, loose)) {
        const Outcome want_v = reference_from_value(*value, limits);
        const Outcome got_v = outcome_of(Transaction::from_value(*value, limits));
        REQUIRE(got_v.ok == want_v.ok);
        CHECK(got_v.code == want_v.code);
        CHECK(got_v.message == want_v.message);
        CHECK(got_v.canonical_json == want_v.canonical_json);
        CHECK(got_v.hash == want_v.hash);
    }
    return want.ok;
}

// A fixed key: the corpus (and so any failure) is reproducible.
const crypto::SecretKey& key() {
    static const crypto::SecretKey k =
        crypto::SecretKey::from_hex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318").value();
    return k;
}

// The bodies tools/src/bench_workload.cc signs (loan.repay and loan_body for loan.originate).
Transaction workload_tx(bool originate) {
    ledger::UnsignedTx u;
    u.chain_id = "jointclear-local";
    u.sender = "WEBANK";
    u.client_ref = "B7abc-4711";
    if (!originate) {
        u.type = "loan.repay";
        u.body = testsupport::bench_repay_body("B7abc-BASE-7", 5000, "R-4711");
    } else {
        u.type = "loan.originate";
        u.body = testsupport::bench_loan_body("L-B7abc-4711", "WEBANK", "CITIC", "P-B7abc-0", 800000);
    }
    return Transaction::sign(u, key()).value();
}

std::string with(const Transaction& tx, const std::string& field, const json::Value& value) {
    json::Value v = tx.to_value();
    v[field] = value;
    return v.dump();
}

std::string without(const Transaction& tx, const std::string& field) {
    json::Value v = tx.to_value();
    v.erase(field);
    return v.dump();
}

}  // namespace

TEST_CASE("sign produces the bytes the reference computes from the same envelope", "[ledger][tx]") {
    for (bool originate : {false, true}) {
        const Transaction tx = workload_tx(originate);
        const Outcome want = reference_from_value(tx.to_value(), {});
        REQUIRE(want.ok);
        CHECK(tx.signing_bytes() == want.signing_bytes);
        CHECK(tx.hash() == want.hash);
        CHECK(tx.canonical_json() == want.canonical_json);
        CHECK(tx.verify_signature().ok());
    }
}

TEST_CASE("parse agrees with the reference on canonical and re-spelled envelopes", "[ledger][tx]") {
    for (bool originate : {false, true}) {
        const Transaction tx = workload_tx(originate);
        const std::string canonical = tx.canonical_json();
        CHECK(same_outcome(canonical));
        CHECK(same_outcome(tx.to_value().dump(2)));        // whitespace
        CHECK(same_outcome(" \n" + canonical + "\t\r\n"));  // surrounding whitespace
        // Members out of order, and escapes that canonicalise away ("\/", "\u0041").
        std::string reordered = "{\"type\":\"" + tx.type() + "\",\"sig\":\"" + tx.sig().hex() + "\",\"signer\":\"" +
                                tx.signer().hex() + "\",\"sender\":\"WEB\\u0041NK\",\"client_ref\":\"" +
                                tx.client_ref() + "\",\"chain_id\":\"jointclear\\u002dlocal\",\"body\":" +
                                tx.body().dump() + "}";
        CHECK(same_outcome(reordered));
        json::Value body = tx.body();
        body["note"] = "a/b \"quoted\" back\\slash";
        CHECK(same_outcome(with(tx, "body", body)));  // accepted: the signature is checked later
        body["nested"] = json::Value{{"z", 1}, {"a", json::Value::array({-9007199254740991, 0, true, nullptr})}};
        CHECK(same_outcome(with(tx, "body", body)));
        // Uppercase hex in signer and sig: whatever from_hex decides, both paths decide alike.
        std::string upper_signer = tx.signer().hex();
        for (auto& c : upper_signer) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        same_outcome(with(tx, "signer", upper_signer));
        std::string upper_sig = tx.sig().hex();
        for (auto& c : upper_sig) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        same_outcome(with(tx, "sig", upper_sig));
    }
}

TEST_CASE("parse refuses what the reference refuses, with the same error", "[ledger][tx]") {
    const Transaction tx = workload_tx(false);
    const std::vector<json::Value> bad_values = {json::Value(1),
                                                 json::Value(nullptr),
                                                 json::Value(true),
                                                 json::Value(""),
                                                 json::Value::array(),
                                                 json::Value::object(),
                                                 json::Value(std::string(65, 'A')),
                                                 json::Value("A\"B"),
                                                 json::Value("A\\B"),
                                                 json::Value("lower"),
                                                 json::Value("a..b"),
                                                 json::Value("00")};
    for (const char* field : {"chain_id", "type", "sender", "signer", "client_ref", "body", "sig"}) {
        CHECK_FALSE(same_outcome(without(tx, field)));
        for (const auto& v : bad_values) {
            same_outcome(with(tx, field, v));
        }
    }
    // Two bad fields at once: which error wins is part of the contract (the check order).
    const std::vector<std::string> fields = {"chain_id", "type", "sender", "signer", "client_ref", "body", "sig"};
    for (const auto& a : fields) {
        for (const auto& b : fields) {
            if (a == b) {
                continue;
            }
            for (const auto& v : {json::Value(1), json::Value(""), json::Value("A\"B")}) {
                json::Value e = tx.to_value();
                e[a] = v;
                e[b] = v;
                CHECK_FALSE(same_outcome(e.dump()));
                e.erase(a);
                CHECK_FALSE(same_outcome(e.dump()));
                e["zz_unknown"] = 1;
                CHECK_FALSE(same_outcome(e.dump()));
            }
        }
    }
    CHECK_FALSE(same_outcome(with(tx, "extra", 1)));
    CHECK_FALSE(same_outcome(with(tx, "Body", json::Value::object())));
    // Out-of-subset JSON, at the top and inside the body.
    const std::string c = tx.canonical_json();
    const std::string body_open = "{\"body\":{";
    REQUIRE(c.rfind(body_open, 0) == 0);
    const auto in_body = [&](const std::string& member) { return body_open + member + "," + c.substr(body_open.size()); };
    for (const std::string& text :
         {std::string(""), std::string("[]"), std::string("\"tx\""), std::string("42"), std::string("null"), c + "x",
          c + "{}", c.substr(0, c.size() - 1), in_body("\"f\":1.5"), in_body("\"f\":1e3"), in_body("\"f\":-0"),
          in_body("\"f\":9007199254740992"), in_body("\"f\":9007199254740991"), in_body("\"f\":01"),
          in_body("\"amount\":\"1\""), in_body("\"f\":\"\xc3\xa9\""), in_body("\"f\":\"\\u00e9\""),
          in_body("\"f\":\"\x01\""), in_body("\"f\":\"\\n\""), in_body("\"f\":tru"), in_body("\"\xff\":1")}) {
        same_outcome(text);
    }
    // Depth: the envelope is level 1, so the body may nest body_depth_max - 1 more levels.
    for (int depth = 1; depth <= 11; ++depth) {
        std::string nested = "1";
        for (int i = 0; i < depth; ++i) {
            nested = (i % 2 == 0 ? "[" : "{\"k\":") + nested + (i % 2 == 0 ? "]" : "}");
        }
        same_outcome(in_body("\"deep\":" + nested));
    }
    // Limits other than the defaults.
    ledger::TxLimits small;
    small.envelope_bytes_max = c.size() - 1;
    CHECK_FALSE(same_outcome(c, small));
    small.envelope_bytes_max = c.size();
    CHECK(same_outcome(c, small));
    ledger::TxLimits shallow;
    shallow.body_depth_max = 1;
    CHECK(same_outcome(c, shallow));
    CHECK_FALSE(same_outcome(in_body("\"deep\":[1]"), shallow));
}

TEST_CASE("parse agrees with the reference on every single-byte edit of both envelopes", "[ledger][tx]") {
    constexpr std::array<char, 9> kBytes = {'"', '\\', '0', '9', '{', '}', ' ', 'A', ','};
    std::size_t accepted = 0;
    std::size_t refused = 0;
    for (bool originate : {false, true}) {
        const std::string c = workload_tx(originate).canonical_json();
        for (std::size_t i = 0; i <= c.size(); ++i) {
            std::vector<std::string> edits;
            if (i < c.size()) {
                edits.push_back(c.substr(0, i) + c.substr(i + 1));
                for (char b : kBytes) {
                    if (c[i] != b) {
                        edits.push_back(c.substr(0, i) + b + c.substr(i + 1));
                    }
                }
            }
            edits.push_back(c.substr(0, i) + ' ' + c.substr(i));
            for (const auto& e : edits) {
                (same_outcome(e) ? accepted : refused) += 1;
            }
        }
    }
    // Both sides are exercised: edits inside strings of the body or hex digits often still parse.
    CHECK(accepted > 100);
    CHECK(refused > 1000);
}
