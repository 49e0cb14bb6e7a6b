// Byte strings, strict lowercase hex, and the 32-byte Hash.
//
// Hex is the one text form of bytes in this project (API.md: lowercase everywhere). Parsing is
// strict: odd length, uppercase or non-hex digits are errors, never silently fixed.
//
// Thread-safety: free functions and plain values.
#pragma once

#include <jc/core/error.h>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jc {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Views the characters of a string as bytes (no copy).
ByteView as_bytes(std::string_view text);
// Copies bytes into a string (no encoding).
std::string to_string(ByteView bytes);

std::string to_hex(ByteView bytes);
// Strict: only [0-9a-f], even length, at most `size_max` decoded bytes.
Result<Bytes> from_hex(std::string_view hex, std::size_t size_max = SIZE_MAX);

// Parses exactly N bytes of strict hex into `out`.
template <std::size_t N>
Status from_hex_fixed(std::string_view hex, std::array<std::uint8_t, N>& out);

// A SHA-256 digest or any other 32-byte identifier. Ordered bytewise.
struct Hash {
    static constexpr std::size_t kSize = 32;
    std::array<std::uint8_t, kSize> bytes{};

    [[nodiscard]] std::string hex() const { return to_hex(bytes); }
    [[nodiscard]] ByteView view() const { return bytes; }
    [[nodiscard]] bool is_zero() const;
    static Result<Hash> from_hex(std::string_view hex);

    friend auto operator<=>(const Hash&, const Hash&) = default;
};

// Writes `hex` as an error message fragment, truncated to keep messages short.
std::string hex_preview(std::string_view text, std::size_t chars_max = 16);

template <std::size_t N>
Status from_hex_fixed(std::string_view hex, std::array<std::uint8_t, N>& out) {
    if (hex.size() != 2 * N) {
        return Error(Errc::kParse, "expected " + std::to_string(2 * N) + " hex digits, got " +
                                       std::to_string(hex.size()));
    }
    auto bytes = jc::from_hex(hex, N);
    if (!bytes) {
        return bytes.error();
    }
    std::copy(bytes->begin(), bytes->end(), out.begin());
    return {};
}

}  // namespace jc
