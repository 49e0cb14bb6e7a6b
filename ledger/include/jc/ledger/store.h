// Store: the node's durable ledger on LevelDB — blocks, commit certificates, receipts, indexes,
// the ordered state, execution results, checkpoint certificates and the consensus records that
// make "persist before send" possible. The on-disk format is docs/spec/storage.md; the choices
// behind it are docs/decisions/0021-ledger-store.md and 0136-two-leveldb-databases.md.
//
// Layout: two LevelDB databases under the store directory. `<path>/chain` holds only the
// append-only per-height records (header, transactions, receipts, commit certificate, results),
// keyed height first, so LevelDB never rewrites them in compaction; `<path>/state` holds
// everything else (meta and head, state, indexes, checkpoint certificates, consensus records).
//
// Guarantees:
//  - `commit_block` writes the block's chain records in one synced LevelDB WriteBatch, then its
//    indexes, state writes and the new head in one synced batch of the state database. When it
//    returns ok the block is durable. If the process dies before, the block is not visible after
//    a restart: a crash between the two writes leaves chain records at exactly head + 1, which
//    `open` deletes (torn_commit_removed() says so); chain records any higher are corruption.
//  - Nothing inconsistent is written: commit_block checks the height and parent link, the
//    certificate's binding to the block (and its signatures, unless disabled), that every
//    transaction is for this chain, every receipt, and computes the results: the form given
//    results refuses a block whose results differ; the form without returns them (ADR 0160).
//    Transaction signatures are NOT re-verified here: the node verifies each once, before
//    consensus accepts the block.
//  - `open` refuses a store made for another genesis or in another format (a format-1 store,
//    one LevelDB directly in `<path>`, is refused with what to do), and checks the head (block,
//    transactions, certificate, receipts, results, the head's state writes against the state)
//    before serving anything; any inconsistency is an Errc::kCorruption error naming the height
//    and the problem. LevelDB's paranoid checks and checksum verification are on.
//  - Readers use `snapshot()`: a StoreSnapshot sees exactly the committed blocks up to its head,
//    never half of one (it never reads a chain record above its head). A commit may land between
//    taking the in-memory head and the LevelDB snapshots; the snapshot then reads its head from
//    its own state, retaking everything up to 3 times if that read fails. If it keeps failing,
//    the snapshot keeps the in-memory head and every read through it returns that failure
//    (naming it), never data that may belong to another head.
//  - Disk and decoding failures come back as Status/Result; nothing here throws or aborts on bad
//    data.
//
// Thread-safety: all methods may be called from any thread. commit_block and checkpoint writes
// are serialised by an internal mutex, so consensus-record writes never wait for a block's
// execution or checks (the node writes them from a thread of their own); every LevelDB write holds
// its database's write lock only for the write itself, so no write to a log starts while another
// to the same log may fail, and the first failure (in either database) stops them all. Snapshots are immutable and may outlive the
// Store object (they keep the databases open).
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/certificate.h>
#include <jc/core/error.h>
#include <jc/ledger/block.h>
#include <jc/ledger/genesis.h>
#include <jc/ledger/merkle.h>
#include <jc/ledger/receipt.h>
#include <jc/ledger/results.h>
#include <jc/ledger/state.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jc::ledger {

namespace detail {
struct Db;  // the two LevelDB handles and their environment; private to store.cc
}  // namespace detail

// 2: the chain and state databases (ADR 0136). 1: one LevelDB in the store directory (refused).
inline constexpr std::uint32_t kStoreFormatVersion = 2;
inline constexpr std::size_t kConsensusKeyBytesMax = 1024;
inline constexpr std::size_t kConsensusValueBytesMax = std::size_t{16} << 20;

