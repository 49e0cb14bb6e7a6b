// Goal: the LevelDB store keeps complete, consistent blocks and refuses to serve anything else.
// Method: real stores in temporary directories, driven by the deterministic TestChain.
//  - round trips: everything committed is read back identically through snapshots, after a
//    reopen, including offline-verifiable inclusion proofs;
//  - isolation: a snapshot does not see later commits;
//  - commit_block rejects each kind of inconsistent input and then writes nothing;
//  - the head check: each record the head depends on is deleted or altered directly in
//    LevelDB (using the key layout of docs/spec/storage.md: the chain and state databases of
//    ADR 0136), and opening must fail with Errc::kCorruption and a message naming the height
//    and the problem; a flipped byte in either database's log is refused by the paranoid checks;
//  - the two databases (ADR 0136): a commit torn between its chain and state batches (through
//    the store's test hook) is removed at open and committed again; chain records two above the
//    head, a lost database and a format-1 store are refused with precise errors; a snapshot
//    taken while a commit is between its batches sees none of that block; one racing a commit
//    whose head read fails once (through the store's test hook) is retaken and consistent, and
//    one whose head read keeps failing answers every read with that failure;
//  - indexes keep the first inclusion; checkpoints, consensus records and error paths;
//  - table options (ADR 0171): chain tables are written with large blocks and no Bloom filter,
//    state tables keep their filter, and a store written with the old block size reads back.
#include <jc/ledger/store.h>

#include <jc/core/sha256.h>

#include <catch2/catch.hpp>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/table.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <thread>

#include "test_chain.h"

using namespace jc;
using jc::ledger::Store;
using jc::ledger::StoreOptions;
namespace fs = std::filesystem;
namespace merkle = jc::ledger::merkle;

namespace {

class TempDir {
public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "jc-ledger-store-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] std::string db() const { return path_ + "/ledger"; }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

const test::TestChain& store_chain() {
    static const test::TestChain c(11);
    return c;
}

StoreOptions options_for(const TempDir& dir) {
    StoreOptions o;
    o.path = dir.db();
    return o;
}

std::unique_ptr<Store> create_store(const TempDir& dir) {
    auto store = Store::create(options_for(dir), store_chain().genesis(), store_chain().genesis_writes());
    REQUIRE(store.ok());
    return std::move(*store);
}

// Commits `blocks` more deterministic blocks and returns the steps.
std::vector<test::ChainStep> commit_blocks(Store& store, std::size_t blocks, std::size_t txs_max = 6) {
    std::vector<test::ChainStep> steps;
    for (std::size_t i = 0; i < blocks; ++i) {
        const auto head = store.head();
        auto step = store_chain().next(head, store_chain().txs_for(head.height + 1, txs_max));
        const auto s = store.commit_block(step.block, step.certificate, step.receipts, step.writes,
                                          step.results);
        INFO((s.ok() ? std::string() : s.error().message()));
        REQUIRE(s.ok());
        steps.push_back(std::move(step));
    }
    return steps;
}

// Raw access to the two LevelDB databases underneath a closed store, for deliberate damage.
// Keys are routed as the store does: chain keys begin with a big-endian height (a zero first
// byte at the heights used here), state keys with a letter.
struct Raw {
    std::unique_ptr<leveldb::DB> chain;
    std::unique_ptr<leveldb::DB> state;
    leveldb::DB& of(const std::string& key) { return !key.empty() && key[0] == '\0' ? *chain : *state; }
};

std::unique_ptr<leveldb::DB> open_raw(const std::string& path) {
    leveldb::Options o;
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(o, path, &raw).ok());
    return std::unique_ptr<leveldb::DB>(raw);
}

void with_raw_db(const TempDir& dir, const std::function<void(Raw&)>& f) {
    Raw raw{open_raw(dir.db() + "/chain"), open_raw(dir.db() + "/state")};
    f(raw);
}

std::string be(std::uint64_t v, int bytes) {
    std::string s;
    for (int i = bytes - 1; i >= 0; --i) {
        s.push_back(static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i))));
    }
    return s;
}
// The store's keys: per-height records (B T R C X) in the chain database as be64(h) kind
// [be32(i)], the rest as kind be64(h).
bool chain_kind(char prefix) { return std::string_view("BTRCX").find(prefix) != std::string_view::npos; }
std::string key_h(char prefix, std::uint64_t h) {
    return chain_kind(prefix) ? be(h, 8) + std::string(1, prefix) : std::string(1, prefix) + be(h, 8);
}
std::string key_hi(char prefix, std::uint64_t h, std::uint32_t i) { return key_h(prefix, h) + be(i, 4); }
std::string key_hash(char prefix, const Hash& hash) {
    return std::string(1, prefix) + std::string(hash.bytes.begin(), hash.bytes.end());
}

std::string raw_get(Raw& db, const std::string& key) {
    std::string v;
    REQUIRE(db.of(key).Get(leveldb::ReadOptions(), key, &v).ok());
    return v;
}
bool raw_has(Raw& db, const std::string& key) {
    std::string v;
    return db.of(key).Get(leveldb::ReadOptions(), key, &v).ok();
}
void raw_put(Raw& db, const std::string& key, const std::string& value) {
    REQUIRE(db.of(key).Put(leveldb::WriteOptions(), key, value).ok());
}
void raw_put(Raw& db, const std::string& key, const Bytes& value) {
    raw_put(db, key, std::string(value.begin(), value.end()));
}
void raw_delete(Raw& db, const std::string& key) {
    REQUIRE(db.of(key).Delete(leveldb::WriteOptions(), key).ok());
}
// Every key of the chain database at height `h`.
std::vector<std::string> chain_keys_at(Raw& db, std::uint64_t h) {
    std::vector<std::string> out;
    std::unique_ptr<leveldb::Iterator> it(db.chain->NewIterator(leveldb::ReadOptions()));
    const std::string prefix = be(h, 8);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        out.push_back(it->key().ToString());
    }
    REQUIRE(it->status().ok());
    return out;
}

std::string open_error(const TempDir& dir) {
    auto store = Store::open(options_for(dir), store_chain().genesis());
    REQUIRE_FALSE(store.ok());
    return store.error().to_string();
}

}  // namespace

TEST_CASE("a new store starts at the genesis and reopens", "[ledger][store]") {
    TempDir dir;
    {
        auto missing = Store::open(options_for(dir), store_chain().genesis());
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().code() == Errc::kNotFound);
    }
    {
        auto store = create_store(dir);
        const auto head = store->head();
        CHECK(head.height == 0);
        CHECK(head.hash == store_chain().genesis().hash());
        CHECK(head.timestamp_ms == store_chain().genesis().genesis_time_ms());
        CHECK(head.results.state_root == ledger::genesis_state_root(store_chain().genesis_writes()));
        CHECK(head.results.receipt_root == merkle::empty_root());
        const auto snap = store->snapshot();
        CHECK(snap->get("member/BANKA").value() == std::optional<std::string>("ACTIVE"));
        CHECK(snap->get("member/NOBODY").value() == std::nullopt);
    }
    auto again = Store::create(options_for(dir), store_chain().genesis(), store_chain().genesis_writes());
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code() == Errc::kAlreadyExists);

    auto reopened = Store::open(options_for(dir), store_chain().genesis());
    REQUIRE(reopened.ok());
    CHECK((*reopened)->head().height == 0);
    CHECK((*reopened)->head().results.state_root ==
          ledger::genesis_state_root(store_chain().genesis_writes()));
    reopened->reset();

    const test::TestChain other(12);
    auto wrong = Store::open(options_for(dir), other.genesis());
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().code() == Errc::kInvalidArgument);
    CHECK_THAT(wrong.error().message(), Catch::Contains("belongs to the chain with genesis " +
                                                        store_chain().genesis().hash().hex()));
}

