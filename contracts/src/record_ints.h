// The version byte and the 64-bit integers of the contract records written with codec::Writer
// (governance proposals, approval requests, reserve accounts, settlement instructions), in the
// same form as records.cc's encoder gives every other record (ADR 0175): eight little-endian
// bytes in RecordVersion::kFixed64, a minimal LEB128 varint in kVarint64, signed values
// zigzag-mapped first (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...) so that the many zero counters and
// fen amounts below 2^34 take one to five bytes instead of eight. 8-, 16- and 32-bit fields stay
// fixed width in both.
//
// Thread-safety: pure functions.
#pragma once

#include <jc/contracts/records.h>
#include <jc/core/codec.h>
#include <jc/core/error.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace jc::contracts {

[[nodiscard]] inline constexpr std::uint64_t zigzag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

[[nodiscard]] inline constexpr std::int64_t unzigzag(std::uint64_t z) {
    return static_cast<std::int64_t>((z >> 1) ^ (0 - (z & 1)));
}

inline codec::Writer& put_version(codec::Writer& w, RecordVersion version) {
    return w.u8(static_cast<std::uint8_t>(version));
}
inline codec::Writer& put_i64(codec::Writer& w, RecordVersion version, std::int64_t v) {
    return version == RecordVersion::kVarint64 ? w.varint(zigzag(v)) : w.i64(v);
}
inline codec::Writer& put_u64(codec::Writer& w, RecordVersion version, std::uint64_t v) {
    return version == RecordVersion::kVarint64 ? w.varint(v) : w.u64(v);
}

// Reads the leading version byte; anything but a known version is corruption of `what`.
[[nodiscard]] inline Result<RecordVersion> read_version(codec::Reader& r, const char* what) {
    JC_ASSIGN_OR_RETURN(const std::uint8_t version, r.u8());
    if (!known_record_version(version)) {
        return Error(Errc::kCorruption, std::string(what) + ": unknown record version " + std::to_string(version));
    }
    return static_cast<RecordVersion>(version);
}
// Reads a record with `read(reader)`: any failure is corruption of the record (store.h's
// contract), whatever code the codec reader gave it (a truncation is kParse there).
template <typename T, typename Read>
[[nodiscard]] Result<T> read_record(std::string_view bytes, const char* what, Read&& read) {
    codec::Reader r(as_bytes(bytes));
    Result<T> v = read(r);
    if (!v && v.error().code() != Errc::kCorruption) {
        return Error(Errc::kCorruption, std::string(what) + ": " + v.error().message());
    }
    return v;
}

[[nodiscard]] inline Result<std::int64_t> read_i64(codec::Reader& r, RecordVersion version) {
    if (version == RecordVersion::kFixed64) {
        return r.i64();
    }
    JC_ASSIGN_OR_RETURN(const std::uint64_t z, r.varint());
    return unzigzag(z);
}
[[nodiscard]] inline Result<std::uint64_t> read_u64(codec::Reader& r, RecordVersion version) {
    return version == RecordVersion::kFixed64 ? r.u64() : r.varint();
}

}  // namespace jc::contracts