struct StoreOptions {
    std::string path;  // the store directory; the databases are <path>/chain and <path>/state
    // Keep everything in memory (leveldb::NewMemEnv): for the simulator and fast tests. Data is
    // gone when the last handle closes.
    bool in_memory = false;
    // Verify commit and checkpoint certificate signatures against the genesis validator set on
    // commit and when checking the head. Turn off only in benchmarks of the store itself.
    bool verify_signatures = true;
    // One LRU block cache shared by both databases.
    std::size_t block_cache_bytes = std::size_t{32} << 20;
    // The state database's memtable size. 32 MiB rather than LevelDB's 4 (or the 8 used
    // before): it cuts compaction CPU per transaction (docs/decisions/0100-ledger-growth.md).
    std::size_t write_buffer_bytes = std::size_t{32} << 20;
    // The chain database's memtable size. Its records are written once and never compacted
    // (flushed tables go straight to a deeper level, ADR 0136), so a small memtable costs no
    // compaction and keeps memory down: up to 2 x 8 MiB.
    std::size_t chain_write_buffer_bytes = std::size_t{8} << 20;
    // LevelDB's target table file size (its max_file_size).
    std::size_t table_file_bytes = std::size_t{2} << 20;
    // LevelDB's data block size (its block_size) per database. Every open table keeps one index
    // entry per block on the heap for as long as it is open, so the block size sets how much
    // of that heap grows with the ledger (docs/decisions/0171-table-index-and-filter-memory.md).
    // The chain database, read by height in runs (sync, RPC), takes large blocks and no Bloom
    // filter (its reads are of keys that exist, one table each). The state database, read at
    // random by every block's execution, takes blocks half as large, since a read that misses
    // the block cache reads and checks a whole block, and keeps a Bloom filter of 10 bits a key.
    std::size_t chain_block_bytes = std::size_t{16} << 10;
    std::size_t state_block_bytes = std::size_t{8} << 10;
    // The open-file budget of the two databases together (LevelDB's max_open_files, split by
    // split_open_files below: each keeps up to its share - 10 tables open). The node sets it
    // from its open-file limit (src/node/src/fd_budget.h).
    int max_open_files = 1000;
    // Test hook: when set, commit_block calls it between the chain batch and the state batch
    // (the height being committed). An error is taken as a failed state write: commit_block
    // returns it and the handle refuses every later write, as after a real disk failure. Used
    // to test torn commits and readers racing a commit; never set in production.
    std::function<Status(std::uint64_t height)> between_writes_for_test;
    // Test hook: when set, every write calls it (with what is being written, e.g. "committing
    // block 3" or "writing consensus records") after the store's write lock is taken and before
    // LevelDB writes. An error is taken as that write's failure. Used to test that a failing
    // write stops a concurrent one; never set in production.
    std::function<Status(std::string_view what)> write_hook_for_test;
    // Test hook: when set, snapshot() calls it (with the attempt, from 1) just before it reads
    // the head record from its fresh state snapshot; an error is taken as that read's failure.
    // Used to test the snapshot's retry; never set in production.
    std::function<Status(int attempt)> snapshot_head_read_for_test;
    // Test hook: when set, commit_block calls it (the height committed) after both batches have
    // landed and before the in-memory head moves to the block: a snapshot() taken from it races
    // the commit as a reader on another thread can. Never set in production.
    std::function<void(std::uint64_t height)> before_head_published_for_test;
};

// LevelDB's own floor per database (it raises max_open_files below 64 tables + 10 other files
// to that), and so the store's: a budget below kStoreOpenFilesMin is exceeded by the split.
inline constexpr int kLevelDbOpenFilesMin = 74;
inline constexpr int kStoreOpenFilesMin = 2 * kLevelDbOpenFilesMin;

// How the open-file budget is shared: the state database, read at random by every block's
// execution, gets three quarters; the chain database, append-only in large tables and read for
// RPC, the rest. Each share is at least kLevelDbOpenFilesMin, so the sum exceeds a budget below
// kStoreOpenFilesMin; callers plan at least that (the node does, src/node/src/fd_budget.h).
struct OpenFileSplit {
    int chain = 0;
    int state = 0;
};
OpenFileSplit split_open_files(int max_open_files);

// What open() repaired: a crash between a commit's two writes leaves chain records at head + 1
// that no head names; open deletes them (synced) before the head check.
struct TornCommit {
    std::uint64_t height = 0;
    std::uint64_t records = 0;
};

// The last committed block. At height 0 (nothing committed yet) `hash` is the genesis hash and
// `timestamp_ms` the genesis time.
struct LedgerHead {
    std::uint64_t height = 0;
    Hash hash;
    std::int64_t timestamp_ms = 0;
    ExecutionResults results;  // this node's own results at `height`

    friend bool operator==(const LedgerHead&, const LedgerHead&) = default;
};

struct TxLocation {
    std::uint64_t height = 0;
    std::uint32_t index = 0;
    friend bool operator==(const TxLocation&, const TxLocation&) = default;
};

struct StoredTx {
    TxPtr tx;
    TxLocation location;
};

// Everything getProof returns (API.md): enough to check inclusion offline with the validator
// keys — merkle::verify_inclusion(tx_hash, location.index, header.tx_count, audit_path,
// header.tx_root), then verify_certificate(certificate) over header.hash().
struct InclusionProof {
    Hash tx_hash;
    TxLocation location;
    std::vector<Hash> audit_path;
    BlockHeader header;
    Certificate certificate;
};

// A write in the consensus-records keyspace; nullopt deletes.
struct ConsensusRecordWrite {
    std::string key;
    std::optional<std::string> value;
};

