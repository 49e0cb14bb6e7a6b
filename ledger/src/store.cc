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

#include <filesystem>
#include <map>
#include <set>
#include <utility>

namespace jc::ledger {

// ---------------------------------------------------------------------------------------------
// The LevelDB handle. Members are destroyed in reverse order: the DB before the cache, filter
// policy and environment it uses.
namespace detail {
struct Db {
    std::unique_ptr<leveldb::Env> mem_env;
    std::unique_ptr<const leveldb::FilterPolicy> filter;
    std::unique_ptr<leveldb::Cache> cache;
    std::unique_ptr<leveldb::DB> db;
    std::string path;
    // The first failed write, kept: after one, no write is attempted again (db_write).
    std::mutex failed_mutex;
    std::optional<Error> failed;
};
}  // namespace detail

namespace {

using detail::Db;

// Key layout (docs/spec/storage.md). One byte of prefix separates the keyspaces; heights and
// indexes are big-endian so keys sort in chain order.
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
constexpr char kHeadWrites = 'W';     // legacy: the head's writes with values (read, never written)
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

std::string at_index(char prefix, std::uint64_t height, std::uint32_t index) {
    std::string k = at_height(prefix, height);
    append_be(k, index, 4);
    return k;
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

// The index encoded in the last four bytes of an at_index key.
std::uint32_t index_of(std::string_view key) {
    JC_ASSERT(key.size() == 13, "ledger.store.index_key_size");
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

Result<std::shared_ptr<Db>> open_db(const StoreOptions& options, bool create) {
    auto db = std::make_shared<Db>();
    db->path = options.path;
    leveldb::Options opts;
    opts.create_if_missing = create;
    opts.paranoid_checks = true;
    opts.write_buffer_size = options.write_buffer_bytes;
    opts.max_file_size = options.table_file_bytes;
    opts.max_open_files = options.max_open_files;
    db->filter.reset(leveldb::NewBloomFilterPolicy(10));
    opts.filter_policy = db->filter.get();
    db->cache.reset(leveldb::NewLRUCache(options.block_cache_bytes));
    opts.block_cache = db->cache.get();
    if (options.in_memory) {
        db->mem_env.reset(leveldb::NewMemEnv(leveldb::Env::Default()));
        opts.env = db->mem_env.get();
    }
    leveldb::DB* raw = nullptr;
    const leveldb::Status s = leveldb::DB::Open(opts, options.path, &raw);
    if (!s.ok()) {
        if (!create && s.IsInvalidArgument() &&
            s.ToString().find("does not exist") != std::string::npos) {
            // LevelDB says "does not exist" when CURRENT is missing, even if the directory still
            // holds tables and logs. Only a directory with nothing but what a failed open leaves
            // behind (LOCK, LOG) is a missing store; anything else is a damaged one, and treating
            // it as missing would let the caller create a fresh empty ledger over it.
            // A creation killed part way is missing too: LevelDB creates a database by writing
            // MANIFEST-000001 (through 000001.dbtmp) and only then CURRENT, and writes no log or
            // table before that, so those two files hold nothing a ledger could lose; the next
            // creation rewrites them (regression: jc_ledger_crash_test, a kill during creation).
            std::error_code ec;
            for (const auto& entry : std::filesystem::directory_iterator(options.path, ec)) {
                const auto name = entry.path().filename().string();
                if (name != "LOCK" && name != "LOG" && name != "LOG.old" && name != "MANIFEST-000001" &&
                    name != "000001.dbtmp") {
                    return Error(Errc::kCorruption, "ledger store: " + options.path + " holds " + name +
                                                        " but no readable CURRENT file: " + s.ToString());
                }
            }
            return Error(Errc::kNotFound, "ledger store: no store at " + options.path);
        }
        return db_error(s, "opening " + options.path);
    }
    db->db.reset(raw);
    return db;
}

leveldb::ReadOptions read_options(const leveldb::Snapshot* snapshot) {
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.snapshot = snapshot;
    return ro;
}

Result<std::optional<std::string>> db_get(const Db& db, const leveldb::Snapshot* snapshot,
                                          std::string_view key) {
    std::string value;
    const leveldb::Status s =
        db.db->Get(read_options(snapshot), leveldb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) {
        return std::optional<std::string>{};
    }
    if (!s.ok()) {
        return db_error(s, "reading");
    }
    return std::optional<std::string>{std::move(value)};
}

Status db_scan(const Db& db, const leveldb::Snapshot* snapshot, std::string_view prefix,
               const std::function<bool(std::string_view key, std::string_view value)>& visit) {
    std::unique_ptr<leveldb::Iterator> it(db.db->NewIterator(read_options(snapshot)));
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
// stop and reopen the store (docs/decisions/0096-eio-injection.md).
Status db_write(Db& db, leveldb::WriteBatch& batch, std::string_view what) {
    {
        std::lock_guard lock(db.failed_mutex);
        if (db.failed) {
            return Error(db.failed->code(), "ledger store: not " + std::string(what) + ": an earlier write failed (" +
                                                db.failed->message() + "); reopen the store");
        }
    }
    leveldb::WriteOptions wo;
    wo.sync = true;
    const leveldb::Status s = db.db->Write(wo, &batch);
    if (!s.ok()) {
        Error e = db_error(s, what);
        std::lock_guard lock(db.failed_mutex);
        if (!db.failed) {
            db.failed = e;
        }
        return e;
    }
    return {};
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

struct HeadWrites {
    std::uint64_t height = 0;
    StateWrites writes;
};

Result<HeadWrites> decode_head_writes(const std::string& bytes) {
    codec::Reader r(view_of(bytes));
    HeadWrites out;
    JC_ASSIGN_OR_RETURN(out.height, r.u64());
    JC_ASSIGN_OR_RETURN(out.writes, decode_state_writes(r));
    JC_TRY_STATUS(r.finish());
    return out;
}

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

// Reads the head the snapshot sees: the head record, the head block's timestamp and results.
Result<LedgerHead> load_head(const Db& db, const leveldb::Snapshot* snap, const Genesis& genesis) {
    JC_ASSIGN_OR_RETURN(const auto head_bytes, db_get(db, snap, keys::meta(keys::kHead)));
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
                            db_get(db, snap, keys::at_height(keys::kHeader, head.height)));
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
                        db_get(db, snap, keys::at_height(keys::kResults, head.height)));
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

StoreSnapshot::StoreSnapshot(std::shared_ptr<Db> db, const void* snapshot, LedgerHead head)
    : db_(std::move(db)), snapshot_(snapshot), head_(std::move(head)) {}

StoreSnapshot::~StoreSnapshot() {
    db_->db->ReleaseSnapshot(static_cast<const leveldb::Snapshot*>(snapshot_));
}

Result<std::optional<std::string>> StoreSnapshot::read(std::string_view key) const {
    return db_get(*db_, static_cast<const leveldb::Snapshot*>(snapshot_), key);
}

Result<std::optional<std::string>> StoreSnapshot::get(std::string_view key) const {
    return read(keys::in_space(keys::kState, key));
}

Status StoreSnapshot::scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
    const std::string full = keys::in_space(keys::kState, prefix);
    return db_scan(*db_, static_cast<const leveldb::Snapshot*>(snapshot_), full,
                   [&](std::string_view key, std::string_view value) {
                       return visit(key.substr(1), value);
                   });
}

Result<std::optional<BlockHeader>> StoreSnapshot::header(std::uint64_t height) const {
    JC_ASSIGN_OR_RETURN(const auto bytes, read(keys::at_height(keys::kHeader, height)));
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
    JC_ASSIGN_OR_RETURN(const auto bytes, read(keys::of_hash(keys::kBlockHash, block_hash)));
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
    JC_TRY_STATUS(db_scan(*db_, static_cast<const leveldb::Snapshot*>(snapshot_),
                          keys::at_height(keys::kTx, height),
                          [&](std::string_view key, std::string_view value) {
                              if (key.size() != 13 || keys::index_of(key) != txs.size()) {
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
    JC_TRY_STATUS(db_scan(*db_, static_cast<const leveldb::Snapshot*>(snapshot_),
                          keys::at_height(keys::kReceipt, height),
                          [&](std::string_view key, std::string_view value) {
                              if (key.size() != 13 || keys::index_of(key) != hashes.size() ||
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
    JC_ASSIGN_OR_RETURN(const auto bytes, read(keys::at_height(keys::kCommitCert, height)));
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
    JC_ASSIGN_OR_RETURN(const auto bytes, read(keys::at_height(keys::kResults, height)));
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
    JC_ASSIGN_OR_RETURN(const auto bytes, read(keys::at_height(keys::kCheckpointCert, height)));
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
    JC_ASSIGN_OR_RETURN(const auto bytes, read(keys::of_hash(keys::kTxLocation, tx_hash)));
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
    JC_ASSIGN_OR_RETURN(const auto bytes,
                        read(keys::at_index(keys::kTx, loc->height, loc->index)));
    if (!bytes) {
        return corrupt(loc->height, "transaction " + std::to_string(loc->index) +
                                        " named by the index is missing");
    }
    auto tx = Transaction::parse(*bytes);
    if (!tx || tx->hash() != tx_hash || tx->canonical_json() != *bytes) {
        return corrupt(loc->height, "transaction " + std::to_string(loc->index) +
                                        " does not match the index entry for " + tx_hash.hex());
    }
    return std::optional<StoredTx>{
        StoredTx{std::make_shared<const Transaction>(std::move(*tx)), *loc}};
}

Result<std::optional<Receipt>> StoreSnapshot::receipt_at(const TxLocation& location) const {
    JC_ASSIGN_OR_RETURN(const auto bytes,
                        read(keys::at_index(keys::kReceipt, location.height, location.index)));
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
    JC_TRY_STATUS(db_scan(*db_, static_cast<const leveldb::Snapshot*>(snapshot_),
                          keys::at_height(keys::kReceipt, height),
                          [&](std::string_view key, std::string_view value) {
                              if (key.size() != 13 || keys::index_of(key) != out.size()) {
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
    JC_ASSIGN_OR_RETURN(const auto bytes, read(keys::client_ref(bank_id, client_ref)));
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

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options, const Genesis& genesis) {
    JC_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, open_db(options, /*create=*/false));
    JC_ASSIGN_OR_RETURN(const auto format, db_get(*db, nullptr, keys::meta(keys::kFormat)));
    if (!format) {
        bool empty = true;
        JC_TRY_STATUS(db_scan(*db, nullptr, "", [&](std::string_view, std::string_view) {
            empty = false;
            return false;
        }));
        if (empty) {
            return Error(Errc::kNotFound, "ledger store: the store at " + options.path +
                                              " was never initialised");
        }
        return Error(Errc::kCorruption,
                     "ledger store: " + options.path + " has data but no format record");
    }
    if (*format != encode_be64(kStoreFormatVersion)) {
        return Error(Errc::kInvalidArgument, "ledger store: " + options.path +
                                                 " has an unsupported format (this build reads "
                                                 "version " + std::to_string(kStoreFormatVersion) + ")");
    }
    JC_ASSIGN_OR_RETURN(const auto genesis_hash, db_get(*db, nullptr, keys::meta(keys::kGenesisHash)));
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
    JC_ASSIGN_OR_RETURN(const auto legacy_writes, db_get(*db, nullptr, std::string(1, keys::kHeadWrites)));
    std::unique_ptr<Store> store(new Store(options, genesis, std::move(db)));
    store->legacy_head_writes_ = legacy_writes.has_value();
    JC_TRY_STATUS(store->check_head());
    return store;
}

Result<std::unique_ptr<Store>> Store::create(const StoreOptions& options, const Genesis& genesis,
                                             const StateWrites& genesis_writes) {
    if (auto s = check_state_writes(genesis_writes); !s) {
        return s.error().with_context("genesis state writes");
    }
    JC_ASSIGN_OR_RETURN(std::shared_ptr<Db> db, open_db(options, /*create=*/true));
    bool empty = true;
    JC_TRY_STATUS(db_scan(*db, nullptr, "", [&](std::string_view, std::string_view) {
        empty = false;
        return false;
    }));
    if (!empty) {
        return Error(Errc::kAlreadyExists, "ledger store: a store already exists at " + options.path);
    }
    ExecutionResults results;
    results.height = 0;
    results.state_root = genesis_state_root(genesis_writes);
    results.receipt_root = merkle::empty_root();

    leveldb::WriteBatch batch;
    batch.Put(keys::meta(keys::kFormat), encode_be64(kStoreFormatVersion));
    batch.Put(keys::meta(keys::kGenesis), genesis.canonical_json());
    batch.Put(keys::meta(keys::kGenesisHash),
              leveldb::Slice(reinterpret_cast<const char*>(genesis.hash().bytes.data()), Hash::kSize));
    put_state_writes(batch, genesis_writes);
    batch.Put(std::string(1, keys::kHeadWriteKeys), slice_of(encode_head_write_keys(0, genesis_writes)));
    batch.Put(keys::at_height(keys::kResults, 0), slice_of(results.encode()));
    batch.Put(keys::meta(keys::kHead), slice_of(encode_head(HeadRecord{0, genesis.hash()})));
    JC_TRY_STATUS(db_write(*db, batch, "creating the store"));

    std::unique_ptr<Store> store(new Store(options, genesis, std::move(db)));
    JC_TRY_STATUS(store->check_head());
    return store;
}

LedgerHead Store::head() const {
    std::lock_guard lock(head_mutex_);
    return head_;
}

std::shared_ptr<const StoreSnapshot> Store::snapshot() const {
    LedgerHead head;
    const leveldb::Snapshot* snap = nullptr;
    {
        std::lock_guard lock(head_mutex_);
        head = head_;
        snap = db_->db->GetSnapshot();
    }
    // A commit publishes head_ just after its batch lands, so the snapshot may already contain
    // the next block. Then the snapshot's head is read from the snapshot itself: head and data
    // always agree. (If that read fails the conservative in-memory head stands; every block up
    // to it is complete in the snapshot either way.)
    auto record = db_get(*db_, snap, keys::meta(keys::kHead));
    if (record && *record) {
        auto on_disk = decode_head(**record);
        if (on_disk && on_disk->height != head.height) {
            if (auto loaded = load_head(*db_, snap, genesis_); loaded) {
                head = std::move(*loaded);
            }
        }
    }
    return std::shared_ptr<const StoreSnapshot>(new StoreSnapshot(db_, snap, std::move(head)));
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
    if (results.height != height) {
        return fail(Errc::kInvalidArgument,
                    "results are for height " + std::to_string(results.height));
    }

    leveldb::WriteBatch batch;
    std::vector<Hash> receipt_hashes;
    receipt_hashes.reserve(receipts.size());
    std::set<std::string> client_refs_in_block;
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
        batch.Put(keys::at_index(keys::kTx, height, index), tx.canonical_json());
        batch.Put(keys::at_index(keys::kReceipt, height, index), slice_of(encoded));

        // Indexes point at the FIRST inclusion: a replayed transaction or client_ref gets a
        // DUPLICATE receipt in its own block but never hides the original outcome.
        const TxLocation location{height, index};
        const std::string location_key = keys::of_hash(keys::kTxLocation, tx.hash());
        JC_ASSIGN_OR_RETURN(const auto existing_location, db_get(*db_, nullptr, location_key));
        if (!existing_location) {
            batch.Put(location_key, slice_of(encode_location(location)));
        }
        const std::string ref_key = keys::client_ref(tx.sender(), tx.client_ref());
        if (client_refs_in_block.insert(ref_key).second) {
            JC_ASSIGN_OR_RETURN(const auto existing_ref, db_get(*db_, nullptr, ref_key));
            if (!existing_ref) {
                batch.Put(ref_key, slice_of(encode_client_ref(ClientRefRecord{tx.hash(), location})));
            }
        }
    }
    const Hash receipt_root = merkle::root(receipt_hashes);
    if (receipt_root != results.receipt_root) {
        return fail(Errc::kInvalidArgument, "results' receipt_root " + results.receipt_root.hex() +
                                                " is not the receipts' root " + receipt_root.hex());
    }
    const Hash state_root = next_state_root(parent.results.state_root, state_writes);
    if (state_root != results.state_root) {
        return fail(Errc::kInvalidArgument, "results' state_root " + results.state_root.hex() +
                                                " is not the state chain's " + state_root.hex());
    }

    batch.Put(keys::at_height(keys::kHeader, height), slice_of(header.encode()));
    batch.Put(keys::of_hash(keys::kBlockHash, block.hash()), encode_be64(height));
    batch.Put(keys::at_height(keys::kCommitCert, height), slice_of(commit_certificate.encode()));
    batch.Put(keys::at_height(keys::kResults, height), slice_of(results.encode()));
    batch.Put(std::string(1, keys::kHeadWriteKeys), slice_of(encode_head_write_keys(height, state_writes)));
    if (legacy_head_writes_) {
        batch.Delete(std::string(1, keys::kHeadWrites));  // superseded by V (ADR 0100)
    }
    put_state_writes(batch, state_writes);
    batch.Put(keys::meta(keys::kHead), slice_of(encode_head(HeadRecord{height, block.hash()})));
    JC_TRY_STATUS(db_write(*db_, batch, "committing block " + std::to_string(height)));
    legacy_head_writes_ = false;

    std::lock_guard head_lock(head_mutex_);
    head_.height = height;
    head_.hash = block.hash();
    head_.timestamp_ms = header.timestamp_ms;
    head_.results = results;
    return {};
}

std::string Store::engine_stats() const {
    std::string out;
    if (!db_->db->GetProperty("leveldb.stats", &out)) {
        return {};
    }
    return out;
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
    JC_ASSIGN_OR_RETURN(const auto own_bytes, db_get(*db_, nullptr, keys::at_height(keys::kResults, height)));
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
    JC_ASSIGN_OR_RETURN(const auto existing, db_get(*db_, nullptr, key));
    if (existing) {
        return {};
    }
    leveldb::WriteBatch batch;
    batch.Put(key, slice_of(certificate.encode()));
    return db_write(*db_, batch, "storing checkpoint certificate " + std::to_string(height));
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
    return db_write(*db_, batch, "writing consensus records");
}

Result<std::optional<std::string>> Store::get_consensus_record(std::string_view key) const {
    return db_get(*db_, nullptr, keys::in_space(keys::kConsensus, key));
}

Status Store::scan_consensus_records(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& visit) const {
    return db_scan(*db_, nullptr, keys::in_space(keys::kConsensus, prefix),
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
            // Only an earlier inclusion of the same transaction may own the index entry.
            JC_ASSIGN_OR_RETURN(const auto first, snap.receipt_at(*loc));
            if (loc->height >= height || !first || first->tx_hash != tx.hash()) {
                return corrupt(height, "transaction " + std::to_string(i) +
                                           " is indexed at a position that does not hold it");
            }
        }
        JC_ASSIGN_OR_RETURN(const auto by_ref, snap.read(keys::client_ref(tx.sender(), tx.client_ref())));
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
            return corrupt(height, "client_ref index entry of transaction " + std::to_string(i) +
                                       " names a later position");
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
    const auto snap = snapshot();  // head_ is not loaded yet; the snapshot's own head is unused
    const auto* raw = static_cast<const leveldb::Snapshot*>(snap->snapshot_);
    JC_ASSIGN_OR_RETURN(LedgerHead head, load_head(*db_, raw, genesis_));
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
        JC_ASSIGN_OR_RETURN(const auto above, snap->read(keys::at_height(keys::kHeader, height + 1)));
        if (above) {
            return corrupt(height, "a block is stored above the head");
        }
    }

    // The head's state writes re-derive its state root from the parent's, and are in the state.
    // Since ADR 0100 the record (V) leaves the final values in the state; a store written before
    // keeps the full list (W).
    HeadWrites writes_record;
    bool values_from_state = false;
    JC_ASSIGN_OR_RETURN(const auto key_bytes, snap->read(std::string(1, keys::kHeadWriteKeys)));
    if (key_bytes) {
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
        values_from_state = true;
    } else {
        JC_ASSIGN_OR_RETURN(const auto writes_bytes, snap->read(std::string(1, keys::kHeadWrites)));
        if (!writes_bytes) {
            return corrupt(height, "the head's state writes are missing");
        }
        auto decoded = decode_head_writes(*writes_bytes);
        if (!decoded) {
            return corrupt(height, "the head's state writes are unreadable: " + decoded.error().message());
        }
        writes_record = std::move(decoded).value();
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
        if (values_from_state) {
            // The values came from the state: either the recorded results or a value the head
            // wrote was altered, and the root cannot tell which.
            return corrupt(height, "the state root does not follow from the parent's state root and "
                                   "the head's writes as the state holds them: the recorded results "
                                   "are wrong or the state does not hold the head's writes");
        }
        return corrupt(height, "the state root does not follow from the parent's state root and "
                               "the head's state writes");
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
    std::unique_ptr<leveldb::Iterator> it(db_->db->NewIterator(ro));
    ChecksumReport report;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        report.records++;
        report.bytes += it->key().size() + it->value().size();
    }
    if (!it->status().ok()) {
        return Error(Errc::kCorruption, "ledger store: checksum verification failed after " +
                                            std::to_string(report.records) +
                                            " records: " + it->status().ToString());
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
