// Canary: fails on purpose when the fuzzer finds the input "JC!", proving the fuzzing
// harness actually runs and reports crashes (its CTest smoke run is marked WILL_FAIL).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size >= 3 && data[0] == 'J' && data[1] == 'C' && data[2] == '!') {
        std::abort();
    }
    return 0;
}
