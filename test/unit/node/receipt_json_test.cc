// Goal: the receipt text the node writes directly into RPC answers (receipt_text, ADR 0151) is
// byte for byte what the tree renderer printed (receipt_json(r).dump()), for every valid
// receipt, and a response carrying it as raw text is byte for byte the tree response.
// Method: 5,000 receipts from a seeded generator: every status, codes and error names, no detail
// or a detail object, results of every JSON type in the protocol's subset (nested containers,
// negative and extreme integers, strings with quotes and backslashes),
// made canonical with json::canonicalize and checked with Receipt::validate as the store does;
// then both renderings are compared, alone and inside a JSON-RPC response.
#include "receipt_json.h"

#include <jc/core/canonical_json.h>
#include <jc/rpc/dispatcher.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>

using namespace jc;
using json::Value;

namespace {

class Generator {
public:
    explicit Generator(std::uint32_t seed) : rng_(seed) {}

    std::uint32_t below(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_); }

    std::string text() {
        // The protocol's strings are printable ASCII (control characters are refused even
        // escaped), so the characters that need care are the quote and the backslash.
        static const std::string kAlphabet = "abcXYZ019 _-\"\\/{}[]:,~";
        std::string s;
        const std::uint32_t n = below(12);
        for (std::uint32_t i = 0; i < n; ++i) {
            s += kAlphabet[below(static_cast<std::uint32_t>(kAlphabet.size()))];
        }
        return s;
    }

    Value value(int depth) {
        switch (below(depth > 0 ? 7 : 5)) {
            case 0: return nullptr;
            case 1: return below(2) == 0;
            case 2: {
                static constexpr std::int64_t kEdges[] = {0, -1, 1, json::kIntegerMax, -json::kIntegerMax, 1'000'000'007};
                return below(2) == 0 ? Value(kEdges[below(6)]) : Value(static_cast<std::int64_t>(below(2'000'000)) - 1'000'000);
            }
            case 3:
            case 4: return text();
            case 5: {
                Value a = Value::array();
                for (std::uint32_t i = below(4); i > 0; --i) {
                    a.push_back(value(depth - 1));
                }
                return a;
            }
            default: {
                Value o = Value::object();
                for (std::uint32_t i = below(5); i > 0; --i) {
                    o[text()] = value(depth - 1);
                }
                return o;
            }
        }
    }

    ledger::Receipt receipt() {
        ledger::Receipt r;
        for (auto& b : r.tx_hash.bytes) {
            b = static_cast<std::uint8_t>(below(256));
        }
        r.height = below(2) == 0 ? below(1000) : UINT64_C(0xFFFFFFFFFFFFFFFF) - below(3);
        r.index = below(2) == 0 ? below(500) : UINT32_C(0xFFFFFFFF);
        switch (below(3)) {
            case 0: r.status = ledger::ReceiptStatus::kOk; break;
            case 1: r.status = ledger::ReceiptStatus::kDuplicate; break;
            default:
                r.status = ledger::ReceiptStatus::kRejected;
                r.code = below(2) == 0 ? -32001 : static_cast<std::int32_t>(below(100'000)) + 1;
                r.error = below(2) == 0 ? "INSUFFICIENT_FUNDS" : "E_" + std::to_string(below(1000));
                break;
        }
        if (below(2) == 0) {
            Value detail = Value::object();
            for (std::uint32_t i = below(4); i > 0; --i) {
                detail[text()] = value(2);
            }
            r.detail = json::canonicalize(detail);
        }
        r.result = json::canonicalize(value(4));
        return r;
    }

private:
    std::mt19937 rng_;
};

}  // namespace

TEST_CASE("receipt_text is receipt_json(r).dump(), alone and in a response", "[node][receipt_json]") {
    Generator gen(20261127);
    for (int i = 0; i < 5000; ++i) {
        const ledger::Receipt r = gen.receipt();
        const Status valid = r.validate();
        INFO((valid ? std::string() : valid.error().message()));
        REQUIRE(valid);
        const std::string tree = node::receipt_json(r).dump();
        const rpc::RawJson raw = node::receipt_text(r);
        REQUIRE(raw.text == tree);

        const Value id = i % 2 == 0 ? Value(i) : Value("call-" + std::to_string(i));
        REQUIRE(rpc::response_text(id, raw) == rpc::response_text(id, node::receipt_json(r)));
    }
}

TEST_CASE("receipt_text of a receipt without a result or detail", "[node][receipt_json]") {
    ledger::Receipt r;
    r.height = 7;
    r.index = 2;
    r.result = "null";
    REQUIRE(r.validate());
    CHECK(node::receipt_text(r).text ==
          "{\"code\":0,\"error\":\"\",\"height\":7,\"index\":2,\"result\":null,\"status\":\"OK\",\"tx_hash\":\"" +
              r.tx_hash.hex() + "\"}");
    CHECK(node::receipt_text(r).text == node::receipt_json(r).dump());
}
