#include <jc/ledger/store.h>

#include <jc/core/assert.h>
#include <jc/core/codec.h>
#include <jc/core/sha256.h>

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/helpers/memenv.h>
#include <leveldb/write_batch.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace jc::ledger {

// ---------------------------------------------------------------------------------------------
// Table files read with pread, not mmap (ADR 0166). LevelDB's POSIX environment maps up to 1000
// table files; every page a read or a compaction touches stays in the process's resident set
// (RssFile) until the file is closed, so a validator's RSS carried 20-70 MiB of table pages that
// swung with each compaction's inputs. Read with pread, the same pages stay in the kernel's page
// cache (reclaimable, shared, not counted in RSS) and only the blocks LevelDB keeps are the
// process's: those in the bounded block cache. Each open table holds one descriptor, which the
// open-file budget already counts (max_open_files, src/node/src/fd_budget.h).
namespace {

class PreadFile final : public leveldb::RandomAccessFile {
public:
    PreadFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
    ~PreadFile() override { ::close(fd_); }
    PreadFile(const PreadFile&) = delete;
    PreadFile& operator=(const PreadFile&) = delete;

    leveldb::Status Read(std::uint64_t offset, std::size_t n, leveldb::Slice* result, char* scratch) const override {
        std::size_t done = 0;
        while (done < n) {
            const ssize_t r = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
            if (r < 0) {
                if (errno == EINTR) {
                    continue;
                }
                *result = leveldb::Slice(scratch, 0);
                return leveldb::Status::IOError(name_, std::strerror(errno));
            }
            if (r == 0) {
                break;  // end of file: a short read, which LevelDB reports as corruption itself
            }
            done += static_cast<std::size_t>(r);
        }
        *result = leveldb::Slice(scratch, done);
        return leveldb::Status::OK();
    }

private:
    const std::string name_;
    const int fd_;
};

class PreadEnv final : public leveldb::EnvWrapper {
public:
    PreadEnv() : leveldb::EnvWrapper(leveldb::Env::Default()) {}
    leveldb::Status NewRandomAccessFile(const std::string& name, leveldb::RandomAccessFile** result) override {
        *result = nullptr;
        int fd = -1;
        do {
            fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
        } while (fd < 0 && errno == EINTR);
        if (fd < 0) {
            return errno == ENOENT ? leveldb::Status::NotFound(name, std::strerror(errno))
                                   : leveldb::Status::IOError(name, std::strerror(errno));
        }
        *result = new PreadFile(name, fd);
        return leveldb::Status::OK();
    }
};

}  // namespace

// The two LevelDB handles (ADR 0136). Members are destroyed in reverse order: the databases
// before the cache, filter policy and environment they share.
namespace detail {
struct Db {
    std::unique_ptr<leveldb::Env> mem_env;
    std::unique_ptr<leveldb::Env> file_env;  // PreadEnv, for stores on disk
    std::unique_ptr<const leveldb::FilterPolicy> filter;  // the state database's only (ADR 0171)
    std::unique_ptr<leveldb::Cache> cache;
    std::unique_ptr<leveldb::DB> chain;  // <path>/chain: per-height records, height-first keys
    std::unique_ptr<leveldb::DB> state;  // <path>/state: everything else
    std::string path;
    // Held by db_write across the failed-flag check and the LevelDB write, one per database. The
    // store has writers on two threads (the node's storage thread commits blocks and deletes old
    // consensus records; its persist thread writes new ones), and a write must never begin while
    // another one to the same database's log is about to fail inside LevelDB: appended after a
    // torn record, it would be reported durable and then dropped without an error at the next
    // open (LevelDB 1.23 treats the torn record as the log's end and marks the database failed
    // only after a failed sync). A write to the other database's log is unaffected, so consensus
    // records never wait for a chain batch.
    std::mutex chain_write_mutex;
    std::mutex state_write_mutex;
    // The first failed write, kept: after one, no write is attempted again (db_write).
    std::mutex failed_mutex;
    std::optional<Error> failed;
    std::function<Status(std::string_view what)> write_hook_for_test;  // StoreOptions::write_hook_for_test
    // A block commit's two batches, kept between commits (only commit_block uses them, under
    // Store::write_mutex_) so that their buffers keep their capacity: built afresh, a 500-block
    // batch of ~600 KB grew by doubling and took freshly mapped (zeroed) pages every block.
    // Optional so that a large one can really be freed: leveldb::WriteBatch has no move
    // assignment, and its copy assignment keeps the old buffer (release_large_batch).
    std::optional<leveldb::WriteBatch> commit_chain_batch{std::in_place};
    std::optional<leveldb::WriteBatch> commit_state_batch{std::in_place};
};
}  // namespace detail

namespace {

using detail::Db;

// Key layout (docs/spec/storage.md section 6). In the state database one byte of prefix
// separates the keyspaces. In the chain database every key begins with the height, big-endian,
// then the record kind (and for transactions and receipts the index, big-endian), so each
// memtable flush covers a range of heights above every older table and LevelDB never merges it
// with them (ADR 0136). Nothing else may go into the chain database: one key that does not
// begin with a height would make flushes overlap again.
namespace keys {
constexpr char kMeta = 'M';
constexpr char kHeader = 'B';
constexpr char kTx = 'T';
constexpr char kReceipt = 'R';
constexpr char kCommitCert = 'C';
constexpr char kBlockHash = 'N';
constexpr char kTxLocation = 'L';
constexpr char kClientRef = 'I';
constexpr char kResults = 'X';
constexpr char kCheckpointCert = 'K';
constexpr char kHeadWriteKeys = 'V';  // the head's writes, values left in the state (ADR 0100)
constexpr char kState = 'S';
constexpr char kConsensus = 'P';

constexpr std::string_view kFormat = "format";
constexpr std::string_view kGenesis = "genesis";
constexpr std::string_view kGenesisHash = "genesis_hash";
constexpr std::string_view kHead = "head";

void append_be(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out.push_back(static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i))));
    }
}

std::string meta(std::string_view name) {
    std::string k(1, kMeta);
    k += name;
    return k;
}

std::string at_height(char prefix, std::uint64_t height) {
    std::string k(1, prefix);
    append_be(k, height, 8);
    return k;
}

// Chain database keys: be64(height) kind [be32(index)].
constexpr std::size_t kChainKeyBytes = 9;
constexpr std::size_t kChainIndexKeyBytes = 13;

std::string height_prefix(std::uint64_t height) {
    std::string k;
    append_be(k, height, 8);
    return k;
}

std::string chain(std::uint64_t height, char kind) {
    std::string k = height_prefix(height);
    k.push_back(kind);
    return k;
}

std::string chain_at(std::uint64_t height, char kind, std::uint32_t index) {
    std::string k = chain(height, kind);
    append_be(k, index, 4);
    return k;
}

// The height a chain key begins with.
std::uint64_t height_of(std::string_view key) {
    JC_ASSERT(key.size() >= 8, "ledger.store.chain_key_size");
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        v = (v << 8) | static_cast<std::uint8_t>(key[i]);
    }
    return v;
}

std::string of_hash(char prefix, const Hash& hash) {
    std::string k(1, prefix);
    k.append(reinterpret_cast<const char*>(hash.bytes.data()), Hash::kSize);
    return k;
}

std::string client_ref(std::string_view bank_id, std::string_view ref) {
    JC_ASSERT(bank_id.size() <= kBankIdLengthMax, "ledger.store.bank_id_fits_length_byte");
    std::string k(1, kClientRef);
    k.push_back(static_cast<char>(bank_id.size()));
    k += bank_id;
    k += ref;
    return k;
}

std::string in_space(char prefix, std::string_view key) {
    std::string k(1, prefix);
    k += key;
    return k;
}

// The index encoded in the last four bytes of a chain_at key.
std::uint32_t index_of(std::string_view key) {
    JC_ASSERT(key.size() == kChainIndexKeyBytes, "ledger.store.index_key_size");
    std::uint32_t v = 0;
    for (std::size_t i = 9; i < 13; ++i) {
        v = (v << 8) | static_cast<std::uint8_t>(key[i]);
    }
    return v;
}
}  // namespace keys

ByteView view_of(const std::string& s) { return as_bytes(s); }

