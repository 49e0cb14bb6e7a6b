// Growth benchmark: does the cost of a transaction rise with the size of the ledger?
// (issue 11: `jointclear bench` committed 1,758 tx/s on a fresh cluster, 952 after ~60,000
// transactions; this isolates the engine and the store from consensus, p2p and RPC.)
//
// Method. One process does what a validator's storage thread does for every committed block,
// over a real LevelDB store with fsync: take a snapshot, Engine::execute_block on it (all
// invariants B1-B6 as in release), turn the engine's receipts into ledger receipts, compute the
// results (state chain step, receipt root), and Store::commit_block with a quorum commit
// certificate whose signatures the store verifies. The workload is `jointclear bench`'s
// (tools/src/bench_workload.cc): four banks, one FRONTED partnership per servicer bank (bank i
// with bank i+1), 100 base loans of 1,000,000.00 CNY (`--base-loans N`: N of them, set up in
// blocks of `--block`; far more than the block cache holds make a repayment's loan read cold),
// then transaction k is loan.repay of 50.00 CNY on base loan k mod N when k mod 100 < 80, else
// loan.originate of a fresh 8,000.00 CNY 12-instalment loan at 30/70. Blocks of `--block` transactions (default 500), 20 ms apart on
// one business day, so, like the bench, everything lands in one open settlement cycle.
//
// Transactions are signed outside the timed sections. At every report point (transactions
// applied so far: default 0, 25k, 50k, 100k, 200k) the next `--window` transactions are timed
// block by block; the table shows, per transaction, the thread CPU time of each phase (execute,
// results, commit) and the wall time of the commit (fsync included), plus the ledger's size on
// disk and the process's RSS at that point. CPU time per transaction is what load on a shared
// machine distorts least; quote it, with the load average.
//
//   jc_growth_bench [--txs 210000] [--block 500] [--window 5000]
//                   [--report 0,25000,50000,100000,200000] [--dir /tmp/...] [--keep]
//                   [--base-loans 100] [--chain-block-kib 16] [--state-block-kib 8] (and the
//                   store's --write-buffer-mib, --table-file-mib, --block-cache-mib)
//
// Exit status 0 when every transaction was OK, 1 otherwise (a rejected transaction means the
// workload no longer matches the bench, and the numbers would not mean what they say).
#include <jc/contracts/arith/date.h>
#include <jc/contracts/engine.h>
#include <jc/contracts/genesis.h>
#include <jc/core/canonical_json.h>
#include <jc/core/certificate.h>
#include <jc/core/sha256.h>
#include <jc/ledger/block.h>
#include <jc/ledger/genesis.h>
#include <jc/ledger/receipt.h>
#include <jc/ledger/results.h>
#include <jc/ledger/store.h>
#include <jc/ledger/transaction.h>

#include "bench_bodies.h"
#include "contract_genesis.h"  // the node's private conversion (src/node/src)

#include <unistd.h>

#include <ctime>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace jc;
namespace fs = std::filesystem;

template <typename T>
T must(Result<T> r, const char* what) {
    if (!r) {
        throw std::runtime_error(std::string(what) + ": " + r.error().to_string());
    }
    return std::move(r).value();
}

crypto::SecretKey derive_key(std::string_view role, std::size_t i) {
    const Hash h = sha256("jc-growth-bench/" + std::string(role) + "/" + std::to_string(i));
    return must(crypto::SecretKey::from_bytes(h.bytes), "key");
}

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU time of every thread but the calling one (LevelDB's background compaction thread), from
// /proc/self/task/*/stat (utime + stime, in clock ticks).
double background_cpu_s() {
    const long self = static_cast<long>(gettid());
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    double total = 0;
    for (const auto& e : fs::directory_iterator("/proc/self/task")) {
        if (std::stol(e.path().filename().string()) == self) {
            continue;
        }
        std::ifstream in(e.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto close = stat.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::stringstream fields(stat.substr(close + 2));
        std::string f;
        unsigned long long utime = 0;
        unsigned long long stime = 0;
        for (int i = 3; fields >> f; ++i) {  // field 3 is the state; 14 utime, 15 stime
            if (i == 14) {
                utime = std::stoull(f);
            } else if (i == 15) {
                stime = std::stoull(f);
                break;
            }
        }
        total += static_cast<double>(utime + stime) / tick;
    }
    return total;
}

double wall_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::uint64_t rss_bytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
        }
    }
    return 0;
}

