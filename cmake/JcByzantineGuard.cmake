# The Byzantine validator mode (ADR 0092) is for tests only: a jointcleard built with it can be
# told to equivocate, forge and replay consensus messages and propose invalid blocks. It must
# never reach a release: configuring an optimised build with it fails here, and byzantine.cc
# refuses to compile with NDEBUG as a second fence.
#
# Included by the top-level CMakeLists.txt; also runnable alone in script mode, which is how the
# `byzantine_release_guard` test proves the refusal without configuring a whole tree:
#   cmake -DJC_BYZANTINE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -P cmake/JcByzantineGuard.cmake

if(JC_BYZANTINE)
    string(TOUPPER "${CMAKE_BUILD_TYPE}" _jc_build_type)
    if(_jc_build_type STREQUAL "" OR _jc_build_type MATCHES "^(RELEASE|RELWITHDEBINFO|MINSIZEREL)$")
        message(FATAL_ERROR
            "JC_BYZANTINE=ON is a test-only build option and is refused for CMAKE_BUILD_TYPE="
            "\"${CMAKE_BUILD_TYPE}\": a validator binary that can misbehave on purpose must never be "
            "an optimised or release build (ADR 0092). Use the asan-ubsan preset or a Debug build.")
    endif()
endif()
