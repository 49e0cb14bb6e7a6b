#include "waiters.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <exception>
#include <iterator>

namespace jc::node {

WaiterTable::Token WaiterTable::add(const Hash& tx_hash, std::function<void(const ledger::Receipt&)> on_receipt,
                                    std::function<void(const rpc::RpcError&)> on_error) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::lock_guard lock(mutex_);
    waiters_.emplace(tx_hash, Waiter{std::move(on_receipt), done, std::move(on_error), nullptr});
    return done;
}

WaiterTable::Token WaiterTable::add(const Hash& tx_hash, std::function<void(const ledger::Receipt&)> on_receipt,
                                    std::function<void(const rpc::RpcError&)> on_error,
                                    const boost::asio::any_io_executor& executor, std::chrono::milliseconds timeout,
                                    std::function<void()> on_timeout) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    auto timer = std::make_shared<boost::asio::steady_timer>(executor, timeout);
    // Armed before the entry is visible: whoever finds the entry may cancel the timer at once,
    // so its async_wait must have happened before (the table's lock orders the two).
    timers_pending_++;
    timer->async_wait([this, tx_hash, done, timer, on_timeout = std::move(on_timeout)](const boost::system::error_code&) {
        // Fired or cancelled. Every path that cancels claims the waiter first (claim(), wake(),
        // claim_all()), so for a cancelled timer expire() says no.
        if (expire(tx_hash, done)) {
            on_timeout();
        }
        timers_pending_--;
    });
    std::lock_guard lock(mutex_);
    // A timeout shorter than this call has answered already; its entry must not stay behind.
    if (!done->load()) {
        waiters_.emplace(tx_hash, Waiter{std::move(on_receipt), done, std::move(on_error), std::move(timer)});
    }
    return done;
}

std::shared_ptr<boost::asio::steady_timer> WaiterTable::erase_locked(const Hash& tx_hash, const Token& token) {
    std::shared_ptr<boost::asio::steady_timer> timer;
    auto [first, last] = waiters_.equal_range(tx_hash);
    for (auto it = first; it != last;) {
        if (it->second.done == token) {
            timer = std::move(it->second.timer);
            it = waiters_.erase(it);
        } else {
            it = std::next(it);
        }
    }
    return timer;
}

void WaiterTable::cancel(const std::shared_ptr<boost::asio::steady_timer>& timer) {
    if (timer) {
        timer->cancel();  // its handler runs at once (operation_aborted), answers nothing, and is freed
    }
}

bool WaiterTable::expire(const Hash& tx_hash, const Token& token) {
    if (token->exchange(true)) {
        return false;  // answered already; whoever claimed it removed the entry
    }
    std::lock_guard lock(mutex_);
    // This is the timer's own handler (or a test standing in for it): nothing to cancel.
    erase_locked(tx_hash, token);
    return true;
}

bool WaiterTable::claim(const Hash& tx_hash, const Token& token) {
    if (token->exchange(true)) {
        return false;  // answered already; whoever claimed it removed the entry
    }
    std::shared_ptr<boost::asio::steady_timer> timer;
    {
        std::lock_guard lock(mutex_);
        timer = erase_locked(tx_hash, token);
    }
    cancel(timer);
    return true;
}

// The storage thread claims the waiters (under the lock, as before); their answers are
// rendered and sent on the reader pool: the storage thread is the one thread every committed
// transaction passes through, and rendering receipts there was ~18 % of its time on a single
// validator (ADR 0135). Claiming (the `done` flag) stays here, under the lock, so a timeout or
// a halt can never answer the same call twice.
void WaiterTable::wake(std::vector<ledger::Receipt> receipts, boost::asio::thread_pool& pool,
                       const std::shared_ptr<spdlog::logger>& log) {
    using Wake = std::pair<Waiter, std::size_t>;
    std::vector<Wake> wake;
    std::vector<std::shared_ptr<boost::asio::steady_timer>> unclaimed_timers;
    {
        std::lock_guard lock(mutex_);
        if (waiters_.empty()) {
            return;
        }
        for (std::size_t i = 0; i < receipts.size(); ++i) {
            auto [first, last] = waiters_.equal_range(receipts[i].tx_hash);
            for (auto it = first; it != last; ++it) {
                if (!it->second.done->exchange(true)) {
                    wake.emplace_back(std::move(it->second), i);
                } else if (it->second.timer) {
                    // Claimed by a submission's claim() that has not removed it yet: the entry
                    // goes here, so its timer is cancelled here.
                    unclaimed_timers.push_back(std::move(it->second.timer));
                }
            }
            waiters_.erase(first, last);
        }
    }
    for (const auto& timer : unclaimed_timers) {
        cancel(timer);
    }
    if (wake.empty()) {
        return;
    }
    auto shared = std::make_shared<const std::vector<ledger::Receipt>>(std::move(receipts));
    for (std::size_t begin = 0; begin < wake.size(); begin += kWakesPerTask) {
        const std::size_t end = std::min(wake.size(), begin + kWakesPerTask);
        std::vector<Wake> part(std::make_move_iterator(wake.begin() + static_cast<std::ptrdiff_t>(begin)),
                               std::make_move_iterator(wake.begin() + static_cast<std::ptrdiff_t>(end)));
        boost::asio::post(pool, [log, shared, part = std::move(part)] {
            for (const auto& [waiter, index] : part) {
                // A pool thread has no handler of last resort: an exception here (only
                // bad_alloc is plausible) must answer this caller and spare the others.
                try {
                    waiter.on_receipt((*shared)[index]);
                } catch (const std::exception& e) {
                    log->error("answering a waiting submission failed: {}", e.what());
                    try {
                        if (waiter.on_error) {
                            waiter.on_error(rpc::RpcError::internal("the receipt could not be rendered; poll getReceipt"));
                        }
                    } catch (const std::exception&) {
                        // Nothing more can be said to this caller; its connection's timeout ends it.
                    }
                }
                // Answered: its timer's handler (the timeout answer, the client's reply) goes now.
                cancel(waiter.timer);
            }
        });
    }
}

std::vector<Waiter> WaiterTable::claim_all() {
    decltype(waiters_) waiting;
    {
        std::lock_guard lock(mutex_);
        waiting.swap(waiters_);
    }
    std::vector<Waiter> claimed;
    for (auto& [hash, waiter] : waiting) {
        // Every entry removed here is answered (by this halt or by whoever claimed it first).
        // Claim before cancelling, as claim() and wake() do: a cancel hands the handler to an
        // I/O thread at once, and a handler that ran before the claim would win it and answer
        // TIMEOUT to a caller owed the halt's error.
        const bool mine = !waiter.done->exchange(true);
        cancel(waiter.timer);
        if (mine) {
            claimed.push_back(std::move(waiter));
        }
    }
    return claimed;
}

std::size_t WaiterTable::size() const {
    std::lock_guard lock(mutex_);
    return waiters_.size();
}

}  // namespace jc::node
