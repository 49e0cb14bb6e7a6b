// jc_ledger_crash_child DIR SEED TXS_MAX: the victim process of the ledger crash test.
//
// Opens (or creates) the store at DIR for TestChain(SEED) and commits the chain's deterministic
// blocks one after another, each with fsync, printing "committing <height>" just before each
// commit_block call (so the parent can aim its kills at the write) and "committed <height>"
// after it returns. It never stops by itself before kBlocksMax: the parent kills it with
// SIGKILL at a random moment. Any error is printed on stderr and exits non-zero, which the
// parent reports as a failure. Odd heights use the commit_block form that computes the results (the
// node's), even heights the one that checks given results.
//
// The memtable is kept small so that LevelDB also flushes and compacts while being killed.
#include <jc/ledger/store.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "test_chain.h"

namespace {

constexpr std::uint64_t kBlocksMax = 100'000;

// One write(2) per line: nothing sits in a stdio buffer when the process is killed.
void say(const std::string& line) {
    const std::string out = line + "\n";
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, out.data() + done, out.size() - done);
        if (n <= 0) {
            std::exit(4);  // the parent is gone
        }
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s DIR SEED TXS_MAX\n", argv[0]);
        return 2;
    }
    const std::uint64_t seed = std::strtoull(argv[2], nullptr, 10);
    const std::size_t txs_max = std::strtoul(argv[3], nullptr, 10);
    if (txs_max == 0) {
        std::fprintf(stderr, "TXS_MAX must be positive\n");
        return 2;
    }
    const jc::test::TestChain chain(seed);
    jc::ledger::StoreOptions options;
    options.path = argv[1];
    options.write_buffer_bytes = 128 << 10;

    auto store = jc::ledger::Store::open(options, chain.genesis());
    if (!store && store.error().code() == jc::Errc::kNotFound) {
        store = jc::ledger::Store::create(options, chain.genesis(), chain.genesis_writes());
    }
    if (!store) {
        std::fprintf(stderr, "crash child: %s\n", store.error().to_string().c_str());
        return 3;
    }
    say("opened " + std::to_string((*store)->head().height));
    for (std::uint64_t i = 0; i < kBlocksMax; ++i) {
        const auto head = (*store)->head();
        const auto step = chain.next(head, chain.txs_reusing_refs_for(head.height + 1, txs_max));
        say("committing " + std::to_string(head.height + 1));
        // Odd heights commit as the node does, with the store computing the results (ADR 0160);
        // even heights hand them over to be checked. Either way they must be the chain's.
        if ((head.height + 1) % 2 == 1) {
            const auto results = (*store)->commit_block(step.block, step.certificate, step.receipts, step.writes);
            if (!results) {
                std::fprintf(stderr, "crash child: %s\n", results.error().to_string().c_str());
                return 3;
            }
            if (!(*results == step.results)) {
                std::fprintf(stderr, "crash child: commit_block computed other results at height %llu\n",
                             static_cast<unsigned long long>(head.height + 1));
                return 3;
            }
        } else {
            const auto status = (*store)->commit_block(step.block, step.certificate, step.receipts,
                                                       step.writes, step.results);
            if (!status) {
                std::fprintf(stderr, "crash child: %s\n", status.error().to_string().c_str());
                return 3;
            }
        }
        say("committed " + std::to_string(head.height + 1));
    }
    return 0;
}