TEST_CASE("committed blocks are served back through snapshots, also after reopening",
          "[ledger][store]") {
    TempDir dir;
    std::vector<test::ChainStep> steps;
    {
        auto store = create_store(dir);
        steps = commit_blocks(*store, 5);
        CHECK(store->head().height == 5);
        CHECK(store->head().hash == steps.back().block.hash());
        CHECK(store->head().results == steps.back().results);
    }
    auto opened = Store::open(options_for(dir), store_chain().genesis());
    REQUIRE(opened.ok());
    Store& store = **opened;
    CHECK(store.head().height == 5);
    CHECK(store.head().timestamp_ms == steps.back().block.header().timestamp_ms);
    CHECK(store.verify_blocks(1, 5).ok());

    const auto snap = store.snapshot();
    CHECK(snap->head() == store.head());
    const auto keys = store_chain().genesis().validator_keys();
    for (const auto& step : steps) {
        const std::uint64_t h = step.block.height();
        INFO("height " << h);
        CHECK(snap->block(h).value() == std::optional(step.block));
        CHECK(snap->header(h).value() == std::optional(step.block.header()));
        CHECK(snap->height_of(step.block.hash()).value() == std::optional<std::uint64_t>(h));
        CHECK(snap->commit_certificate(h).value() == std::optional(step.certificate));
        CHECK(snap->results(h).value() == std::optional(step.results));
        CHECK(snap->receipts(h).value() == step.receipts);
        CHECK(snap->tx_hashes(h).value() == step.block.tx_hashes());
        for (std::size_t i = 0; i < step.block.txs().size(); ++i) {
            const auto& tx = *step.block.txs()[i];
            const ledger::TxLocation loc{h, static_cast<std::uint32_t>(i)};
            CHECK(snap->tx_location(tx.hash()).value() == std::optional(loc));
            const auto stored = snap->transaction(tx.hash()).value();
            REQUIRE(stored.has_value());
            CHECK(*stored->tx == tx);
            CHECK(stored->location == loc);
            CHECK(snap->receipt(tx.hash()).value() == std::optional(step.receipts[i]));
            CHECK(snap->receipt_by_client_ref(tx.sender(), tx.client_ref()).value() ==
                  std::optional(step.receipts[i]));

            // The proof verifies offline, with nothing but the validator keys.
            const auto proof = snap->inclusion_proof(tx.hash()).value();
            REQUIRE(proof.has_value());
            CHECK(merkle::verify_inclusion(tx.hash(), proof->location.index, proof->header.tx_count,
                                           proof->audit_path, proof->header.tx_root)
                      .ok());
            CHECK(proof->certificate.digest == proof->header.hash());
            CHECK(verify_certificate(proof->certificate, store_chain().genesis().chain_id(), keys).ok());
        }
    }
    // State: the last write per key wins, deletes remove, scans are ordered by key.
    ledger::MemoryState expected;
    expected.apply(store_chain().genesis_writes());
    for (const auto& step : steps) {
        expected.apply(step.writes);
    }
    std::vector<std::pair<std::string, std::string>> seen;
    CHECK(snap->scan("", [&](std::string_view k, std::string_view v) {
                    seen.emplace_back(k, v);
                    return true;
                }).ok());
    std::vector<std::pair<std::string, std::string>> want(expected.entries().begin(),
                                                          expected.entries().end());
    CHECK(seen == want);
    std::size_t bank_a = 0;
    CHECK(snap->scan("bal/BANKA/", [&](std::string_view k, std::string_view) {
                    CHECK(k.substr(0, 10) == "bal/BANKA/");
                    ++bank_a;
                    return true;
                }).ok());
    CHECK(bank_a > 0);
    CHECK(snap->get("height").value() == std::optional<std::string>("5"));

    // Things that do not exist.
    CHECK(snap->block(6).value() == std::nullopt);
    CHECK(snap->header(0).value() == std::nullopt);
    CHECK(snap->receipt(sha256("nope")).value() == std::nullopt);
    CHECK(snap->transaction(sha256("nope")).value() == std::nullopt);
    CHECK(snap->inclusion_proof(sha256("nope")).value() == std::nullopt);
    CHECK(snap->receipt_by_client_ref("BANKA", "no-such-ref").value() == std::nullopt);
    CHECK(snap->receipt_by_client_ref("not a bank", "x").value() == std::nullopt);
    CHECK(snap->height_of(sha256("nope")).value() == std::nullopt);
    CHECK(snap->checkpoint_certificate(1).value() == std::nullopt);
    CHECK(snap->tx_hashes(9).error().code() == Errc::kNotFound);
}

TEST_CASE("memory_usage reports each database's memtables apart from the shared block cache",
          "[ledger][store]") {
    TempDir dir;
    auto store = create_store(dir);
    const auto fresh = store->memory_usage();
    commit_blocks(*store, 3);
    // Reading the committed blocks back fills the block cache only once their tables exist; the
    // memtables hold every write so far (nothing has been flushed at a few blocks).
    const auto after = store->memory_usage();
    CHECK(after.chain_bytes > fresh.chain_bytes);
    CHECK(after.state_bytes > fresh.state_bytes);
    // Each is far below what LevelDB would report with the cache counted in twice: the cache's
    // charge is reported once, on its own, and never exceeds its capacity.
    CHECK(after.block_cache_bytes <= StoreOptions{}.block_cache_bytes);
    CHECK(after.chain_bytes < StoreOptions{}.chain_write_buffer_bytes * 2);
    CHECK(after.state_bytes < StoreOptions{}.write_buffer_bytes * 2);
    // Nothing flushed yet: no table files. Reopening turns each database's log into one.
    CHECK(after.chain_table_files == 0);
    CHECK(after.state_table_files == 0);
    store.reset();
    auto reopened = Store::open(options_for(dir), store_chain().genesis());
    REQUIRE(reopened.ok());
    const auto tables = (*reopened)->memory_usage();
    CHECK(tables.chain_table_files >= 1);
    CHECK(tables.state_table_files >= 1);
}

TEST_CASE("table files are read, not mapped into the process (ADR 0166)", "[ledger][store]") {
    TempDir dir;
    {
        auto store = create_store(dir);
        commit_blocks(*store, 3);
    }
    // Reopening turns the logs into level-0 tables; reading the blocks back reads those tables.
    auto reopened = Store::open(options_for(dir), store_chain().genesis());
    REQUIRE(reopened.ok());
    const auto snap = (*reopened)->snapshot();
    for (std::uint64_t h = 1; h <= 3; ++h) {
        CHECK(snap->block(h).value().has_value());
    }
    bool tables_on_disk = false;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
        tables_on_disk = tables_on_disk || entry.path().extension() == ".ldb";
    }
    REQUIRE(tables_on_disk);
    std::ifstream maps("/proc/self/maps");
    std::string line;
    std::size_t mapped_tables = 0;
    while (std::getline(maps, line)) {
        if (line.find(dir.path()) != std::string::npos && line.find(".ldb") != std::string::npos) {
            ++mapped_tables;
        }
    }
    CHECK(mapped_tables == 0);
}

TEST_CASE("a snapshot does not see later commits", "[ledger][store]") {
    TempDir dir;
    auto store = create_store(dir);
    commit_blocks(*store, 1);
    const auto before = store->snapshot();
    commit_blocks(*store, 2);
    CHECK(before->head().height == 1);
    CHECK(before->get("height").value() == std::optional<std::string>("1"));
    CHECK(before->block(2).value() == std::nullopt);
    CHECK(store->snapshot()->head().height == 3);
    CHECK(store->snapshot()->get("height").value() == std::optional<std::string>("3"));
    // A snapshot outlives the store that made it.
    store.reset();
    CHECK(before->block(1).value().has_value());
}

TEST_CASE("readers racing a committer always see whole blocks", "[ledger][store]") {
    // A reader thread takes snapshots as fast as it can while blocks are committed; every
    // snapshot's head must be exactly the last block it contains, with all its records.
    TempDir dir;
    auto store = create_store(dir);
    std::vector<test::ChainStep> steps;
    for (std::size_t i = 0; i < 12; ++i) {
        ledger::LedgerHead head;
        if (steps.empty()) {
            head = store->head();
        } else {
            head.height = steps.back().block.height();
            head.hash = steps.back().block.hash();
            head.results = steps.back().results;
        }
        steps.push_back(store_chain().next(head, store_chain().txs_for(head.height + 1, 30)));
    }
    std::atomic<bool> done{false};
    std::atomic<std::size_t> snapshots{0};
    std::string failure;               // the reader's; read by this thread after join()
    std::atomic<bool> reader_failed{false};
    std::thread reader([&] {
        while (!done.load() && failure.empty()) {
            const auto snap = store->snapshot();
            const std::uint64_t h = snap->head().height;
            const auto height_value = snap->get("height");
            const auto above = snap->header(h + 1);
            if (!height_value || !above || above->has_value()) {
                failure = "snapshot at " + std::to_string(h) + " sees a block above its head";
            } else if (h > 0) {
                const auto receipts = snap->receipts(h);
                const auto header = snap->header(h);
                if (*height_value != std::optional<std::string>(std::to_string(h)) || !receipts ||
                    !header || !header->has_value() || receipts->size() != (*header)->tx_count ||
                    snap->head().hash != (*header)->hash()) {
                    failure = "snapshot at " + std::to_string(h) + " sees part of a block";
                }
            }
            reader_failed.store(!failure.empty());
            snapshots.fetch_add(1);
        }
    });
    // Each commit waits for the reader to take a snapshot since the last one, so the two really
    // interleave even when the scheduler would let the committer run the whole chain first.
    const auto reader_moved_past = [&](std::size_t seen) {
        while (snapshots.load() <= seen && !reader_failed.load()) {
            std::this_thread::yield();
        }
    };
    for (const auto& step : steps) {
        reader_moved_past(snapshots.load());
        REQUIRE(store->commit_block(step.block, step.certificate, step.receipts, step.writes,
                                    step.results)
                    .ok());
    }
    reader_moved_past(snapshots.load());
    done.store(true);
    reader.join();
    INFO(failure);
    CHECK(failure.empty());
    CHECK(snapshots.load() > 0);
    CHECK(store->head().height == steps.size());
}

