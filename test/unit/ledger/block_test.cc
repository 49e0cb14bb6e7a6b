// Goal: BlockHeader and Block have one canonical binary encoding, and decoding refuses every
// malformed input rather than guessing. Method: round trips; the header's byte layout checked
// field by field against offsets written out by hand; every truncation of a valid encoding and
// trailing bytes rejected; each structural rule (height 0, negative time, counts over the
// limits, wrong tx_root, non-canonical or invalid transaction JSON, duplicate transactions)
// violated once by editing valid bytes, and the error checked.
#include <jc/ledger/block.h>

#include <jc/core/sha256.h>
#include <jc/ledger/merkle.h>

#include <catch2/catch.hpp>

#include "test_chain.h"

using namespace jc;
using jc::ledger::Block;
using jc::ledger::BlockHeader;
namespace merkle = jc::ledger::merkle;

namespace {

const test::TestChain& block_chain() {
    static const test::TestChain c(7);
    return c;
}

Block sample_block(std::size_t txs = 3) {
    std::vector<ledger::TxPtr> list;
    for (std::size_t i = 0; i < txs; ++i) {
        list.push_back(block_chain().tx(i % 3, "REF-" + std::to_string(i), 100 + i));
    }
    return Block::make(5, sha256("parent"), 1'700'000'005'000, 2, list).value();
}

std::string error_of(const Result<Block>& r) {
    REQUIRE_FALSE(r.ok());
    return r.error().message();
}

// Overwrites `bytes[offset..]` with the little-endian encoding of v.
void poke_le(Bytes& bytes, std::size_t offset, std::uint64_t v, std::size_t width) {
    for (std::size_t i = 0; i < width; ++i) {
        bytes[offset + i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
}

}  // namespace

TEST_CASE("block header encoding has the documented layout", "[ledger][block]") {
    BlockHeader h;
    h.height = 0x0102030405060708;
    h.parent_hash = sha256("p");
    h.timestamp_ms = 1'700'000'000'123;
    h.proposer = 0x0a0b0c0d;
    h.tx_count = 2;
    h.tx_root = sha256("r");
    const Bytes bytes = h.encode();
    REQUIRE(bytes.size() == 88);
    REQUIRE(BlockHeader::kEncodedSize == 88);
    CHECK(bytes[0] == 0x08);  // u64 height, little-endian
    CHECK(bytes[7] == 0x01);
    CHECK(std::equal(bytes.begin() + 8, bytes.begin() + 40, h.parent_hash.bytes.begin()));
    CHECK(bytes[40] == static_cast<std::uint8_t>(1'700'000'000'123 & 0xff));  // i64 timestamp
    CHECK(bytes[48] == 0x0d);  // u32 proposer
    CHECK(bytes[51] == 0x0a);
    CHECK(bytes[52] == 2);  // u32 tx_count
    CHECK(std::equal(bytes.begin() + 56, bytes.end(), h.tx_root.bytes.begin()));
    CHECK(h.hash() == sha256(bytes));

    auto back = BlockHeader::decode(bytes);
    REQUIRE(back.ok());
    CHECK(*back == h);
}

TEST_CASE("block header decoding is strict", "[ledger][block]") {
    const Block block = sample_block();
    const Bytes good = block.header().encode();
    for (std::size_t len = 0; len < good.size(); ++len) {
        INFO("truncated to " << len);
        CHECK_FALSE(BlockHeader::decode(ByteView(good.data(), len)).ok());
    }
    Bytes trailing = good;
    trailing.push_back(0);
    CHECK_THAT(BlockHeader::decode(trailing).error().message(), Catch::Contains("trailing"));

    Bytes zero_height = good;
    poke_le(zero_height, 0, 0, 8);
    CHECK_THAT(BlockHeader::decode(zero_height).error().message(), Catch::Contains("height 0"));

    Bytes negative_time = good;
    poke_le(negative_time, 40, static_cast<std::uint64_t>(-5), 8);
    CHECK_THAT(BlockHeader::decode(negative_time).error().message(), Catch::Contains("negative"));

    Bytes too_many = good;
    poke_le(too_many, 52, ledger::kBlockTxsMax + 1, 4);
    auto over = BlockHeader::decode(too_many);
    REQUIRE_FALSE(over.ok());
    CHECK(over.error().code() == Errc::kLimit);

    Bytes empty_wrong_root = good;
    poke_le(empty_wrong_root, 52, 0, 4);
    CHECK_THAT(BlockHeader::decode(empty_wrong_root).error().message(),
               Catch::Contains("empty tree's root"));
}

TEST_CASE("block round trip and canonical encoding", "[ledger][block]") {
    for (const std::size_t n : std::initializer_list<std::size_t>{0, 1, 2, 3, 17}) {
        INFO(n << " transactions");
        const Block block = sample_block(n);
        CHECK(block.header().tx_count == n);
        CHECK(block.header().tx_root == merkle::root(block.tx_hashes()));
        CHECK(block.hash() == block.header().hash());
        const Bytes bytes = block.encode();
        CHECK(bytes.size() == block.encoded_size());
        auto back = Block::decode(bytes);
        REQUIRE(back.ok());
        CHECK(*back == block);
        CHECK(back->encode() == bytes);
        auto parts = Block::from_parts(block.header(), block.txs());
        REQUIRE(parts.ok());
        CHECK(*parts == block);
    }
}

TEST_CASE("block decoding rejects malformed bytes", "[ledger][block]") {
    const Block block = sample_block(3);
    const Bytes good = block.encode();

    SECTION("every truncation") {
        for (std::size_t len = 0; len < good.size(); ++len) {
            INFO("truncated to " << len);
            CHECK_FALSE(Block::decode(ByteView(good.data(), len)).ok());
        }
    }
    SECTION("trailing bytes") {
        Bytes bytes = good;
        bytes.push_back(0x00);
        CHECK_THAT(error_of(Block::decode(bytes)), Catch::Contains("trailing"));
    }
    SECTION("tx_count larger or smaller than the transactions present") {
        Bytes more = good;
        poke_le(more, 52, 4, 4);
        CHECK_FALSE(Block::decode(more).ok());
        Bytes fewer = good;
        poke_le(fewer, 52, 2, 4);
        CHECK_FALSE(Block::decode(fewer).ok());  // trailing transaction
    }
    SECTION("tx_root that does not match") {
        Bytes bytes = good;
        bytes[60] ^= 0x01;
        CHECK_THAT(error_of(Block::decode(bytes)), Catch::Contains("tx_root"));
    }
    SECTION("count over the caller's limit") {
        ledger::BlockLimits limits;
        limits.txs_max = 2;
        auto r = Block::decode(good, limits);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == Errc::kLimit);
    }
    SECTION("size over the caller's limit") {
        ledger::BlockLimits limits;
        limits.bytes_max = good.size() - 1;
        auto r = Block::decode(good, limits);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == Errc::kLimit);
    }
    SECTION("a transaction length prefix over the envelope limit") {
        Bytes bytes(good.begin(), good.begin() + 88);
        codec::Writer w;
        w.varint(ledger::TxLimits{}.envelope_bytes_max + 1);
        bytes.insert(bytes.end(), w.data().begin(), w.data().end());
        CHECK_THAT(error_of(Block::decode(bytes)), Catch::Contains("exceeds limit"));
    }
}

