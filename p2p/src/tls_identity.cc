#include <jc/p2p/tls_identity.h>

#include <jc/core/sha256.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "openssl_util.h"

namespace jc::p2p {
namespace {

using detail::BioPtr;
using detail::openssl_error;
using detail::PkeyPtr;
using detail::X509Ptr;

Result<PkeyPtr> new_p256_key() {
    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) {
        return Error(Errc::kCrypto, "P-256 key generation failed: " + openssl_error());
    }
    return key;
}

Result<X509Ptr> parse_cert(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
        return Error(Errc::kParse, "not a PEM certificate: " + openssl_error());
    }
    return cert;
}

Result<PkeyPtr> parse_key(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        return Error(Errc::kParse, "not a PEM private key: " + openssl_error());
    }
    return key;
}

std::string bio_string(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

Status add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) {
        return Error(Errc::kCrypto, std::string("certificate extension ") + value + ": " + openssl_error());
    }
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return {};
}

Result<PemPair> build(const CertificateRequest& request, X509* issuer_cert, EVP_PKEY* issuer_key) {
    JC_ASSIGN_OR_RETURN(PkeyPtr key, new_p256_key());
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), request.serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(request.not_before_offset_s));
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(request.not_after_offset_s));
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("JointClear consortium"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(request.common_name.c_str()), -1, -1, 0);
    X509* issuer = issuer_cert != nullptr ? issuer_cert : cert.get();
    EVP_PKEY* signing_key = issuer_key != nullptr ? issuer_key : key.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer));
    if (request.is_ca) {
        JC_TRY_STATUS(add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE"));
        JC_TRY_STATUS(add_extension(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign"));
    } else {
        JC_TRY_STATUS(add_extension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE"));
        JC_TRY_STATUS(add_extension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature"));
        JC_TRY_STATUS(add_extension(cert.get(), issuer, NID_ext_key_usage, "serverAuth,clientAuth"));
        if (!request.subject_alt_names.empty()) {
            std::string sans;
            for (const auto& alt : request.subject_alt_names) {
                if (alt.find(',') != std::string::npos ||
                    (alt.rfind("IP:", 0) != 0 && alt.rfind("DNS:", 0) != 0)) {
                    return Error(Errc::kInvalidArgument, "subject alt name \"" + alt + "\": expected IP:ADDRESS or DNS:NAME");
                }
                sans += (sans.empty() ? "" : ",") + alt;
            }
            JC_TRY_STATUS(add_extension(cert.get(), issuer, NID_subject_alt_name, sans.c_str()));
        }
    }
    JC_TRY_STATUS(add_extension(cert.get(), issuer, NID_subject_key_identifier, "hash"));
    if (X509_sign(cert.get(), signing_key, EVP_sha256()) == 0) {
        return Error(Errc::kCrypto, "certificate signing failed: " + openssl_error());
    }
    BioPtr cert_bio(BIO_new(BIO_s_mem()));
    BioPtr key_bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
        PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return Error(Errc::kCrypto, "PEM encoding failed: " + openssl_error());
    }
    return PemPair{bio_string(cert_bio.get()), bio_string(key_bio.get())};
}

}  // namespace

Result<PemPair> make_ca(const CertificateRequest& request) {
    CertificateRequest r = request;
    r.is_ca = true;
    return build(r, nullptr, nullptr);
}

Result<PemPair> issue_certificate(const PemPair& ca, const CertificateRequest& request) {
    JC_ASSIGN_OR_RETURN(X509Ptr ca_cert, parse_cert(ca.certificate_pem));
    JC_ASSIGN_OR_RETURN(PkeyPtr ca_key, parse_key(ca.private_key_pem));
    return build(request, ca_cert.get(), ca_key.get());
}

Result<Hash> certificate_identity(const std::string& certificate_pem) {
    JC_ASSIGN_OR_RETURN(X509Ptr cert, parse_cert(certificate_pem));
    unsigned char* der = nullptr;
    const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &der);
    if (len <= 0) {
        return Error(Errc::kCrypto, "cannot encode the certificate's public key");
    }
    const Hash h = sha256(ByteView(der, static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    return h;
}

Result<std::string> certificate_serial_hex(const std::string& certificate_pem) {
    JC_ASSIGN_OR_RETURN(X509Ptr cert, parse_cert(certificate_pem));
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
    char* hex = BN_bn2hex(bn);
    std::string out(hex);
    OPENSSL_free(hex);
    BN_free(bn);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const auto first = out.find_first_not_of('0');
    return first == std::string::npos ? std::string("0") : out.substr(first);
}

}  // namespace jc::p2p