TEST_CASE("commit_block refuses inconsistent input and writes nothing", "[ledger][store]") {
    TempDir dir;
    auto store = create_store(dir);
    commit_blocks(*store, 1);
    const auto head = store->head();
    const auto good = store_chain().next(head, store_chain().txs_for(2, 6));
    REQUIRE(good.block.txs().size() >= 2);

    const auto refused = [&](const ledger::Block& block, const Certificate& cert,
                             const std::vector<ledger::Receipt>& receipts,
                             const ledger::StateWrites& writes,
                             const ledger::ExecutionResults& results) {
        auto s = store->commit_block(block, cert, receipts, writes, results);
        REQUIRE_FALSE(s.ok());
        CHECK(store->head() == head);
        CHECK(store->snapshot()->block(2).value() == std::nullopt);
        return s.error().message();
    };

    SECTION("wrong height") {
        ledger::LedgerHead skip = head;
        skip.height = 2;
        const auto far = store_chain().next(skip, store_chain().txs_for(3, 6));
        CHECK_THAT(refused(far.block, far.certificate, far.receipts, far.writes, far.results),
                   Catch::Contains("block has height 3, the head is 1"));
    }
    SECTION("wrong parent") {
        ledger::LedgerHead fork = head;
        fork.hash = sha256("fork");
        const auto forked = store_chain().next(fork, store_chain().txs_for(2, 6));
        CHECK_THAT(refused(forked.block, forked.certificate, forked.receipts, forked.writes,
                           forked.results),
                   Catch::Contains("is not the head's hash"));
    }
    SECTION("timestamp before the parent's") {
        auto early = ledger::Block::make(2, head.hash, head.timestamp_ms - 1, 0, good.block.txs()).value();
        CHECK_THAT(refused(early, store_chain().commit_certificate(early), store_chain().receipts_for(early),
                           good.writes, good.results),
                   Catch::Contains("before the parent's"));
    }
    SECTION("certificates that do not certify this block") {
        Certificate other = good.certificate;
        other.digest = sha256("another block");
        CHECK_THAT(refused(good.block, other, good.receipts, good.writes, good.results),
                   Catch::Contains("does not certify"));
        Certificate prepare = good.certificate;
        prepare.kind = VoteKind::kPrepare;
        CHECK_THAT(refused(good.block, prepare, good.receipts, good.writes, good.results),
                   Catch::Contains("does not certify"));
        CHECK_THAT(refused(good.block, store_chain().commit_certificate(good.block, 2), good.receipts,
                           good.writes, good.results),
                   Catch::Contains("below quorum"));
        Certificate forged = good.certificate;
        forged.signatures[1].sig.bytes[10] ^= 0x01;
        CHECK_THAT(refused(good.block, forged, good.receipts, good.writes, good.results),
                   Catch::Contains("bad signature from validator 1"));
    }
    SECTION("a transaction of another chain") {
        const test::TestChain other(12);
        auto txs = good.block.txs();
        txs[0] = other.tx(0, "OTHER-CHAIN", 1);
        auto mixed = ledger::Block::make(2, head.hash, good.block.header().timestamp_ms, 0, txs).value();
        CHECK_THAT(refused(mixed, store_chain().commit_certificate(mixed), store_chain().receipts_for(mixed),
                           good.writes, good.results),
                   Catch::Contains("transaction 0 is for chain \"jc-test-12\""));
    }
    SECTION("receipts that do not match the transactions") {
        auto fewer = good.receipts;
        fewer.pop_back();
        CHECK_THAT(refused(good.block, good.certificate, fewer, good.writes, good.results),
                   Catch::Contains("receipts for"));
        auto swapped = good.receipts;
        std::swap(swapped[0], swapped[1]);
        CHECK_THAT(refused(good.block, good.certificate, swapped, good.writes, good.results),
                   Catch::Contains("receipt 0 does not belong"));
        auto invalid = good.receipts;
        invalid[0].status = ledger::ReceiptStatus::kOk;
        invalid[0].code = 12;
        CHECK_THAT(refused(good.block, good.certificate, invalid, good.writes, good.results),
                   Catch::Contains("receipt 0: receipt code"));
    }
    SECTION("results that are not what the store recomputes") {
        auto bad_state = good.results;
        bad_state.state_root = sha256("x");
        CHECK_THAT(refused(good.block, good.certificate, good.receipts, good.writes, bad_state),
                   Catch::Contains("state_root"));
        auto bad_receipts = good.results;
        bad_receipts.receipt_root = sha256("x");
        CHECK_THAT(refused(good.block, good.certificate, good.receipts, good.writes, bad_receipts),
                   Catch::Contains("receipt_root"));
        auto bad_height = good.results;
        bad_height.height = 3;
        CHECK_THAT(refused(good.block, good.certificate, good.receipts, good.writes, bad_height),
                   Catch::Contains("results are for height 3"));
        auto other_writes = good.writes;
        other_writes.pop_back();
        CHECK_THAT(refused(good.block, good.certificate, good.receipts, other_writes, good.results),
                   Catch::Contains("state_root"));
        CHECK_THAT(refused(good.block, good.certificate, good.receipts,
                           {{"", std::string("empty key")}}, good.results),
                   Catch::Contains("key of 0 bytes"));
    }
    // After any refusal the good block still commits.
    REQUIRE(store->commit_block(good.block, good.certificate, good.receipts, good.writes,
                                good.results)
                .ok());
    CHECK(store->head().height == 2);
}

TEST_CASE("indexes keep the first inclusion of a transaction and of a client_ref",
          "[ledger][store]") {
    TempDir dir;
    auto store = create_store(dir);
    const auto a = store_chain().tx(0, "REF-1", 100);
    const auto a_again_new_content = store_chain().tx(0, "REF-1", 101);  // same client_ref
    const auto b = store_chain().tx(1, "REF-1", 100);                    // other bank, same ref

    auto commit = [&](std::vector<ledger::TxPtr> txs, ledger::ReceiptStatus later) {
        auto step = store_chain().next(store->head(), std::move(txs));
        for (std::size_t i = 0; i < step.receipts.size(); ++i) {
            auto& r = step.receipts[i];
            r.status = i == 0 && later == ledger::ReceiptStatus::kOk ? ledger::ReceiptStatus::kOk
                                                                     : later;
            r.code = 0;
            r.error.clear();
            r.detail.clear();
            r.result = "{\"i\":" + std::to_string(i) + "}";
        }
        step.results.receipt_root = ledger::receipt_root(step.receipts);
        REQUIRE(store->commit_block(step.block, step.certificate, step.receipts, step.writes,
                                    step.results)
                    .ok());
        return step;
    };
    const auto first = commit({a, b}, ledger::ReceiptStatus::kOk);
    // Block 2 replays a (same hash) and reuses its client_ref with other content, twice in one
    // block: all DUPLICATE, and none of them may take over the indexes.
    const auto second = commit({a_again_new_content, a}, ledger::ReceiptStatus::kDuplicate);

    auto snap = store->snapshot();
    CHECK(snap->tx_location(a->hash()).value() == std::optional(ledger::TxLocation{1, 0}));
    CHECK(snap->receipt(a->hash()).value() == std::optional(first.receipts[0]));
    CHECK(snap->receipt_by_client_ref("BANKA", "REF-1").value() == std::optional(first.receipts[0]));
    CHECK(snap->receipt_by_client_ref("BANKB", "REF-1").value() == std::optional(first.receipts[1]));
    CHECK(snap->tx_location(a_again_new_content->hash()).value() ==
          std::optional(ledger::TxLocation{2, 0}));
    CHECK(snap->receipts(2).value() == second.receipts);
    CHECK(store->verify_blocks(1, 2).ok());
    // The proof of a replayed transaction is for its first inclusion.
    CHECK(snap->inclusion_proof(a->hash()).value()->location == ledger::TxLocation{1, 0});
    // The snapshot keeps the database open; both handles must go before it can be reopened.
    snap.reset();
    store.reset();
    auto reopened = Store::open(options_for(dir), store_chain().genesis());
    INFO((reopened.ok() ? std::string() : reopened.error().message()));
    CHECK(reopened.ok());
}

