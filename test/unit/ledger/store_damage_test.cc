// Goal: a damaged store is refused at start, whatever file is damaged (issue 12, "a corrupted
// store file is detected at start"), and a store missing its CURRENT file is never mistaken for
// "no store yet" (regression: Store::open used to answer kNotFound, and the node then created a
// fresh empty ledger over the old files).
// Method: real stores of the deterministic TestChain in temp dirs, small LevelDB write buffers so
// that committed blocks end up in several table files; then each damage is applied to a copy:
// CURRENT deleted, a byte flipped at many offsets across the data part of every table, in each
// of the store's two databases (ADR 0136: <path>/chain and <path>/state). Every
// copy must fail Store::open or Store::verify_checksums with Errc::kCorruption; the undamaged
// store must pass both.
#include <jc/ledger/store.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "test_chain.h"

using namespace jc;
using jc::ledger::Store;
using jc::ledger::StoreOptions;
namespace fs = std::filesystem;

namespace {

class DamageDir {
public:
    DamageDir() {
        std::string tmpl = (fs::temp_directory_path() / "jc-ledger-damage-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    ~DamageDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    DamageDir(const DamageDir&) = delete;
    DamageDir& operator=(const DamageDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

const test::TestChain& damage_chain() {
    static const test::TestChain c(11);
    return c;
}

StoreOptions options_at(const std::string& path) {
    StoreOptions o;
    o.path = path;
    o.write_buffer_bytes = 64 << 10;  // LevelDB's minimum: flush to tables early and often
    o.chain_write_buffer_bytes = 64 << 10;
    return o;
}

// Builds a store with `blocks` blocks at `path`, closed on return.
void build_store(const std::string& path, std::size_t blocks) {
    auto store = Store::create(options_at(path), damage_chain().genesis(), damage_chain().genesis_writes());
    REQUIRE(store.ok());
    for (std::size_t i = 0; i < blocks; ++i) {
        const auto head = (*store)->head();
        auto step = damage_chain().next(head, damage_chain().txs_for(head.height + 1, 20));
        REQUIRE((*store)->commit_block(step.block, step.certificate, step.receipts, step.writes, step.results).ok());
    }
}

// Opens and verifies; returns the error code of the first failure, or nothing.
std::optional<Errc> open_and_verify(const std::string& path) {
    auto store = Store::open(options_at(path), damage_chain().genesis());
    if (!store) {
        return store.error().code();
    }
    auto report = (*store)->verify_checksums();
    if (!report) {
        return report.error().code();
    }
    return std::nullopt;
}

void flip_byte(const fs::path& file, std::uintmax_t offset) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
}

}  // namespace

TEST_CASE("a store without CURRENT is damaged, not missing", "[ledger][store][regress]") {
    DamageDir dir;
    const auto path = dir.path() + "/ledger";
    build_store(path, 3);
    const std::string db = GENERATE(std::string("chain"), std::string("state"));
    INFO("the " << db << " database");
    fs::remove(path + "/" + db + "/CURRENT");
    auto opened = Store::open(options_at(path), damage_chain().genesis());
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().code() == Errc::kCorruption);
    CHECK_THAT(opened.error().message(), Catch::Contains("CURRENT"));
    CHECK_THAT(opened.error().message(), Catch::Contains(path + "/" + db));
    // A directory that never held a store (or only what a failed open leaves) is still "missing".
    const auto empty = dir.path() + "/empty";
    fs::create_directories(empty + "/chain");
    fs::create_directories(empty + "/state");
    std::ofstream(empty + "/chain/LOG") << "leveldb info log\n";
    std::ofstream(empty + "/state/LOCK");
    auto none = Store::open(options_at(empty), damage_chain().genesis());
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code() == Errc::kNotFound);
}

TEST_CASE("a store whose creation was killed before CURRENT is missing and can be created",
          "[ledger][store][regress]") {
    // LevelDB creates a database by writing MANIFEST-000001 (via 000001.dbtmp), then CURRENT.
    // A kill in between (jc_ledger_crash_test, seed 184868104) left a directory the next start
    // refused as damaged, so a node killed during its first start could never start again.
    DamageDir dir;
    const auto path = dir.path() + "/ledger";
    // The chain database is created first, so the kill is in its creation.
    const auto chain_path = path + "/chain";
    fs::create_directories(chain_path);
    std::ofstream(chain_path + "/LOCK");
    std::ofstream(chain_path + "/LOG") << "leveldb info log\n";
    std::ofstream(chain_path + "/MANIFEST-000001") << std::string(40, '\x01');
    std::ofstream(chain_path + "/000001.dbtmp") << "MANIFEST-000001\n";
    auto none = Store::open(options_at(path), damage_chain().genesis());
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().code() == Errc::kNotFound);
    build_store(path, 2);
    auto opened = Store::open(options_at(path), damage_chain().genesis());
    REQUIRE(opened.ok());
    CHECK((*opened)->head().height == 2);