leveldb::Slice slice_of(const Bytes& b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

Error db_error(const leveldb::Status& s, std::string_view what) {
    Errc code = Errc::kIo;
    if (s.IsCorruption()) {
        code = Errc::kCorruption;
    } else if (s.IsNotFound()) {
        code = Errc::kNotFound;
    } else if (s.IsInvalidArgument() || s.IsNotSupportedError()) {
        code = Errc::kInvalidArgument;
    }
    return Error(code, "ledger store: " + std::string(what) + ": " + s.ToString());
}

Error corrupt(std::uint64_t height, std::string_view what) {
    return Error(Errc::kCorruption,
                 "ledger store at height " + std::to_string(height) + ": " + std::string(what));
}

// The shared parts of the two databases: environment, the state database's Bloom filter, block
// cache.
std::shared_ptr<Db> make_db(const StoreOptions& options) {
    auto db = std::make_shared<Db>();
    db->path = options.path;
    db->write_hook_for_test = options.write_hook_for_test;
    db->filter.reset(leveldb::NewBloomFilterPolicy(10));
    db->cache.reset(leveldb::NewLRUCache(options.block_cache_bytes));
    if (options.in_memory) {
        db->mem_env.reset(leveldb::NewMemEnv(leveldb::Env::Default()));
    } else {
        db->file_env = std::make_unique<PreadEnv>();
    }
    return db;
}

std::string chain_dir(const std::string& path) { return path + "/chain"; }
std::string state_dir(const std::string& path) { return path + "/state"; }

// What differs between the two databases' LevelDB options.
struct DbTuning {
    std::size_t write_buffer_bytes = 0;
    std::size_t block_bytes = 0;
    int max_open_files = 0;
    const leveldb::FilterPolicy* filter = nullptr;  // none: LevelDB reads no table's filter block
};

// Opens one of the two databases. Errc::kNotFound when `dir` holds no database (or only what a
// failed open or a killed creation leaves); Errc::kCorruption when it holds files but no
// readable CURRENT.
Result<std::unique_ptr<leveldb::DB>> open_one(const StoreOptions& options, const Db& shared,
                                              const std::string& dir, const DbTuning& tuning, bool create) {
    leveldb::Options opts;
    opts.create_if_missing = create;
    opts.paranoid_checks = true;
    opts.write_buffer_size = tuning.write_buffer_bytes;
    opts.block_size = tuning.block_bytes;
    opts.max_file_size = options.table_file_bytes;
    opts.max_open_files = tuning.max_open_files;
    // Without a policy LevelDB does not load a table's filter block, so the chain tables written
    // with one before ADR 0171 cost no heap for it either.
    opts.filter_policy = tuning.filter;
    opts.block_cache = shared.cache.get();
    if (shared.mem_env) {
        opts.env = shared.mem_env.get();
    } else {
        opts.env = shared.file_env.get();
    }
    leveldb::DB* raw = nullptr;
    const leveldb::Status s = leveldb::DB::Open(opts, dir, &raw);
    if (!s.ok()) {
        if (!create && s.IsInvalidArgument() &&
            s.ToString().find("does not exist") != std::string::npos) {
            // LevelDB says "does not exist" when CURRENT is missing, even if the directory still
            // holds tables and logs. Only a directory with nothing but what a failed open leaves
            // behind (LOCK, LOG) is a missing database; anything else is a damaged one, and
            // treating it as missing would let the caller create a fresh empty ledger over it.
            // A creation killed part way is missing too: LevelDB creates a database by writing
            // MANIFEST-000001 (through 000001.dbtmp) and only then CURRENT, and writes no log or
            // table before that, so those two files hold nothing a ledger could lose; the next
            // creation rewrites them (regression: jc_ledger_crash_test, a kill during creation).
            std::error_code ec;
            for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
                const auto name = entry.path().filename().string();
                if (name != "LOCK" && name != "LOG" && name != "LOG.old" && name != "MANIFEST-000001" &&
                    name != "000001.dbtmp") {
                    return Error(Errc::kCorruption, "ledger store: " + dir + " holds " + name +
                                                        " but no readable CURRENT file: " + s.ToString());
                }
            }
            return Error(Errc::kNotFound, "ledger store: no database at " + dir);
        }
        return db_error(s, "opening " + dir);
    }
    return std::unique_ptr<leveldb::DB>(raw);
}

// A format-1 store (ADR 0021) is one LevelDB directly in the store directory.
Status refuse_format_1(const StoreOptions& options) {
    if (options.in_memory) {
        return {};
    }
    std::error_code ec;
    if (!std::filesystem::exists(options.path + "/CURRENT", ec)) {
        return {};
    }
    return Error(Errc::kInvalidArgument,
                 "ledger store: " + options.path + " holds a format-1 store (one LevelDB database in the "
                 "directory itself); this build reads only format " + std::to_string(kStoreFormatVersion) +
                 " (" + chain_dir(options.path) + " and " + state_dir(options.path) +
                 "). Move " + options.path + " aside and restart: the validator creates a new store and "
                 "catches up from its peers. Or restore a backup made by this version "
                 "(docs/operations.md, \"Upgrading\")");
}

// True when the chain database holds any record above height 0 (a block).
Result<bool> chain_has_blocks(leveldb::DB& chain) {
    std::unique_ptr<leveldb::Iterator> it(chain.NewIterator(leveldb::ReadOptions()));
    const std::string first = keys::height_prefix(1);
    it->Seek(first);
    const bool any = it->Valid();
    if (!it->status().ok()) {
        return db_error(it->status(), "scanning the chain database");
    }
    return any;
}

leveldb::ReadOptions read_options(const leveldb::Snapshot* snapshot) {
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.snapshot = snapshot;
    return ro;
}

Result<std::optional<std::string>> db_get(leveldb::DB& db, const leveldb::Snapshot* snapshot,
                                          std::string_view key) {
    std::string value;
    const leveldb::Status s =
        db.Get(read_options(snapshot), leveldb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) {
        return std::optional<std::string>{};
    }
    if (!s.ok()) {
        return db_error(s, "reading");
    }
    return std::optional<std::string>{std::move(value)};
}