TEST_CASE("block decoding re-parses every transaction strictly", "[ledger][block]") {
    const auto tx = block_chain().tx(0, "ONE", 5);
    const auto make_bytes = [&](const std::string& tx_text) {
        // A header that commits to the canonical transaction, followed by `tx_text`.
        Block b = Block::make(1, Hash{}, 0, 0, {tx}).value();
        codec::Writer w;
        b.header().encode(w);
        w.str(tx_text);
        return w.take();
    };
    CHECK(Block::decode(make_bytes(tx->canonical_json())).ok());

    // Same transaction, pretty-printed: parses, hashes the same, but is not canonical.
    CHECK_THAT(error_of(Block::decode(make_bytes(tx->to_value().dump(1)))),
               Catch::Contains("not in canonical"));
    // Not JSON, and JSON that is not an envelope.
    CHECK_THAT(error_of(Block::decode(make_bytes("{\"chain_id\":"))),
               Catch::Contains("transaction 0"));
    CHECK_THAT(error_of(Block::decode(make_bytes("{}"))), Catch::Contains("missing"));
    // A duplicated envelope key is refused by the strict parser.
    std::string dup = tx->canonical_json();
    dup.insert(1, "\"body\":{},");
    CHECK_FALSE(Block::decode(make_bytes(dup)).ok());
}

TEST_CASE("blocks refuse repeated, null or excess transactions", "[ledger][block]") {
    const auto a = block_chain().tx(0, "A", 1);
    const auto b = block_chain().tx(1, "B", 2);
    CHECK_THAT(error_of(Block::make(1, Hash{}, 0, 0, {a, b, a})), Catch::Contains("appears twice"));
    CHECK_THAT(error_of(Block::make(1, Hash{}, 0, 0, {a, nullptr})), Catch::Contains("null"));
    CHECK_THAT(error_of(Block::make(0, Hash{}, 0, 0, {a})), Catch::Contains("genesis"));
    CHECK_THAT(error_of(Block::make(1, Hash{}, -1, 0, {a})), Catch::Contains("negative"));
    ledger::BlockLimits limits;
    limits.txs_max = 1;
    CHECK(Block::make(1, Hash{}, 0, 0, {a, b}, limits).error().code() == Errc::kLimit);
    limits = {};
    limits.bytes_max = 100;
    CHECK(Block::make(1, Hash{}, 0, 0, {a}, limits).error().code() == Errc::kLimit);

    // Repeats are also refused when decoding bytes built by hand.
    Block one = Block::make(1, Hash{}, 0, 0, {a, b}).value();
    BlockHeader h = one.header();
    h.tx_root = merkle::root(std::vector<Hash>{a->hash(), a->hash()});
    codec::Writer w;
    h.encode(w);
    w.str(a->canonical_json()).str(a->canonical_json());
    CHECK_THAT(error_of(Block::decode(w.data())), Catch::Contains("appears twice"));

    // from_parts insists that the header commits to the transactions given.
    CHECK(Block::from_parts(one.header(), {a}).error().code() == Errc::kCorruption);
    CHECK(Block::from_parts(one.header(), {b, a}).error().code() == Errc::kCorruption);
}
