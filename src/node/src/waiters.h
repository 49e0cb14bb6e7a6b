// Private: the callers of submitTransaction{wait:true} waiting for their transaction's receipt,
// and the rule that each gets exactly one answer (ADR 0135).
//
// A waiter can be answered by its receipt (claimed on the storage thread by wake(), rendered and
// sent on the RPC reader pool), by its bounded wait running out (expire(), from its timer on an
// I/O thread), by a halt (claim_all(), from fatal()), or by the submission itself (a refusal, an
// already-committed replay: claim()). Every one of them first claims the waiter's `done` flag;
// only the one that flipped it answers, so two of them firing together never answer twice, and
// the entry is removed by whichever runs, so none is left behind. The table's lock is held for
// the hash-map work only, never while an answer is rendered or sent.
//
// A waiter registered with a timer (the node's): whoever removes its entry other than the timer
// itself cancels the timer, so the timer's handler, which holds the timeout answer and with it
// the client's reply, is released as soon as the waiter is answered, not at the timeout.
//
// Ownership: the table owns the registered answer callbacks until a claim moves them out; a
// claimed receipt answer is owned by its reader-pool task; a timeout answer by its timer's
// handler until that runs (fired or cancelled). Thread-safety: every method may be called from
// any thread.
#pragma once

#include <jc/core/hash_index.h>
#include <jc/core/log.h>
#include <jc/ledger/receipt.h>
#include <jc/rpc/dispatcher.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace jc::node {

// A caller waiting for a transaction's receipt (submitTransaction with wait).
struct Waiter {
    std::function<void(const ledger::Receipt&)> on_receipt;
    std::shared_ptr<std::atomic<bool>> done;
    std::function<void(const rpc::RpcError&)> on_error;  // the node halted (fatal) first
    std::shared_ptr<boost::asio::steady_timer> timer;     // its bounded wait, if it has one
};

class WaiterTable {
public:
    // A waiter's claim flag: true once something answered it (or is about to).
    using Token = std::shared_ptr<std::atomic<bool>>;
    // Receipt answers per reader-pool task: both reader threads share a large block's answers,
    // and a small block costs a single post.
    static constexpr std::size_t kWakesPerTask = 256;

    // Registers a caller waiting for `tx_hash`; call it before the transaction can commit. Its
    // wait is bounded by whoever calls expire().
    Token add(const Hash& tx_hash, std::function<void(const ledger::Receipt&)> on_receipt,
              std::function<void(const rpc::RpcError&)> on_error);
    // The same with its own timer on `executor`: after `timeout` the timer expires the waiter
    // and, if that claimed it, calls `on_timeout` (on an `executor` thread). Answered otherwise,
    // the timer is cancelled and its handler, `on_timeout` with it, released at once.
    Token add(const Hash& tx_hash, std::function<void(const ledger::Receipt&)> on_receipt,
              std::function<void(const rpc::RpcError&)> on_error, const boost::asio::any_io_executor& executor,
              std::chrono::milliseconds timeout, std::function<void()> on_timeout);
    // Its wait ran out: true when this call claimed the waiter (the caller then answers the
    // timeout); false when something else already answered it. The entry is gone afterwards.
    bool expire(const Hash& tx_hash, const Token& token);
    // The submission answers by itself (a refusal, a replay, a halt seen first): true when this
    // call claimed the waiter (the caller then answers); false when something else answered it.
    // The entry is gone and its timer cancelled afterwards.
    bool claim(const Hash& tx_hash, const Token& token);
    // Storage thread: claims, under the lock, every waiter of `receipts` not claimed yet and
    // removes their entries, then answers the claimed ones on `pool` with their receipt (an
    // answer that throws is answered with an internal error instead; the others go on). Nothing
    // is rendered or sent on the calling thread.
    void wake(std::vector<ledger::Receipt> receipts, boost::asio::thread_pool& pool,
              const std::shared_ptr<spdlog::logger>& log);
    // A halt: empties the table and returns the waiters this call claimed (their on_error is
    // the caller's to call).
    std::vector<Waiter> claim_all();
    // Entries registered and not yet removed.
    [[nodiscard]] std::size_t size() const;
    // Timers armed by add() whose handler has not run yet (neither fired nor cancelled): each
    // holds its caller's timeout answer.
    [[nodiscard]] std::size_t timers_pending() const { return timers_pending_.load(); }

private:
    // Removes `token`'s entry; returns its timer (null if none, or the entry was gone).
    std::shared_ptr<boost::asio::steady_timer> erase_locked(const Hash& tx_hash, const Token& token);
    static void cancel(const std::shared_ptr<boost::asio::steady_timer>& timer);

    mutable std::mutex mutex_;
    std::unordered_multimap<Hash, Waiter, HashHasher> waiters_;
    std::atomic<std::size_t> timers_pending_{0};
};

}  // namespace jc::node