Status db_scan(leveldb::DB& db, const leveldb::Snapshot* snapshot, std::string_view prefix,
               const std::function<bool(std::string_view key, std::string_view value)>& visit) {
    std::unique_ptr<leveldb::Iterator> it(db.NewIterator(read_options(snapshot)));
    for (it->Seek(leveldb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
        const leveldb::Slice k = it->key();
        if (k.size() < prefix.size() || std::string_view(k.data(), prefix.size()) != prefix) {
            break;
        }
        const leveldb::Slice v = it->value();
        if (!visit(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) {
            break;
        }
    }
    if (!it->status().ok()) {
        return db_error(it->status(), "scanning");
    }
    return {};
}

// After a failed write the log's state is unknown: LevelDB may have appended part of a record
// (a later record after it would be unreadable at the next open), and a failed fsync may have
// dropped pages the kernel will not report again (a retried fsync returns 0). So the first
// failure is final for this handle: every later write is refused with it, and the caller must
// stop and reopen the store (docs/decisions/0096-eio-injection.md). The two databases share the
// flag: a failure in either stops both (a failed state batch after a written chain batch is
// the torn commit that the next open removes).
Error mark_failed(Db& db, Error e) {
    std::lock_guard lock(db.failed_mutex);
    if (!db.failed) {
        db.failed = e;
    }
    return e;
}

Status db_write(Db& db, leveldb::DB& target, leveldb::WriteBatch& batch, std::string_view what) {
    std::lock_guard write_lock(&target == db.chain.get() ? db.chain_write_mutex : db.state_write_mutex);
    {
        std::lock_guard lock(db.failed_mutex);
        if (db.failed) {
            return Error(db.failed->code(), "ledger store: not " + std::string(what) + ": an earlier write failed (" +
                                                db.failed->message() + "); reopen the store");
        }
    }
    if (db.write_hook_for_test) {
        if (auto s = db.write_hook_for_test(what); !s) {
            return mark_failed(db, s.error());
        }
    }
    leveldb::WriteOptions wo;
    wo.sync = true;
    const leveldb::Status s = target.Write(wo, &batch);
    if (!s.ok()) {
        return mark_failed(db, db_error(s, what));
    }
    return {};
}

// A reused commit batch keeps its buffer's capacity for the next block; one that held an
// unusually large block (a catch-up batch of the largest blocks) gives it back rather than keep
// it for the life of the node. The test is on the content; the buffer grows by doubling, so up
// to twice this stays allocated per batch. Re-constructed in place, not assigned: WriteBatch's
// copy assignment would copy into the old, large buffer and keep it. A block full by bytes
// (genesis block_bytes_max, 4 MiB by default) passes this and regrows its buffer the next time:
// a few ms of page faults on a block that costs far more to execute, against keeping up to
// 2 x 16 MiB for the life of the node after one catch-up (P4).
constexpr std::size_t kCommitBatchKeptBytesMax = std::size_t{4} << 20;

void release_large_batch(std::optional<leveldb::WriteBatch>& batch) {
    if (batch->ApproximateSize() > kCommitBatchKeptBytesMax) {
        batch.emplace();
    }
}

// ----- record encodings ------------------------------------------------------------------------

struct HeadRecord {
    std::uint64_t height = 0;
    Hash hash;
};

Bytes encode_head(const HeadRecord& head) {
    codec::Writer w(40);
    w.u64(head.height).hash(head.hash);
    return w.take();
}

Result<HeadRecord> decode_head(const std::string& bytes) {
    codec::Reader r(view_of(bytes));
    HeadRecord head;
    JC_ASSIGN_OR_RETURN(head.height, r.u64());
    JC_ASSIGN_OR_RETURN(head.hash, r.hash());
    JC_TRY_STATUS(r.finish());
    return head;
}

Bytes encode_location(const TxLocation& loc) {
    codec::Writer w(12);
    w.u64(loc.height).u32(loc.index);
    return w.take();
}

Result<TxLocation> decode_location(codec::Reader& r) {
    TxLocation loc;
    JC_ASSIGN_OR_RETURN(loc.height, r.u64());
    JC_ASSIGN_OR_RETURN(loc.index, r.u32());
    return loc;
}

Result<TxLocation> decode_location(const std::string& bytes) {
    codec::Reader r(view_of(bytes));
    JC_ASSIGN_OR_RETURN(const TxLocation loc, decode_location(r));
    JC_TRY_STATUS(r.finish());
    return loc;
}

struct ClientRefRecord {
    Hash tx_hash;
    TxLocation location;
};

Bytes encode_client_ref(const ClientRefRecord& rec) {
    codec::Writer w(44);
    w.hash(rec.tx_hash).u64(rec.location.height).u32(rec.location.index);
    return w.take();
}

Result<ClientRefRecord> decode_client_ref(const std::string& bytes) {
    codec::Reader r(view_of(bytes));
    ClientRefRecord rec;
    JC_ASSIGN_OR_RETURN(rec.tx_hash, r.hash());
    JC_ASSIGN_OR_RETURN(rec.location, decode_location(r));
    JC_TRY_STATUS(r.finish());
    return rec;
}

// Whether the inclusion of `tx_hash` at `location` that an index entry (I or L) names was
// REJECTED, read from the chain database as committed (the entry's block is below the one being
// committed).
Result<bool> names_rejection(Db& db, const Hash& tx_hash, const TxLocation& location) {
    JC_ASSIGN_OR_RETURN(const auto bytes,
                        db_get(*db.chain, nullptr, keys::chain_at(location.height, keys::kReceipt, location.index)));
    auto receipt = bytes ? Receipt::decode(view_of(*bytes)) : Result<Receipt>(Error(Errc::kNotFound, "missing"));
    if (!receipt || receipt->tx_hash != tx_hash) {
        return corrupt(location.height, "an index entry names receipt " + std::to_string(location.index) +
                                            ", which is " +
                                            (receipt ? "another transaction's" : "unreadable: " + receipt.error().message()));
    }
    return receipt->status == ReceiptStatus::kRejected;
}

struct HeadWrites {
    std::uint64_t height = 0;
    StateWrites writes;
};

// The head's write list without the values the state already holds (ADR 0100): per write its
// key and a kind. A put that is the last write to its key keeps its value only in `S` (the head
// check reads it back from there); a put overwritten later in the same list keeps its value here,
// since the state no longer holds it. Rebuilding the list and re-deriving the state root from
// the parent's proves every value in one step, at a tenth of the bytes written per block.
constexpr std::uint8_t kHeadDelete = 0;
constexpr std::uint8_t kHeadPutInState = 1;
constexpr std::uint8_t kHeadPutInline = 2;

Bytes encode_head_write_keys(std::uint64_t height, const StateWrites& writes) {
    // The engine's writes are in strictly ascending key order, so each is the last to its key;
    // any other order (the store accepts repeats) is worked out with a map.
    std::vector<bool> last(writes.size(), true);
    bool ascending = true;
    for (std::size_t i = 1; i < writes.size() && ascending; ++i) {
        ascending = writes[i - 1].key < writes[i].key;
    }
    if (!ascending) {
        std::map<std::string_view, std::size_t> final_index;
        for (std::size_t i = 0; i < writes.size(); ++i) {
            final_index[writes[i].key] = i;
        }
        for (std::size_t i = 0; i < writes.size(); ++i) {
            last[i] = final_index[writes[i].key] == i;
        }
    }
    std::size_t size = 16;
    for (const auto& w : writes) {
        size += w.key.size() + 4;
    }
    codec::Writer w(size);
    w.u64(height);
    w.varint(writes.size());
    for (std::size_t i = 0; i < writes.size(); ++i) {
        w.str(writes[i].key);
        if (!writes[i].value) {
            w.u8(kHeadDelete);
        } else if (last[i]) {
            w.u8(kHeadPutInState);
        } else {
            w.u8(kHeadPutInline);
            w.str(*writes[i].value);
        }
    }
    return w.take();
}

struct HeadWriteKey {
    std::string key;
    std::uint8_t kind = kHeadDelete;
    std::string value;  // kHeadPutInline only
};

struct HeadWriteKeys {
    std::uint64_t height = 0;
    std::vector<HeadWriteKey> writes;
};

Result<HeadWriteKeys> decode_head_write_keys(const std::string& bytes) {
    codec::Reader r(view_of(bytes));
    HeadWriteKeys out;
    JC_ASSIGN_OR_RETURN(out.height, r.u64());
    JC_ASSIGN_OR_RETURN(const std::uint64_t count, r.varint_max(kStateWritesMax, "state write count"));
    if (count > r.remaining() / 2) {  // each entry takes at least a length byte and a kind
        return Error(Errc::kParse, "head write keys: count " + std::to_string(count) + " exceeds the record");
    }
    out.writes.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        HeadWriteKey e;
        JC_ASSIGN_OR_RETURN(e.key, r.str(kStateKeyBytesMax));
        JC_ASSIGN_OR_RETURN(e.kind, r.u8());
        if (e.key.empty() || e.kind > kHeadPutInline) {
            return Error(Errc::kParse, "head write " + std::to_string(i) + ": empty key or unknown kind");
        }
        if (e.kind == kHeadPutInline) {
            JC_ASSIGN_OR_RETURN(e.value, r.str(kStateValueBytesMax));
        }
        out.writes.push_back(std::move(e));
    }
    JC_TRY_STATUS(r.finish());
    return out;
}

std::uint64_t decode_be64(std::string_view bytes) {
    std::uint64_t v = 0;
    for (char c : bytes) {
        v = (v << 8) | static_cast<std::uint8_t>(c);
    }
    return v;
}

std::string encode_be64(std::uint64_t v) {
    std::string s;
    keys::append_be(s, v, 8);
    return s;
}

void put_state_writes(leveldb::WriteBatch& batch, const StateWrites& writes) {
    for (const auto& w : writes) {
        const std::string key = keys::in_space(keys::kState, w.key);
        if (w.value) {
            batch.Put(key, *w.value);
        } else {
            batch.Delete(key);
        }
    }
}

// Reads the head the snapshots see: the head record (state database), the head block's
// timestamp and results (chain database).
Result<LedgerHead> load_head(const Db& db, const leveldb::Snapshot* state_snap, const leveldb::Snapshot* chain_snap,
                             const Genesis& genesis) {
    JC_ASSIGN_OR_RETURN(const auto head_bytes, db_get(*db.state, state_snap, keys::meta(keys::kHead)));
    if (!head_bytes) {
        return Error(Errc::kCorruption, "ledger store: the head record is missing");
    }
    auto record = decode_head(*head_bytes);
    if (!record) {
        return Error(Errc::kCorruption,
                     "ledger store: the head record is unreadable: " + record.error().message());
    }
    LedgerHead head;
    head.height = record->height;
    head.hash = record->hash;
    head.timestamp_ms = genesis.genesis_time_ms();
    if (head.height > 0) {
        JC_ASSIGN_OR_RETURN(const auto header_bytes,
                            db_get(*db.chain, chain_snap, keys::chain(head.height, keys::kHeader)));
        if (!header_bytes) {
            return corrupt(head.height, "the head block's header is missing");
        }
        auto header = BlockHeader::decode(view_of(*header_bytes));
        if (!header) {
            return corrupt(head.height, "the head block's header is unreadable: " +
                                            header.error().message());
        }
        head.timestamp_ms = header->timestamp_ms;
    }
    JC_ASSIGN_OR_RETURN(const auto results_bytes,
                        db_get(*db.chain, chain_snap, keys::chain(head.height, keys::kResults)));
    if (!results_bytes) {
        return corrupt(head.height, "the head's execution results are missing");
    }
    auto results = ExecutionResults::decode(view_of(*results_bytes));
    if (!results) {
        return corrupt(head.height, "the head's execution results are unreadable: " +
                                        results.error().message());
    }
    head.results = *results;
    return head;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// StoreSnapshot

StoreSnapshot::StoreSnapshot(std::shared_ptr<Db> db, const void* state_snapshot, const void* chain_snapshot,
                             LedgerHead head)
    : db_(std::move(db)), state_snapshot_(state_snapshot), chain_snapshot_(chain_snapshot), head_(std::move(head)) {}

StoreSnapshot::~StoreSnapshot() {
    db_->chain->ReleaseSnapshot(static_cast<const leveldb::Snapshot*>(chain_snapshot_));
    db_->state->ReleaseSnapshot(static_cast<const leveldb::Snapshot*>(state_snapshot_));
}

Result<std::optional<std::string>> StoreSnapshot::read_state(std::string_view key) const {
    if (head_unknown_) {
        return *head_unknown_;
    }
    return db_get(*db_->state, static_cast<const leveldb::Snapshot*>(state_snapshot_), key);
}

Result<std::optional<std::string>> StoreSnapshot::read_chain(std::uint64_t height, std::string_view key) const {
    if (head_unknown_) {
        return *head_unknown_;
    }
    if (height > head_.height) {
        return std::optional<std::string>{};
    }
    return db_get(*db_->chain, static_cast<const leveldb::Snapshot*>(chain_snapshot_), key);
}

Status StoreSnapshot::scan_chain(
    std::uint64_t height, std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
    if (head_unknown_) {
        return *head_unknown_;
    }
    if (height > head_.height) {
        return {};
    }
    return db_scan(*db_->chain, static_cast<const leveldb::Snapshot*>(chain_snapshot_), prefix, visit);
}

Result<std::optional<std::string>> StoreSnapshot::get(std::string_view key) const {
    return read_state(keys::in_space(keys::kState, key));
}

Status StoreSnapshot::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
    if (head_unknown_) {
        return *head_unknown_;
    }
    const std::string full = keys::in_space(keys::kState, prefix);
    return db_scan(*db_->state, static_cast<const leveldb::Snapshot*>(state_snapshot_), full,
                   [&](std::string_view key, std::string_view value) {
                       return visit(key.substr(1), value);
                   });
}

Result<std::optional<BlockHeader>> StoreSnapshot::header(std::uint64_t height) const {
    JC_ASSIGN_OR_RETURN(const auto bytes, read_chain(height, keys::chain(height, keys::kHeader)));
    if (!bytes) {
        return std::optional<BlockHeader>{};
    }
    auto header = BlockHeader::decode(view_of(*bytes));
    if (!header) {
        return corrupt(height, "block header unreadable: " + header.error().message());
    }
    if (header->height != height) {
        return corrupt(height, "block header says height " + std::to_string(header->height));
    }
    return std::optional<BlockHeader>{*header};
}

Result<std::optional<std::uint64_t>> StoreSnapshot::height_of(const Hash& block_hash) const {
    JC_ASSIGN_OR_RETURN(const auto bytes, read_state(keys::of_hash(keys::kBlockHash, block_hash)));
    if (!bytes) {
        return std::optional<std::uint64_t>{};
    }
    if (bytes->size() != 8) {
        return Error(Errc::kCorruption,
                     "ledger store: block hash index entry for " + block_hash.hex() + " is malformed");
    }
    return std::optional<std::uint64_t>{decode_be64(*bytes)};
}

Result<std::optional<Block>> StoreSnapshot::block(std::uint64_t height) const {
    JC_ASSIGN_OR_RETURN(const auto hdr, header(height));
    if (!hdr) {
        return std::optional<Block>{};
    }
    std::vector<TxPtr> txs;
    Status failure;
    JC_TRY_STATUS(scan_chain(height, keys::chain(height, keys::kTx),
                          [&](std::string_view key, std::string_view value) {
                              if (key.size() != keys::kChainIndexKeyBytes || keys::index_of(key) != txs.size()) {
                                  failure = corrupt(height, "transaction records out of sequence at " +
                                                                std::to_string(txs.size()));
                                  return false;
                              }
                              auto tx = Transaction::parse(value);
                              if (!tx || tx->canonical_json() != value) {
                                  failure = corrupt(height, "transaction " + std::to_string(txs.size()) +
                                                                " is unreadable or not canonical");
                                  return false;
                              }
                              txs.push_back(std::make_shared<const Transaction>(std::move(*tx)));
                              return txs.size() <= kBlockTxsMax;
                          }));
    JC_TRY_STATUS(failure);
    auto block = Block::from_parts(*hdr, std::move(txs));
    if (!block) {
        return corrupt(height, block.error().message());
    }
    return std::optional<Block>{std::move(*block)};
}

Result<std::vector<Hash>> StoreSnapshot::tx_hashes(std::uint64_t height) const {
    JC_ASSIGN_OR_RETURN(const auto hdr, header(height));
    if (!hdr) {
        return Error(Errc::kNotFound, "ledger store: no block at height " + std::to_string(height));
    }
    // The receipts carry the transaction hashes; the root check below vouches for them.
    std::vector<Hash> hashes;
    Status failure;
    JC_TRY_STATUS(scan_chain(height, keys::chain(height, keys::kReceipt),
                          [&](std::string_view key, std::string_view value) {
                              if (key.size() != keys::kChainIndexKeyBytes || keys::index_of(key) != hashes.size() ||
                                  value.size() < Hash::kSize) {
                                  failure = corrupt(height, "receipt records out of sequence at " +
                                                                std::to_string(hashes.size()));
                                  return false;
                              }
                              Hash h;
                              std::copy_n(value.begin(), Hash::kSize, h.bytes.begin());
                              hashes.push_back(h);
                              return hashes.size() <= kBlockTxsMax;
                          }));
    JC_TRY_STATUS(failure);
    if (hashes.size() != hdr->tx_count || merkle::root(hashes) != hdr->tx_root) {
        return corrupt(height, "the receipts' transaction hashes do not match the header's tx_root");
    }
    return hashes;
}

Result<std::optional<Certificate>> StoreSnapshot::commit_certificate(std::uint64_t height) const {
    JC_ASSIGN_OR_RETURN(const auto bytes, read_chain(height, keys::chain(height, keys::kCommitCert)));
    if (!bytes) {
        return std::optional<Certificate>{};
    }
    auto cert = Certificate::decode(view_of(*bytes));
    if (!cert) {
        return corrupt(height, "commit certificate unreadable: " + cert.error().message());
    }
    return std::optional<Certificate>{std::move(*cert)};
}

Result<std::optional<ExecutionResults>> StoreSnapshot::results(std::uint64_t height) const {
    JC_ASSIGN_OR_RETURN(const auto bytes, read_chain(height, keys::chain(height, keys::kResults)));
    if (!bytes) {
        return std::optional<ExecutionResults>{};
    }
    auto results = ExecutionResults::decode(view_of(*bytes));
    if (!results) {
        return corrupt(height, "execution results unreadable: " + results.error().message());
    }
    if (results->height != height) {
        return corrupt(height, "execution results say height " + std::to_string(results->height));
    }
    return std::optional<ExecutionResults>{*results};
}

Result<std::optional<Certificate>> StoreSnapshot::checkpoint_certificate(std::uint64_t height) const {
    JC_ASSIGN_OR_RETURN(const auto bytes, read_state(keys::at_height(keys::kCheckpointCert, height)));
    if (!bytes) {
        return std::optional<Certificate>{};
    }
    auto cert = Certificate::decode(view_of(*bytes));
    if (!cert) {
        return corrupt(height, "checkpoint certificate unreadable: " + cert.error().message());
    }
    return std::optional<Certificate>{std::move(*cert)};
}

Result<std::optional<TxLocation>> StoreSnapshot::tx_location(const Hash& tx_hash) const {
    JC_ASSIGN_OR_RETURN(const auto bytes, read_state(keys::of_hash(keys::kTxLocation, tx_hash)));
    if (!bytes) {
        return std::optional<TxLocation>{};
    }
    auto loc = decode_location(*bytes);
    if (!loc) {
        return Error(Errc::kCorruption, "ledger store: location of transaction " + tx_hash.hex() +
                                            " unreadable: " + loc.error().message());
    }
    return std::optional<TxLocation>{*loc};
}

Result<std::optional<StoredTx>> StoreSnapshot::transaction(const Hash& tx_hash) const {
    JC_ASSIGN_OR_RETURN(const auto loc, tx_location(tx_hash));
    if (!loc) {
        return std::optional<StoredTx>{};
    }
    JC_ASSIGN_OR_RETURN(auto stored, transaction_at(*loc));
    if (!stored || stored->tx->hash() != tx_hash) {
        return corrupt(loc->height, "transaction " + std::to_string(loc->index) +
                                        (stored ? " does not match the index entry for " + tx_hash.hex()
                                                : " named by the index is missing"));
    }
    return stored;
}

Result<std::optional<StoredTx>> StoreSnapshot::transaction_at(const TxLocation& location) const {
    JC_ASSIGN_OR_RETURN(const auto bytes,
                        read_chain(location.height, keys::chain_at(location.height, keys::kTx, location.index)));
    if (!bytes) {
        return std::optional<StoredTx>{};
    }
    auto tx = Transaction::parse(*bytes);
    if (!tx || tx->canonical_json() != *bytes) {
        return corrupt(location.height, "transaction " + std::to_string(location.index) + " unreadable or not canonical");
    }
    return std::optional<StoredTx>{StoredTx{std::make_shared<const Transaction>(std::move(*tx)), location}};
}

Result<std::optional<Receipt>> StoreSnapshot::receipt_at(const TxLocation& location) const {
    JC_ASSIGN_OR_RETURN(const auto bytes,
                        read_chain(location.height,
                                   keys::chain_at(location.height, keys::kReceipt, location.index)));
    if (!bytes) {
        return std::optional<Receipt>{};
    }
    auto receipt = Receipt::decode(view_of(*bytes));
    if (!receipt) {
        return corrupt(location.height, "receipt " + std::to_string(location.index) +
                                            " unreadable: " + receipt.error().message());
    }
    if (receipt->height != location.height || receipt->index != location.index) {
        return corrupt(location.height,
                       "receipt " + std::to_string(location.index) + " names another position");
    }
    return std::optional<Receipt>{std::move(*receipt)};
}

Result<std::optional<Receipt>> StoreSnapshot::receipt(const Hash& tx_hash) const {
    JC_ASSIGN_OR_RETURN(const auto loc, tx_location(tx_hash));
    if (!loc) {
        return std::optional<Receipt>{};
    }
    JC_ASSIGN_OR_RETURN(auto receipt, receipt_at(*loc));
    if (!receipt || receipt->tx_hash != tx_hash) {
        return corrupt(loc->height, "receipt " + std::to_string(loc->index) +
                                        " does not belong to transaction " + tx_hash.hex());
    }
    return receipt;
}

Result<std::vector<Receipt>> StoreSnapshot::receipts(std::uint64_t height) const {
    std::vector<Receipt> out;
    Status failure;
    JC_TRY_STATUS(scan_chain(height, keys::chain(height, keys::kReceipt),
                          [&](std::string_view key, std::string_view value) {
                              if (key.size() != keys::kChainIndexKeyBytes || keys::index_of(key) != out.size()) {
                                  failure = corrupt(height, "receipt records out of sequence at " +
                                                                std::to_string(out.size()));
                                  return false;
                              }
                              auto receipt = Receipt::decode(as_bytes(value));
                              if (!receipt) {
                                  failure = corrupt(height, "receipt " + std::to_string(out.size()) +
                                                                " unreadable: " +
                                                                receipt.error().message());
                                  return false;
                              }
                              if (receipt->height != height || receipt->index != out.size()) {
                                  failure = corrupt(height, "receipt " + std::to_string(out.size()) +
                                                                " names another position");
                                  return false;
                              }
                              out.push_back(std::move(*receipt));
                              return out.size() <= kBlockTxsMax;
                          }));
    JC_TRY_STATUS(failure);
    return out;
}

Result<std::optional<Receipt>> StoreSnapshot::receipt_by_client_ref(std::string_view bank_id,
                                                                    std::string_view client_ref) const {
    if (!check_bank_id(bank_id) || !check_client_ref(client_ref)) {
        return std::optional<Receipt>{};  // no such submission can exist
    }
    JC_ASSIGN_OR_RETURN(const auto bytes, read_state(keys::client_ref(bank_id, client_ref)));
    if (!bytes) {
        return std::optional<Receipt>{};
    }
    auto rec = decode_client_ref(*bytes);
    if (!rec) {
        return Error(Errc::kCorruption, "ledger store: client_ref index entry for " +
                                            std::string(bank_id) + "/" + std::string(client_ref) +
                                            " unreadable: " + rec.error().message());
    }
    JC_ASSIGN_OR_RETURN(auto receipt, receipt_at(rec->location));
    if (!receipt || receipt->tx_hash != rec->tx_hash) {
        return corrupt(rec->location.height, "client_ref index entry for " + std::string(bank_id) +
                                                 "/" + std::string(client_ref) +
                                                 " names a missing or different receipt");
    }
    return receipt;
}

Result<std::optional<InclusionProof>> StoreSnapshot::inclusion_proof(const Hash& tx_hash) const {
    JC_ASSIGN_OR_RETURN(const auto loc, tx_location(tx_hash));
    if (!loc) {
        return std::optional<InclusionProof>{};
    }
    JC_ASSIGN_OR_RETURN(const auto hdr, header(loc->height));
    if (!hdr) {
        return corrupt(loc->height, "block named by the index of " + tx_hash.hex() + " is missing");
    }
    JC_ASSIGN_OR_RETURN(const std::vector<Hash> hashes, tx_hashes(loc->height));
    if (loc->index >= hashes.size() || hashes[loc->index] != tx_hash) {
        return corrupt(loc->height, "transaction " + std::to_string(loc->index) + " is not " +
                                        tx_hash.hex());
    }
    JC_ASSIGN_OR_RETURN(auto cert, commit_certificate(loc->height));
    if (!cert) {
        return corrupt(loc->height, "commit certificate missing");
    }
    InclusionProof proof;
    proof.tx_hash = tx_hash;
    proof.location = *loc;
    proof.audit_path = merkle::Tree(hashes).audit_path(loc->index);
    proof.header = *hdr;
    proof.certificate = std::move(*cert);
    if (auto s = merkle::verify_inclusion(tx_hash, loc->index, hdr->tx_count, proof.audit_path,
                                          hdr->tx_root);
        !s) {
        return corrupt(loc->height, "inclusion proof does not verify: " + s.error().message());
    }
    return std::optional<InclusionProof>{std::move(proof)};
}

// ---------------------------------------------------------------------------------------------
// Store

Store::Store(StoreOptions options, Genesis genesis, std::shared_ptr<Db> db)
    : options_(std::move(options)),
      genesis_(std::move(genesis)),
      validator_keys_(genesis_.validator_keys()),
      db_(std::move(db)) {}

Store::~Store() = default;

OpenFileSplit split_open_files(int max_open_files) {
    const int total = std::max(max_open_files, 0);
    OpenFileSplit split;
    split.chain = std::max(total / 4, kLevelDbOpenFilesMin);
    split.state = std::max(total - split.chain, kLevelDbOpenFilesMin);
    return split;
}

namespace {

// Opens the state database, then the chain database. Errc::kNotFound only when there is no
// store: no state database (or an empty one) and no block in the chain database; a chain
// database with blocks but no state, or an initialised state without a chain database, is
// kCorruption. `state_empty` tells the caller (create) that the state database has no keys.
Result<std::shared_ptr<Db>> open_dbs(const StoreOptions& options, bool create, bool* state_empty) {
    auto db = make_db(options);
    const OpenFileSplit files = split_open_files(options.max_open_files);
    if (create && !options.in_memory) {
        std::error_code ec;
        std::filesystem::create_directories(options.path, ec);
        if (ec) {
            return Error(Errc::kIo, "ledger store: cannot create " + options.path + ": " + ec.message());
        }
    }
    if (!options.in_memory) {
        std::error_code ec;
        if (!std::filesystem::is_directory(options.path, ec)) {
            return Error(Errc::kNotFound, "ledger store: no store at " + options.path);
        }
        // Only the two databases live here, plus what a failed LevelDB open of this directory
        // leaves (an older binary started on this store by mistake opens it as one database,
        // finds no CURRENT and stops, leaving LOCK and LOG; they hold nothing and are left be).
        // Anything else (the tables of a format-1 store that lost its CURRENT, say) means this
        // is not a format-2 store, and must not become one.
        for (const auto& entry : std::filesystem::directory_iterator(options.path, ec)) {
            const auto name = entry.path().filename().string();
            if (name != "chain" && name != "state" && name != "LOCK" && name != "LOG" && name != "LOG.old") {
                return Error(Errc::kCorruption, "ledger store: " + options.path + " holds " + name +
                                                    ", which is not part of a format-" +
                                                    std::to_string(kStoreFormatVersion) + " store");
            }
        }
    }
    // Chain first: creation writes it first, so a state database never exists without one.
    // The chain database gets no Bloom filter: its reads are of records at or below the head,
    // which exist, and its tables hold disjoint height ranges, so a read consults one table,
    // whose filter would only ever say "maybe" (ADR 0171).
    const DbTuning chain_tuning{options.chain_write_buffer_bytes, options.chain_block_bytes, files.chain, nullptr};
    const DbTuning state_tuning{options.write_buffer_bytes, options.state_block_bytes, files.state, db->filter.get()};
    auto chain = open_one(options, *db, chain_dir(options.path), chain_tuning, create);
    auto state = open_one(options, *db, state_dir(options.path), state_tuning, create);
    if (!chain && chain.error().code() != Errc::kNotFound) {
        return chain.error();
    }
    if (!state && state.error().code() != Errc::kNotFound) {
        return state.error();
    }
    bool empty = true;
    if (state) {
        JC_TRY_STATUS(db_scan(**state, nullptr, "", [&](std::string_view, std::string_view) {
            empty = false;
            return false;
        }));
    }
    if (!empty && !chain) {
        return Error(Errc::kCorruption, "ledger store: " + state_dir(options.path) +
                                            " is initialised but the chain database " + chain_dir(options.path) +
                                            " is missing");
    }
    if (empty && chain) {
        // A creation writes the chain database first: without a state, it may hold height 0's
        // records only. Blocks there mean the state database was lost, not that none exists.
        JC_ASSIGN_OR_RETURN(const bool blocks, chain_has_blocks(**chain));
        if (blocks) {
            return Error(Errc::kCorruption, "ledger store: " + chain_dir(options.path) +
                                                " holds blocks but the state database " + state_dir(options.path) +
                                                " is missing or empty");
        }
    }
    if (empty && !create) {
        return Error(Errc::kNotFound, "ledger store: no store at " + options.path + " (never initialised)");
    }
    db->chain = std::move(chain).value();
    db->state = std::move(state).value();
    *state_empty = empty;
    return db;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options, const Genesis& genesis) {
    JC_TRY_STATUS(refuse_format_1(options));
    bool state_empty = false;
    JC_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, open_dbs(options, /*create=*/false, &state_empty));
    JC_ASSIGN_OR_RETURN(const auto format, db_get(*db->state, nullptr, keys::meta(keys::kFormat)));
    if (!format) {
        return Error(Errc::kCorruption,
                     "ledger store: " + state_dir(options.path) + " has data but no format record");
    }
    if (*format != encode_be64(kStoreFormatVersion)) {
        return Error(Errc::kInvalidArgument, "ledger store: " + options.path +
                                                 " has an unsupported format (this build reads "
                                                 "version " + std::to_string(kStoreFormatVersion) + ")");
    }
    JC_ASSIGN_OR_RETURN(const auto genesis_hash, db_get(*db->state, nullptr, keys::meta(keys::kGenesisHash)));
    if (!genesis_hash || genesis_hash->size() != Hash::kSize) {
        return Error(Errc::kCorruption, "ledger store: " + options.path +
                                            " has no readable genesis hash");
    }
    Hash stored;
    std::copy(genesis_hash->begin(), genesis_hash->end(), stored.bytes.begin());
    if (stored != genesis.hash()) {
        return Error(Errc::kInvalidArgument,
                     "ledger store: " + options.path + " belongs to the chain with genesis " +
                         stored.hex() + ", but the configured genesis is " + genesis.hash().hex());
    }
    std::unique_ptr<Store> store(new Store(options, genesis, std::move(db)));
    JC_TRY_STATUS(store->remove_torn_commit());
    JC_TRY_STATUS(store->check_head());
    return store;
}

Result<std::unique_ptr<Store>> Store::create(const StoreOptions& options, const Genesis& genesis,
                                             const StateWrites& genesis_writes) {
    if (auto s = check_state_writes(genesis_writes); !s) {
        return s.error().with_context("genesis state writes");
    }
    JC_TRY_STATUS(refuse_format_1(options));
    bool state_empty = false;
    {
        // Look before creating anything: a store that exists, or a damaged one (a lost CURRENT or
        // a lost database), must not get a fresh database beside it.
        auto existing = open_dbs(options, /*create=*/false, &state_empty);
        if (existing) {
            return Error(Errc::kAlreadyExists, "ledger store: a store already exists at " + options.path);
        }
        if (existing.error().code() != Errc::kNotFound) {
            return existing.error();
        }
    }
    JC_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, open_dbs(options, /*create=*/true, &state_empty));
    if (!state_empty) {
        return Error(Errc::kAlreadyExists, "ledger store: a store already exists at " + options.path);
    }
    ExecutionResults results;
    results.height = 0;
    results.state_root = genesis_state_root(genesis_writes);
    results.receipt_root = merkle::empty_root();

    // The chain database first, the state database's batch last: a store is initialised once
    // its state database has keys (open_dbs), and a creation killed in between leaves only
    // height 0's results, which the next creation overwrites.
    leveldb::WriteBatch chain_batch;
    chain_batch.Put(keys::chain(0, keys::kResults), slice_of(results.encode()));
    JC_TRY_STATUS(db_write(*db, *db->chain, chain_batch, "creating the store"));

    leveldb::WriteBatch batch;
    batch.Put(keys::meta(keys::kFormat), encode_be64(kStoreFormatVersion));
    batch.Put(keys::meta(keys::kGenesis), genesis.canonical_json());
    batch.Put(keys::meta(keys::kGenesisHash),
              leveldb::Slice(reinterpret_cast<const char*>(genesis.hash().bytes.data()), Hash::kSize));
    put_state_writes(batch, genesis_writes);
    batch.Put(std::string(1, keys::kHeadWriteKeys), slice_of(encode_head_write_keys(0, genesis_writes)));
    batch.Put(keys::meta(keys::kHead), slice_of(encode_head(HeadRecord{0, genesis.hash()})));
    JC_TRY_STATUS(db_write(*db, *db->state, batch, "creating the store"));

    std::unique_ptr<Store> store(new Store(options, genesis, std::move(db)));
    JC_TRY_STATUS(store->check_head());
    return store;
}