// A consistent, read-only view of the store at one head. Also the StateReader the engine
// executes against and RPC reads from. Lookups of things that do not exist return nullopt;
// errors mean the disk failed or a record is corrupt (the message names it).
class StoreSnapshot final : public StateReader {
public:
    ~StoreSnapshot() override;
    StoreSnapshot(const StoreSnapshot&) = delete;
    StoreSnapshot& operator=(const StoreSnapshot&) = delete;

    [[nodiscard]] const LedgerHead& head() const { return head_; }

    // StateReader over the ledger state at head().height.
    [[nodiscard]] Result<std::optional<std::string>> get(std::string_view key) const override;
    [[nodiscard]] Status scan(
        std::string_view prefix,
        const std::function<bool(std::string_view key, std::string_view value)>& visit) const override;

    Result<std::optional<BlockHeader>> header(std::uint64_t height) const;
    Result<std::optional<std::uint64_t>> height_of(const Hash& block_hash) const;
    // The full block; its transactions are re-parsed strictly and must match the header.
    Result<std::optional<Block>> block(std::uint64_t height) const;
    Result<std::vector<Hash>> tx_hashes(std::uint64_t height) const;
    Result<std::optional<Certificate>> commit_certificate(std::uint64_t height) const;
    Result<std::optional<ExecutionResults>> results(std::uint64_t height) const;
    Result<std::optional<Certificate>> checkpoint_certificate(std::uint64_t height) const;

    Result<std::optional<TxLocation>> tx_location(const Hash& tx_hash) const;
    Result<std::optional<StoredTx>> transaction(const Hash& tx_hash) const;
    // The transaction at a position, nullopt when none is stored there.
    Result<std::optional<StoredTx>> transaction_at(const TxLocation& location) const;
    Result<std::optional<Receipt>> receipt(const Hash& tx_hash) const;
    Result<std::optional<Receipt>> receipt_at(const TxLocation& location) const;
    Result<std::vector<Receipt>> receipts(std::uint64_t height) const;
    // The receipt that decided `bank_id`'s request `client_ref`: its first OK transaction, or
    // while none was accepted its first one (REJECTED); nullopt when there is none (ADR 0177).
    Result<std::optional<Receipt>> receipt_by_client_ref(std::string_view bank_id,
                                                         std::string_view client_ref) const;
    // The proof is checked against the stored header before it is returned.
    Result<std::optional<InclusionProof>> inclusion_proof(const Hash& tx_hash) const;

private:
    friend class Store;
    StoreSnapshot(std::shared_ptr<detail::Db> db, const void* state_snapshot, const void* chain_snapshot,
                  LedgerHead head);

    // A record of the state database.
    Result<std::optional<std::string>> read_state(std::string_view key) const;
    // A record of the chain database at `height`: nullopt above the head, so a commit in flight
    // (its chain batch written, its state batch not yet) is never seen.
    Result<std::optional<std::string>> read_chain(std::uint64_t height, std::string_view key) const;
    Status scan_chain(std::uint64_t height, std::string_view prefix,
                      const std::function<bool(std::string_view key, std::string_view value)>& visit) const;

    std::shared_ptr<detail::Db> db_;
    const void* state_snapshot_;  // const leveldb::Snapshot*s, released in the destructor
    const void* chain_snapshot_;
    LedgerHead head_;
    // Set when the head could not be read from the snapshot itself (Store::snapshot()): every
    // read returns it, since the state may belong to a later head than head_.
    std::optional<Error> head_unknown_;
};

class Store {
public:
    // Opens an existing store. Errc::kNotFound when there is no store at the path (or it was
    // never initialised); Errc::kCorruption (naming height and problem) when it fails the head
    // check; Errc::kInvalidArgument when it belongs to another genesis.
    static Result<std::unique_ptr<Store>> open(const StoreOptions& options, const Genesis& genesis);
    // Creates a new store at height 0 with the genesis state writes (produced by the engine from
    // `genesis`), in one synced batch. Errc::kAlreadyExists when a store is already there.
    static Result<std::unique_ptr<Store>> create(const StoreOptions& options, const Genesis& genesis,
                                                 const StateWrites& genesis_writes);

    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    [[nodiscard]] LedgerHead head() const;
    [[nodiscard]] const Genesis& genesis() const { return genesis_; }
    [[nodiscard]] std::shared_ptr<const StoreSnapshot> snapshot() const;

    // Commits block head().height + 1 atomically and durably. `results` must equal what the
    // store recomputes: receipt_root over `receipts` and the state chain step over
    // `state_writes` from the parent's state root. On any error nothing is written.
    Status commit_block(const Block& block, const Certificate& commit_certificate,
                        const std::vector<Receipt>& receipts, const StateWrites& state_writes,
                        const ExecutionResults& results);
    // The same commit, with the results computed here rather than checked: the receipt root over
    // `receipts` and the state chain step over `state_writes` from the head's state root, the
    // values the overload above compares against. Returns them once the block is durable. The
    // node commits this way, so a block's receipts and writes are hashed once, not twice
    // (docs/decisions/0160-commit-path-cost.md).
    Result<ExecutionResults> commit_block(const Block& block, const Certificate& commit_certificate,
                                          const std::vector<Receipt>& receipts, const StateWrites& state_writes);

