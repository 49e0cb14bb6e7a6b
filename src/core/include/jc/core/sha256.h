// SHA-256 through OpenSSL EVP.
//
// PERFORMANCE.md: one-shot EVP calls are ~3x slower than a reused context, so `sha256()` keeps
// one EVP_MD_CTX per thread and `Sha256` objects own one each.
//
// Thread-safety: `sha256()` is safe from any thread (thread-local context). A `Sha256` object
// must not be used from two threads at once.
#pragma once

#include <jc/core/bytes.h>

#include <initializer_list>

namespace jc {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    Sha256& update(ByteView data);
    Sha256& update(std::string_view text) { return update(as_bytes(text)); }
    // Returns the digest and resets the object for the next message.
    Hash finish();

private:
    void* ctx_;  // EVP_MD_CTX*, kept opaque so OpenSSL headers stay out of this header.
};

Hash sha256(ByteView data);
inline Hash sha256(std::string_view text) { return sha256(as_bytes(text)); }
// SHA-256 of the concatenation of the parts, without copying them together.
Hash sha256_parts(std::initializer_list<ByteView> parts);

}  // namespace jc
