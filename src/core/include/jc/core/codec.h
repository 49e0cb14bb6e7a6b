// The binary codec for node-to-node messages and on-disk records.
//
// Encoding: little-endian fixed-width integers, unsigned LEB128 varints, and byte strings
// prefixed by their varint length. One value has exactly one encoding, so encodings can be
// hashed and compared.
//
// Decoding is strict: a truncated input, a non-minimal or over-long varint, a length above the
// caller's limit, a bool other than 0/1, or trailing bytes (checked by `Reader::finish`) is an
// error. A reader never allocates more than the bytes actually present, so a hostile length
// prefix cannot make it reserve gigabytes.
//
// Thread-safety: plain objects; one per thread.
#pragma once

#include <jc/core/bytes.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace jc::codec {

class Writer {
public:
    Writer() = default;
    explicit Writer(std::size_t reserve_bytes) { out_.reserve(reserve_bytes); }

    Writer& u8(std::uint8_t v);
    Writer& boolean(bool v) { return u8(v ? 1 : 0); }
    Writer& u16(std::uint16_t v);
    Writer& u32(std::uint32_t v);
    Writer& u64(std::uint64_t v);
    Writer& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v)); }
    Writer& varint(std::uint64_t v);
    Writer& fixed(ByteView bytes);                 // raw bytes, no length
    Writer& bytes(ByteView bytes);                 // varint length + bytes
    Writer& str(std::string_view text) { return bytes(as_bytes(text)); }
    Writer& hash(const Hash& h) { return fixed(h.view()); }

    [[nodiscard]] const Bytes& data() const { return out_; }
    [[nodiscard]] Bytes take() { return std::move(out_); }
    [[nodiscard]] std::size_t size() const { return out_.size(); }

private:
    Bytes out_;
};

class Reader {
public:
    explicit Reader(ByteView input) : in_(input) {}

    Result<std::uint8_t> u8();
    Result<bool> boolean();
    Result<std::uint16_t> u16();
    Result<std::uint32_t> u32();
    Result<std::uint64_t> u64();
    Result<std::int64_t> i64();
    Result<std::uint64_t> varint();
    // A varint that must be <= max (e.g. an element count).
    Result<std::uint64_t> varint_max(std::uint64_t max, std::string_view what);
    Result<ByteView> fixed(std::size_t size);
    Result<ByteView> bytes(std::size_t size_max);  // varint length + bytes
    Result<std::string> str(std::size_t size_max);
    Result<Hash> hash();

    [[nodiscard]] std::size_t remaining() const { return in_.size() - pos_; }
    [[nodiscard]] std::size_t position() const { return pos_; }
    // Error unless every byte was consumed.
    Status finish() const;

private:
    Error truncated(std::string_view what) const;

    ByteView in_;
    std::size_t pos_ = 0;
};

// Size of `v` as a varint, for pre-sizing buffers.
std::size_t varint_size(std::uint64_t v);

}  // namespace jc::codec
