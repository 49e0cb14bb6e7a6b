// TLS identities for the consortium: a CA, node certificates, and the identity a node's
// certificate carries.
//
// A node's identity is the SHA-256 of its certificate's SubjectPublicKeyInfo (DER), written as 64
// lowercase hex digits in genesis (`validators[].tls_key`). The transport admits a peer only when
// its certificate chains to the consortium CA AND its identity is listed in genesis, so a
// certificate the CA issued to someone else does not get in.
//
// Keys are ECDSA P-256 (PERFORMANCE.md measured the mutual TLS 1.3 handshake with P-256 at
// ~1.4 ms). Used by `jointclear init` and by tests; the node only reads the PEM files.
//
// Thread-safety: free functions; no shared state.
#pragma once

#include <jc/core/bytes.h>

#include <cstdint>
#include <string>
#include <vector>

namespace jc::p2p {

struct CertificateRequest {
    std::string common_name;
    std::uint64_t serial = 1;
    // Validity relative to now, in seconds (negative values make expired certificates for tests).
    std::int64_t not_before_offset_s = -3600;
    std::int64_t not_after_offset_s = 10LL * 365 * 24 * 3600;
    bool is_ca = false;
    // subjectAltName entries, e.g. "IP:127.0.0.1", "DNS:rpc.bank.example" (RPC server
    // certificates: clients verify the URL's host against these). Empty: no SAN extension.
    std::vector<std::string> subject_alt_names = {};
};

struct PemPair {
    std::string certificate_pem;
    std::string private_key_pem;
};

// A self-signed CA certificate and key.
Result<PemPair> make_ca(const CertificateRequest& request);
// A certificate and fresh key issued by `ca`.
Result<PemPair> issue_certificate(const PemPair& ca, const CertificateRequest& request);

// SHA-256 of the certificate's SubjectPublicKeyInfo DER.
Result<Hash> certificate_identity(const std::string& certificate_pem);
// The certificate's serial number as lowercase hex without leading zeros (e.g. "1f").
Result<std::string> certificate_serial_hex(const std::string& certificate_pem);

}  // namespace jc::p2p
