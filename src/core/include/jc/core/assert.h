// JC_ASSERT: always-on assertions for programmer errors.
//
// An assertion names the invariant it checks ("consensus.commit.cert_has_quorum") so a crash
// report points at the broken rule. Assertions stay on in every build, including release:
// a ledger that continues after breaking an invariant is worse than one that stops.
// Never assert on untrusted input (peer bytes, client JSON, files): validate those and return an
// Error.
#pragma once

namespace jc::detail {
[[noreturn]] void assert_fail(const char* invariant, const char* expr, const char* file, int line);
}  // namespace jc::detail

#define JC_ASSERT(cond, invariant)                                                  \
    do {                                                                            \
        if (!(cond)) [[unlikely]]                                                   \
            ::jc::detail::assert_fail((invariant), #cond, __FILE__, __LINE__);      \
    } while (false)

#define JC_UNREACHABLE(invariant) ::jc::detail::assert_fail((invariant), "unreachable", __FILE__, __LINE__)