TEST_CASE("the client_ref index moves from a refusal to the accepted retry, and never further",
          "[ledger][store]") {
    // ADR 0034 lets a bank retry a REJECTED request with the same client_ref; ADR 0177: the
    // entry then names the accepted retry, so getEventByClientRef does not answer a refusal for
    // a request the ledger accepted. Nothing moves it off an OK inclusion.
    TempDir dir;
    auto store = create_store(dir);
    using ledger::ReceiptStatus;
    auto commit = [&](std::vector<ledger::TxPtr> txs, const std::vector<ReceiptStatus>& statuses) {
        auto step = store_chain().next(store->head(), std::move(txs));
        for (std::size_t i = 0; i < step.receipts.size(); ++i) {
            auto& r = step.receipts[i];
            r.status = statuses[i];
            const bool rejected = statuses[i] == ReceiptStatus::kRejected;
            r.code = rejected ? 4301 : 0;
            r.error = rejected ? "ERR_INSUFFICIENT_RESERVE" : "";
            r.detail.clear();
            r.result = rejected ? "null" : "{\"i\":" + std::to_string(i) + "}";
        }
        step.results.receipt_root = ledger::receipt_root(step.receipts);
        REQUIRE(store->commit_block(step.block, step.certificate, step.receipts, step.writes, step.results).ok());
        return step;
    };
    auto by_ref = [&](const std::string& ref) { return store->snapshot()->receipt_by_client_ref("BANKA", ref).value(); };
    const auto refused = store_chain().tx(0, "R-1", 100);
    const auto refused_again = store_chain().tx(0, "R-1", 101);
    const auto accepted = store_chain().tx(0, "R-1", 102);
    const auto conflicting = store_chain().tx(0, "R-1", 103);

    // Block 1: refused. The entry names the refusal: the bank learns why.
    const auto b1 = commit({refused}, {ReceiptStatus::kRejected});
    CHECK(by_ref("R-1") == std::optional(b1.receipts[0]));
    // Block 2: refused again, then accepted, in one block. The first refusal is not replaced by
    // the second; the acceptance takes the entry in the same batch.
    const auto b2 = commit({refused_again, accepted}, {ReceiptStatus::kRejected, ReceiptStatus::kOk});
    CHECK(by_ref("R-1") == std::optional(b2.receipts[1]));
    // Block 3: the accepted one replayed (DUPLICATE), the refused one re-included and refused
    // again, and another body under the same client_ref (refused: 3001). None moves the entry.
    const auto b3 = commit({accepted, refused, conflicting},
                           {ReceiptStatus::kDuplicate, ReceiptStatus::kRejected, ReceiptStatus::kRejected});
    CHECK(by_ref("R-1") == std::optional(b2.receipts[1]));
    // The location index still names each transaction's first inclusion.
    auto snap = store->snapshot();
    CHECK(snap->tx_location(refused->hash()).value() == std::optional(ledger::TxLocation{1, 0}));
    CHECK(snap->tx_location(accepted->hash()).value() == std::optional(ledger::TxLocation{2, 1}));

    // Across blocks: refused in block 4, accepted in block 5.
    const auto later_refused = store_chain().tx(0, "R-2", 100);
    const auto later_accepted = store_chain().tx(0, "R-2", 200);
    const auto b4 = commit({later_refused}, {ReceiptStatus::kRejected});
    CHECK(by_ref("R-2") == std::optional(b4.receipts[0]));
    const auto b5 = commit({later_accepted}, {ReceiptStatus::kOk});
    CHECK(by_ref("R-2") == std::optional(b5.receipts[0]));
    // Accepted first: a later refusal under the same client_ref changes nothing.
    const auto first_ok = store_chain().tx(0, "R-3", 100);
    const auto b6 = commit({first_ok, store_chain().tx(0, "R-3", 101)}, {ReceiptStatus::kOk, ReceiptStatus::kRejected});
    CHECK(by_ref("R-3") == std::optional(b6.receipts[0]));

    // The same envelope refused, then included again and accepted (nothing stopped it: a refusal
    // leaves no idempotency record): both indexes move to the acceptance, so getReceipt and
    // getEventByClientRef agree.
    const auto envelope = store_chain().tx(0, "R-4", 100);
    const auto b7 = commit({envelope}, {ReceiptStatus::kRejected});
    const auto b8 = commit({envelope}, {ReceiptStatus::kOk});
    snap = store->snapshot();
    CHECK(snap->tx_location(envelope->hash()).value() == std::optional(ledger::TxLocation{8, 0}));
    CHECK(snap->receipt(envelope->hash()).value() == std::optional(b8.receipts[0]));
    CHECK(by_ref("R-4") == std::optional(b8.receipts[0]));
    CHECK(b7.receipts[0].status == ReceiptStatus::kRejected);

    // The deep check accepts every entry above, also after reopening.
    snap.reset();
    CHECK(store->verify_blocks(1, 8).ok());
    store.reset();
    store = Store::open(options_for(dir), store_chain().genesis()).value();
    CHECK(by_ref("R-1") == std::optional(b2.receipts[1]));
    CHECK(store->verify_blocks(1, 8).ok());
    store.reset();

    // An entry that names a later accepted transaction of ANOTHER request is damage: here block
    // 4's refused R-2 points at block 6's accepted R-3.
    const std::string r2_key = std::string("I") + static_cast<char>(5) + "BANKA" + "R-2";
    std::string r2_entry;
    with_raw_db(dir, [&](auto& db) {
        r2_entry = raw_get(db, r2_key);
        codec::Writer w;
        w.hash(b6.block.txs()[0]->hash()).u64(6).u32(0);
        raw_put(db, r2_key, w.data());
    });
    store = Store::open(options_for(dir), store_chain().genesis()).value();
    auto damaged = store->verify_blocks(1, 8);
    REQUIRE_FALSE(damaged.ok());
    CHECK(damaged.error().code() == Errc::kCorruption);
    CHECK_THAT(damaged.error().message(),
               Catch::Contains("at height 4") && Catch::Contains("not an accepted retry of it"));
    store.reset();
    // So is a location entry that names a later refusal: block 7's refused envelope pointed at
    // block 8 is fine only because block 8 accepted it; pointing block 1's refusal at block 3's
    // refused re-inclusion is not.
    with_raw_db(dir, [&](auto& db) {
        raw_put(db, r2_key, r2_entry);
        raw_put(db, key_hash('L', refused->hash()), [&] {
            codec::Writer w;
            w.u64(3).u32(1);
            return w.take();
        }());
    });
    store = Store::open(options_for(dir), store_chain().genesis()).value();
    damaged = store->verify_blocks(1, 8);
    REQUIRE_FALSE(damaged.ok());
    CHECK_THAT(damaged.error().message(),
               Catch::Contains("at height 1") && Catch::Contains("not its accepted re-inclusion"));
}

TEST_CASE("commit_block computes the results it is not given, and indexes a new client_ref twice in one block",
          "[ledger][store]") {
    TempDir dir;
    auto store = create_store(dir);
    // Block 1: a new client_ref used by two different transactions of one bank in one block
    // (the store reads no location index for a (sender, client_ref) no earlier block indexed,
    // ADR 0160): each gets its own location, the client_ref names the first.
    const auto a = store_chain().tx(0, "REF-9", 100);
    const auto a_other = store_chain().tx(0, "REF-9", 101);
    auto step = store_chain().next(store->head(), {a, a_other});
    auto results = store->commit_block(step.block, step.certificate, step.receipts, step.writes);
    REQUIRE(results.ok());
    CHECK(*results == step.results);  // TestChain computes them without the store
    CHECK(store->head().results == step.results);
    auto snap = store->snapshot();
    CHECK(snap->tx_location(a->hash()).value() == std::optional(ledger::TxLocation{1, 0}));
    CHECK(snap->tx_location(a_other->hash()).value() == std::optional(ledger::TxLocation{1, 1}));
    CHECK(snap->receipt_by_client_ref("BANKA", "REF-9").value() == std::optional(step.receipts[0]));
    // Block 2 replays both: DUPLICATE receipts; the indexes keep block 1.
    auto again = store_chain().next(store->head(), {a_other, a});
    for (auto& r : again.receipts) {
        r.status = ledger::ReceiptStatus::kDuplicate;
    }
    again.results.receipt_root = ledger::receipt_root(again.receipts);
    results = store->commit_block(again.block, again.certificate, again.receipts, again.writes);
    REQUIRE(results.ok());
    CHECK(*results == again.results);
    snap = store->snapshot();
    CHECK(snap->tx_location(a->hash()).value() == std::optional(ledger::TxLocation{1, 0}));
    CHECK(snap->tx_location(a_other->hash()).value() == std::optional(ledger::TxLocation{1, 1}));
    CHECK(snap->receipt_by_client_ref("BANKA", "REF-9").value() == std::optional(step.receipts[0]));
    CHECK(store->verify_blocks(1, 2).ok());
    // A block the store refuses is refused by this form too, and nothing is written.
    auto bad = store_chain().next(store->head(), {store_chain().tx(1, "REF-10", 5)});
    bad.receipts[0].index = 7;
    CHECK(store->commit_block(bad.block, bad.certificate, bad.receipts, bad.writes).error().code() ==
          Errc::kInvalidArgument);
    CHECK(store->head().height == 2);
    // Refused on its last receipt, after the first three were filed into the reused batches:
    // none of their records may go out with the next block committed at that height.
    const std::vector<ledger::TxPtr> refused_txs{store_chain().tx(1, "REF-20", 1), store_chain().tx(1, "REF-21", 2),
                                                 store_chain().tx(1, "REF-22", 3), store_chain().tx(1, "REF-23", 4)};
    auto late = store_chain().next(store->head(), refused_txs);
    late.receipts[3].index = 9;
    CHECK(store->commit_block(late.block, late.certificate, late.receipts, late.writes).error().code() ==
          Errc::kInvalidArgument);
    auto good = store_chain().next(store->head(), {store_chain().tx(2, "REF-30", 6)});
    REQUIRE(store->commit_block(good.block, good.certificate, good.receipts, good.writes).ok());
    snap = store->snapshot();
    for (const auto& tx : refused_txs) {
        CHECK(snap->tx_location(tx->hash()).value() == std::nullopt);
    }
    CHECK(snap->receipt_by_client_ref("BANKB", "REF-20").value() == std::nullopt);
    CHECK(store->verify_blocks(1, 3).ok());
}

TEST_CASE("the crash test's chain reuses client_refs and replays transactions as it says", "[ledger][store]") {
    // The ledger crash test commits TestChain::txs_reusing_refs_for() blocks to crash the
    // store's "index exists" paths (ADR 0160). If the generator stopped reusing anything, the
    // crash test would still pass, so what it makes is checked here against the store.
    TempDir dir;
    auto store = create_store(dir);
    std::vector<test::ChainStep> steps;
    for (std::uint64_t height = 1; height <= 2; ++height) {
        const auto head = store->head();
        auto step = store_chain().next(head, store_chain().txs_reusing_refs_for(height, 1000));
        REQUIRE(step.block.txs().size() >= 6);
        REQUIRE(store->commit_block(step.block, step.certificate, step.receipts, step.writes).ok());
        steps.push_back(std::move(step));
    }
    const auto& one = steps[0].block.txs();
    const auto& two = steps[1].block.txs();
    auto snap = store->snapshot();
    // In one block: the fourth of a six has the first's sender and client_ref, the first is indexed.
    CHECK(two[3]->sender() == two[0]->sender());
    CHECK(two[3]->client_ref() == two[0]->client_ref());
    CHECK(snap->receipt_by_client_ref(two[3]->sender(), two[3]->client_ref()).value() ==
          std::optional(steps[1].receipts[0]));
    // Across blocks: the fifth takes a client_ref block 1 indexed; the third replays block 1's first.
    CHECK(two[4]->hash() != one[5]->hash());
    CHECK(snap->receipt_by_client_ref(two[4]->sender(), two[4]->client_ref()).value() ==
          std::optional(steps[0].receipts[5]));
    CHECK(two[2]->hash() == one[0]->hash());
    CHECK(snap->tx_location(two[2]->hash()).value() == std::optional(ledger::TxLocation{1, 0}));
    CHECK(store->verify_blocks(1, 2).ok());
}

