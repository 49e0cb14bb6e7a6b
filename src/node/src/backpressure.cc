#include "backpressure.h"

#include <jc/core/codec.h>
#include <jc/ledger/transaction.h>

#include <boost/asio/post.hpp>

#include <chrono>

namespace jc::node {

namespace asio = boost::asio;

GossipIntake::GossipIntake(asio::any_io_executor crypto, std::size_t backlog_txs_max, std::size_t batch_txs_max,
                           Process process)
    : crypto_(std::move(crypto)),
      backlog_txs_max_(backlog_txs_max),
      batch_txs_max_(batch_txs_max),
      process_(std::move(process)),
      log_(jc::log::get("node")) {}

GossipIntake::Offer GossipIntake::offer(std::uint32_t from, Bytes payload, std::string* why) {
    // Only the count is read here (cheap, on the caller's thread); the envelopes are parsed and
    // checked on the crypto pool.
    std::size_t count = 0;
    {
        codec::Reader r(payload);
        auto n = r.varint();
        if (!n || *n == 0 || *n > batch_txs_max_) {
            if (why != nullptr) {
                *why = !n        ? "gossip batch size unreadable: " + n.error().message()
                       : *n == 0 ? std::string("an empty gossip batch")
                                 : "a gossip batch of " + std::to_string(*n) + " transactions, over this node's " +
                                       std::to_string(batch_txs_max_) +
                                       " (4 x its pool.gossip_batch_txs_max; is the peer's set much larger?)";
            }
            return Offer::kMalformed;
        }
        count = static_cast<std::size_t>(*n);
    }
    // Reserve before posting: the backlog never exceeds the bound, however fast batches come.
    std::size_t current = backlog_.load();
    do {
        if (current + count > backlog_txs_max_) {
            shed_batches_ += 1;
            shed_txs_ += count;
            const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count();
            std::int64_t last = last_log_ms_.load();
            if (now - last >= 10'000 && last_log_ms_.compare_exchange_strong(last, now)) {
                log_->warn("signature backlog full ({} of {} transactions waiting): shedding gossip from "
                           "validator {} ({} shed so far; logged once per 10 s)",
                           current, backlog_txs_max_, from, shed_txs_.load());
            }
            return Offer::kShed;
        }
    } while (!backlog_.compare_exchange_weak(current, current + count));

    asio::post(crypto_, [this, from, count, payload = std::move(payload)] {
        codec::Reader r(payload);
        (void)r.varint_max(batch_txs_max_, "gossip batch size");
        std::vector<std::string> texts;
        texts.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            auto text = r.str(ledger::TxLimits{}.envelope_bytes_max);
            if (!text) {
                break;  // the envelopes before the bad one are still checked
            }
            texts.push_back(std::move(*text));
        }
        process_(from, std::move(texts));
        backlog_ -= count;
    });
    return Offer::kAccepted;
}

SyncLimiter::Verdict SyncLimiter::admit(std::uint32_t peer, std::int64_t now_ms, std::size_t peer_queue_bytes) {
    if (peer_queue_bytes > queue_bytes_max_) {
        return Verdict::kQueueFull;
    }
    const std::uint64_t depth = 2 * per_second_ * 1000;  // milli-tokens
    Bucket& b = buckets_[peer];
    if (!b.seen) {
        b.seen = true;
        b.milli_tokens = depth;
        b.last_ms = now_ms;
    }
    if (now_ms > b.last_ms) {
        const auto elapsed = static_cast<std::uint64_t>(now_ms - b.last_ms);
        b.milli_tokens = std::min(depth, b.milli_tokens + elapsed * per_second_);
        b.last_ms = now_ms;
    }
    if (b.milli_tokens < 1000) {
        return Verdict::kRateLimited;
    }
    b.milli_tokens -= 1000;
    return Verdict::kServe;
}

}  // namespace jc::node
