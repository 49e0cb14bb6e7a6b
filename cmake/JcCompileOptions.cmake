# Project-wide warnings and sanitizer flags, applied through jc_compile_options().

add_library(jc_warnings INTERFACE)
target_compile_options(jc_warnings INTERFACE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
    # Floating point must never sneak into consensus code in a way that fuses operations.
    -ffp-contract=off)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(jc_warnings INTERFACE -Wthread-safety)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12 at -O2 reports "may be used uninitialized" inside std::variant storage (our
    # Result<T>) along paths the variant's index rules out: a known false positive (GCC bugs
    # 105562, 107919). Clang's -Wuninitialized and the sanitizer builds still cover real cases.
    target_compile_options(jc_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
if(JC_WERROR)
    target_compile_options(jc_warnings INTERFACE -Werror)
endif()

# lld links the sanitizer build's executables about five times faster than GNU ld (jointcleard:
# 13.4 s against 2.6 s), and that build links 22 of them. The same objects, the same libraries
# in the same order; only the link step's speed changes. Without lld (the container image
# installs only g++) the default linker is used. ADR 0172.
if(JC_LLD)
    include(CheckLinkerFlag)
    check_linker_flag(CXX -fuse-ld=lld JC_HAVE_LLD)
    if(JC_HAVE_LLD)
        add_link_options(-fuse-ld=lld)
    endif()
endif()

if(JC_SANITIZE)
    add_compile_options(-fsanitize=${JC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${JC_SANITIZE})
endif()

# Code that the sanitizer stage builds but barely runs: the Beast and Asio glue (RPC server,
# node wiring, p2p transport, TLS), the CLI and the test bodies. Clang at -O1 inlines Beast
# deeply and then instruments what it inlined, so this code costs most of the sanitizer
# build (server.cc: 260 s at -O1, 117 s at -O0) while the tests' loops run in consensus,
# contracts, ledger, core and the simulator, which keep the preset's level. The asan-ubsan
# preset sets "-O0"; elsewhere it is empty and changes nothing. ADR 0170.
set(JC_COLD_CODE_OPT "" CACHE STRING "Extra compile options for the code jc_cold_code() marks")

# jc_cold_code(TARGET...): the targets compile with JC_COLD_CODE_OPT after the preset's flags.
function(jc_cold_code)
    foreach(target IN LISTS ARGN)
        target_compile_options(${target} PRIVATE ${JC_COLD_CODE_OPT})
    endforeach()
endfunction()

# jc_no_fuzz_coverage(TARGET...): the targets compile without libFuzzer's coverage hooks. Those
# hooks (fuzzer-no-link in JC_SANITIZE) exist for the libraries the fuzz targets link, so that
# libFuzzer sees which branches its inputs reach. No fuzz target links a test body, the CLI or
# a program's main(), and nothing else reads the counters, yet the hooks cost about a fifth of
# such a file's compile time under ASan at -O0 (nine files: 84.4 s with, 68.4 s without). The
# sanitizers themselves stay on. ADR 0172.
function(jc_no_fuzz_coverage)
    if(JC_SANITIZE MATCHES "fuzzer-no-link")
        foreach(target IN LISTS ARGN)
            target_compile_options(${target} PRIVATE -fno-sanitize=fuzzer-no-link)
        endforeach()
    endif()
endfunction()

# jc_library(NAME SOURCES... LINKS ...): one library per folder with its public include dir.
function(jc_library name)
    cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_LINKS;PRIVATE_LINKS" ${ARGN})
    add_library(${name} STATIC ${ARG_SOURCES})
    target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LINKS} PRIVATE jc_warnings ${ARG_PRIVATE_LINKS})
endfunction()