TEST_CASE("checkpoint certificates must certify this node's own results", "[ledger][store]") {
    TempDir dir;
    auto store = create_store(dir);
    const auto steps = commit_blocks(*store, 2);
    const Hash own1 = steps[0].results.digest();

    CHECK(store->put_checkpoint_certificate(store_chain().checkpoint_certificate(1, own1)).ok());
    CHECK(store->snapshot()->checkpoint_certificate(1).value() ==
          std::optional(store_chain().checkpoint_certificate(1, own1)));
    // A second, different but valid certificate is accepted and the first kept.
    CHECK(store->put_checkpoint_certificate(store_chain().checkpoint_certificate(1, own1, 4)).ok());
    CHECK(store->snapshot()->checkpoint_certificate(1).value()->signatures.size() == 3);

    auto above = store->put_checkpoint_certificate(store_chain().checkpoint_certificate(3, own1));
    REQUIRE_FALSE(above.ok());
    CHECK_THAT(above.error().message(), Catch::Contains("above the head"));

    Certificate forged = store_chain().checkpoint_certificate(2, sha256("other results"));
    forged.signatures[0].sig.bytes[5] ^= 1;
    auto forged_status = store->put_checkpoint_certificate(forged);
    REQUIRE_FALSE(forged_status.ok());
    CHECK(forged_status.error().code() == Errc::kCrypto);  // not a reason to halt

    auto weak = store->put_checkpoint_certificate(
        store_chain().checkpoint_certificate(2, steps[1].results.digest(), 1));
    REQUIRE_FALSE(weak.ok());
    CHECK_THAT(weak.error().message(), Catch::Contains("below quorum"));

    auto diverged =
        store->put_checkpoint_certificate(store_chain().checkpoint_certificate(2, sha256("other results")));
    REQUIRE_FALSE(diverged.ok());
    CHECK(diverged.error().code() == Errc::kCorruption);
    CHECK_THAT(diverged.error().message(),
               Catch::Contains("at height 2") && Catch::Contains("diverge from the quorum"));

    CHECK(store->put_checkpoint_certificate(
                   store_chain().checkpoint_certificate(2, steps[1].results.digest()))
              .ok());
    store.reset();
    // The head check also re-verifies the head's checkpoint.
    CHECK(Store::open(options_for(dir), store_chain().genesis()).ok());
}

TEST_CASE("consensus records are durable and kept apart from the state", "[ledger][store]") {
    TempDir dir;
    {
        auto store = create_store(dir);
        CHECK(store->put_consensus_record("vote/0001/prepare", "v1").ok());
        CHECK(store->put_consensus_record("vote/0002/prepare", "v2").ok());
        CHECK(store->put_consensus_record("view", "7").ok());
        CHECK(store->write_consensus_records({{"vote/0003/prepare", std::string("v3")},
                                              {"vote/0001/prepare", std::nullopt}})
                  .ok());
        CHECK(store->erase_consensus_record("view").ok());
        CHECK(store->put_consensus_record("", "x").error().code() == Errc::kLimit);
        CHECK(store->put_consensus_record(std::string(ledger::kConsensusKeyBytesMax + 1, 'k'), "x")
                  .error()
                  .code() == Errc::kLimit);
        // A refused batch writes none of its records.
        CHECK_FALSE(store->write_consensus_records({{"vote/0009/prepare", std::string("v9")},
                                                    {"", std::string("bad")}})
                        .ok());
    }
    auto store = Store::open(options_for(dir), store_chain().genesis()).value();
    CHECK(store->get_consensus_record("vote/0001/prepare").value() == std::nullopt);
    CHECK(store->get_consensus_record("vote/0002/prepare").value() == std::optional<std::string>("v2"));
    CHECK(store->get_consensus_record("vote/0009/prepare").value() == std::nullopt);
    CHECK(store->get_consensus_record("view").value() == std::nullopt);
    std::vector<std::string> keys;
    CHECK(store->scan_consensus_records("vote/", [&](std::string_view k, std::string_view) {
                   keys.emplace_back(k);
                   return true;
               }).ok());
    CHECK(keys == std::vector<std::string>{"vote/0002/prepare", "vote/0003/prepare"});
    bool state_sees_votes = false;
    CHECK(store->snapshot()->scan("", [&](std::string_view k, std::string_view) {
                   state_sees_votes = state_sees_votes || k.find("vote/") != std::string_view::npos;
                   return true;
               }).ok());
    CHECK_FALSE(state_sees_votes);
}

TEST_CASE("opening refuses a store whose head is inconsistent", "[ledger][store]") {
    TempDir dir;
    std::vector<test::ChainStep> steps;
    {
        auto store = create_store(dir);
        steps = commit_blocks(*store, 3);
    }
    const auto& head = steps[2];
    const std::uint32_t last = head.block.header().tx_count - 1;
    REQUIRE(last >= 1);

    struct Damage {
        const char* name;
        std::function<void(Raw&)> apply;
        const char* expect;
    };
    const std::vector<Damage> damages = {
        {"head header deleted", [&](auto& db) { raw_delete(db, key_h('B', 3)); },
         "the head block's header is missing"},
        {"head header altered",
         [&](auto& db) {
             auto h = head.block.header();
             h.timestamp_ms += 1;
             raw_put(db, key_h('B', 3), h.encode());
         },
         "block hash index does not lead to this block"},
        {"head record names another block",
         [&](auto& db) {
             codec::Writer w;
             w.u64(3).hash(steps[1].block.hash());
             raw_put(db, "Mhead", w.data());
         },
         "the head record names block"},
        {"head record unreadable", [&](auto& db) { raw_put(db, "Mhead", std::string("xyz")); },
         "head record is unreadable"},
        {"head record deleted", [&](auto& db) { raw_delete(db, "Mhead"); }, "head record is missing"},
        {"first transaction deleted", [&](auto& db) { raw_delete(db, key_hi('T', 3, 0)); },
         "transaction records out of sequence"},
        {"last transaction deleted", [&](auto& db) { raw_delete(db, key_hi('T', 3, last)); },
         "transactions, header says"},
        {"transaction replaced by another valid one",
         [&](auto& db) { raw_put(db, key_hi('T', 3, 1), store_chain().tx(0, "FORGED", 1)->canonical_json()); },
         "does not match the transactions"},
        {"transaction bytes garbled",
         [&](auto& db) {
             std::string tx = raw_get(db, key_hi('T', 3, 1));
             tx[tx.size() / 2] = '#';
             raw_put(db, key_hi('T', 3, 1), tx);
         },
         "unreadable or not canonical"},
        {"commit certificate deleted", [&](auto& db) { raw_delete(db, key_h('C', 3)); },
         "commit certificate is missing"},
        {"commit certificate of another block",
         [&](auto& db) { raw_put(db, key_h('C', 3), steps[1].certificate.encode()); },
         "does not certify"},
        {"commit certificate signature flipped",
         [&](auto& db) {
             Certificate c = head.certificate;
             c.signatures[2].sig.bytes[3] ^= 1;
             raw_put(db, key_h('C', 3), c.encode());
         },
         "bad signature from validator 2"},
        {"first receipt deleted", [&](auto& db) { raw_delete(db, key_hi('R', 3, 0)); },
         "receipt records out of sequence"},
        {"last receipt deleted", [&](auto& db) { raw_delete(db, key_hi('R', 3, last)); },
         "receipts for"},
        {"receipt altered",
         [&](auto& db) {
             auto r = head.receipts[0];
             r.result = "{\"forged\":true}";
             raw_put(db, key_hi('R', 3, 0), r.encode());
         },
         "differs from the stored receipts' root"},
        {"receipt garbled",
         [&](auto& db) { raw_put(db, key_hi('R', 3, 1), std::string("\x01\x02", 2)); },
         "receipt 1 unreadable"},
        {"results deleted", [&](auto& db) { raw_delete(db, key_h('X', 3)); },
         "execution results are missing"},
        {"results' state root altered",
         [&](auto& db) {
             auto r = head.results;
             r.state_root.bytes[0] ^= 1;
             raw_put(db, key_h('X', 3), r.encode());
         },
         "state root does not follow"},
        {"results' receipt root altered",
         [&](auto& db) {
             auto r = head.results;
             r.receipt_root.bytes[0] ^= 1;
             raw_put(db, key_h('X', 3), r.encode());
         },
         "recorded receipt_root"},
        {"parent's results altered",
         [&](auto& db) {
             auto r = steps[1].results;
             r.state_root.bytes[0] ^= 1;
             raw_put(db, key_h('X', 2), r.encode());
         },
         "state root does not follow"},
        {"head state writes deleted", [&](auto& db) { raw_delete(db, "V"); },
         "state writes are missing"},
        {"head state writes of another height",
         [&](auto& db) {
             std::string v = raw_get(db, "V");
             v[0] = 2;  // u64 height, little-endian, first
             raw_put(db, "V", v);
         },
         "recorded state writes are for height 2"},
        {"head state writes garbled",
         [&](auto& db) { raw_put(db, "V", raw_get(db, "V") + "x"); },
         "state writes are unreadable"},
        {"state value the head wrote altered",
         [&](auto& db) { raw_put(db, "Sheight", std::string("999")); },
         "does not hold the head's write"},
        {"state value the head wrote deleted",
         [&](auto& db) { raw_delete(db, "Sheight"); },
         "does not hold the head's write (it is absent)"},
        {"state value the head deleted resurrected",
         [&](auto& db) {
             // Block 3 deletes bal/BANKA/0 after writing it (height % 3 == 0).
             raw_put(db, "Sbal/BANKA/0", std::string("1"));
         },
         "does not hold the head's write"},
        {"block hash index deleted",
         [&](auto& db) { raw_delete(db, key_hash('N', head.block.hash())); },
         "block hash index does not lead to this block"},
        {"transaction location index deleted",
         [&](auto& db) { raw_delete(db, key_hash('L', head.block.txs()[1]->hash())); },
         "transaction 1 is not indexed"},
        {"client_ref index deleted",
         [&](auto& db) {
             const auto& tx = *head.block.txs()[1];
             raw_delete(db, "I" + std::string(1, static_cast<char>(tx.sender().size())) +
                                tx.sender() + tx.client_ref());
         },
         "transaction 1 has no client_ref index entry"},
        {"block below the head altered",
         [&](auto& db) {
             auto h = steps[1].block.header();
             h.proposer += 1;
             raw_put(db, key_h('B', 2), h.encode());
         },
         "is not the hash of the block below"},
        {"block below the head deleted", [&](auto& db) { raw_delete(db, key_h('B', 2)); },
         "the block below the head is missing"},
        {"a block two above the head",
         [&](auto& db) { raw_put(db, key_h('B', 5), raw_get(db, key_h('B', 3))); },
         "holds records at height 5, more than one above the head"},
        {"results two above the head",
         [&](auto& db) { raw_put(db, key_h('X', 5), raw_get(db, key_h('X', 3))); },
         "holds records at height 5, more than one above the head"},
        {"a malformed chain key above the head",
         [&](auto& db) { raw_put(db, be(4, 8), std::string("x")); },
         "malformed key above the head"},
    };

    for (const auto& damage : damages) {
        INFO(damage.name);
        TempDir copy;
        fs::copy(dir.db(), copy.db(), fs::copy_options::recursive);
        with_raw_db(copy, damage.apply);
        const std::string error = open_error(copy);
        CHECK_THAT(error, Catch::StartsWith("corruption: "));
        CHECK_THAT(error, Catch::Contains("at height 3") || Catch::Contains("head record"));
        CHECK_THAT(error, Catch::Contains(damage.expect));
    }
    // The undamaged original still opens.
    CHECK(Store::open(options_for(dir), store_chain().genesis()).ok());
}