// A crash between commit_block's two writes leaves the chain records of head + 1 without a head
// that names them: delete them, synced, before anything reads the store. Chain records above
// head + 1 cannot come from a crash (a commit writes its chain batch only once the head is its
// parent): they mean the head went back (a lost or rolled-back state database), and are
// reported rather than masked.
Status Store::remove_torn_commit() {
    JC_ASSIGN_OR_RETURN(const auto head_bytes, db_get(*db_->state, nullptr, keys::meta(keys::kHead)));
    if (!head_bytes) {
        return Error(Errc::kCorruption, "ledger store: the head record is missing");
    }
    auto head = decode_head(*head_bytes);
    if (!head) {
        return Error(Errc::kCorruption, "ledger store: the head record is unreadable: " + head.error().message());
    }
    const std::uint64_t height = head->height;
    leveldb::WriteBatch batch;
    std::uint64_t records = 0;
    std::optional<std::uint64_t> beyond;
    std::unique_ptr<leveldb::Iterator> it(db_->chain->NewIterator(read_options(nullptr)));
    for (it->Seek(keys::height_prefix(height + 1)); it->Valid(); it->Next()) {
        const leveldb::Slice k = it->key();
        const std::string_view key(k.data(), k.size());
        if (key.size() < keys::kChainKeyBytes) {
            return corrupt(height, "the chain database holds a malformed key above the head (" +
                                       std::to_string(key.size()) + " bytes)");
        }
        const std::uint64_t at = keys::height_of(key);
        if (at != height + 1) {
            beyond = at;
            break;
        }
        batch.Delete(k);
        ++records;
    }
    if (!it->status().ok()) {
        return db_error(it->status(), "scanning the chain database above the head");
    }
    it.reset();
    if (beyond) {
        return corrupt(height, "the chain database holds records at height " + std::to_string(*beyond) +
                                   ", more than one above the head: the state database (" + state_dir(options_.path) +
                                   ") is older than the chain database (" + chain_dir(options_.path) + ")");
    }
    if (records > 0) {
        JC_TRY_STATUS(db_write(*db_, *db_->chain, batch,
                               "removing the torn commit at height " + std::to_string(height + 1)));
        torn_commit_ = TornCommit{height + 1, records};
    }
    return {};
}

