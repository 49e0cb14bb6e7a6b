#include "openssl_secp256k1.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <vector>

namespace jc::test {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using SigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;

PkeyPtr make_key(const std::uint8_t* pub, std::size_t pub_len, const BIGNUM* priv) {
    BldPtr bld(OSSL_PARAM_BLD_new());
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0);
    if (pub != nullptr) {
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len);
    }
    if (priv != nullptr) {
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv);
    }
    ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* key = nullptr;
    if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
        EVP_PKEY_fromdata(ctx.get(), &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params.get()) != 1) {
        return nullptr;
    }
    return PkeyPtr(key);
}

}  // namespace

bool openssl_verify(const std::array<std::uint8_t, 33>& public_key, const Hash& digest,
                    ByteView r_s) {
    if (r_s.size() != 64) {
        return false;
    }
    PkeyPtr key = make_key(public_key.data(), public_key.size(), nullptr);
    if (!key) {
        return false;
    }
    SigPtr sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(r_s.data(), 32, nullptr);
    BIGNUM* s = BN_bin2bn(r_s.data() + 32, 32, nullptr);
    ECDSA_SIG_set0(sig.get(), r, s);
    unsigned char* der = nullptr;
    const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    CtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
    const bool ok = EVP_PKEY_verify_init(ctx.get()) == 1 &&
                    EVP_PKEY_verify(ctx.get(), der, static_cast<std::size_t>(der_len),
                                    digest.bytes.data(), digest.bytes.size()) == 1;
    OPENSSL_free(der);
    return ok;
}

std::optional<std::array<std::uint8_t, 64>> openssl_sign_low_s(
    const std::array<std::uint8_t, 32>& secret_key, const Hash& digest) {
    BnPtr priv(BN_bin2bn(secret_key.data(), 32, nullptr));
    // Derive the public point so the key pair is complete.
    EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT* point = EC_POINT_new(group);
    EC_POINT_mul(group, point, priv.get(), nullptr, nullptr, nullptr);
    std::uint8_t pub[65];
    const std::size_t pub_len =
        EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, nullptr);
    PkeyPtr key = make_key(pub, pub_len, priv.get());
    EC_POINT_free(point);
    if (!key) {
        EC_GROUP_free(group);
        return std::nullopt;
    }
    CtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
    std::vector<unsigned char> der(128);
    std::size_t der_len = der.size();
    if (EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_sign(ctx.get(), der.data(), &der_len, digest.bytes.data(), digest.bytes.size()) != 1) {
        EC_GROUP_free(group);
        return std::nullopt;
    }
    const unsigned char* p = der.data();
    SigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
    const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
    const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
    BnPtr order(BN_new());
    EC_GROUP_get_order(group, order.get(), nullptr);
    BnPtr half(BN_new());
    BN_rshift1(half.get(), order.get());
    BnPtr low_s(BN_dup(s));
    if (BN_cmp(low_s.get(), half.get()) > 0) {
        BN_sub(low_s.get(), order.get(), s);
    }
    EC_GROUP_free(group);
    std::array<std::uint8_t, 64> out{};
    BN_bn2binpad(r, out.data(), 32);
    BN_bn2binpad(low_s.get(), out.data() + 32, 32);
    return out;
}

}  // namespace jc::test
