// Goal: a caller of submitTransaction{wait:true} gets exactly one answer when its receipt and
// its timeout arrive together (ADR 0135: the receipt is claimed on the storage thread and
// answered on the reader pool, the timeout fires on an I/O thread): the receipt or the timeout
// error, never both and never neither; nothing stays in the table and every answer callback
// (which in the node holds the client's reply and so its connection) is released; no
// use-after-free (this file also runs under the asan-ubsan preset). Method: the node's own
// WaiterTable and reader-pool answering (waiters.h, used unchanged by node.cc and
// rpc_methods.cc). Time is an input: the timer's firing is the call to expire(), made by a
// thread released together with the storage-side wake() by a spin barrier (with jitter), many rounds in a loop
// bounded to well under a second; each order is also driven deterministically. Answers are
// counted per call; the pool is joined (it ends when its work is done) before counting, and
// weak_ptrs show the callbacks were freed. No sleeps. With the node's own timers (add() with an
// executor): an answer other than the timeout cancels the timer at once, so its handler and the
// reply it holds are freed then, not at the timeout; checked with a 60 s timer and an
// io_context polled (never run for the timeout): the timer count and the reply's weak_ptr.
#include "waiters.h"

#include <jc/core/sha256.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace jc::node {
namespace {

struct Answers {
    std::atomic<int> receipts{0};
    std::atomic<int> errors{0};  // on_error: a halt, or a receipt that could not be rendered
    std::atomic<int> timeouts{0};
    std::atomic<bool> wrong_receipt{false};
    [[nodiscard]] int total() const { return receipts.load() + errors.load() + timeouts.load(); }
};

ledger::Receipt receipt_for(const Hash& h, std::uint32_t index) {
    ledger::Receipt r;
    r.tx_hash = h;
    r.height = 5;
    r.index = index;
    return r;
}

// Registers a waiter as submitTransaction does; `alive` stands in for the client's reply (its
// connection), which only the registered callbacks hold.
WaiterTable::Token add_waiter(WaiterTable& table, const Hash& h, Answers& answers, std::weak_ptr<int>& alive) {
    auto reply = std::make_shared<int>(0);
    alive = reply;
    return table.add(
        h,
        [&answers, reply, h](const ledger::Receipt& r) {
            if (r.tx_hash != h) {
                answers.wrong_receipt = true;
            }
            answers.receipts++;
        },
        [&answers, reply](const rpc::RpcError&) { answers.errors++; });
}

// What the node's timer handler does (rpc_methods.cc): answer the timeout only if it claimed.
void fire_timer(WaiterTable& table, const Hash& h, const WaiterTable::Token& token, Answers& answers) {
    if (table.expire(h, token)) {
        answers.timeouts++;
    }
}

void spin(int iterations) {
    std::atomic<int> counter{0};
    for (int i = 0; i < iterations; ++i) {
        counter.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace

TEST_CASE("a receipt and a timeout firing together: exactly one answer, nothing left", "[node][waiters][regress]") {
    constexpr int kRounds = 3000;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    auto log = jc::log::get("test");
    WaiterTable table;
    std::vector<Answers> answers(kRounds);
    std::vector<std::weak_ptr<int>> alive(kRounds);
    int rounds = 0;
    {
        boost::asio::thread_pool readers(2);  // the node's rpc.reader_threads default
        for (; rounds < kRounds && std::chrono::steady_clock::now() < deadline; ++rounds) {
            const Hash h = sha256("tx " + std::to_string(rounds));
            const auto token = add_waiter(table, h, answers[static_cast<std::size_t>(rounds)],
                                          alive[static_cast<std::size_t>(rounds)]);
            // The block holds other transactions too, so the receipt's index matters.
            std::vector<ledger::Receipt> block{receipt_for(sha256("other"), 0), receipt_for(h, 1),
                                               receipt_for(sha256("another"), 2)};
            // Both sides spin (no futex wake-up for one of them to lose time on) until both
            // are running, then each waits a different, round-dependent few hundred nanoseconds
            // to a few microseconds, so the moment they cross sweeps the whole claim window over
            // the rounds (with a latch alone the thread that arrived last won nearly every time).
            std::atomic<bool> ready{false};
            std::atomic<bool> go{false};
            const int timer_spins = (rounds * 7) % 1500;
            const int wake_spins = (rounds * 13) % 1500;
            std::thread timer([&, h, token, rounds, timer_spins] {
                ready = true;
                while (!go.load()) {
                    std::this_thread::yield();  // lets the other side run on a busy machine
                }
                spin(timer_spins);
                fire_timer(table, h, token, answers[static_cast<std::size_t>(rounds)]);
            });
            while (!ready.load()) {
                std::this_thread::yield();
            }
            go = true;
            spin(wake_spins);
            table.wake(std::move(block), readers, log);  // the storage thread's part
            timer.join();
            // Whoever won, the entry is gone now: nothing waits for an answer that was given.
            REQUIRE(table.size() == 0);
        }
        readers.join();  // every posted answer has run (the pool ends when its work is done)
    }
    REQUIRE(rounds >= 100);  // even on a loaded machine under ASan
    int by_receipt = 0;
    for (int i = 0; i < rounds; ++i) {
        const auto& a = answers[static_cast<std::size_t>(i)];
        INFO("round " << i);
        CHECK(a.total() == 1);
        CHECK(a.errors == 0);
        CHECK_FALSE(a.wrong_receipt);
        CHECK(alive[static_cast<std::size_t>(i)].expired());  // no callback (no reply) kept
        by_receipt += a.receipts.load();
    }
    // Which side wins is up to the scheduler; both orders are also driven one by one below.
    WARN("rounds " << rounds << ": answered by the receipt " << by_receipt << ", by the timeout " << rounds - by_receipt);
}

TEST_CASE("either order alone gives that one answer", "[node][waiters]") {
    auto log = jc::log::get("test");
    WaiterTable table;
    Answers answers;
    std::weak_ptr<int> alive;
    const Hash h = sha256("tx");
    boost::asio::thread_pool readers(2);

    SECTION("the receipt first: the late timer answers nothing") {
        const auto token = add_waiter(table, h, answers, alive);
        table.wake({receipt_for(h, 0)}, readers, log);
        CHECK(table.size() == 0);
        fire_timer(table, h, token, answers);
        readers.join();
        CHECK(answers.receipts == 1);
        CHECK(answers.timeouts == 0);
    }
    SECTION("the timeout first: the late receipt answers nothing and posts nothing") {
        const auto token = add_waiter(table, h, answers, alive);
        fire_timer(table, h, token, answers);
        CHECK(table.size() == 0);
        table.wake({receipt_for(h, 0)}, readers, log);
        readers.join();
        CHECK(answers.receipts == 0);
        CHECK(answers.timeouts == 1);
    }
    SECTION("a halt first: neither the receipt nor the timer answers again") {
        const auto token = add_waiter(table, h, answers, alive);
        for (auto& w : table.claim_all()) {
            w.on_error(rpc::RpcError::internal("halted"));
        }
        CHECK(table.size() == 0);
        table.wake({receipt_for(h, 0)}, readers, log);
        fire_timer(table, h, token, answers);
        readers.join();
        CHECK(answers.errors == 1);
        CHECK(answers.receipts + answers.timeouts == 0);
    }
    SECTION("the submission answers by itself (its own claim): nothing else does") {
        const auto token = add_waiter(table, h, answers, alive);
        CHECK(table.claim(h, token));  // as rpc_methods.cc does before answering
        CHECK(table.size() == 0);
        CHECK_FALSE(table.claim(h, token));
        table.wake({receipt_for(h, 0)}, readers, log);
        fire_timer(table, h, token, answers);
        readers.join();
        CHECK(answers.total() == 0);
    }
    CHECK(alive.expired());
}

TEST_CASE("two callers waiting on one transaction: the timeout of one leaves the other's receipt",
          "[node][waiters]") {
    auto log = jc::log::get("test");
    WaiterTable table;
    Answers first;
    Answers second;
    std::weak_ptr<int> alive_first;
    std::weak_ptr<int> alive_second;
    const Hash h = sha256("tx");
    boost::asio::thread_pool readers(2);
    const auto token_first = add_waiter(table, h, first, alive_first);
    add_waiter(table, h, second, alive_second);
    fire_timer(table, h, token_first, first);
    CHECK(table.size() == 1);
    table.wake({receipt_for(h, 0)}, readers, log);
    readers.join();
    CHECK(first.timeouts == 1);
    CHECK(first.receipts == 0);
    CHECK(second.receipts == 1);
    CHECK(second.timeouts == 0);
    CHECK(table.size() == 0);
    CHECK(alive_first.expired());
    CHECK(alive_second.expired());
}

namespace {

// Registers a waiter with its own timer, as rpc_methods.cc does; `alive` stands in for the
// client's reply, held by the answer callbacks and by the timeout answer in the timer's handler.
WaiterTable::Token add_timed(WaiterTable& table, boost::asio::io_context& io, const Hash& h, Answers& answers,
                             std::weak_ptr<int>& alive, std::chrono::milliseconds timeout) {
    auto reply = std::make_shared<int>(0);
    alive = reply;
    return table.add(
        h, [&answers, reply](const ledger::Receipt&) { answers.receipts++; },
        [&answers, reply](const rpc::RpcError&) { answers.errors++; }, io.get_executor(), timeout,
        [&answers, reply] { answers.timeouts++; });
}

}  // namespace

TEST_CASE("an answered waiter's timer is cancelled at once and frees the reply", "[node][waiters][regress]") {
    // Regression: the timer held the reply (and so the client's connection) until the timeout,
    // 10 s by default and up to 60 s, after the receipt had answered.
    auto log = jc::log::get("test");
    WaiterTable table;
    Answers answers;
    std::weak_ptr<int> alive;
    const Hash h = sha256("tx");
    boost::asio::io_context io;  // the node's I/O threads; only polled here
    boost::asio::thread_pool readers(2);
    constexpr auto kLong = std::chrono::seconds(60);

    SECTION("by its receipt") {
        const auto token = add_timed(table, io, h, answers, alive, kLong);
        CHECK(table.timers_pending() == 1);
        table.wake({receipt_for(h, 0)}, readers, log);
        readers.join();  // answered and its timer cancelled on the reader pool
        CHECK(answers.receipts == 1);
        io.poll();  // the cancelled handler runs now, not in 60 s
        CHECK(table.timers_pending() == 0);
        CHECK(io.stopped());  // nothing left to run
        CHECK_FALSE(table.claim(h, token));
    }
    SECTION("by the submission itself") {
        const auto token = add_timed(table, io, h, answers, alive, kLong);
        CHECK(table.claim(h, token));
        io.poll();
        CHECK(table.timers_pending() == 0);
        CHECK(answers.total() == 0);  // the submission answers, not the table
    }
    SECTION("by a halt") {
        add_timed(table, io, h, answers, alive, kLong);
        for (auto& w : table.claim_all()) {
            w.on_error(rpc::RpcError::internal("halted"));
        }
        io.poll();
        CHECK(table.timers_pending() == 0);
        CHECK(answers.errors == 1);
    }
    SECTION("by a receipt racing the submission's own claim") {
        // The claim flips the flag first; wake() then removes the entry it did not claim and
        // cancels its timer (the claim finds nothing left to cancel).
        const auto token = add_timed(table, io, h, answers, alive, kLong);
        REQUIRE_FALSE(token->exchange(true));  // the first half of claim(), as if preempted here
        table.wake({receipt_for(h, 0)}, readers, log);
        CHECK(table.size() == 0);
        readers.join();
        io.poll();
        CHECK(table.timers_pending() == 0);
        CHECK(answers.total() == 0);
    }
    CHECK(table.size() == 0);
    CHECK(alive.expired());
    CHECK(answers.timeouts == 0);
}

TEST_CASE("a halt answers its waiters with the halt's error, never a timeout", "[node][waiters][regress]") {
    // Regression: claim_all() cancelled each timer before claiming its waiter. The cancel hands
    // the handler to an I/O thread at once; when that thread ran it in the gap, the handler
    // claimed the waiter and answered TIMEOUT ("it may still commit") to a caller owed the
    // halt's error (about a quarter of rounds). Method: the node's shape, the I/O thread running
    // throughout while the halt claims; enough rounds that the old order fails every time.
    constexpr int kRounds = 5000;
    WaiterTable table;
    Answers answers;
    std::weak_ptr<int> alive;
    const Hash h = sha256("tx");
    boost::asio::io_context io;
    auto guard = boost::asio::make_work_guard(io);
    std::thread io_thread([&io] { io.run(); });
    for (int i = 0; i < kRounds; ++i) {
        add_timed(table, io, h, answers, alive, std::chrono::seconds(60));
        for (auto& w : table.claim_all()) {
            w.on_error(rpc::RpcError::internal("halted"));
        }
    }
    guard.reset();
    io_thread.join();  // every cancelled handler has run
    CHECK(answers.timeouts == 0);
    CHECK(answers.errors == kRounds);
    CHECK(table.timers_pending() == 0);
    CHECK(alive.expired());
}

TEST_CASE("a waiter's own timer answers the timeout once and frees the reply", "[node][waiters]") {
    auto log = jc::log::get("test");
    WaiterTable table;
    Answers answers;
    std::weak_ptr<int> alive;
    const Hash h = sha256("tx");
    boost::asio::io_context io;
    boost::asio::thread_pool readers(2);
    add_timed(table, io, h, answers, alive, std::chrono::milliseconds(1));
    io.run();  // ends when the timer has fired
    CHECK(answers.timeouts == 1);
    CHECK(table.size() == 0);
    CHECK(table.timers_pending() == 0);
    CHECK(alive.expired());
    // The late receipt answers nothing.
    table.wake({receipt_for(h, 0)}, readers, log);
    readers.join();
    CHECK(answers.total() == 1);
}

}  // namespace jc::node