LedgerHead Store::head() const {
    std::lock_guard lock(head_mutex_);
    return head_;
}

std::shared_ptr<const StoreSnapshot> Store::snapshot() const {
    // A commit publishes head_ just after its batches land, so the snapshots may already contain
    // the next block. Then the snapshot's head is read from the snapshot itself, so that head and
    // data agree: the state snapshot's indexes name that block's transactions, which a reader
    // with the older head would be refused as missing. If that read fails (a transient I/O
    // error), fresh snapshots are taken: by then the commit has published its head. If the
    // reads keep failing, the in-memory head stands but the snapshot's data may be a later
    // head's, so every read through it returns the failure instead.
    constexpr int kAttempts = 3;
    std::optional<Error> failure;
    for (int attempt = 1;; ++attempt) {
        LedgerHead head;
        const leveldb::Snapshot* state_snap = nullptr;
        const leveldb::Snapshot* chain_snap = nullptr;
        {
            std::lock_guard lock(head_mutex_);
            head = head_;
            // State first, then chain: a commit writes its chain batch before its state batch,
            // so the chain snapshot holds every block the state snapshot's head names.
            state_snap = db_->state->GetSnapshot();
            chain_snap = db_->chain->GetSnapshot();
        }
        bool agrees = true;
        Result<std::optional<std::string>> record = std::optional<std::string>{};
        if (Status hook = options_.snapshot_head_read_for_test ? options_.snapshot_head_read_for_test(attempt) : Status{};
            !hook) {
            record = hook.error();
        } else {
            record = db_get(*db_->state, state_snap, keys::meta(keys::kHead));
        }
        auto on_disk = !record ? Result<HeadRecord>(record.error())
                       : *record ? decode_head(**record)
                                 : Result<HeadRecord>(Error(Errc::kCorruption, "the head record is missing"));
        if (!on_disk) {
            agrees = false;  // the head record is unreadable: which head the snapshot holds is unknown
            failure = on_disk.error();
        } else if (on_disk->height != head.height) {
            auto loaded = load_head(*db_, state_snap, chain_snap, genesis_);
            if (loaded) {
                head = std::move(*loaded);
            } else {
                agrees = false;
                failure = loaded.error();
            }
        }
        if (agrees || attempt == kAttempts) {
            auto snapshot = std::shared_ptr<StoreSnapshot>(new StoreSnapshot(db_, state_snap, chain_snap, std::move(head)));
            if (!agrees) {
                snapshot->head_unknown_ =
                    Error(failure->code(), "ledger store: a snapshot's head could not be read from it (" +
                                               std::to_string(kAttempts) + " attempts; the last committed head is " +
                                               std::to_string(snapshot->head_.height) + "): " + failure->message());
            }
            return snapshot;
        }
        db_->state->ReleaseSnapshot(state_snap);
        db_->chain->ReleaseSnapshot(chain_snap);
    }
}

