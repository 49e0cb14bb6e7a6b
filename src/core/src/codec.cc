#include <jc/core/codec.h>

namespace jc::codec {

Writer& Writer::u8(std::uint8_t v) {
    out_.push_back(v);
    return *this;
}

Writer& Writer::u16(std::uint16_t v) {
    for (int i = 0; i < 2; ++i) {
        out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    return *this;
}

Writer& Writer::u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    return *this;
}

Writer& Writer::u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
        out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    return *this;
}

Writer& Writer::varint(std::uint64_t v) {
    while (v >= 0x80) {
        out_.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    out_.push_back(static_cast<std::uint8_t>(v));
    return *this;
}

Writer& Writer::fixed(ByteView bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    return *this;
}

Writer& Writer::bytes(ByteView bytes) {
    varint(bytes.size());
    return fixed(bytes);
}

std::size_t varint_size(std::uint64_t v) {
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

Error Reader::truncated(std::string_view what) const {
    return Error(Errc::kParse, "truncated input reading " + std::string(what) + " at offset " +
                                   std::to_string(pos_));
}

Result<std::uint8_t> Reader::u8() {
    if (remaining() < 1) {
        return truncated("u8");
    }
    return in_[pos_++];
}

Result<bool> Reader::boolean() {
    if (remaining() < 1) {
        return truncated("bool");
    }
    const std::uint8_t b = in_[pos_];
    if (b > 1) {
        return Error(Errc::kParse, "bool must be 0 or 1 at offset " + std::to_string(pos_));
    }
    ++pos_;
    return b == 1;
}

namespace {
template <typename T>
T read_le(ByteView in, std::size_t pos) {
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        v = static_cast<T>(v | (static_cast<T>(in[pos + i]) << (8 * i)));
    }
    return v;
}
}  // namespace

Result<std::uint16_t> Reader::u16() {
    if (remaining() < 2) {
        return truncated("u16");
    }
    auto v = read_le<std::uint16_t>(in_, pos_);
    pos_ += 2;
    return v;
}

Result<std::uint32_t> Reader::u32() {
    if (remaining() < 4) {
        return truncated("u32");
    }
    auto v = read_le<std::uint32_t>(in_, pos_);
    pos_ += 4;
    return v;
}

Result<std::uint64_t> Reader::u64() {
    if (remaining() < 8) {
        return truncated("u64");
    }
    auto v = read_le<std::uint64_t>(in_, pos_);
    pos_ += 8;
    return v;
}

Result<std::int64_t> Reader::i64() {
    auto v = u64();
    if (!v) {
        return v.error();
    }
    return static_cast<std::int64_t>(*v);
}

Result<std::uint64_t> Reader::varint() {
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (remaining() < 1) {
            return truncated("varint");
        }
        const std::uint8_t b = in_[pos_++];
        const std::uint64_t payload = b & 0x7f;
        // The 10th byte may only carry the top bit of a u64.
        if (shift == 63 && payload > 1) {
            return Error(Errc::kParse, "varint overflows 64 bits at offset " + std::to_string(start));
        }
        v |= payload << shift;
        if ((b & 0x80) == 0) {
            // Minimal encoding: a continuation byte must not be followed by a zero final byte.
            if (b == 0 && shift > 0) {
                return Error(Errc::kParse,
                             "non-minimal varint at offset " + std::to_string(start));
            }
            return v;
        }
    }
    return Error(Errc::kParse, "varint longer than 10 bytes at offset " + std::to_string(start));
}

Result<std::uint64_t> Reader::varint_max(std::uint64_t max, std::string_view what) {
    const std::size_t start = pos_;
    auto v = varint();
    if (!v) {
        return v.error();
    }
    if (*v > max) {
        return Error(Errc::kLimit, std::string(what) + " " + std::to_string(*v) + " exceeds limit " +
                                       std::to_string(max) + " at offset " + std::to_string(start));
    }
    return v;
}

Result<ByteView> Reader::fixed(std::size_t size) {
    if (remaining() < size) {
        return truncated(std::to_string(size) + " bytes");
    }
    ByteView out = in_.subspan(pos_, size);
    pos_ += size;
    return out;
}

Result<ByteView> Reader::bytes(std::size_t size_max) {
    auto len = varint_max(size_max, "byte string length");
    if (!len) {
        return len.error();
    }
    return fixed(static_cast<std::size_t>(*len));
}

Result<std::string> Reader::str(std::size_t size_max) {
    auto b = bytes(size_max);
    if (!b) {
        return b.error();
    }
    return to_string(*b);
}

Result<Hash> Reader::hash() {
    auto b = fixed(Hash::kSize);
    if (!b) {
        return b.error();
    }
    Hash h;
    std::copy(b->begin(), b->end(), h.bytes.begin());
    return h;
}

Status Reader::finish() const {
    if (remaining() != 0) {
        return Error(Errc::kParse, std::to_string(remaining()) + " trailing bytes at offset " +
                                       std::to_string(pos_));
    }
    return {};
}

}  // namespace jc::codec