TEST_CASE("the head's write record keeps only what the state does not hold", "[ledger][store]") {
    // ADR 0100: V lists the head's write keys; values are read back from the state, except a
    // value overwritten later in the same list. The test chain's blocks repeat keys and delete.
    TempDir dir;
    std::vector<test::ChainStep> steps;
    {
        auto store = create_store(dir);
        steps = commit_blocks(*store, 3, 20);
    }
    const auto& head = steps[2];
    std::string v;
    with_raw_db(dir, [&](Raw& db) { v = raw_get(db, "V"); });
    // Keys and kinds, plus only the overwritten values: less than the full list (pre-ADR 0100),
    // more than the keys alone (the test chain repeats keys, so some values are inline).
    codec::Writer full;
    full.u64(3);
    ledger::encode_state_writes(full, head.writes);
    std::size_t keys_bytes = 8 + 1;
    for (const auto& w : head.writes) {
        keys_bytes += 1 + w.key.size() + 1;
    }
    CHECK(v.size() < full.data().size());
    CHECK(v.size() > keys_bytes);
    CHECK(Store::open(options_for(dir), store_chain().genesis()).ok());

}

TEST_CASE("a flipped byte in LevelDB's files is refused, not served", "[ledger][store]") {
    TempDir dir;
    {
        auto store = create_store(dir);
        commit_blocks(*store, 3, 20);
    }
    const std::string db = GENERATE(std::string("chain"), std::string("state"));
    INFO("the " << db << " database's log");
    std::string log;
    for (const auto& entry : fs::directory_iterator(dir.db() + "/" + db)) {
        if (entry.path().extension() == ".log") {
            log = entry.path().string();
        }
    }
    REQUIRE_FALSE(log.empty());
    const auto size = fs::file_size(log);
    REQUIRE(size > 1000);
    {
        std::fstream f(log, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(size / 2));
        char c = 0;
        f.read(&c, 1);
        c = static_cast<char>(c ^ 0x5a);
        f.seekp(static_cast<std::streamoff>(size / 2));
        f.write(&c, 1);
    }
    auto store = Store::open(options_for(dir), store_chain().genesis());
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().code() == Errc::kCorruption);
}

TEST_CASE("verify_blocks finds damage below the head, naming the height", "[ledger][store]") {
    TempDir dir;
    std::vector<test::ChainStep> steps;
    {
        auto store = create_store(dir);
        steps = commit_blocks(*store, 4);
    }
    with_raw_db(dir, [&](auto& db) { raw_delete(db, key_hi('R', 2, 0)); });
    // The head check looks at the head only, so the store opens...
    auto store = Store::open(options_for(dir), store_chain().genesis()).value();
    CHECK(store->verify_blocks(3, 4).ok());
    // ...and the deep check finds the damaged block.
    auto s = store->verify_blocks(1, 4);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == Errc::kCorruption);
    CHECK_THAT(s.error().message(), Catch::Contains("at height 2"));
    CHECK(store->verify_blocks(0, 4).error().code() == Errc::kInvalidArgument);
    CHECK(store->verify_blocks(1, 5).error().code() == Errc::kInvalidArgument);
}

TEST_CASE("disk problems come back as errors", "[ledger][store]") {
    TempDir dir;
    {
        std::ofstream file(dir.db());
        file << "not a directory";
    }
    auto opened = Store::open(options_for(dir), store_chain().genesis());
    REQUIRE_FALSE(opened.ok());
    auto created = Store::create(options_for(dir), store_chain().genesis(), store_chain().genesis_writes());
    REQUIRE_FALSE(created.ok());
    CHECK_THAT(created.error().message(), Catch::Contains("ledger store"));

    StoreOptions nested;
    nested.path = dir.db() + "/sub/ledger";
    CHECK_FALSE(Store::create(nested, store_chain().genesis(), store_chain().genesis_writes()).ok());

    // A second process (here: a second open) cannot take the LevelDB lock.
    TempDir other;
    auto first = create_store(other);
    auto second = Store::open(options_for(other), store_chain().genesis());
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code() == Errc::kIo);
}

TEST_CASE("an in-memory store works like a disk store", "[ledger][store]") {
    StoreOptions o;
    o.path = "/jc-in-memory-ledger";
    o.in_memory = true;
    auto store = Store::create(o, store_chain().genesis(), store_chain().genesis_writes()).value();
    commit_blocks(*store, 3);
    CHECK(store->head().height == 3);
    CHECK(store->verify_blocks(1, 3).ok());
    CHECK(store->snapshot()->get("height").value() == std::optional<std::string>("3"));
    CHECK_FALSE(fs::exists(o.path));
}

TEST_CASE("a commit torn between its chain and state batches is removed at open", "[ledger][store]") {
    // ADR 0136: the chain batch is written (synced) first, then the state batch with the head.
    // The test hook fails the commit in between, as a crash or a failed state write would.
    TempDir dir;
    std::vector<test::ChainStep> steps;
    std::optional<test::ChainStep> torn_step;
    std::size_t torn_records = 0;
    {
        auto options = options_for(dir);
        options.between_writes_for_test = [](std::uint64_t height) -> Status {
            if (height == 4) {
                return Error(Errc::kIo, "injected: the state batch of block 4 was not written");
            }
            return {};
        };
        auto store = Store::create(options, store_chain().genesis(), store_chain().genesis_writes()).value();
        steps = commit_blocks(*store, 3);
        torn_step = store_chain().next(store->head(), store_chain().txs_for(4, 6));
        const auto& torn = *torn_step;
        const auto s = store->commit_block(torn.block, torn.certificate, torn.receipts, torn.writes, torn.results);
        REQUIRE_FALSE(s.ok());
        CHECK_THAT(s.error().message(), Catch::Contains("injected"));
        CHECK(store->head().height == 3);
        // The handle refuses every later write, as after a real failure.
        const auto again = store->put_consensus_record("k", "v");
        REQUIRE_FALSE(again.ok());
        CHECK_THAT(again.error().message(), Catch::Contains("an earlier write failed"));
    }
    const auto& torn = *torn_step;
    with_raw_db(dir, [&](Raw& db) {
        const auto keys = chain_keys_at(db, 4);
        torn_records = keys.size();
        // Header, certificate, results and a transaction and receipt per transaction.
        CHECK(torn_records == 3 + 2 * torn.block.txs().size());
        CHECK_FALSE(raw_has(db, key_hash('N', torn.block.hash())));
    });
    {
        auto store = Store::open(options_for(dir), store_chain().genesis()).value();
        CHECK(store->head().height == 3);
        REQUIRE(store->torn_commit_removed().has_value());
        CHECK(store->torn_commit_removed()->height == 4);
        CHECK(store->torn_commit_removed()->records == torn_records);
        CHECK(store->snapshot()->header(4).value() == std::nullopt);
        // The same block commits again.
        REQUIRE(store->commit_block(torn.block, torn.certificate, torn.receipts, torn.writes, torn.results).ok());
        commit_blocks(*store, 1);
    }
    with_raw_db(dir, [&](Raw& db) { CHECK(chain_keys_at(db, 4).size() == torn_records); });
    auto store = Store::open(options_for(dir), store_chain().genesis()).value();
    CHECK_FALSE(store->torn_commit_removed().has_value());
    CHECK(store->head().height == 5);
    CHECK(store->verify_blocks(1, 5).ok());
    CHECK(store->verify_checksums().ok());
}

