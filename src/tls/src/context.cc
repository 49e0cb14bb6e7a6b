#include <jc/tls/context.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <filesystem>

namespace jc::tls {

namespace ssl = boost::asio::ssl;

std::string openssl_error() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "unknown OpenSSL error";
    }
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    return buf;
}

namespace {

// A file problem named precisely: missing and unreadable files are the common operator
// mistakes, and OpenSSL's own text for them ("system lib") says neither.
Error file_error(const ContextOptions& o, const std::string& label, const std::string& path,
                 const boost::system::error_code& ec) {
    std::error_code fs_ec;
    std::string why;
    if (!std::filesystem::exists(path, fs_ec)) {
        why = "no such file";
    } else if (!std::filesystem::is_regular_file(path, fs_ec)) {
        why = "not a regular file";
    } else {
        why = ec.message();
        const std::string detail = openssl_error();
        if (detail != "unknown OpenSSL error" && why.find(detail) == std::string::npos) {
            why += " (" + detail + ")";
        }
    }
    return Error(Errc::kInvalidArgument, o.what + "." + label + " " + path + ": " + why);
}

}  // namespace

Status configure(ssl::context& context, Role role, const ContextOptions& o) {
    ERR_clear_error();
    SSL_CTX* ctx = context.native_handle();
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
        return Error(Errc::kCrypto, o.what + ": cannot restrict to TLS 1.3: " + openssl_error());
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    boost::system::error_code ec;
    if (o.cert_chain_file.empty() != o.key_file.empty()) {
        return Error(Errc::kInvalidArgument, o.what + ": give both " + o.cert_label + " and " + o.key_label);
    }
    if (!o.cert_chain_file.empty()) {
        context.use_certificate_chain_file(o.cert_chain_file, ec);
        if (ec) {
            return file_error(o, o.cert_label, o.cert_chain_file, ec);
        }
        context.use_private_key_file(o.key_file, ssl::context::pem, ec);
        // OpenSSL refuses a key that does not match the certificate already at load time
        // (X509_R_KEY_VALUES_MISMATCH); report both files either way.
        const bool mismatch = ec && ec.message().find("mismatch") != std::string::npos;
        if (ec && !mismatch) {
            return file_error(o, o.key_label, o.key_file, ec);
        }
        if (mismatch || SSL_CTX_check_private_key(ctx) != 1) {
            ERR_clear_error();
            return Error(Errc::kInvalidArgument, o.what + "." + o.key_label + " " + o.key_file +
                                                     " is not the private key of " + o.what + "." + o.cert_label +
                                                     " " + o.cert_chain_file);
        }
    } else if (role == Role::kServer) {
        return Error(Errc::kInvalidArgument, o.what + ": a server needs " + o.cert_label + " and " + o.key_label);
    }
    if (!o.verify_file.empty()) {
        context.load_verify_file(o.verify_file, ec);
        if (ec) {
            return file_error(o, o.verify_label, o.verify_file, ec);
        }
    } else if (role == Role::kClient) {
        context.set_default_verify_paths(ec);
        if (ec) {
            return Error(Errc::kCrypto, o.what + ": no CA given and the system trust store is unusable: " + ec.message());
        }
    }
    if (role == Role::kClient) {
        context.set_verify_mode(ssl::verify_peer, ec);
    } else if (o.require_peer_certificate) {
        if (o.verify_file.empty()) {
            return Error(Errc::kInvalidArgument, o.what + ": requiring client certificates needs " + o.verify_label);
        }
        context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    } else {
        context.set_verify_mode(ssl::verify_none, ec);
    }
    if (ec) {
        return Error(Errc::kCrypto, o.what + ": " + ec.message());
    }
    return {};
}

}  // namespace jc::tls
