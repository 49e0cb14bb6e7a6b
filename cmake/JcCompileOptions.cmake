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

if(JC_SANITIZE)
    add_compile_options(-fsanitize=${JC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    add_link_options(-fsanitize=${JC_SANITIZE})
endif()

# jc_library(NAME SOURCES... LINKS ...): one library per folder with its public include dir.
function(jc_library name)
    cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_LINKS;PRIVATE_LINKS" ${ARGN})
    add_library(${name} STATIC ${ARG_SOURCES})
    target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_LINKS} PRIVATE jc_warnings ${ARG_PRIVATE_LINKS})
endfunction()