std::uint64_t dir_bytes(const fs::path& dir) {
    std::uint64_t total = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) {
            total += e.file_size();
        }
    }
    return total;
}

struct Bank {
    std::string id;
    crypto::SecretKey key;
    std::string partner;
    std::string partnership;
};

constexpr std::size_t kBanks = 4;
constexpr std::size_t kValidators = 4;
constexpr std::size_t kBaseLoansDefault = 100;  // as `jointclear bench --base-loans`
constexpr unsigned kRepayPct = 80;
// 2026-11-27 00:00 CST; blocks start at 09:00 CST, 20 ms apart (well inside the 11:00 cutoff
// for up to ~360,000 blocks).
constexpr std::int64_t kGenesisMs = 1'795'708'800'000;
constexpr std::int64_t kFirstBlockMs = kGenesisMs + 9 * 3'600'000;

class Ledger {
public:
    Ledger(const std::string& dir, std::size_t block_txs, std::size_t base_loans, const ledger::StoreOptions& tuning)
        : block_txs_(block_txs), base_loans_(base_loans) {
        for (std::size_t i = 0; i < kValidators; ++i) {
            validators_.push_back(derive_key("validator", i));
        }
        for (std::size_t i = 0; i < kBanks; ++i) {
            banks_.push_back(Bank{"BANK" + std::string(1, static_cast<char>('A' + i)), derive_key("bank", i), "", ""});
        }
        for (std::size_t i = 0; i < kBanks; ++i) {
            banks_[i].partner = banks_[(i + 1) % kBanks].id;
            banks_[i].partnership = "P-G-" + std::to_string(i);
        }
        genesis_ = std::make_unique<ledger::Genesis>(must(ledger::Genesis::parse(genesis_json()), "genesis"));
        // The node's own conversion of the genesis document (contract_genesis.h, ADR 0176).
        const auto writes = must(contracts::genesis_writes(node::contract_genesis_members(*genesis_),
                                                           node::contract_genesis_params(*genesis_)),
                                 "genesis writes");
        ledger::StoreOptions options = tuning;
        options.path = dir;
        store_ = must(ledger::Store::create(options, *genesis_, writes), "store");
    }

    [[nodiscard]] const std::vector<Bank>& banks() const { return banks_; }
    [[nodiscard]] std::uint64_t height() const { return store_->head().height; }
    [[nodiscard]] ledger::LedgerHead head() const { return store_->head(); }
    [[nodiscard]] std::string engine_stats() const { return store_->engine_stats(); }

    ledger::TxPtr sign(const Bank& bank, const std::string& type, json::Value body, const std::string& ref) const {
        ledger::UnsignedTx u{genesis_->chain_id(), type, bank.id, ref, std::move(body)};
        return std::make_shared<const ledger::Transaction>(must(ledger::Transaction::sign(u, bank.key), "sign"));
    }

    struct Timing {
        double make_cpu = 0;  // Block::make and the commit certificate's signatures
        double execute_cpu = 0;
        double results_cpu = 0;
        double commit_cpu = 0;
        double commit_wall = 0;
        double total_wall = 0;
        std::size_t writes = 0;
        std::size_t rejected = 0;
    };

