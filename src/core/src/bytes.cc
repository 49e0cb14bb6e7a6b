#include <jc/core/bytes.h>

#include <algorithm>

namespace jc {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

}  // namespace

ByteView as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string to_string(ByteView bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string to_hex(ByteView bytes) {
    std::string out(bytes.size() * 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = kHexDigits[bytes[i] >> 4];
        out[2 * i + 1] = kHexDigits[bytes[i] & 0x0f];
    }
    return out;
}

Result<Bytes> from_hex(std::string_view hex, std::size_t size_max) {
    if (hex.size() % 2 != 0) {
        return Error(Errc::kParse, "hex has odd length " + std::to_string(hex.size()));
    }
    if (hex.size() / 2 > size_max) {
        return Error(Errc::kLimit, "hex decodes to " + std::to_string(hex.size() / 2) +
                                       " bytes, limit " + std::to_string(size_max));
    }
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = hex_value(hex[2 * i]);
        const int lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            const std::size_t at = hi < 0 ? 2 * i : 2 * i + 1;
            return Error(Errc::kParse, "invalid hex digit at offset " + std::to_string(at) +
                                           " (only lowercase 0-9a-f allowed)");
        }
        out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
    }
    return out;
}

bool Hash::is_zero() const {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

Result<Hash> Hash::from_hex(std::string_view hex) {
    Hash h;
    if (auto s = from_hex_fixed(hex, h.bytes); !s) {
        return s.error();
    }
    return h;
}

std::string hex_preview(std::string_view text, std::size_t chars_max) {
    if (text.size() <= chars_max) {
        return std::string(text);
    }
    return std::string(text.substr(0, chars_max)) + "...";
}

}  // namespace jc
