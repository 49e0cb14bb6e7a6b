// Goal: receipts, execution results and state-write lists have one canonical binary encoding,
// decode strictly, and hash exactly as documented. Method: round trips for every receipt status;
// every truncation and trailing bytes rejected; bad enum values, rule violations (OK with a
// code, REJECTED without one, non-canonical or oversized JSON) rejected by message; the results
// digest and the state chain step recomputed from bytes written out by hand (not through the
// codec) and compared; order sensitivity of the state commitment.
#include <jc/ledger/receipt.h>
#include <jc/ledger/results.h>

#include <jc/core/sha256.h>
#include <jc/ledger/merkle.h>

#include <catch2/catch.hpp>

using namespace jc;
using jc::ledger::ExecutionResults;
using jc::ledger::Receipt;
using jc::ledger::ReceiptStatus;
namespace merkle = jc::ledger::merkle;

namespace {

Receipt ok_receipt() {
    Receipt r;
    r.tx_hash = sha256("tx");
    r.height = 42;
    r.index = 7;
    r.status = ReceiptStatus::kOk;
    r.result = R"({"allocation":[{"bank":"WEBANK","principal":"1000"}]})";
    return r;
}

Receipt rejected_receipt() {
    Receipt r = ok_receipt();
    r.status = ReceiptStatus::kRejected;
    r.code = 7002;
    r.error = "ERR_CYCLE_CUTOFF_NOT_REACHED";
    r.detail = R"({"cutoff":"16:30"})";
    r.result = "null";
    return r;
}

std::string decode_error(const Bytes& bytes) {
    auto r = Receipt::decode(bytes);
    REQUIRE_FALSE(r.ok());
    return r.error().message();
}

std::string validate_error(const Receipt& r) {
    auto s = r.validate();
    REQUIRE_FALSE(s.ok());
    return s.error().message();
}

void append(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }
void append(Bytes& out, const Hash& h) { out.insert(out.end(), h.bytes.begin(), h.bytes.end()); }

}  // namespace

TEST_CASE("receipts round trip for every status", "[ledger][receipt]") {
    Receipt dup = ok_receipt();
    dup.status = ReceiptStatus::kDuplicate;
    Receipt negative = rejected_receipt();
    negative.code = -32000;
    for (const Receipt& r : {ok_receipt(), rejected_receipt(), dup, negative}) {
        REQUIRE(r.validate().ok());
        const Bytes bytes = r.encode();
        auto back = Receipt::decode(bytes);
        REQUIRE(back.ok());
        CHECK(*back == r);
        CHECK(back->encode() == bytes);
        CHECK(r.hash() == sha256(bytes));
    }
    CHECK(ledger::receipt_status_name(ReceiptStatus::kOk) == "OK");
    CHECK(ledger::receipt_status_name(ReceiptStatus::kDuplicate) == "DUPLICATE");
    CHECK(ledger::receipt_status_name(ReceiptStatus::kRejected) == "REJECTED");
}

TEST_CASE("receipt encoding has the documented layout", "[ledger][receipt]") {
    const Receipt r = rejected_receipt();
    Bytes expected;
    append(expected, r.tx_hash);
    for (int i = 0; i < 8; ++i) expected.push_back(i == 0 ? 42 : 0);  // u64 height
    for (int i = 0; i < 4; ++i) expected.push_back(i == 0 ? 7 : 0);   // u32 index
    expected.push_back(2);                                             // REJECTED
    const auto code = static_cast<std::uint32_t>(7002);
    for (int i = 0; i < 4; ++i) expected.push_back(static_cast<std::uint8_t>(code >> (8 * i)));
    expected.push_back(static_cast<std::uint8_t>(r.error.size()));
    append(expected, r.error);
    expected.push_back(static_cast<std::uint8_t>(r.detail.size()));
    append(expected, r.detail);
    expected.push_back(4);
    append(expected, "null");
    CHECK(r.encode() == expected);
}