Status Store::check_certificate(const Certificate& cert, VoteKind kind, std::uint64_t height,
                                const Hash& digest, std::string_view what) const {
    if (cert.kind != kind || cert.height != height || cert.digest != digest) {
        return Error(Errc::kInvalidArgument,
                     std::string(what) + " at height " + std::to_string(height) +
                         " does not certify this block or results (kind " +
                         std::to_string(static_cast<unsigned>(cert.kind)) + ", height " +
                         std::to_string(cert.height) + ", digest " + cert.digest.hex() + ")");
    }
    if (options_.verify_signatures) {
        if (auto s = verify_certificate(cert, genesis_.chain_id(), validator_keys_); !s) {
            return Error(Errc::kCrypto, std::string(what) + " at height " + std::to_string(height) +
                                            ": " + s.error().message());
        }
    }
    return {};
}

Status Store::commit_block(const Block& block, const Certificate& commit_certificate,
                           const std::vector<Receipt>& receipts, const StateWrites& state_writes,
                           const ExecutionResults& results) {
    auto committed = commit(block, commit_certificate, receipts, state_writes, &results);
    if (!committed) {
        return committed.error();
    }
    return {};
}

Result<ExecutionResults> Store::commit_block(const Block& block, const Certificate& commit_certificate,
                                             const std::vector<Receipt>& receipts,
                                             const StateWrites& state_writes) {
    return commit(block, commit_certificate, receipts, state_writes, nullptr);
}

Result<ExecutionResults> Store::commit(const Block& block, const Certificate& commit_certificate,
                                       const std::vector<Receipt>& receipts, const StateWrites& state_writes,
                                       const ExecutionResults* expected) {
    std::lock_guard write_lock(write_mutex_);
    const LedgerHead parent = head();
    const std::uint64_t height = parent.height + 1;
    const auto fail = [&](Errc code, const std::string& what) {
        return Error(code, "commit_block at height " + std::to_string(height) + ": " + what);
    };
    const BlockHeader& header = block.header();
    if (header.height != height) {
        return fail(Errc::kInvalidArgument, "block has height " + std::to_string(header.height) +
                                                ", the head is " + std::to_string(parent.height));
    }
    if (header.parent_hash != parent.hash) {
        return fail(Errc::kInvalidArgument, "parent hash " + header.parent_hash.hex() +
                                                " is not the head's hash " + parent.hash.hex());
    }
    if (header.timestamp_ms < parent.timestamp_ms) {
        return fail(Errc::kInvalidArgument,
                    "timestamp " + std::to_string(header.timestamp_ms) +
                        " ms is before the parent's " + std::to_string(parent.timestamp_ms));
    }
    JC_TRY_STATUS(check_certificate(commit_certificate, VoteKind::kCommit, height, block.hash(),
                                    "commit certificate"));
    if (receipts.size() != block.txs().size()) {
        return fail(Errc::kInvalidArgument, std::to_string(receipts.size()) + " receipts for " +
                                                std::to_string(block.txs().size()) + " transactions");
    }
    if (auto s = check_state_writes(state_writes); !s) {
        return fail(s.error().code(), s.error().message());
    }
    if (expected != nullptr && expected->height != height) {
        return fail(Errc::kInvalidArgument,
                    "results are for height " + std::to_string(expected->height));
    }

    // Two batches (ADR 0136): the block's per-height records into the chain database, then
    // the indexes, state, head write record and head into the state database. Both are the
    // store's reused ones (detail::Db), emptied here; write_mutex_ is held.
    leveldb::WriteBatch& chain_batch = *db_->commit_chain_batch;
    leveldb::WriteBatch& batch = *db_->commit_state_batch;
    // On every exit, a refusal half-way through a large block included.
    struct ReleaseLarge {
        Db& db;
        ~ReleaseLarge() {
            release_large_batch(db.commit_chain_batch);
            release_large_batch(db.commit_state_batch);
        }
    } release_large{*db_};
    chain_batch.Clear();
    batch.Clear();
    std::vector<Hash> receipt_hashes;
    receipt_hashes.reserve(receipts.size());
    // Each (sender, client_ref) of this block: whether an earlier block indexed it, and what its
    // index entry names as this batch leaves it (ADR 0177).
    struct RefSeen {
        bool indexed_before = false;
        std::optional<ClientRefRecord> named;
        std::optional<bool> names_rejection;  // read only when an OK transaction needs it
    };
    std::map<std::string, RefSeen, std::less<>> client_refs_in_block;
    for (std::size_t i = 0; i < receipts.size(); ++i) {
        const Receipt& receipt = receipts[i];
        const Transaction& tx = *block.txs()[i];
        const auto index = static_cast<std::uint32_t>(i);
        if (tx.chain_id() != genesis_.chain_id()) {
            return fail(Errc::kInvalidArgument, "transaction " + std::to_string(i) +
                                                    " is for chain \"" + tx.chain_id() + "\"");
        }
        if (receipt.tx_hash != tx.hash() || receipt.height != height || receipt.index != index) {
            return fail(Errc::kInvalidArgument, "receipt " + std::to_string(i) +
                                                    " does not belong to transaction " +
                                                    std::to_string(i) + " of this block");
        }
        if (auto s = receipt.validate(); !s) {
            return fail(Errc::kInvalidArgument,
                        "receipt " + std::to_string(i) + ": " + s.error().message());
        }
        const Bytes encoded = receipt.encode();
        receipt_hashes.push_back(sha256(encoded));
        chain_batch.Put(keys::chain_at(height, keys::kTx, index), tx.canonical_json());
        chain_batch.Put(keys::chain_at(height, keys::kReceipt, index), slice_of(encoded));

        // The location index names a transaction's FIRST inclusion: a replay gets a DUPLICATE
        // receipt in its own block but never hides the original outcome. The client_ref index
        // names the first inclusion too, except that the first OK one takes it over from a
        // REJECTED one: a bank that retries a refused request with the same client_ref (ADR
        // 0034) then finds its accepted outcome, not the refusal (ADR 0177).
        const TxLocation location{height, index};
        std::string ref_key = keys::client_ref(tx.sender(), tx.client_ref());
        auto ref = client_refs_in_block.find(ref_key);
        if (ref == client_refs_in_block.end()) {
            JC_ASSIGN_OR_RETURN(const auto existing_ref, db_get(*db_->state, nullptr, ref_key));
            RefSeen seen;
            seen.indexed_before = existing_ref.has_value();
            if (existing_ref) {
                auto named = decode_client_ref(*existing_ref);
                if (!named) {
                    return Error(Errc::kCorruption, "ledger store: client_ref index entry for " + tx.sender() +
                                                        "/" + tx.client_ref() + " unreadable: " + named.error().message());
                }
                seen.named = *named;
            }
            ref = client_refs_in_block.emplace(std::move(ref_key), std::move(seen)).first;
        }
        RefSeen& seen = ref->second;
        bool index_here = !seen.named.has_value();
        if (!index_here && receipt.status == ReceiptStatus::kOk) {
            if (!seen.names_rejection) {
                JC_ASSIGN_OR_RETURN(seen.names_rejection,
                                    names_rejection(*db_, seen.named->tx_hash, seen.named->location));
            }
            index_here = *seen.names_rejection;
        }
        if (index_here) {
            seen.named = ClientRefRecord{tx.hash(), location};
            seen.names_rejection = receipt.status == ReceiptStatus::kRejected;
            batch.Put(ref->first, slice_of(encode_client_ref(*seen.named)));
        }
        // The location index is read only when an earlier block indexed this (sender,
        // client_ref). Otherwise no earlier block holds this transaction: every committed
        // transaction's (sender, client_ref) is indexed in the batch that indexes its location
        // (or before), and a transaction's hash covers its sender and client_ref. A block's
        // transactions are distinct (Block), so none of this block indexed it either.
        const std::string location_key = keys::of_hash(keys::kTxLocation, tx.hash());
        bool located = false;
        if (seen.indexed_before) {
            JC_ASSIGN_OR_RETURN(const auto existing_location, db_get(*db_->state, nullptr, location_key));
            located = existing_location.has_value();
            // The same envelope refused once and accepted on a re-inclusion (no idempotency
            // record stopped it): its first OK inclusion takes the entry over too (ADR 0177).
            if (located && receipt.status == ReceiptStatus::kOk) {
                auto first = decode_location(*existing_location);
                if (!first) {
                    return Error(Errc::kCorruption, "ledger store: location of transaction " + tx.hash().hex() +
                                                        " unreadable: " + first.error().message());
                }
                JC_ASSIGN_OR_RETURN(const bool refused_first, names_rejection(*db_, tx.hash(), *first));
                located = !refused_first;
            }
        }
        if (!located) {
            batch.Put(location_key, slice_of(encode_location(location)));
        }
    }
    ExecutionResults results;
    results.height = height;
    results.receipt_root = merkle::root(receipt_hashes);
    if (expected != nullptr && results.receipt_root != expected->receipt_root) {
        return fail(Errc::kInvalidArgument, "results' receipt_root " + expected->receipt_root.hex() +
                                                " is not the receipts' root " + results.receipt_root.hex());
    }
    results.state_root = next_state_root(parent.results.state_root, state_writes);
    if (expected != nullptr && results.state_root != expected->state_root) {
        return fail(Errc::kInvalidArgument, "results' state_root " + expected->state_root.hex() +
                                                " is not the state chain's " + results.state_root.hex());
    }

    chain_batch.Put(keys::chain(height, keys::kHeader), slice_of(header.encode()));
    chain_batch.Put(keys::chain(height, keys::kCommitCert), slice_of(commit_certificate.encode()));
    chain_batch.Put(keys::chain(height, keys::kResults), slice_of(results.encode()));
    batch.Put(keys::of_hash(keys::kBlockHash, block.hash()), encode_be64(height));
    batch.Put(std::string(1, keys::kHeadWriteKeys), slice_of(encode_head_write_keys(height, state_writes)));
    put_state_writes(batch, state_writes);
    batch.Put(keys::meta(keys::kHead), slice_of(encode_head(HeadRecord{height, block.hash()})));
    // Chain first, synced: until the state batch (with the head) lands, nothing names these
    // records, readers never look above their head, and open() removes them after a crash.
    JC_TRY_STATUS(db_write(*db_, *db_->chain, chain_batch, "committing block " + std::to_string(height)));
    if (options_.between_writes_for_test) {
        if (auto s = options_.between_writes_for_test(height); !s) {
            return mark_failed(*db_, s.error());
        }
    }
    JC_TRY_STATUS(db_write(*db_, *db_->state, batch, "committing block " + std::to_string(height)));
    if (options_.before_head_published_for_test) {
        options_.before_head_published_for_test(height);
    }

    std::lock_guard head_lock(head_mutex_);
    head_.height = height;
    head_.hash = block.hash();
    head_.timestamp_ms = header.timestamp_ms;
    head_.results = results;
    return results;
}