    // One block through the storage thread's steps (src/node Node::Impl::commit).
    Timing apply(std::vector<ledger::TxPtr> txs) {
        Timing t;
        const double w0 = wall_s();
        const double c0 = thread_cpu_s();
        const ledger::LedgerHead head = store_->head();
        const std::uint64_t h = head.height + 1;
        const auto block = must(ledger::Block::make(h, head.hash, kFirstBlockMs + static_cast<std::int64_t>(h) * 20,
                                                    0, std::move(txs)),
                                "block");
        const Certificate cert = commit_certificate(block);
        const double c1 = thread_cpu_s();
        auto snapshot = store_->snapshot();
        const auto ctx = contracts::BlockContext::at(block.height(), block.header().timestamp_ms);
        auto output = must(engine_.execute_block(*snapshot, ctx, block.txs()), "execute");
        const double c2 = thread_cpu_s();
        std::vector<ledger::Receipt> receipts;
        receipts.reserve(block.txs().size());
        for (std::uint32_t i = 0; i < block.txs().size(); ++i) {
            const contracts::TxReceipt& r = output.receipts[i];
            if (r.status != contracts::TxStatus::kOk) {
                if (t.rejected++ == 0) {
                    std::fprintf(stderr, "height %llu tx %u: %s %s\n", static_cast<unsigned long long>(h), i,
                                 r.error.c_str(), r.detail.c_str());
                }
            }
            ledger::Receipt out;
            out.tx_hash = block.txs()[i]->hash();
            out.height = h;
            out.index = i;
            out.status = static_cast<ledger::ReceiptStatus>(static_cast<std::uint8_t>(r.status));
            out.code = r.code;
            out.error = r.error;
            out.detail = r.detail;
            out.result = r.result;
            receipts.push_back(std::move(out));
        }
        for (std::uint32_t i = 0; i < block.txs().size(); ++i) {
            bytes_["T tx JSON"] += block.txs()[i]->canonical_json().size() + 13;
            bytes_["R receipt"] += receipts[i].encode().size() + 13;
            bytes_["L+I indexes"] += 33 + 12 + 2 + block.txs()[i]->sender().size() +
                                     block.txs()[i]->client_ref().size() + 44;
        }
        for (const auto& w : output.writes) {
            const std::size_t n = 1 + w.key.size() + (w.value ? w.value->size() : 0);
            bytes_["S state " + w.key.substr(0, w.key.find('/') + 1)] += n;
        }
        // The head's write record (ADR 0100): keys and kinds; the values stay in S.
        std::size_t head_bytes = 9;
        for (const auto& w : output.writes) {
            head_bytes += w.key.size() + 2;
        }
        bytes_["V head write keys"] += head_bytes;
        snapshot.reset();
        const double c3 = thread_cpu_s();
        const double w3 = wall_s();
        // As the node commits: the store computes the results (receipt root, state chain step).
        (void)must(store_->commit_block(block, cert, receipts, output.writes), "commit");
        const double c4 = thread_cpu_s();
        const double w4 = wall_s();
        t.make_cpu = c1 - c0;
        t.execute_cpu = c2 - c1;
        t.results_cpu = c3 - c2;
        t.commit_cpu = c4 - c3;
        t.commit_wall = w4 - w3;
        t.total_wall = w4 - w0;
        t.writes = output.writes.size();
        return t;
    }

    // The bench's setup: partnerships, acceptances, base loans (blocks of their own).
    void setup() {
        std::vector<ledger::TxPtr> proposals;
        std::vector<ledger::TxPtr> accepts;
        for (std::size_t i = 0; i < kBanks; ++i) {
            const Bank& b = banks_[i];
            proposals.push_back(sign(b, "partnership.propose",
                                     json::Value{{"partnership_id", b.partnership},
                                                 {"servicer_bank", b.id},
                                                 {"partner_bank", b.partner},
                                                 {"agreement_ref", sha256("agreement " + b.partnership).hex()},
                                                 {"funding_mode", "FRONTED"},
                                                 {"min_tranche_share_bps", 3000},
                                                 {"max_outstanding_principal", "100000000000000"},
                                                 {"fronting_limit", "100000000000000"},
                                                 {"collection_limit", "100000000000000"},
                                                 {"service_fee_bps", 1250},
                                                 {"fee_base", "INTEREST_AND_PENALTY"},
                                                 {"require_partner_acceptance", false}},
                                     "SETUP-PP-" + std::to_string(i)));
            accepts.push_back(sign(banks_[(i + 1) % kBanks], "partnership.accept",
                                   json::Value{{"partnership_id", b.partnership}}, "SETUP-PA-" + std::to_string(i)));
        }
        check_ok(apply(std::move(proposals)), "partnership.propose");
        check_ok(apply(std::move(accepts)), "partnership.accept");
        for (std::size_t first = 0; first < base_loans_; first += block_txs_) {
            std::vector<ledger::TxPtr> base;
            for (std::size_t j = first; j < std::min(base_loans_, first + block_txs_); ++j) {
                const Bank& b = banks_[j % kBanks];
                base.push_back(sign(b, "loan.originate", loan_body("BASE-" + std::to_string(j), b, 100'000'000),
                                    "SETUP-BO-" + std::to_string(j)));
            }
            check_ok(apply(std::move(base)), "base loans");
        }
    }