TEST_CASE("receipt decoding is strict", "[ledger][receipt]") {
    const Bytes good = rejected_receipt().encode();
    for (std::size_t len = 0; len < good.size(); ++len) {
        INFO("truncated to " << len);
        CHECK_FALSE(Receipt::decode(ByteView(good.data(), len)).ok());
    }
    Bytes trailing = good;
    trailing.push_back(0);
    CHECK_THAT(decode_error(trailing), Catch::Contains("trailing"));

    Bytes bad_status = good;
    bad_status[44] = 3;  // after hash(32) u64(8) u32(4)
    CHECK_THAT(decode_error(bad_status), Catch::Contains("unknown value 3"));

    Bytes ok_with_code = good;
    ok_with_code[44] = 0;  // OK, but the code and error of a rejection remain
    CHECK_THAT(decode_error(ok_with_code), Catch::Contains("OK receipt has code 0"));

    // A length prefix over the field limit is refused before anything is read.
    Receipt r = ok_receipt();
    codec::Writer w;
    w.hash(r.tx_hash).u64(r.height).u32(r.index).u8(0).u32(0).str("");
    w.varint(ledger::kReceiptDetailBytesMax + 1);
    CHECK_THAT(decode_error(w.data()), Catch::Contains("exceeds limit"));
}

TEST_CASE("receipt rules are enforced with the field named", "[ledger][receipt]") {
    Receipt r = ok_receipt();
    r.code = 5;
    CHECK_THAT(validate_error(r), Catch::Contains("receipt code: an OK receipt has code 0"));
    r = ok_receipt();
    r.error = "ERR_X";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt code: an OK receipt"));
    r = rejected_receipt();
    r.code = 0;
    CHECK_THAT(validate_error(r), Catch::Contains("REJECTED receipt has a non-zero code"));
    r = rejected_receipt();
    r.error = "";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt error: a REJECTED receipt names its error"));
    r.error = "err lowercase";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt error"));
    r.error = std::string(ledger::kReceiptErrorBytesMax + 1, 'E');
    CHECK_THAT(validate_error(r), Catch::Contains("receipt error"));
    r = rejected_receipt();
    r.status = static_cast<ReceiptStatus>(9);
    CHECK_THAT(validate_error(r), Catch::Contains("receipt status: unknown value 9"));

    r = ok_receipt();
    r.detail = R"({ "a":1})";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt detail: not in canonical"));
    r.detail = R"({"b":1,"a":2})";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt detail: not in canonical"));
    r.detail = "[1]";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt detail: must be a JSON object"));
    r.detail = "{";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt detail: not strict JSON"));
    r.detail = "{\"x\":1.5}";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt detail: not strict JSON"));
    r.detail = "{\"x\":\"" + std::string(ledger::kReceiptDetailBytesMax, 'a') + "\"}";
    CHECK_THAT(validate_error(r), Catch::Contains("exceeds limit"));

    r = ok_receipt();
    r.result = "";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt result: must be canonical JSON"));
    r.result = "1 ";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt result"));
    r.result = "\"caf\\u00e9\"";
    CHECK_THAT(validate_error(r), Catch::Contains("receipt result"));

    // A rule violation inside otherwise well-formed bytes is a parse error on decode.
    Receipt bad = ok_receipt();
    bad.result = "[1, 2]";
    codec::Writer w;
    w.hash(bad.tx_hash).u64(bad.height).u32(bad.index).u8(0).u32(0).str("").str("").str(bad.result);
    auto decoded = Receipt::decode(w.data());
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code() == Errc::kParse);
}

TEST_CASE("receipt root is the RFC 6962 root over receipt hashes", "[ledger][receipt]") {
    const std::vector<Receipt> receipts = {ok_receipt(), rejected_receipt()};
    CHECK(ledger::receipt_root(receipts) ==
          merkle::root(std::vector<Hash>{sha256(receipts[0].encode()), sha256(receipts[1].encode())}));
    CHECK(ledger::receipt_root({}) == merkle::empty_root());
}

TEST_CASE("execution results encode strictly and digest as documented", "[ledger][results]") {
    ExecutionResults r;
    r.height = 0x0102;
    r.state_root = sha256("state");
    r.receipt_root = sha256("receipts");
    const Bytes bytes = r.encode();
    REQUIRE(bytes.size() == ExecutionResults::kEncodedSize);
    CHECK(*ExecutionResults::decode(bytes) == r);
    for (std::size_t len = 0; len < bytes.size(); ++len) {
        CHECK_FALSE(ExecutionResults::decode(ByteView(bytes.data(), len)).ok());
    }
    Bytes trailing = bytes;
    trailing.push_back(1);
    CHECK_FALSE(ExecutionResults::decode(trailing).ok());

    // results_digest = SHA-256(str("jointclear/results/v1") u64(height) state_root receipt_root),
    // str = one-byte varint length (21) + the ASCII bytes.
    Bytes preimage{21};
    append(preimage, "jointclear/results/v1");
    const Bytes height_le = {0x02, 0x01, 0, 0, 0, 0, 0, 0};
    preimage.insert(preimage.end(), height_le.begin(), height_le.end());
    append(preimage, r.state_root);
    append(preimage, r.receipt_root);
    CHECK(r.digest() == sha256(preimage));
    CHECK(ledger::results_digest(r) == r.digest());

    ExecutionResults other = r;
    other.height += 1;
    CHECK(other.digest() != r.digest());
}

