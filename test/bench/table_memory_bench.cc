// Table memory benchmark: how much heap does LevelDB hold per open table of a store?
//
// LevelDB keeps each open table's index block and Bloom filter block in memory for as long as
// the table is in its table cache; jointcleard reads tables with pread (ADR 0166), so both are
// heap. This term grows with the ledger (ADR 0166's amendment). The tool opens every table of a
// database the way the store does (pread, the store's Bloom policy or none) and reports the
// heap that opening them took, with and without the filter, so the index and filter shares can
// be told apart.
//
//   jc_table_memory_bench DB_DIR [DB_DIR...]
//       one line per database: tables, bytes on disk, heap with the filter, heap without it
//   jc_table_memory_bench --rewrite FROM TO --block-size N --filter-bits B
//       copies every record of the database at FROM (opening it may compact it: use a copy)
//       into a new database at TO written with those options (B = 0: no filter), compacts TO
//       fully, then reports it as above
//   jc_table_memory_bench --random-gets DIR N
//       times N point reads of keys drawn uniformly from all of DIR's, through a 32 MiB cache
//
// Heap is glibc's mallinfo2() in-use bytes, mapped chunks included; run it without jemalloc
// preloaded.
#include <fcntl.h>
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/filter_policy.h>
#include <leveldb/options.h>
#include <leveldb/table.h>
#include <leveldb/write_batch.h>
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

class PreadFile final : public leveldb::RandomAccessFile {
public:
    explicit PreadFile(int fd) : fd_(fd) {}
    ~PreadFile() override { ::close(fd_); }
    PreadFile(const PreadFile&) = delete;
    PreadFile& operator=(const PreadFile&) = delete;
    leveldb::Status Read(std::uint64_t offset, std::size_t n, leveldb::Slice* result,
                         char* scratch) const override {
        const ssize_t got = ::pread(fd_, scratch, n, static_cast<off_t>(offset));
        if (got < 0) {
            return leveldb::Status::IOError("pread", std::strerror(errno));
        }
        *result = leveldb::Slice(scratch, static_cast<std::size_t>(got));
        return leveldb::Status::OK();
    }

private:
    int fd_;
};

// Reads table files with pread, as the store does (ADR 0166), not through LevelDB's mmap.
class PreadEnv final : public leveldb::EnvWrapper {
public:
    PreadEnv() : leveldb::EnvWrapper(leveldb::Env::Default()) {}
    leveldb::Status NewRandomAccessFile(const std::string& name,
                                        leveldb::RandomAccessFile** result) override {
        const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            *result = nullptr;
            return leveldb::Status::IOError(name, std::strerror(errno));
        }
        *result = new PreadFile(fd);
        return leveldb::Status::OK();
    }
};

// glibc serves blocks of 128 KiB and more (the filter of a large level-0 table) with their own
// mappings, which uordblks leaves out and hblkhd counts.
std::size_t heap_in_use() {
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

struct Report {
    std::size_t tables = 0;
    std::uintmax_t disk_bytes = 0;
    std::size_t heap_with_filter = 0;
    std::size_t heap_without_filter = 0;
};

// Opens every table of `dir` and returns the heap it took; the tables stay open until the
// function returns, as a table cache holds them.
std::size_t open_all(const std::vector<std::filesystem::path>& tables,
                     const leveldb::FilterPolicy* filter) {
    leveldb::Options options;
    options.filter_policy = filter;
    options.paranoid_checks = true;
    std::vector<std::unique_ptr<leveldb::Table>> open;
    std::vector<std::unique_ptr<leveldb::RandomAccessFile>> files;
    PreadEnv env;
    const std::size_t before = heap_in_use();
    for (const auto& path : tables) {
        leveldb::RandomAccessFile* file = nullptr;
        const leveldb::Status opened = env.NewRandomAccessFile(path.string(), &file);
        if (!opened.ok()) {
            std::fprintf(stderr, "%s\n", opened.ToString().c_str());
            std::exit(2);
        }
        files.emplace_back(file);
        leveldb::Table* table = nullptr;
        const leveldb::Status s =
            leveldb::Table::Open(options, file, std::filesystem::file_size(path), &table);
        if (!s.ok()) {
            // A table a compaction was writing when the process stopped: not in the manifest,
            // LevelDB deletes it at the next open.
            std::fprintf(stderr, "skipped %s: %s\n", path.c_str(), s.ToString().c_str());
            files.pop_back();
            continue;
        }
        open.emplace_back(table);
    }
    const std::size_t after = heap_in_use();
    // The vectors' own buffers are counted too; at 16 bytes a table they are noise.
    return after - before;
}

Report measure(const std::string& dir) {
    std::vector<std::filesystem::path> tables;
    Report r;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".ldb" || entry.path().extension() == ".sst") {
            tables.push_back(entry.path());
            r.disk_bytes += entry.file_size();
        }
    }
    r.tables = tables.size();
    const std::unique_ptr<const leveldb::FilterPolicy> bloom(leveldb::NewBloomFilterPolicy(10));
    r.heap_with_filter = open_all(tables, bloom.get());
    r.heap_without_filter = open_all(tables, nullptr);
    return r;
}

