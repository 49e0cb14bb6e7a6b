// Private: names for the node's threads, as `top -H`, `perf top --sort comm`, gdb and
// /proc/<pid>/task/*/comm show them (docs/threads.md lists what each one runs). Without names
// every thread reads "jointcleard", and an operator cannot tell a saturated storage thread from
// busy signature checks.
//
// Thread-safety: name_this_thread names the calling thread; name_pool_threads blocks the
// caller until every thread of the pool has taken its name, so call it on an idle pool.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <cstddef>
#include <string>

namespace jc::node {

// Linux keeps 15 bytes of a name; longer names are cut.
void name_this_thread(const std::string& name);

// Names the `threads` threads of `pool` `prefix` + "-" + index.
void name_pool_threads(boost::asio::thread_pool& pool, std::size_t threads, const std::string& prefix);

}  // namespace jc::node
