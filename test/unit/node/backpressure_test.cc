// Goal: the node's bounds against a flooding peer hold exactly. GossipIntake never lets more
// gossiped transactions wait for the crypto pool than its bound, sheds whole batches beyond it
// (counted), never sheds client work, and accepts again once the backlog drains; SyncLimiter
// serves a peer at most its rate (with a bounded burst), per peer, and nothing while the peer's
// send queue is over its bound. Method: a real one-thread crypto pool whose work the test holds
// on a latch (a stalled pool under a flood), and SyncLimiter driven with explicit times.
#include "backpressure.h"

#include <jc/core/codec.h>

#include <boost/asio/thread_pool.hpp>
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace jc;
using namespace jc::node;

namespace {

Bytes batch(std::size_t count) {
    codec::Writer w;
    w.varint(count);
    for (std::size_t i = 0; i < count; ++i) {
        w.str("tx" + std::to_string(i));
    }
    return Bytes(w.data().begin(), w.data().end());
}

struct Latch {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false;
    void wait() {
        std::unique_lock lock(mutex);
        cv.wait(lock, [this] { return open; });
    }
    void release() {
        std::lock_guard lock(mutex);
        open = true;
        cv.notify_all();
    }
};

}  // namespace

TEST_CASE("gossip beyond the signature backlog is shed; client work is not; the bound recovers", "[node][unit]") {
    boost::asio::thread_pool pool(1);
    Latch latch;
    std::mutex mutex;
    std::size_t processed_txs = 0;
    GossipIntake intake(pool.get_executor(), /*backlog_txs_max=*/50, /*batch_txs_max=*/100,
                        [&](std::uint32_t, std::vector<std::string> texts) {
                            latch.wait();
                            std::lock_guard lock(mutex);
                            processed_txs += texts.size();
                        });
    // A flood of 100 batches of 10 while the pool is stalled: 5 fit, 95 are shed.
    std::size_t accepted = 0;
    for (int i = 0; i < 100; ++i) {
        accepted += intake.offer(1, batch(10)) == GossipIntake::Offer::kAccepted ? 1U : 0U;
        CHECK(intake.backlog() <= 50);
    }
    CHECK(accepted == 5);
    CHECK(intake.shed_batches() == 95);
    CHECK(intake.shed_txs() == 950);
    // Client submissions still enter (they only meet POOL_FULL), and gossip yields to them.
    intake.add_client();
    CHECK(intake.backlog() == 51);
    CHECK(intake.offer(1, batch(1)) == GossipIntake::Offer::kShed);
    intake.done_client();
    // A batch larger than the sender may send is malformed, not shed, and says why; so is an
    // empty one.
    std::string why;
    CHECK(intake.offer(1, batch(101), &why) == GossipIntake::Offer::kMalformed);
    CHECK_THAT(why, Catch::Contains("a gossip batch of 101 transactions, over this node's 100"));
    CHECK(intake.offer(1, batch(0), &why) == GossipIntake::Offer::kMalformed);
    CHECK(why == "an empty gossip batch");
    CHECK(intake.shed_batches() == 96);

    latch.release();
    pool.wait();
    CHECK(processed_txs == 50);
    CHECK(intake.backlog() == 0);
    boost::asio::thread_pool pool2(1);
    GossipIntake after(pool2.get_executor(), 50, 100, [&](std::uint32_t, std::vector<std::string> texts) {
        std::lock_guard lock(mutex);
        processed_txs += texts.size();
    });
    CHECK(after.offer(1, batch(50)) == GossipIntake::Offer::kAccepted);
    pool2.wait();
    CHECK(processed_txs == 100);
}

TEST_CASE("sync requests are served at most at the per-peer rate, and not to a peer with a full queue", "[node][unit]") {
    SyncLimiter limiter(/*requests_per_second=*/10, /*queue_bytes_max=*/1000);
    using V = SyncLimiter::Verdict;
    // A burst of 2 s worth (20), then nothing until tokens refill.
    int served = 0;
    for (int i = 0; i < 100; ++i) {
        served += limiter.admit(1, 0, 0) == V::kServe ? 1 : 0;
    }
    CHECK(served == 20);
    CHECK(limiter.admit(1, 0, 0) == V::kRateLimited);
    CHECK(limiter.admit(1, 99, 0) == V::kRateLimited);
    CHECK(limiter.admit(1, 100, 0) == V::kServe);  // 100 ms at 10/s = one request
    CHECK(limiter.admit(1, 150, 0) == V::kRateLimited);
    // Over one simulated minute of flooding, a peer gets the rate and no more.
    served = 0;
    for (std::int64_t t = 1000; t < 61'000; t += 1) {
        served += limiter.admit(1, t, 0) == V::kServe ? 1 : 0;
    }
    CHECK(served >= 600);
    CHECK(served <= 600 + 20);
    // Peers have separate buckets: another peer is not starved by the flooder.
    CHECK(limiter.admit(2, 61'000, 0) == V::kServe);
    // A peer whose responses have not left yet gets nothing new, whatever its tokens.
    CHECK(limiter.admit(3, 0, 1001) == V::kQueueFull);
    CHECK(limiter.admit(3, 0, 1000) == V::kServe);
}