    // Transactions [first, first + count) of the timed mix.
    std::vector<ledger::TxPtr> mix(std::size_t first, std::size_t count) const {
        std::vector<ledger::TxPtr> txs;
        txs.reserve(count);
        for (std::size_t k = first; k < first + count; ++k) {
            const std::string ref = "G-" + std::to_string(k);
            if (k % 100 < kRepayPct) {
                const std::size_t j = k % base_loans_;
                txs.push_back(sign(banks_[j % kBanks], "loan.repay",
                                   testsupport::bench_repay_body("BASE-" + std::to_string(j), 5000, "R-" + ref), ref));
            } else {
                const Bank& b = banks_[k % kBanks];
                txs.push_back(sign(b, "loan.originate", loan_body("L-" + ref, b, 800000), ref));
            }
        }
        return txs;
    }

    // Logical (uncompressed) bytes written per keyspace, for the report.
    [[nodiscard]] const std::map<std::string, std::uint64_t>& bytes() const { return bytes_; }
    void reset_bytes() { bytes_.clear(); }

private:
    static void check_ok(const Timing& t, const char* what) {
        if (t.rejected != 0) {
            throw std::runtime_error(std::string("setup step rejected: ") + what);
        }
    }

    static json::Value loan_body(const std::string& loan_id, const Bank& servicer, std::int64_t principal) {
        return testsupport::bench_loan_body(loan_id, servicer.id, servicer.partner, servicer.partnership, principal);
    }

    std::string genesis_json() const {
        json::Value g = json::Value::object();
        g["chain_id"] = "jc-growth-bench";
        g["genesis_time_ms"] = kGenesisMs;
        g["validators"] = json::Value::array();
        for (std::size_t i = 0; i < validators_.size(); ++i) {
            g["validators"].push_back({{"index", i},
                                       {"name", "node" + std::to_string(i)},
                                       {"consensus_key", validators_[i].public_key().hex()},
                                       {"tls_key", sha256("tls/" + std::to_string(i)).hex()},
                                       {"address", "127.0.0.1:" + std::to_string(26600 + i)}});
        }
        g["members"] = json::Value::array();
        for (std::size_t i = 0; i < banks_.size(); ++i) {
            g["members"].push_back({{"bank_id", banks_[i].id},
                                    {"name", "Bank " + banks_[i].id},
                                    {"cnaps_code", "10210000000" + std::to_string(i)},
                                    {"keys", {banks_[i].key.public_key().hex()}},
                                    {"roles", json::Value{"SERVICER", "FUNDER"}}});
        }
        g["params"] = json::Value{{"record_version", 2}};  // as `jointclear init` writes (ADR 0175)
        return json::canonicalize(g);
    }

    Certificate commit_certificate(const ledger::Block& block) const {
        Certificate cert;
        cert.kind = VoteKind::kCommit;
        cert.view = 0;
        cert.height = block.height();
        cert.digest = block.hash();
        const Hash h = vote_hash(genesis_->chain_id(), VoteKind::kCommit, 0, block.height(), block.hash());
        for (std::size_t i = 0; i < 3; ++i) {  // a quorum of 4
            cert.signatures.push_back(VoteSignature{static_cast<std::uint32_t>(i), validators_[i].sign(h)});
        }
        return cert;
    }

    std::size_t block_txs_;
    std::size_t base_loans_;  // repayments cycle through them: many more than fit the block cache make every read of a loan cold
    std::vector<crypto::SecretKey> validators_;
    std::vector<Bank> banks_;
    std::unique_ptr<ledger::Genesis> genesis_;
    std::unique_ptr<ledger::Store> store_;
    const contracts::Engine engine_;
    std::map<std::string, std::uint64_t> bytes_;
};