    // With a log beside the manifest, writes may have happened: damaged, as before.
    const auto logged = dir.path() + "/logged";
    fs::create_directories(logged + "/state");
    std::ofstream(logged + "/state/MANIFEST-000001") << std::string(40, '\x01');
    std::ofstream(logged + "/state/000003.log") << std::string(40, '\x02');
    auto damaged = Store::open(options_at(logged), damage_chain().genesis());
    REQUIRE_FALSE(damaged.ok());
    CHECK(damaged.error().code() == Errc::kCorruption);
}

TEST_CASE("verify_checksums reads the whole store and finds a flipped byte in any table", "[ledger][store]") {
    DamageDir dir;
    const auto pristine = dir.path() + "/pristine";
    build_store(pristine, 40);
    {
        // Reopening compacts the log into a table too; verify the undamaged store.
        auto store = Store::open(options_at(pristine), damage_chain().genesis());
        REQUIRE(store.ok());
        auto report = (*store)->verify_checksums();
        REQUIRE(report.ok());
        CHECK(report->records > 40 * 20);
        CHECK(report->bytes > 100'000);
    }
    std::vector<fs::path> tables;  // relative to the store directory: chain/NNNNNN.ldb, state/...
    std::size_t chain_tables = 0;
    for (const std::string db : {"chain", "state"}) {
        for (const auto& entry : fs::directory_iterator(pristine + "/" + db)) {
            if (entry.path().extension() == ".ldb") {
                tables.push_back(fs::path(db) / entry.path().filename());
                chain_tables += db == "chain" ? 1U : 0U;
            }
        }
    }
    REQUIRE(chain_tables >= 2);
    REQUIRE(tables.size() - chain_tables >= 2);
    std::size_t damaged = 0;
    std::size_t refused_only_by_the_scan = 0;
    std::size_t orphans = 0;
    for (const auto& table : tables) {
        const auto size = fs::file_size(fs::path(pristine) / table);
        // Data blocks come first in a table file; its tail holds the filter, the index and the
        // footer (a damaged filter block is ignored by LevelDB: it only costs a disk read).
        for (int eighth = 0; eighth < 4; ++eighth) {
            const auto copy = dir.path() + "/copy";
            fs::remove_all(copy);
            fs::copy(pristine, copy, fs::copy_options::recursive);
            flip_byte(fs::path(copy) / table, size * static_cast<std::uintmax_t>(eighth) / 8 + 7);
            bool head_check_passed = false;
            {
                head_check_passed = Store::open(options_at(copy), damage_chain().genesis()).ok();
            }
            const auto code = open_and_verify(copy);
            if (!fs::exists(fs::path(copy) / table)) {
                // Not a live table: the output of a compaction that the pristine store's close
                // interrupted, which LevelDB deletes at the next open. Damage there is harmless.
                ++orphans;
                continue;
            }
            INFO(table.string() << " at " << eighth << "/8 of " << size << " bytes");
            CHECK(code == Errc::kCorruption);
            ++damaged;
            refused_only_by_the_scan += head_check_passed ? 1 : 0;
        }
    }
    INFO(orphans << " flips landed in tables that were not live");
    CHECK(damaged >= 8);
    // The point of the scan: damage the head check alone would not have seen.
    CHECK(refused_only_by_the_scan > 0);
}
