// TLS contexts for every TLS endpoint of the project: the p2p transport (mutual TLS between
// validators), the RPC server (https and wss for remote banks) and the CLI's https client.
//
// One place decides the protocol rules so the endpoints cannot drift apart: TLS 1.3 only (no
// downgrade, no renegotiation, no compression; OpenSSL 3's TLS 1.3 cipher suites, all AEAD with
// forward secrecy), certificates and keys read from PEM files, and a private key that does not
// belong to its certificate refused at start with a message naming both files. Errors name the
// config key the file came from (`what`), so an operator sees "rpc.tls.key /etc/x.pem: ..." and
// not an OpenSSL error queue.
//
// Thread-safety: configure() before the context is shared; a configured context is then used
// read-only by any number of streams on any thread (OpenSSL's SSL_CTX rules).
#pragma once

#include <jc/core/error.h>

#include <boost/asio/ssl/context.hpp>

#include <string>

namespace jc::tls {

struct ContextOptions {
    // Names this endpoint in errors, e.g. "p2p" or "rpc.tls".
    std::string what = {};
    // Our certificate chain (leaf first) and its private key; both empty for a client without
    // a certificate. Labels name the config keys in errors ("rpc.tls.cert").
    std::string cert_chain_file = {};
    std::string cert_label = "certificate";
    std::string key_file = {};
    std::string key_label = "key";
    // CA certificates (PEM bundle) that verify the peer. A server with none does not ask for
    // client certificates; a client with none uses the system's default trust store.
    std::string verify_file = {};
    std::string verify_label = "CA";
    // Server: ask for a client certificate and refuse the handshake without one that verifies
    // (mutual TLS). Client: always verifies the server.
    bool require_peer_certificate = false;
};

enum class Role { kServer, kClient };

// Applies the project's TLS 1.3 rules and loads the files into `context`.
Status configure(boost::asio::ssl::context& context, Role role, const ContextOptions& options);

// The most recent OpenSSL error as text (and clears the queue); "unknown OpenSSL error" if none.
std::string openssl_error();

}  // namespace jc::tls