std::string Store::engine_stats() const {
    std::string chain;
    std::string state;
    if (!db_->chain->GetProperty("leveldb.stats", &chain) || !db_->state->GetProperty("leveldb.stats", &state)) {
        return {};
    }
    return "chain database:\n" + chain + "state database:\n" + state;
}

Store::MemoryUsage Store::memory_usage() const {
    // LevelDB 1.23 reports memtable + immutable memtable + block cache usage; the cache is shared
    // (make_db), so both databases include it: take it out of each and report it once.
    auto property = [](leveldb::DB& db, const std::string& name) -> std::uint64_t {
        std::string value;
        if (!db.GetProperty(name, &value) || value.empty()) {
            return 0;
        }
        std::uint64_t n = 0;
        for (const char c : value) {
            if (c < '0' || c > '9') {
                return 0;
            }
            n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        return n;
    };
    MemoryUsage usage;
    usage.block_cache_bytes = db_->cache->TotalCharge();
    const std::uint64_t chain = property(*db_->chain, "leveldb.approximate-memory-usage");
    const std::uint64_t state = property(*db_->state, "leveldb.approximate-memory-usage");
    usage.chain_bytes = chain > usage.block_cache_bytes ? chain - usage.block_cache_bytes : 0;
    usage.state_bytes = state > usage.block_cache_bytes ? state - usage.block_cache_bytes : 0;
    const auto table_files = [&](leveldb::DB& db) {
        std::uint64_t files = 0;
        // LevelDB 1.23 has 7 levels (config::kNumLevels, not in its public headers); a level it
        // does not have answers no property, counted as 0.
        for (int level = 0; level < 7; ++level) {
            files += property(db, "leveldb.num-files-at-level" + std::to_string(level));
        }
        return files;
    };
    usage.chain_table_files = table_files(*db_->chain);
    usage.state_table_files = table_files(*db_->state);
    return usage;
}

Status Store::put_checkpoint_certificate(const Certificate& certificate) {
    std::lock_guard write_lock(write_mutex_);
    const std::uint64_t height = certificate.height;
    const std::uint64_t head_height = head().height;
    if (height > head_height) {
        return Error(Errc::kInvalidArgument, "checkpoint certificate for height " +
                                                 std::to_string(height) + " is above the head " +
                                                 std::to_string(head_height));
    }
    JC_ASSIGN_OR_RETURN(const auto own_bytes, db_get(*db_->chain, nullptr, keys::chain(height, keys::kResults)));
    if (!own_bytes) {
        return corrupt(height, "own execution results are missing");
    }
    auto own = ExecutionResults::decode(view_of(*own_bytes));
    if (!own) {
        return corrupt(height, "own execution results unreadable: " + own.error().message());
    }
    if (certificate.kind == VoteKind::kCheckpoint && certificate.digest != own->digest()) {
        // Verify before accusing ourselves: a forged certificate must not halt the node.
        JC_TRY_STATUS(check_certificate(certificate, VoteKind::kCheckpoint, height,
                                        certificate.digest, "checkpoint certificate"));
        return corrupt(height, "this node's results diverge from the quorum's checkpoint: own "
                               "results digest " + own->digest().hex() + ", certified " +
                                   certificate.digest.hex());
    }
    JC_TRY_STATUS(check_certificate(certificate, VoteKind::kCheckpoint, height, own->digest(),
                                    "checkpoint certificate"));
    const std::string key = keys::at_height(keys::kCheckpointCert, height);
    JC_ASSIGN_OR_RETURN(const auto existing, db_get(*db_->state, nullptr, key));
    if (existing) {
        return {};
    }
    leveldb::WriteBatch batch;
    batch.Put(key, slice_of(certificate.encode()));
    // The state database: a record written later for an old height would make the chain
    // database's flushes overlap its older tables again (ADR 0136).
    return db_write(*db_, *db_->state, batch, "storing checkpoint certificate " + std::to_string(height));
}

Status Store::put_consensus_record(std::string_view key, std::string_view value) {
    return write_consensus_records({ConsensusRecordWrite{std::string(key), std::string(value)}});
}

Status Store::erase_consensus_record(std::string_view key) {
    return write_consensus_records({ConsensusRecordWrite{std::string(key), std::nullopt}});
}

Status Store::write_consensus_records(const std::vector<ConsensusRecordWrite>& writes) {
    leveldb::WriteBatch batch;
    for (const auto& w : writes) {
        if (w.key.empty() || w.key.size() > kConsensusKeyBytesMax) {
            return Error(Errc::kLimit, "consensus record key of " + std::to_string(w.key.size()) +
                                           " bytes, must be 1-" +
                                           std::to_string(kConsensusKeyBytesMax));
        }
        if (w.value && w.value->size() > kConsensusValueBytesMax) {
            return Error(Errc::kLimit, "consensus record value of " +
                                           std::to_string(w.value->size()) +
                                           " bytes exceeds limit " +
                                           std::to_string(kConsensusValueBytesMax));
        }
        const std::string key = keys::in_space(keys::kConsensus, w.key);
        if (w.value) {
            batch.Put(key, *w.value);
        } else {
            batch.Delete(key);
        }
    }
    // LevelDB orders concurrent writers itself; consensus records need not wait for a block
    // commit holding write_mutex_.
    return db_write(*db_, *db_->state, batch, "writing consensus records");
}

Result<std::optional<std::string>> Store::get_consensus_record(std::string_view key) const {
    return db_get(*db_->state, nullptr, keys::in_space(keys::kConsensus, key));
}

Status Store::scan_consensus_records(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
    return db_scan(*db_->state, nullptr, keys::in_space(keys::kConsensus, prefix),
                   [&](std::string_view key, std::string_view value) {
                       return visit(key.substr(1), value);
                   });
}

// Checks one stored block against everything that refers to it. `expected_parent` is the hash
// of the block below (or the genesis hash for height 1).
Status Store::verify_block_at(const StoreSnapshot& snap, std::uint64_t height,
                              const Hash& expected_parent, Hash* hash_out) const {
    JC_ASSIGN_OR_RETURN(const auto block, snap.block(height));
    if (!block) {
        return corrupt(height, "block header is missing");
    }
    const BlockHeader& header = block->header();
    if (header.parent_hash != expected_parent) {
        return corrupt(height, "parent hash " + header.parent_hash.hex() +
                                   " is not the hash of the block below (" + expected_parent.hex() +
                                   ")");
    }
    JC_ASSIGN_OR_RETURN(const auto indexed_height, snap.height_of(block->hash()));
    if (!indexed_height || *indexed_height != height) {
        return corrupt(height, "block hash index does not lead to this block");
    }
    JC_ASSIGN_OR_RETURN(const auto cert, snap.commit_certificate(height));
    if (!cert) {
        return corrupt(height, "commit certificate is missing");
    }
    if (auto s = check_certificate(*cert, VoteKind::kCommit, height, block->hash(),
                                   "commit certificate");
        !s) {
        return corrupt(height, s.error().message());
    }
    JC_ASSIGN_OR_RETURN(const std::vector<Receipt> receipts, snap.receipts(height));
    if (receipts.size() != block->txs().size()) {
        return corrupt(height, std::to_string(receipts.size()) + " receipts for " +
                                   std::to_string(block->txs().size()) + " transactions");
    }
    for (std::size_t i = 0; i < receipts.size(); ++i) {
        const Transaction& tx = *block->txs()[i];
        if (tx.chain_id() != genesis_.chain_id()) {
            return corrupt(height, "transaction " + std::to_string(i) + " is for another chain");
        }
        if (receipts[i].tx_hash != tx.hash()) {
            return corrupt(height, "receipt " + std::to_string(i) + " is for another transaction");
        }
        const TxLocation here{height, static_cast<std::uint32_t>(i)};
        JC_ASSIGN_OR_RETURN(const auto loc, snap.tx_location(tx.hash()));
        if (!loc) {
            return corrupt(height, "transaction " + std::to_string(i) + " is not indexed");
        }
        if (*loc != here) {
            // Only another inclusion of the same transaction may own the index entry: an earlier
            // one, or a later accepted one that took it over from this refused one (ADR 0177).
            JC_ASSIGN_OR_RETURN(const auto other, snap.receipt_at(*loc));
            const bool later = loc->height > height || (loc->height == height && loc->index > here.index);
            if (!other || other->tx_hash != tx.hash() ||
                (later && (receipts[i].status != ReceiptStatus::kRejected || other->status != ReceiptStatus::kOk))) {
                return corrupt(height, "transaction " + std::to_string(i) +
                                           " is indexed at a position that does not hold it, or at a later one "
                                           "that is not its accepted re-inclusion");
            }
        }
        JC_ASSIGN_OR_RETURN(const auto by_ref, snap.read_state(keys::client_ref(tx.sender(), tx.client_ref())));
        if (!by_ref) {
            return corrupt(height, "transaction " + std::to_string(i) + " has no client_ref index entry");
        }
        auto ref = decode_client_ref(*by_ref);
        if (!ref) {
            return corrupt(height, "client_ref index entry of transaction " + std::to_string(i) +
                                       " unreadable: " + ref.error().message());
        }
        const bool earlier = ref->location.height < height ||
                             (ref->location.height == height && ref->location.index < here.index);
        if (!(ref->location == here && ref->tx_hash == tx.hash()) && !earlier) {
            // Only an OK inclusion of the same request that took the entry over from this
            // REJECTED one may be later (ADR 0177).
            JC_ASSIGN_OR_RETURN(const auto named, snap.receipt_at(ref->location));
            JC_ASSIGN_OR_RETURN(const auto retry, snap.transaction_at(ref->location));
            if (receipts[i].status != ReceiptStatus::kRejected || !named || named->tx_hash != ref->tx_hash ||
                named->status != ReceiptStatus::kOk || !retry || retry->tx->hash() != ref->tx_hash ||
                retry->tx->sender() != tx.sender() || retry->tx->client_ref() != tx.client_ref()) {
                return corrupt(height, "client_ref index entry of transaction " + std::to_string(i) +
                                           " names a later position that is not an accepted retry of it");
            }
        }
    }
    JC_ASSIGN_OR_RETURN(const auto results, snap.results(height));
    if (!results) {
        return corrupt(height, "execution results are missing");
    }
    const Hash receipt_root_now = receipt_root(receipts);
    if (results->receipt_root != receipt_root_now) {
        return corrupt(height, "recorded receipt_root " + results->receipt_root.hex() +
                                   " differs from the stored receipts' root " +
                                   receipt_root_now.hex());
    }
    JC_ASSIGN_OR_RETURN(const auto checkpoint, snap.checkpoint_certificate(height));
    if (checkpoint) {
        if (auto s = check_certificate(*checkpoint, VoteKind::kCheckpoint, height,
                                       results->digest(), "checkpoint certificate");
            !s) {
            return corrupt(height, s.error().message());
        }
    }
    *hash_out = block->hash();
    return {};
}

Status Store::check_head() {
    // head_ is not loaded yet: the snapshot takes its head from the state database (below,
    // load_head reports a missing or unreadable one precisely).
    const auto snap = snapshot();
    JC_ASSIGN_OR_RETURN(LedgerHead head,
                        load_head(*db_, static_cast<const leveldb::Snapshot*>(snap->state_snapshot_),
                                  static_cast<const leveldb::Snapshot*>(snap->chain_snapshot_), genesis_));
    const std::uint64_t height = head.height;
    if (height == 0) {
        if (head.hash != genesis_.hash()) {
            return corrupt(0, "the head record does not name the genesis");
        }
    } else {
        Hash parent = genesis_.hash();
        if (height > 1) {
            JC_ASSIGN_OR_RETURN(const auto below, snap->header(height - 1));
            if (!below) {
                return corrupt(height, "the block below the head is missing");
            }
            parent = below->hash();
        }
        Hash hash;
        JC_TRY_STATUS(verify_block_at(*snap, height, parent, &hash));
        if (hash != head.hash) {
            return corrupt(height, "the head record names block " + head.hash.hex() +
                                       " but the stored block is " + hash.hex());
        }
    }
    // remove_torn_commit() left nothing above the head; a record there now is damage.
    {
        std::unique_ptr<leveldb::Iterator> it(db_->chain->NewIterator(
            read_options(static_cast<const leveldb::Snapshot*>(snap->chain_snapshot_))));
        it->Seek(keys::height_prefix(height + 1));
        if (it->Valid()) {
            return corrupt(height, "a block is stored above the head");
        }
        if (!it->status().ok()) {
            return db_error(it->status(), "scanning the chain database above the head");
        }
    }

    // The head's state writes re-derive its state root from the parent's, and are in the state.
    // The record (V, ADR 0100) leaves the final values in the state.
    HeadWrites writes_record;
    JC_ASSIGN_OR_RETURN(const auto key_bytes, snap->read_state(std::string(1, keys::kHeadWriteKeys)));
    if (!key_bytes) {
        return corrupt(height, "the head's state writes are missing");
    }
    {
        auto decoded = decode_head_write_keys(*key_bytes);
        if (!decoded) {
            return corrupt(height, "the head's state writes are unreadable: " + decoded.error().message());
        }
        writes_record.height = decoded->height;
        writes_record.writes.reserve(decoded->writes.size());
        for (auto& e : decoded->writes) {
            StateWrite w{std::move(e.key), std::nullopt};
            if (e.kind == kHeadPutInline) {
                w.value = std::move(e.value);
            } else if (e.kind == kHeadPutInState) {
                JC_ASSIGN_OR_RETURN(w.value, snap->get(w.key));
                if (!w.value) {
                    return corrupt(height, "state key " + hex_preview(to_hex(as_bytes(w.key)), 32) +
                                               " does not hold the head's write (it is absent)");
                }
            }
            writes_record.writes.push_back(std::move(w));
        }
    }
    const HeadWrites* writes = &writes_record;
    if (writes->height != height) {
        return corrupt(height, "the recorded state writes are for height " +
                                   std::to_string(writes->height));
    }
    Hash parent_state_root;  // all-zero below the genesis
    if (height > 0) {
        JC_ASSIGN_OR_RETURN(const auto parent_results, snap->results(height - 1));
        if (!parent_results) {
            return corrupt(height, "the parent's execution results are missing");
        }
        parent_state_root = parent_results->state_root;
    }
    if (next_state_root(parent_state_root, writes->writes) != head.results.state_root) {
        // The values came from the state: either the recorded results or a value the head
        // wrote was altered, and the root cannot tell which.
        return corrupt(height, "the state root does not follow from the parent's state root and "
                               "the head's writes as the state holds them: the recorded results "
                               "are wrong or the state does not hold the head's writes");
    }
    if (height == 0 && head.results.receipt_root != merkle::empty_root()) {
        return corrupt(0, "the genesis receipt root is not the empty root");
    }
    std::map<std::string_view, const std::optional<std::string>*> final_values;
    for (const auto& w : writes->writes) {
        final_values[w.key] = &w.value;
    }
    for (const auto& [key, value] : final_values) {
        JC_ASSIGN_OR_RETURN(const auto stored, snap->get(key));
        if (stored != *value) {
            return corrupt(height, "state key " + hex_preview(to_hex(as_bytes(key)), 32) +
                                       " does not hold the head's write");
        }
    }

    std::lock_guard lock(head_mutex_);
    head_ = std::move(head);
    return {};
}

Result<Store::ChecksumReport> Store::verify_checksums() const {
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;  // a full pass would only evict the useful blocks
    ChecksumReport report;
    for (leveldb::DB* db : {db_->chain.get(), db_->state.get()}) {
        std::unique_ptr<leveldb::Iterator> it(db->NewIterator(ro));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            report.records++;
            report.bytes += it->key().size() + it->value().size();
        }
        if (!it->status().ok()) {
            return Error(Errc::kCorruption, "ledger store: checksum verification of " +
                                                (db == db_->chain.get() ? chain_dir(options_.path)
                                                                        : state_dir(options_.path)) +
                                                " failed after " + std::to_string(report.records) +
                                                " records: " + it->status().ToString());
        }
    }
    return report;
}

Status Store::verify_blocks(std::uint64_t first, std::uint64_t last) const {
    const auto snap = snapshot();
    if (first == 0 || first > last || last > snap->head().height) {
        return Error(Errc::kInvalidArgument, "verify_blocks: range " + std::to_string(first) + "-" +
                                                 std::to_string(last) + " is not within 1-" +
                                                 std::to_string(snap->head().height));
    }
    Hash parent = genesis_.hash();
    if (first > 1) {
        JC_ASSIGN_OR_RETURN(const auto below, snap->header(first - 1));
        if (!below) {
            return corrupt(first - 1, "block header is missing");
        }
        parent = below->hash();
    }
    for (std::uint64_t height = first; height <= last; ++height) {
        Hash hash;
        JC_TRY_STATUS(verify_block_at(*snap, height, parent, &hash));
        parent = hash;
    }
    if (last == snap->head().height && parent != snap->head().hash) {
        return corrupt(last, "the head record names another block");
    }
    return {};
}

}  // namespace jc::ledger
