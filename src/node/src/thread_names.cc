#include "thread_names.h"

#include <boost/asio/post.hpp>

#include <latch>
#include <memory>

#include <pthread.h>

namespace jc::node {

void name_this_thread(const std::string& name) {
    // Best effort: a name is a diagnostic; failure (only for over-long names, cut here) changes nothing.
    (void)::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
}

void name_pool_threads(boost::asio::thread_pool& pool, std::size_t threads, const std::string& prefix) {
    // Each task holds its thread until all have arrived, so every thread takes exactly one. The
    // latches are shared: a task may still be inside count_down when the caller wakes and returns.
    const auto count = static_cast<std::ptrdiff_t>(threads);
    auto arrived = std::make_shared<std::latch>(count);
    auto named = std::make_shared<std::latch>(count);
    for (std::size_t i = 0; i < threads; ++i) {
        boost::asio::post(pool, [arrived, named, name = prefix + "-" + std::to_string(i)] {
            name_this_thread(name);
            arrived->arrive_and_wait();
            named->count_down();
        });
    }
    named->wait();
}

}  // namespace jc::node