TEST_CASE("a snapshot taken while a commit is between its two batches sees none of that block",
          "[ledger][store]") {
    TempDir dir;
    Store* committing = nullptr;
    std::vector<std::string> failures;
    std::size_t checked = 0;
    auto options = options_for(dir);
    options.between_writes_for_test = [&](std::uint64_t height) -> Status {
        // The chain records of `height` are in the chain database now; no reader may see them.
        const auto snap = committing->snapshot();
        const auto fail = [&](const std::string& what) {
            failures.push_back("at " + std::to_string(height) + ": " + what);
        };
        if (snap->head().height != height - 1) {
            fail("head " + std::to_string(snap->head().height));
        }
        if (snap->header(height).value() != std::nullopt) {
            fail("header visible");
        }
        if (snap->block(height).value() != std::nullopt) {
            fail("block visible");
        }
        if (!snap->receipts(height).value().empty()) {
            fail("receipts visible");
        }
        if (snap->results(height).value() != std::nullopt) {
            fail("results visible");
        }
        if (snap->commit_certificate(height).value() != std::nullopt) {
            fail("certificate visible");
        }
        if (snap->receipt_at(ledger::TxLocation{height, 0}).value() != std::nullopt) {
            fail("receipt 0 visible");
        }
        ++checked;
        return {};
    };
    auto store = Store::create(options, store_chain().genesis(), store_chain().genesis_writes()).value();
    committing = store.get();
    const auto steps = commit_blocks(*store, 4);
    INFO((failures.empty() ? std::string() : failures.front()));
    CHECK(failures.empty());
    CHECK(checked == 4);
    // After the commit every block is whole.
    const auto snap = store->snapshot();
    CHECK(snap->head().height == 4);
    CHECK(snap->receipts(4).value().size() == steps[3].block.txs().size());
}

TEST_CASE("a snapshot racing a commit retries a failed head read and holds the new head with its data",
          "[ledger][store]") {
    // A commit's batches have landed and its head is not yet published: the snapshot's state
    // already holds the block. If reading the head from that state fails once, the snapshot is
    // retaken and reads it then; keeping the in-memory head would pair block 3's state with
    // head 2, refusing block 3's transactions as missing.
    TempDir dir;
    Store* committing = nullptr;
    bool fail_first = false;
    std::vector<int> attempts;
    std::shared_ptr<const ledger::StoreSnapshot> raced;
    auto options = options_for(dir);
    options.snapshot_head_read_for_test = [&](int attempt) -> Status {
        attempts.push_back(attempt);
        if (fail_first && attempt == 1) {
            return Error(Errc::kIo, "injected: head read failed");
        }
        return {};
    };
    options.before_head_published_for_test = [&](std::uint64_t height) {
        if (height == 3) {
            fail_first = true;
            attempts.clear();
            raced = committing->snapshot();
            fail_first = false;
        }
    };
    auto store = Store::create(options, store_chain().genesis(), store_chain().genesis_writes()).value();
    committing = store.get();
    const auto steps = commit_blocks(*store, 3);
    REQUIRE(raced);
    CHECK(attempts == std::vector<int>{1, 2});
    CHECK(raced->head() == store->head());
    CHECK(raced->head().height == 3);
    const auto block = raced->block(3).value();
    REQUIRE(block.has_value());
    CHECK(block->hash() == steps[2].block.hash());
    const Hash tx = steps[2].block.txs().front()->hash();
    const auto location = raced->tx_location(tx).value();
    REQUIRE(location.has_value());
    CHECK(location->height == 3);
    CHECK(raced->receipt(tx).value().has_value());
    CHECK(raced->receipts(3).value().size() == steps[2].block.txs().size());
}

TEST_CASE("a snapshot whose head read keeps failing answers every read with that failure", "[ledger][store]") {
    TempDir dir;
    bool failing = false;
    int attempts = 0;
    auto options = options_for(dir);
    options.snapshot_head_read_for_test = [&](int) -> Status {
        if (!failing) {
            return {};
        }
        ++attempts;
        return Error(Errc::kIo, "injected: Input/output error");
    };
    auto store = Store::create(options, store_chain().genesis(), store_chain().genesis_writes()).value();
    const auto steps = commit_blocks(*store, 2);
    failing = true;
    const auto snap = store->snapshot();
    failing = false;
    CHECK(attempts == 3);
    CHECK(snap->head() == store->head());  // the last committed head, for what it is worth
    const std::string expected =
        "ledger store: a snapshot's head could not be read from it (3 attempts; the last committed head is 2): "
        "injected: Input/output error";
    const auto check = [&](const Error& e) {
        CHECK(e.code() == Errc::kIo);
        CHECK(e.message() == expected);
    };
    const Hash tx = steps[1].block.txs().front()->hash();
    const auto header = snap->header(2);
    REQUIRE_FALSE(header.ok());
    check(header.error());
    const auto receipt = snap->receipt(tx);
    REQUIRE_FALSE(receipt.ok());
    check(receipt.error());
    const auto receipts = snap->receipts(2);
    REQUIRE_FALSE(receipts.ok());
    check(receipts.error());
    const auto scanned = snap->scan("", [](std::string_view, std::string_view) { return true; });
    REQUIRE_FALSE(scanned.ok());
    check(scanned.error());
    // The next snapshot reads normally.
    const auto next = store->snapshot();
    CHECK(next->header(2).value().has_value());
    CHECK(next->receipt(tx).value().has_value());
}

TEST_CASE("a write that fails stops a concurrent write from another thread", "[ledger][store]") {
    // The node writes consensus records on one thread while another commits blocks. If a block's
    // state batch fails inside LevelDB (a torn append on a full disk), a record batch that was already
    // past the failed-flag check would be appended after the torn record, reported durable, and
    // dropped without an error at the next open, after its votes were sent. So a write waits for
    // any write in progress and then sees its failure.
    TempDir dir;
    Store* store = nullptr;
    bool armed = false;
    int block_writes = 0;
    std::promise<Status> record_written;
    auto record_done = record_written.get_future();
    std::thread recorder;
    bool finished_meanwhile = false;
    auto options = options_for(dir);
    options.write_hook_for_test = [&](std::string_view what) -> Status {
        // Block 2's second write is its state batch, in the database the records go to.
        if (!armed || what != "committing block 2" || ++block_writes != 2) {
            return {};
        }
        armed = false;
        recorder = std::thread([&] { record_written.set_value(store->put_consensus_record("vote/0002/commit", "sent?")); });
        // The record batch must not finish while this write is in progress (300 ms is ample for
        // an unblocked synced write of a few bytes); then this write fails.
        finished_meanwhile = record_done.wait_for(std::chrono::milliseconds(300)) == std::future_status::ready;
        return Error(Errc::kIo, "injected: no space left on device");
    };
    {
        auto owned = Store::create(options, store_chain().genesis(), store_chain().genesis_writes()).value();
        store = owned.get();
        commit_blocks(*owned, 1);
        armed = true;
        const auto head = owned->head();
        const auto step = store_chain().next(head, store_chain().txs_for(head.height + 1, 6));
        const auto committed = owned->commit_block(step.block, step.certificate, step.receipts, step.writes, step.results);
        if (recorder.joinable()) {
            recorder.join();  // before any REQUIRE can leave this scope with the thread running
        }
        REQUIRE_FALSE(committed.ok());
        CHECK_THAT(committed.error().message(), Catch::Contains("no space left"));
        CHECK_FALSE(finished_meanwhile);
        const Status record = record_done.get();
        REQUIRE_FALSE(record.ok());
        CHECK_THAT(record.error().message(), Catch::Contains("an earlier write failed"));
    }
    auto reopened = Store::open(options_for(dir), store_chain().genesis()).value();
    CHECK(reopened->head().height == 1);
    CHECK(reopened->get_consensus_record("vote/0002/commit").value() == std::nullopt);
}

