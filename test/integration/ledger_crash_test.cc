// Goal: a ledger store never holds a partial block, whatever moment the process dies at, and a
// commit that returned is never lost.
// Method: a child process (jc_ledger_crash_child) commits deterministic blocks in a loop, each
// two fsynced WriteBatches (the chain database's, then the state database's with the head, ADR
// 0136); some of their transactions reuse a client_ref or replay a transaction, so the store's
// "index exists" paths (ADR 0160) are killed in too. It reports each returned commit on a pipe.
// The parent kills it with SIGKILL many times at random moments — sometimes during start-up and recovery, mostly after a
// random number of commits plus a random extra delay, so kills land inside LevelDB writes, log
// syncs and memtable compactions. After every kill the parent opens the store itself and checks:
// opening succeeds (the head check passes), the head is at least the last reported commit and at
// most one beyond it, each block's header hash and results equal the ones the parent computes
// independently from the same deterministic chain, and Store::verify_blocks (every transaction,
// receipt and index re-read) passes for the new blocks after every kill and for the whole chain
// every tenth kill and at the end. Waits are poll() calls with deadlines, never bare sleeps.
//
// JC_LEDGER_CRASH_KILLS (default 30) and JC_LEDGER_CRASH_SEED (default: random, printed) make
// longer or reproducible runs.
#include <jc/ledger/store.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_chain.h"

#ifndef JC_LEDGER_CRASH_CHILD
#error "JC_LEDGER_CRASH_CHILD must name the child executable"
#endif

using namespace jc;
namespace fs = std::filesystem;
namespace merkle = jc::ledger::merkle;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kTxsMax = 100;  // up to ~80 KiB per batch: LevelDB writes it in pieces
constexpr auto kWaitMax = std::chrono::seconds(20);

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v == nullptr ? fallback : std::strtoull(v, nullptr, 10);
}

class Child {
public:
    Child(const std::string& dir, std::uint64_t seed) {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::dup2(fds[1], STDOUT_FILENO);
            const std::string seed_text = std::to_string(seed);
            const std::string txs_text = std::to_string(kTxsMax);
            ::execl(JC_LEDGER_CRASH_CHILD, JC_LEDGER_CRASH_CHILD, dir.c_str(), seed_text.c_str(),
                    txs_text.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[1]);
        out_ = fds[0];
    }
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0) {
            ::close(out_);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // Reads whatever the child printed within `wait`; false at end of output.
    bool pump(std::chrono::milliseconds wait) {
        pollfd p{out_, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
        if (ready <= 0) {
            return true;
        }
        char buf[4096];
        const ssize_t n = ::read(out_, buf, sizeof buf);
        if (n <= 0) {
            return false;
        }
        pending_.append(buf, static_cast<std::size_t>(n));
        for (std::size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
            const std::string line = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            if (line.rfind("committed ", 0) == 0) {
                last_committed_ = std::stoull(line.substr(10));
                ++commits_;
            } else if (line.rfind("committing ", 0) == 0) {
                ++commit_starts_;
            } else if (line.rfind("opened ", 0) == 0) {
                opened_ = true;
            }
        }
        return true;
    }

    // Pumps until `done()` or the deadline; false on deadline or early end of output.
    template <typename Done>
    bool pump_until(Done done, Clock::time_point deadline) {
        while (!done()) {
            if (Clock::now() >= deadline) {
                return false;
            }
            if (!pump(std::chrono::milliseconds(5))) {
                return done();
            }
        }
        return true;
    }

    // SIGKILL, reap, and read the rest of the output. Returns the wait status.
    int kill_and_reap() {
        ::kill(pid_, SIGKILL);
        int status = 0;
        REQUIRE(::waitpid(pid_, &status, 0) == pid_);
        pid_ = -1;
        const auto deadline = Clock::now() + kWaitMax;
        while (Clock::now() < deadline && pump(std::chrono::milliseconds(50))) {
        }
        return status;
    }

    [[nodiscard]] std::uint64_t commits() const { return commits_; }
    [[nodiscard]] std::uint64_t commit_starts() const { return commit_starts_; }
    [[nodiscard]] std::uint64_t last_committed() const { return last_committed_; }
    [[nodiscard]] bool opened() const { return opened_; }

private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string pending_;
    std::uint64_t commits_ = 0;
    std::uint64_t commit_starts_ = 0;
    std::uint64_t last_committed_ = 0;
    bool opened_ = false;
};

// The chain as the child builds it, recomputed here: expected_[h] is the step at height h.
class Expected {
public:
    explicit Expected(const test::TestChain& chain) : chain_(chain) {
        ledger::LedgerHead genesis;
        genesis.hash = chain.genesis().hash();
        genesis.timestamp_ms = chain.genesis().genesis_time_ms();
        genesis.results.state_root = ledger::genesis_state_root(chain.genesis_writes());
        genesis.results.receipt_root = merkle::empty_root();
        heads_.push_back(genesis);
    }

    const ledger::LedgerHead& at(std::uint64_t height) {
        while (heads_.size() <= height) {
            const auto& parent = heads_.back();
            const auto step = chain_.next(parent, chain_.txs_reusing_refs_for(parent.height + 1, kTxsMax));
            ledger::LedgerHead next;
            next.height = parent.height + 1;
            next.hash = step.block.hash();
            next.timestamp_ms = step.block.header().timestamp_ms;
            next.results = step.results;
            heads_.push_back(next);
        }
        return heads_[height];
    }

private:
    const test::TestChain& chain_;
    std::vector<ledger::LedgerHead> heads_;
};

}  // namespace

