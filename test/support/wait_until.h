// wait_until: polls a condition until it holds or a deadline passes, for tests that watch
// another thread (a server's acceptor, a connection being closed) reach a state. The deadline
// bounds a failing test; a passing one returns as soon as the condition holds.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace jc::test {

// True as soon as `condition()` is; false if it still is not after `deadline_ms`.
inline bool wait_until(const std::function<bool()>& condition, int deadline_ms = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return condition();
}

}  // namespace jc::test