    // Stores the checkpoint certificate for a height at or below the head, after checking that it
    // certifies this node's own results digest. A certificate for different results means this
    // node diverged from the quorum: Errc::kCorruption naming the height (the node must halt).
    // A second certificate for a height that already has one is accepted and not stored.
    Status put_checkpoint_certificate(const Certificate& certificate);

    // The consensus-records keyspace (persist-before-send votes, view-change state), kept apart
    // from everything else. Writes are synced before they return.
    Status put_consensus_record(std::string_view key, std::string_view value);
    Status erase_consensus_record(std::string_view key);
    // All of `writes`, atomically, in one synced batch.
    Status write_consensus_records(const std::vector<ConsensusRecordWrite>& writes);
    Result<std::optional<std::string>> get_consensus_record(std::string_view key) const;
    Status scan_consensus_records(
        std::string_view prefix,
        const std::function<bool(std::string_view key, std::string_view value)>& visit) const;

    // Deep check of every block in [first, last] (both <= head): header chain, transactions
    // against tx_root, certificate binding and signatures, receipts, results and indexes. The
    // state roots below the head are checked as a chain of recorded results only (the writes
    // of older blocks are not kept). For audits and the crash test; O(blocks).
    Status verify_blocks(std::uint64_t first, std::uint64_t last) const;

    // Set when open() removed a torn commit (see the top of this file); the node logs it.
    [[nodiscard]] const std::optional<TornCommit>& torn_commit_removed() const { return torn_commit_; }

    // Reads every record of both databases with checksum verification, so a flipped bit in any
    // table file (not only the head's records, which open() checks) is found before the node
    // serves anything: Errc::kCorruption naming the LevelDB error. Counts what it read.
    // O(store size); the node runs it at start (docs/decisions/0090-store-verified-at-start.md).
    struct ChecksumReport {
        std::uint64_t records = 0;
        std::uint64_t bytes = 0;
    };
    Result<ChecksumReport> verify_checksums() const;

    // LevelDB's own report ("leveldb.stats": files, size and compaction time and bytes per level)
    // of each database, headed "chain database" and "state database", for benchmarks and
    // operators' diagnostics. Empty when the databases cannot say.
    [[nodiscard]] std::string engine_stats() const;

    // LevelDB's estimate of the memory each database holds ("leveldb.approximate-memory-usage":
    // its memtables, the immutable one being flushed included, plus the shared block cache's
    // charge, which both databases report), in bytes, for /metrics. Zero when a database
    // cannot say. Thread-safe (LevelDB takes its own lock).
    // Also each database's table files: LevelDB keeps an open table's index and Bloom filter
    // blocks on the heap while the table is in its table cache (read with pread, ADR 0166), ~80 KB
    // per 2 MiB table, so this count bounds a term of the heap that grows with the ledger.
    struct MemoryUsage {
        std::uint64_t chain_bytes = 0;
        std::uint64_t state_bytes = 0;
        std::uint64_t block_cache_bytes = 0;  // the shared cache's charge, counted once
        std::uint64_t chain_table_files = 0;
        std::uint64_t state_table_files = 0;
    };
    [[nodiscard]] MemoryUsage memory_usage() const;

private:
    Store(StoreOptions options, Genesis genesis, std::shared_ptr<detail::Db> db);

    // Both commit_block forms; `expected` (when given) must equal the computed results.
    Result<ExecutionResults> commit(const Block& block, const Certificate& commit_certificate,
                                    const std::vector<Receipt>& receipts, const StateWrites& state_writes,
                                    const ExecutionResults* expected);
    Status remove_torn_commit();
    Status check_head();
    Status check_certificate(const Certificate& cert, VoteKind kind, std::uint64_t height,
                             const Hash& digest, std::string_view what) const;
    Status verify_block_at(const StoreSnapshot& snap, std::uint64_t height,
                           const Hash& expected_parent, Hash* hash_out) const;

    StoreOptions options_;
    Genesis genesis_;
    std::vector<ValidatorKey> validator_keys_;
    std::shared_ptr<detail::Db> db_;

    // Serialises commit_block and put_checkpoint_certificate (held across their fsync).
    std::mutex write_mutex_;
    std::optional<TornCommit> torn_commit_;
    // Guards head_; held only to copy or replace it, so readers never wait for a disk write.
    mutable std::mutex head_mutex_;
    LedgerHead head_;
};

}  // namespace jc::ledger