TEST_CASE("a format-1 store and a lost database are refused with precise errors", "[ledger][store]") {
    SECTION("format 1: one LevelDB directly in the store directory") {
        TempDir dir;
        {
            leveldb::Options o;
            o.create_if_missing = true;
            leveldb::DB* raw = nullptr;
            REQUIRE(leveldb::DB::Open(o, dir.db(), &raw).ok());
            std::unique_ptr<leveldb::DB> db(raw);
            REQUIRE(db->Put(leveldb::WriteOptions(), "Mformat", be(1, 8)).ok());
        }
        for (const bool create : {false, true}) {
            INFO((create ? "create" : "open"));
            auto store = create ? Store::create(options_for(dir), store_chain().genesis(), store_chain().genesis_writes())
                                : Store::open(options_for(dir), store_chain().genesis());
            REQUIRE_FALSE(store.ok());
            CHECK(store.error().code() == Errc::kInvalidArgument);
            CHECK_THAT(store.error().message(), Catch::Contains(dir.db() + " holds a format-1 store"));
            CHECK_THAT(store.error().message(), Catch::Contains("catches up from its peers"));
            CHECK_THAT(store.error().message(), Catch::Contains("docs/operations.md"));
        }
        CHECK_FALSE(fs::exists(dir.db() + "/state"));
    }
    SECTION("an older binary's failed open leaves LOCK and LOG beside the databases: still a store") {
        TempDir dir;
        {
            auto store = create_store(dir);
            commit_blocks(*store, 2);
        }
        {
            // What a format-1 binary does with a format-2 store: open the directory as one
            // database, find no CURRENT, stop.
            leveldb::Options o;
            o.create_if_missing = false;
            leveldb::DB* raw = nullptr;
            REQUIRE_FALSE(leveldb::DB::Open(o, dir.db(), &raw).ok());
            REQUIRE(fs::exists(dir.db() + "/LOCK"));
        }
        auto store = Store::open(options_for(dir), store_chain().genesis());
        INFO((store.ok() ? std::string() : store.error().message()));
        REQUIRE(store.ok());
        CHECK((*store)->head().height == 2);
        // Anything else there is still refused.
        store->reset();
        std::ofstream(dir.db() + "/000005.ldb") << "a table of some other store";
        auto refused = Store::open(options_for(dir), store_chain().genesis());
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code() == Errc::kCorruption);
        CHECK_THAT(refused.error().message(), Catch::Contains("holds 000005.ldb"));
    }
    SECTION("a lost CURRENT or a lost database, in either database") {
        TempDir dir;
        {
            auto store = create_store(dir);
            commit_blocks(*store, 2);
        }
        for (const std::string db : {"chain", "state"}) {
            for (const bool whole : {false, true}) {
                INFO(db << (whole ? " deleted" : " lost CURRENT"));
                TempDir copy;
                fs::copy(dir.db(), copy.db(), fs::copy_options::recursive);
                if (whole) {
                    fs::remove_all(copy.db() + "/" + db);
                } else {
                    fs::remove(copy.db() + "/" + db + "/CURRENT");
                }
                auto opened = Store::open(options_for(copy), store_chain().genesis());
                REQUIRE_FALSE(opened.ok());
                CHECK(opened.error().code() == Errc::kCorruption);
                CHECK_THAT(opened.error().message(), Catch::Contains(copy.db()));
                // Nor may a creation start a fresh ledger over it.
                CHECK_FALSE(Store::create(options_for(copy), store_chain().genesis(), store_chain().genesis_writes()).ok());
            }
        }
    }
    SECTION("a foreign file in the store directory") {
        TempDir dir;
        create_store(dir).reset();
        std::ofstream(dir.db() + "/000005.ldb") << "x";
        CHECK_THAT(open_error(dir), Catch::Contains("holds 000005.ldb"));
    }
}

TEST_CASE("a creation interrupted after the chain database is no store yet", "[ledger][store]") {
    // Creation writes height 0's results to the chain database, then the state database's batch;
    // a kill in between leaves a store that does not exist yet and may be created again.
    TempDir dir;
    {
        auto options = options_for(dir);
        auto store = Store::create(options, store_chain().genesis(), store_chain().genesis_writes());
        REQUIRE(store.ok());
    }
    fs::remove_all(dir.db() + "/state");
    {
        auto none = Store::open(options_for(dir), store_chain().genesis());
        REQUIRE_FALSE(none.ok());
        CHECK(none.error().code() == Errc::kNotFound);
    }
    auto store = create_store(dir);
    commit_blocks(*store, 1);
    CHECK(store->head().height == 1);
}

TEST_CASE("the open-file budget is split between the two databases, not doubled", "[ledger][store]") {
    const auto roomy = ledger::split_open_files(4096);
    CHECK(roomy.chain == 1024);
    CHECK(roomy.state == 3072);
    const auto usual = ledger::split_open_files(1000);
    CHECK(usual.chain + usual.state == 1000);
    CHECK(usual.state > usual.chain);
    // From the store's floor up, the split never exceeds the budget.
    for (int budget = ledger::kStoreOpenFilesMin; budget <= 5000; budget += 7) {
        const auto split = ledger::split_open_files(budget);
        INFO(budget);
        CHECK(split.chain + split.state <= budget);
        CHECK(split.chain >= ledger::kLevelDbOpenFilesMin);
        CHECK(split.state >= ledger::kLevelDbOpenFilesMin);
    }
    // Below it (a caller that did not plan the floor) each share is raised to LevelDB's own.
    const auto starved = ledger::split_open_files(64);
    CHECK(starved.chain == ledger::kLevelDbOpenFilesMin);
    CHECK(starved.state == ledger::kLevelDbOpenFilesMin);
}

namespace {

// What one table file of a database is made of, read with LevelDB's own table reader.
struct TableShape {
    bool has_bloom_filter = false;
    std::size_t data_blocks = 0;  // distinct data blocks holding the table's entries
    std::size_t entry_bytes = 0;  // keys and values of those entries, as written
};

TableShape table_shape(const fs::path& file) {
    TableShape shape;
    // LevelDB names a table's filter in its meta-index block, which is too small to compress.
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    shape.has_bloom_filter = bytes.find("filter.leveldb.BuiltinBloomFilter2") != std::string::npos;

    leveldb::RandomAccessFile* raw_file = nullptr;
    REQUIRE(leveldb::Env::Default()->NewRandomAccessFile(file.string(), &raw_file).ok());
    const std::unique_ptr<leveldb::RandomAccessFile> opened(raw_file);
    leveldb::Table* raw_table = nullptr;
    REQUIRE(leveldb::Table::Open(leveldb::Options(), opened.get(), bytes.size(), &raw_table).ok());
    const std::unique_ptr<leveldb::Table> table(raw_table);
    const std::unique_ptr<leveldb::Iterator> it(table->NewIterator(leveldb::ReadOptions()));
    std::uint64_t last_offset = ~std::uint64_t{0};
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        // The offset of the data block an entry is in; entries are visited in block order.
        const std::uint64_t offset = table->ApproximateOffsetOf(it->key());
        if (offset != last_offset) {
            ++shape.data_blocks;
            last_offset = offset;
        }
        shape.entry_bytes += it->key().size() + it->value().size();
    }
    REQUIRE(it->status().ok());
    return shape;
}

std::vector<TableShape> table_shapes(const std::string& database) {
    std::vector<TableShape> shapes;
    for (const auto& entry : fs::directory_iterator(database)) {
        if (entry.path().extension() == ".ldb") {
            shapes.push_back(table_shape(entry.path()));
        }
    }
    return shapes;
}

}  // namespace

TEST_CASE("chain tables take large blocks and no Bloom filter while state tables keep theirs (ADR 0171)",
          "[ledger][store]") {
    // Each open table keeps its index (an entry per data block) and its filter on the heap, so
    // these options set how much memory grows with the ledger.
    TempDir dir;
    StoreOptions old_style = options_for(dir);
    old_style.chain_block_bytes = 4096;  // what every store was written with before ADR 0171
    std::vector<test::ChainStep> steps;
    {
        auto created = Store::create(old_style, store_chain().genesis(), store_chain().genesis_writes());
        REQUIRE(created.ok());
        steps = commit_blocks(**created, 30, 12);
    }
    // Reopening turns each database's log into a level-0 table written with the options in force.
    {
        auto reopened = Store::open(old_style, store_chain().genesis());
        REQUIRE(reopened.ok());
        const auto chain_tables = table_shapes(dir.db() + "/chain");
        REQUIRE(chain_tables.size() == 1);
        CHECK_FALSE(chain_tables[0].has_bloom_filter);
        // LevelDB ends a block once it holds block_size bytes, so all but the last hold at least
        // that much: at 4 KiB there are several blocks per 16 KiB of entries.
        CHECK(chain_tables[0].data_blocks > chain_tables[0].entry_bytes / 16384 + 1);
        commit_blocks(**reopened, 30, 12);
    }
    auto reopened = Store::open(options_for(dir), store_chain().genesis());
    REQUIRE(reopened.ok());
    Store& store = **reopened;
    // Tables with 4 KiB blocks and 16 KiB blocks side by side read back as one chain.
    CHECK(store.head().height == 60);
    CHECK(store.verify_blocks(1, 60).ok());
    const auto snap = store.snapshot();
    for (const auto& step : steps) {
        CHECK(snap->block(step.block.height()).value() == std::optional(step.block));
    }
    std::size_t large_block_tables = 0;
    for (const auto& shape : table_shapes(dir.db() + "/chain")) {
        CHECK_FALSE(shape.has_bloom_filter);
        REQUIRE(shape.entry_bytes > 32768);
        if (shape.data_blocks <= shape.entry_bytes / 16384 + 1) {
            ++large_block_tables;
        }
    }
    CHECK(large_block_tables == 1);  // the table the default options wrote
    const auto state_tables = table_shapes(dir.db() + "/state");
    REQUIRE_FALSE(state_tables.empty());
    for (const auto& shape : state_tables) {
        CHECK(shape.has_bloom_filter);
    }
}