void print(const std::string& dir, const Report& r) {
    const double mib = 1024.0 * 1024.0;
    std::printf(
        "%s: %zu tables, %.1f MiB on disk; heap %.2f MiB with the filter (%.1f KiB a table), "
        "%.2f MiB without (index blocks), filters %.2f MiB; heap/disk %.2f %%\n",
        dir.c_str(), r.tables, static_cast<double>(r.disk_bytes) / mib,
        static_cast<double>(r.heap_with_filter) / mib,
        r.tables == 0
            ? 0.0
            : static_cast<double>(r.heap_with_filter) / 1024.0 / static_cast<double>(r.tables),
        static_cast<double>(r.heap_without_filter) / mib,
        static_cast<double>(r.heap_with_filter - r.heap_without_filter) / mib,
        r.disk_bytes == 0
            ? 0.0
            : 100.0 * static_cast<double>(r.heap_with_filter) / static_cast<double>(r.disk_bytes));
}

leveldb::Status open_db(const std::string& dir, std::size_t block_size,
                        const leveldb::FilterPolicy* filter, leveldb::Cache* cache,
                        std::unique_ptr<leveldb::DB>* db) {
    static PreadEnv env;
    leveldb::Options options;
    options.env = &env;
    options.create_if_missing = true;
    options.block_size = block_size;
    options.filter_policy = filter;
    options.block_cache = cache;
    options.write_buffer_size = std::size_t{32} << 20;
    options.max_file_size = std::size_t{2} << 20;
    options.max_open_files = 1000;
    leveldb::DB* raw = nullptr;
    const leveldb::Status s = leveldb::DB::Open(options, dir, &raw);
    db->reset(raw);
    return s;
}

// Copies every record of the database at `from` into a new database at `to` written with the
// given block size and Bloom bits (0: no filter), then compacts it fully. A compaction of the
// source itself would not do: LevelDB leaves the bottom level's tables as they are.
int rewrite(const std::string& from, const std::string& to, std::size_t block_size,
            int filter_bits) {
    std::unique_ptr<const leveldb::FilterPolicy> bloom;
    if (filter_bits > 0) {
        bloom.reset(leveldb::NewBloomFilterPolicy(filter_bits));
    }
    const std::unique_ptr<leveldb::Cache> cache(leveldb::NewLRUCache(std::size_t{32} << 20));
    std::unique_ptr<leveldb::DB> src;
    std::unique_ptr<leveldb::DB> dst;
    leveldb::Status s = open_db(from, 4096, nullptr, cache.get(), &src);
    if (s.ok()) {
        s = open_db(to, block_size, bloom.get(), cache.get(), &dst);
    }
    if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 2;
    }
    const std::unique_ptr<leveldb::Iterator> it(src->NewIterator(leveldb::ReadOptions{}));
    leveldb::WriteBatch batch;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        batch.Put(it->key(), it->value());
        if (batch.ApproximateSize() > (std::size_t{4} << 20)) {
            s = dst->Write(leveldb::WriteOptions{}, &batch);
            batch.Clear();
        }
        if (!s.ok()) {
            break;
        }
    }
    if (s.ok()) {
        s = it->status();
    }
    if (s.ok()) {
        s = dst->Write(leveldb::WriteOptions{}, &batch);
    }
    if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 2;
    }
    dst->CompactRange(nullptr, nullptr);
    return 0;
}

// Times `count` point reads of keys drawn uniformly from every key of the database at `dir`,
// through a 32 MiB block cache as the store's: the cost of a read that misses the cache, which
// the data block size sets (the table files are in the kernel's page cache after the key walk).
int random_gets(const std::string& dir, std::size_t count) {
    const std::unique_ptr<const leveldb::FilterPolicy> bloom(leveldb::NewBloomFilterPolicy(10));
    const std::unique_ptr<leveldb::Cache> cache(leveldb::NewLRUCache(std::size_t{32} << 20));
    std::unique_ptr<leveldb::DB> db;
    const leveldb::Status s = open_db(dir, 4096, bloom.get(), cache.get(), &db);
    if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 2;
    }
    std::vector<std::string> keys;
    {
        const std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions{}));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            keys.push_back(it->key().ToString());
        }
    }
    std::uint64_t x = 0x9E3779B97F4A7C15ULL;  // xorshift: the same draws on every run
    std::string value;
    std::size_t found = 0;
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < count; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (db->Get(ro, keys[x % keys.size()], &value).ok()) {
            ++found;
        }
    }
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %zu keys, %zu random gets (%zu found): %.2f us a get\n", dir.c_str(),
                keys.size(), count, found, us / static_cast<double>(count));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--rewrite") == 0) {
        if (argc != 8 || std::strcmp(argv[4], "--block-size") != 0 ||
            std::strcmp(argv[6], "--filter-bits") != 0) {
            std::fprintf(stderr, "usage: %s --rewrite FROM TO --block-size N --filter-bits B\n",
                         argv[0]);
            return 2;
        }
        const int rc =
            rewrite(argv[2], argv[3], std::strtoull(argv[5], nullptr, 10), std::atoi(argv[7]));
        if (rc != 0) {
            return rc;
        }
        print(argv[3], measure(argv[3]));
        return 0;
    }
    if (argc == 4 && std::strcmp(argv[1], "--random-gets") == 0) {
        return random_gets(argv[2], std::strtoull(argv[3], nullptr, 10));
    }
    if (argc < 2) {
        std::fprintf(
            stderr,
            "usage: %s DB_DIR [DB_DIR...] | --rewrite FROM TO --block-size N --filter-bits B"
            " | --random-gets DIR N\n",
            argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; ++i) {
        print(argv[i], measure(argv[i]));
    }
    return 0;
}