TEST_CASE("state writes encode strictly", "[ledger][results]") {
    const ledger::StateWrites writes = {{"a", std::string("1")}, {"b", std::nullopt}, {"c", std::string()}};
    codec::Writer w;
    ledger::encode_state_writes(w, writes);
    // varint(3) | str("a") 1 str("1") | str("b") 0 | str("c") 1 str("")
    const Bytes expected = {3, 1, 'a', 1, 1, '1', 1, 'b', 0, 1, 'c', 1, 0};
    REQUIRE(w.data() == expected);
    codec::Reader r(w.data());
    auto back = ledger::decode_state_writes(r);
    REQUIRE(back.ok());
    CHECK(*back == writes);
    CHECK(r.finish().ok());
    CHECK(ledger::state_writes_hash(writes) == sha256(expected));

    for (std::size_t len = 0; len < expected.size(); ++len) {
        codec::Reader t(ByteView(expected.data(), len));
        auto d = ledger::decode_state_writes(t);
        CHECK((!d.ok() || !t.finish().ok()));
    }
    Bytes bad_tag = expected;
    bad_tag[8] = 2;
    codec::Reader rt(bad_tag);
    CHECK_THAT(ledger::decode_state_writes(rt).error().message(), Catch::Contains("unknown tag 2"));
    const Bytes empty_key = {1, 0, 0, 0};
    codec::Reader re(empty_key);
    CHECK_THAT(ledger::decode_state_writes(re).error().message(), Catch::Contains("empty key"));
    const Bytes huge_count = {0xff, 0xff, 0x03, 1, 'a', 0};
    codec::Reader rh(huge_count);
    CHECK_FALSE(ledger::decode_state_writes(rh).ok());

    CHECK(ledger::check_state_writes(writes).ok());
    CHECK_THAT(ledger::check_state_writes({{"", std::string("x")}}).error().message(),
               Catch::Contains("state write 0: key of 0 bytes"));
    CHECK_THAT(ledger::check_state_writes({{std::string(ledger::kStateKeyBytesMax + 1, 'k'), std::nullopt}})
                   .error()
                   .message(),
               Catch::Contains("key of 1025 bytes"));
    CHECK_THAT(ledger::check_state_writes({{"k", std::string(ledger::kStateValueBytesMax + 1, 'v')}})
                   .error()
                   .message(),
               Catch::Contains("exceeds limit"));
}

TEST_CASE("the state chain commits to every write and its order", "[ledger][results]") {
    const ledger::StateWrites writes = {{"x", std::string("1")}, {"y", std::string("2")}};
    const Hash parent = sha256("parent");
    // state_root = SHA-256(str("jointclear/state/v1") parent writes_hash).
    Bytes preimage{19};
    append(preimage, "jointclear/state/v1");
    append(preimage, parent);
    append(preimage, ledger::state_writes_hash(writes));
    CHECK(ledger::next_state_root(parent, writes) == sha256(preimage));
    CHECK(ledger::genesis_state_root(writes) == ledger::next_state_root(Hash{}, writes));

    const ledger::StateWrites swapped = {writes[1], writes[0]};
    CHECK(ledger::next_state_root(parent, swapped) != ledger::next_state_root(parent, writes));
    const ledger::StateWrites deleted = {{"x", std::string("1")}, {"y", std::nullopt}};
    CHECK(ledger::next_state_root(parent, deleted) != ledger::next_state_root(parent, writes));
    const ledger::StateWrites empty_value = {{"x", std::string("1")}, {"y", std::string()}};
    CHECK(ledger::next_state_root(parent, empty_value) != ledger::next_state_root(parent, deleted));
    CHECK(ledger::next_state_root(sha256("other"), writes) != ledger::next_state_root(parent, writes));

    // The streamed hash equals the hash of the full encoding, also past the 4 KiB chunking.
    ledger::StateWrites many;
    for (int i = 0; i < 2000; ++i) {
        many.push_back({"key/" + std::to_string(i), std::string(static_cast<std::size_t>(i % 13), 'v')});
    }
    codec::Writer w;
    ledger::encode_state_writes(w, many);
    CHECK(ledger::state_writes_hash(many) == sha256(w.data()));
}