std::vector<std::size_t> parse_list(const std::string& s) {
    std::vector<std::size_t> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) {
        out.push_back(std::stoul(item));
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t total = 210'000;
    std::size_t block = 500;
    std::size_t window = 5'000;
    std::size_t base_loans = kBaseLoansDefault;
    std::vector<std::size_t> report = {0, 25'000, 50'000, 100'000, 200'000};
    std::string dir;
    bool keep = false;
    bool total_given = false;
    ledger::StoreOptions tuning;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--txs") {
            total = std::stoul(next());
            total_given = true;
        } else if (a == "--block") {
            block = std::stoul(next());
        } else if (a == "--window") {
            window = std::stoul(next());
        } else if (a == "--report") {
            report = parse_list(next());
        } else if (a == "--dir") {
            dir = next();
        } else if (a == "--write-buffer-mib") {
            tuning.write_buffer_bytes = std::stoul(next()) << 20;
        } else if (a == "--table-file-mib") {
            tuning.table_file_bytes = std::stoul(next()) << 20;
        } else if (a == "--block-cache-mib") {
            tuning.block_cache_bytes = std::stoul(next()) << 20;
        } else if (a == "--base-loans") {
            base_loans = std::stoul(next());
        } else if (a == "--chain-block-kib") {
            tuning.chain_block_bytes = std::stoul(next()) << 10;
        } else if (a == "--state-block-kib") {
            tuning.state_block_bytes = std::stoul(next()) << 10;
        } else if (a == "--keep") {
            keep = true;
        } else {
            std::fprintf(stderr,
                         "usage: %s [--txs N] [--block B] [--window W] [--report a,b,c] [--dir PATH] [--keep]\n"
                         "          [--write-buffer-mib N] [--table-file-mib N] [--block-cache-mib N]\n"
                         "          [--chain-block-kib N] [--state-block-kib N] [--base-loans N]\n",
                         argv[0]);
            return 2;
        }
    }
    if (block == 0 || window < block) {
        std::fprintf(stderr, "--block must be positive and --window at least one block\n");
        return 2;
    }
    if (base_loans == 0) {
        std::fprintf(stderr, "--base-loans must be positive\n");
        return 2;
    }
    if (!total_given && !report.empty()) {
        total = report.back() + window;
    }
    bool made_dir = false;
    if (dir.empty()) {
        std::string tmpl = (fs::temp_directory_path() / "jc-growth-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) {
            std::perror("mkdtemp");
            return 1;
        }
        dir = tmpl;
        made_dir = true;
    }
    const fs::path ledger_dir = fs::path(dir) / "ledger";
    int status = 0;
    try {
        Ledger ledger(ledger_dir.string(), block, base_loans, tuning);
        ledger.setup();
        ledger.reset_bytes();
        std::printf("# growth bench: %zu txs in blocks of %zu, %u%% loan.repay / %u%% loan.originate, store %s\n",
                    total, block, kRepayPct, 100 - kRepayPct, ledger_dir.c_str());
        std::printf("# per tx, over the %zu txs after each point, in us: the storage thread's CPU time to make the\n"
                    "# block (make), execute it (exec), its receipts (res), commit_block with the results (commit) and their\n"
                    "# sum (thread); LevelDB's compaction thread's CPU over the window (compact); wall\n"
                    "# time of commit_block (fsync included) and of the whole block; state writes per tx; ledger\n"
                    "# bytes on disk before the window and per tx applied; RSS\n",
                    window);
        std::printf("%9s %6s %6s %6s %6s %7s %7s %8s %8s %6s %11s %6s %7s\n", "applied", "make", "exec", "res",
                    "commit", "thread", "compact", "com_wall", "wall", "wr/tx", "ledger_B", "B/tx", "rss_MiB");
        std::size_t applied = 0;
        std::size_t rejected = 0;
        std::size_t next_report = 0;
        const double started = wall_s();
        const double bg_start = background_cpu_s();
        double thread_cpu = 0;  // the storage thread's steps over every block of the run
        while (applied < total) {
            const bool timed = next_report < report.size() && applied >= report[next_report];
            const std::size_t span = timed ? std::min(window, total - applied) : std::min(block, total - applied);
            Ledger::Timing sum;
            const double bg0 = background_cpu_s();
            std::size_t done = 0;
            const std::uint64_t disk = timed ? dir_bytes(ledger_dir) : 0;
            const std::uint64_t rss = timed ? rss_bytes() : 0;
            while (done < span) {
                const std::size_t n = std::min(block, span - done);
                auto txs = ledger.mix(applied + done, n);  // signing is not timed
                const auto t = ledger.apply(std::move(txs));
                thread_cpu += t.make_cpu + t.execute_cpu + t.results_cpu + t.commit_cpu;
                sum.make_cpu += t.make_cpu;
                sum.execute_cpu += t.execute_cpu;
                sum.results_cpu += t.results_cpu;
                sum.commit_cpu += t.commit_cpu;
                sum.commit_wall += t.commit_wall;
                sum.total_wall += t.total_wall;
                sum.writes += t.writes;
                rejected += t.rejected;
                done += n;
            }
            if (timed) {
                const double bg = background_cpu_s() - bg0;
                const double k = 1e6 / static_cast<double>(done);
                std::printf("%9zu %6.1f %6.1f %6.1f %6.1f %7.1f %7.1f %8.1f %8.1f %6.2f %11llu %6.0f %7.1f\n", applied,
                            sum.make_cpu * k, sum.execute_cpu * k, sum.results_cpu * k, sum.commit_cpu * k,
                            (sum.make_cpu + sum.execute_cpu + sum.results_cpu + sum.commit_cpu) * k, bg * k,
                            sum.commit_wall * k, sum.total_wall * k, static_cast<double>(sum.writes) / static_cast<double>(done),
                            static_cast<unsigned long long>(disk),
                            applied == 0 ? 0.0 : static_cast<double>(disk) / static_cast<double>(applied),
                            static_cast<double>(rss) / (1024.0 * 1024.0));
                std::fflush(stdout);
                ++next_report;
                while (next_report < report.size() && report[next_report] < applied + done) {
                    ++next_report;  // points inside this window are covered by it
                }
            }
            applied += done;
        }
        const std::uint64_t disk = dir_bytes(ledger_dir);
        // A window's figures depend on where LevelDB's compactions fall; these two do not.
        std::printf("# storage thread CPU over the whole run: %.1f us per tx\n",
                    thread_cpu * 1e6 / static_cast<double>(applied));
        std::printf("# compaction CPU over the whole run: %.1f us per tx\n",
                    (background_cpu_s() - bg_start) * 1e6 / static_cast<double>(applied));
        std::printf("# end: %zu txs at height %llu in %.1f s wall (signing included); ledger %llu bytes = %.0f B/tx; "
                    "RSS %.1f MiB; %zu rejected\n",
                    applied, static_cast<unsigned long long>(ledger.height()), wall_s() - started,
                    static_cast<unsigned long long>(disk), static_cast<double>(disk) / static_cast<double>(applied),
                    static_cast<double>(rss_bytes()) / (1024.0 * 1024.0), rejected);
        // The chain's identity at the end: equal across store layouts and builds that must not
        // change a hashed byte (ADR 0136 compares them).
        const ledger::LedgerHead end_head = ledger.head();
        std::printf("# head: height %llu block %s state_root %s receipt_root %s\n",
                    static_cast<unsigned long long>(end_head.height), end_head.hash.hex().c_str(),
                    end_head.results.state_root.hex().c_str(), end_head.results.receipt_root.hex().c_str());
        std::printf("# LevelDB at the end:\n%s", ledger.engine_stats().c_str());
        std::printf("# logical bytes written per tx by keyspace (before compression and compaction):\n");
        std::uint64_t all = 0;
        for (const auto& [what, n] : ledger.bytes()) {
            all += n;
            std::printf("#   %-24s %8.1f\n", what.c_str(), static_cast<double>(n) / static_cast<double>(applied));
        }
        std::printf("#   %-24s %8.1f\n", "total", static_cast<double>(all) / static_cast<double>(applied));
        status = rejected == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "growth bench failed: %s\n", e.what());
        status = 1;
    }
    if (made_dir && !keep) {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    return status;
}
