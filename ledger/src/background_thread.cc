#include <jc/ledger/background_thread.h>

#include <leveldb/env.h>

#include <latch>

#include <pthread.h>

namespace jc::ledger {
namespace {

struct NameTask {
    std::string name;
    std::latch done{1};
};

void run_name_task(void* arg) {
    auto* task = static_cast<NameTask*>(arg);
    // Best effort: a name is a diagnostic, and the only failure (an over-long name) is cut off.
    (void)::pthread_setname_np(::pthread_self(), task->name.substr(0, 15).c_str());
    task->done.count_down();
}

}  // namespace

void name_background_thread(const std::string& name) {
    // Env::Schedule runs the task on the background thread, starting it first if it does not
    // exist yet; the task is queued in order with compactions, so it runs after any in hand.
    NameTask task{name};
    leveldb::Env::Default()->Schedule(&run_name_task, &task);
    task.done.wait();
}

}  // namespace jc::ledger
