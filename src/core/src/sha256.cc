#include <jc/core/sha256.h>

#include <jc/core/assert.h>

#include <openssl/evp.h>

namespace jc {
namespace {

// EVP_sha256() looks the algorithm up on each call in OpenSSL 3; fetch it once.
const EVP_MD* sha256_md() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    JC_ASSERT(md != nullptr, "core.sha256.fetch");
    return md;
}

EVP_MD_CTX* new_ctx() {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    JC_ASSERT(ctx != nullptr, "core.sha256.ctx_alloc");
    JC_ASSERT(EVP_DigestInit_ex(ctx, sha256_md(), nullptr) == 1, "core.sha256.init");
    return ctx;
}

Hash finish_ctx(EVP_MD_CTX* ctx) {
    Hash h;
    unsigned int len = 0;
    JC_ASSERT(EVP_DigestFinal_ex(ctx, h.bytes.data(), &len) == 1, "core.sha256.final");
    JC_ASSERT(len == Hash::kSize, "core.sha256.len");
    JC_ASSERT(EVP_DigestInit_ex(ctx, sha256_md(), nullptr) == 1, "core.sha256.reinit");
    return h;
}

struct ThreadCtx {
    EVP_MD_CTX* ctx = new_ctx();
    ThreadCtx() = default;
    ThreadCtx(const ThreadCtx&) = delete;
    ThreadCtx& operator=(const ThreadCtx&) = delete;
    ~ThreadCtx() { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_ctx() {
    thread_local ThreadCtx tc;
    return tc.ctx;
}

}  // namespace

Sha256::Sha256() : ctx_(new_ctx()) {}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

Sha256& Sha256::update(ByteView data) {
    JC_ASSERT(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) == 1,
              "core.sha256.update");
    return *this;
}

Hash Sha256::finish() { return finish_ctx(static_cast<EVP_MD_CTX*>(ctx_)); }

Hash sha256(ByteView data) {
    EVP_MD_CTX* ctx = thread_ctx();
    JC_ASSERT(EVP_DigestUpdate(ctx, data.data(), data.size()) == 1, "core.sha256.update");
    return finish_ctx(ctx);
}

Hash sha256_parts(std::initializer_list<ByteView> parts) {
    EVP_MD_CTX* ctx = thread_ctx();
    for (ByteView part : parts) {
        JC_ASSERT(EVP_DigestUpdate(ctx, part.data(), part.size()) == 1, "core.sha256.update");
    }
    return finish_ctx(ctx);
}

}  // namespace jc