TEST_CASE("the store survives SIGKILL at random moments with no partial block",
          "[integration][ledger][crash]") {
    const std::uint64_t kills = env_or("JC_LEDGER_CRASH_KILLS", 30);
    const std::uint64_t seed = env_or("JC_LEDGER_CRASH_SEED", std::random_device{}());
    std::mt19937_64 rng(seed);
    INFO("JC_LEDGER_CRASH_SEED=" << seed);
    std::printf("ledger crash test: JC_LEDGER_CRASH_SEED=%llu kills=%llu\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(kills));

    std::string tmpl = (fs::temp_directory_path() / "jc-ledger-crash-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    const std::string dir = tmpl + "/ledger";
    const test::TestChain chain(seed % 1000 + 1);
    Expected expected(chain);
    ledger::StoreOptions options;
    options.path = dir;

    const auto started = Clock::now();
    std::uint64_t durable_height = 0;  // highest commit the child reported as returned
    std::uint64_t unreported = 0;      // kills after a batch landed but before it was reported
    std::uint64_t torn = 0;            // opens that removed a commit torn between its two batches
    std::uint64_t early = 0;           // kills before the child had opened the store
    std::uint64_t verified_height = 0;
    std::uint64_t aimed = 0;  // kills aimed at a commit_block in progress
    for (std::uint64_t k = 0; k < kills; ++k) {
        INFO("kill " << k);
        {
            Child child(dir, seed % 1000 + 1);
            const auto deadline = Clock::now() + kWaitMax;
            const std::uint64_t mode = rng() % 5;
            if (mode == 0) {
                // Early: anywhere in start-up, recovery of the log or the head check.
                const auto until = Clock::now() + std::chrono::microseconds(rng() % 30'000);
                child.pump_until([&] { return Clock::now() >= until; }, deadline);
            } else if (mode <= 2) {
                // Anywhere after a few commits (mostly while the next block is being built).
                const std::uint64_t commits = 1 + rng() % 4;
                REQUIRE(child.pump_until([&] { return child.commits() >= commits; }, deadline));
                const auto until = Clock::now() + std::chrono::microseconds(rng() % 40'000);
                child.pump_until([&] { return Clock::now() >= until; }, deadline);
            } else {
                // Aimed at the write: shortly after the child announced a commit_block call.
                const std::uint64_t commits = rng() % 3;
                REQUIRE(child.pump_until(
                    [&] { return child.commits() >= commits && child.commit_starts() > commits; },
                    deadline));
                const auto until = Clock::now() + std::chrono::microseconds(rng() % 3'000);
                aimed += 1;
                child.pump_until([&] { return Clock::now() >= until; }, deadline);
            }
            const bool had_opened = child.opened();
            const int status = child.kill_and_reap();
            INFO("child wait status " << status);
            REQUIRE(WIFSIGNALED(status));
            REQUIRE(WTERMSIG(status) == SIGKILL);
            early += had_opened ? 0 : 1;
            if (child.commits() > 0) {
                REQUIRE(child.last_committed() > durable_height);
                durable_height = child.last_committed();
            }
        }
        if (!fs::exists(dir)) {
            continue;  // killed before LevelDB created anything
        }
        auto store = ledger::Store::open(options, chain.genesis());
        if (!store && store.error().code() == Errc::kNotFound) {
            REQUIRE(durable_height == 0);  // killed while creating: nothing was promised yet
            continue;
        }
        INFO((store ? std::string() : store.error().to_string()));
        REQUIRE(store.ok());
        const auto head = (*store)->head();
        torn += (*store)->torn_commit_removed() ? 1U : 0U;
        // Durable: every reported commit survived; atomic: at most the one in flight more.
        REQUIRE(head.height >= durable_height);
        REQUIRE(head.height <= durable_height + 1);
        unreported += head.height - durable_height;
        durable_height = head.height;
        REQUIRE(head == expected.at(head.height));
        if (head.height > 0) {
            // Deep check (every transaction and receipt re-parsed, every index followed) of the
            // blocks written since the last check and the one below them; of the whole chain
            // every tenth kill and after the last. The JSON re-parsing dominates the run time.
            const bool whole = (k + 1) % 10 == 0 || k + 1 == kills;
            const std::uint64_t first = whole || verified_height <= 1 ? 1 : verified_height - 1;
            const auto verified = (*store)->verify_blocks(first, head.height);
            INFO((verified ? std::string() : verified.error().to_string()));
            REQUIRE(verified.ok());
            verified_height = head.height;
            // Every block's header and results, each time: all blocks below the head intact.
            const auto snap = (*store)->snapshot();
            for (std::uint64_t h = 1; h <= head.height; ++h) {
                const auto header = snap->header(h).value();
                REQUIRE(header.has_value());
                REQUIRE(header->hash() == expected.at(h).hash);
                REQUIRE(snap->results(h).value() == std::optional(expected.at(h).results));
            }
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::printf("ledger crash test: %llu kills (%llu before the store opened, %llu aimed at a "
                "commit in progress, %llu between a durable batch and its report, %llu between a "
                "commit's two batches), final height %llu, %.1f s\n",
                static_cast<unsigned long long>(kills), static_cast<unsigned long long>(early),
                static_cast<unsigned long long>(aimed), static_cast<unsigned long long>(unreported),
                static_cast<unsigned long long>(torn),
                static_cast<unsigned long long>(durable_height), seconds);
    CHECK(durable_height >= kills / 2);  // the child made progress between kills
    std::error_code ec;
    fs::remove_all(tmpl, ec);
}
