// Keyed 64-bit hashing for node-local hash tables: `HashHasher` for tables keyed by a 32-byte
// Hash and `keyed_hash64` for tables keyed by byte strings (e.g. a transaction's envelope).
//
// Why keyed: the keys of these tables come from peers and clients (transaction hashes, whole
// envelopes). With a fixed hash function a member could grind transactions whose keys collide in
// one bucket and turn every lookup into a linear scan. The key is drawn once per process from
// the OS, so collisions cannot be aimed. Not a MAC and not for anything that leaves the process.
//
// Why not std::map<Hash>: the node's indexes need no order, and ordered maps keyed by hash spent
// ~9 % of a validator's CPU in memcmp (docs/performance.md, session 3). Never use these tables
// where iteration order could change state or messages (consensus/, contracts/: see
// scripts/check_layering.sh).
//
// Thread-safety: pure functions of their input and a key fixed before first use.
#pragma once

#include <jc/core/bytes.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace jc {

// A keyed hash of `bytes`, stable for the life of the process.
[[nodiscard]] std::uint64_t keyed_hash64(ByteView bytes) noexcept;
[[nodiscard]] inline std::uint64_t keyed_hash64(std::string_view text) noexcept {
    return keyed_hash64(as_bytes(text));
}

// Hasher for unordered containers keyed by Hash.
struct HashHasher {
    [[nodiscard]] std::size_t operator()(const Hash& h) const noexcept;
};

// Hasher for unordered containers keyed by std::string_view (transparent for std::string).
struct TextHasher {
    using is_transparent = void;
    [[nodiscard]] std::size_t operator()(std::string_view text) const noexcept {
        return static_cast<std::size_t>(keyed_hash64(text));
    }
};

}  // namespace jc
