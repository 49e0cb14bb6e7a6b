#include <jc/core/assert.h>

#include <cstdio>
#include <cstdlib>

namespace jc::detail {

void assert_fail(const char* invariant, const char* expr, const char* file, int line) {
    // stderr directly: the logger may be the thing that is broken.
    std::fprintf(stderr, "FATAL: invariant %s violated: (%s) at %s:%d\n", invariant, expr, file,
                 line);
    std::fflush(stderr);
    std::abort();
}

}  // namespace jc::detail
