// Goal: the keyed hashes behind the node's hash tables (jc/core/hash_index.h) are functions of
// their input within a process, use every byte of it (a change anywhere in an envelope, in the
// 16-byte lanes, the 8-byte step or the tail of up to 7 bytes, changes the hash), tell lengths
// apart, and spread SHA-256 digests over buckets. Method: one-byte flips at every position of
// inputs of every length from 0 to 80; equal-content inputs of different lengths; a bucket
// histogram of 64k digests against a generous bound.
#include <jc/core/hash_index.h>

#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

using namespace jc;

TEST_CASE("keyed_hash64 depends on every byte and on the length", "[core][hash_index]") {
    for (std::size_t len = 0; len <= 80; ++len) {
        std::string text(len, 'a');
        for (std::size_t i = 0; i < len; ++i) {
            text[i] = static_cast<char>('a' + (i * 7) % 26);
        }
        const std::uint64_t h = keyed_hash64(text);
        CHECK(keyed_hash64(text) == h);  // a function of the input
        for (std::size_t i = 0; i < len; ++i) {
            std::string flipped = text;
            flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
            INFO("length " << len << ", byte " << i);
            CHECK(keyed_hash64(flipped) != h);
        }
        CHECK(keyed_hash64(text + '\0') != h);  // a trailing zero byte is not nothing
    }
    std::unordered_set<std::uint64_t> zeros;
    for (std::size_t len = 0; len <= 64; ++len) {
        zeros.insert(keyed_hash64(std::string(len, '\0')));
    }
    CHECK(zeros.size() == 65);
}

TEST_CASE("HashHasher spreads digests over buckets", "[core][hash_index]") {
    constexpr std::size_t kDigests = 1 << 16;
    constexpr std::size_t kBuckets = 1 << 12;
    std::vector<std::size_t> buckets(kBuckets, 0);
    HashHasher hasher;
    for (std::size_t i = 0; i < kDigests; ++i) {
        const Hash h = sha256(std::to_string(i));
        CHECK(hasher(h) == hasher(h));
        ++buckets[hasher(h) % kBuckets];
    }
    // 16 expected per bucket; a fair hash stays far below 64 in every one.
    CHECK(*std::max_element(buckets.begin(), buckets.end()) < 64);
    // Digests equal except in one byte hash differently, whichever byte it is.
    for (std::size_t i = 0; i < Hash::kSize; ++i) {
        Hash a;
        Hash b;
        b.bytes[i] = 1;
        CHECK(hasher(a) != hasher(b));
    }
}
