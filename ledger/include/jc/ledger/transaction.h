// Transaction: the signed envelope of API.md, parsed and validated once.
//
//   {"chain_id", "type", "sender", "signer", "client_ref", "body", "sig"}
//
//   signing_bytes = RFC 8785 canonical JSON of the envelope without "sig"
//   tx_hash       = SHA-256(signing_bytes)
//   sig           = secp256k1 recoverable ECDSA over tx_hash (r || s low-S || recid), hex
//
// A Transaction is immutable once built: it keeps its canonical bytes and hash, so nothing
// re-serialises it. `parse` checks the form of every field; `verify_signature` checks the
// signature against `signer` (done once per node, on the crypto pool). Whether `signer` is a key
// of `sender` is a question for the member registry, not for this class.
//
// Thread-safety: immutable after construction; share freely as shared_ptr<const Transaction>.
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/canonical_json.h>
#include <jc/core/secp256k1.h>

#include <string>
#include <string_view>

namespace jc::ledger {

struct TxLimits {
    std::size_t envelope_bytes_max = 64 * 1024;
    std::size_t body_depth_max = 8;
};

inline constexpr std::size_t kClientRefLengthMax = 64;
inline constexpr std::size_t kChainIdLengthMax = 64;
inline constexpr std::size_t kBankIdLengthMax = 16;
inline constexpr std::size_t kTxTypeLengthMax = 64;

// Field validators, shared with genesis and the engine. Each returns an error naming the field.
Status check_chain_id(std::string_view chain_id);
Status check_bank_id(std::string_view bank_id);
Status check_client_ref(std::string_view client_ref);
Status check_tx_type(std::string_view type);

struct UnsignedTx {
    std::string chain_id;
    std::string type;
    std::string sender;
    std::string client_ref;
    json::Value body = json::Value::object();
};

class Transaction {
public:
    // Parses envelope JSON text strictly (canonical JSON subset, exact key set, field forms).
    static Result<Transaction> parse(std::string_view envelope_json, const TxLimits& limits = {});
    // Same, from an already-parsed value.
    static Result<Transaction> from_value(const json::Value& envelope, const TxLimits& limits = {});
    // Signs `tx` with `key` (signer = key's public key).
    static Result<Transaction> sign(const UnsignedTx& tx, const crypto::SecretKey& key);

    [[nodiscard]] const std::string& chain_id() const { return chain_id_; }
    [[nodiscard]] const std::string& type() const { return type_; }
    [[nodiscard]] const std::string& sender() const { return sender_; }
    [[nodiscard]] const crypto::PublicKey& signer() const { return signer_; }
    [[nodiscard]] const std::string& client_ref() const { return client_ref_; }
    [[nodiscard]] const json::Value& body() const { return body_; }
    [[nodiscard]] const crypto::Signature& sig() const { return sig_; }

    // RFC 8785 bytes of the envelope without "sig".
    [[nodiscard]] const std::string& signing_bytes() const { return signing_bytes_; }
    // RFC 8785 bytes of the body, i.e. json::canonicalize(body()): a view into signing_bytes(),
    // whose first member is the body.
    [[nodiscard]] std::string_view canonical_body() const {
        return std::string_view(signing_bytes_).substr(kBodyOffset, body_size_);
    }
    [[nodiscard]] const Hash& hash() const { return hash_; }
    // RFC 8785 bytes of the whole envelope, including "sig": the stored and relayed form.
    [[nodiscard]] const std::string& canonical_json() const { return canonical_json_; }
    // The envelope as a JSON value (with "sig").
    [[nodiscard]] json::Value to_value() const;

    // Checks `sig` over `hash()` against `signer()`.
    [[nodiscard]] Status verify_signature() const;

    friend bool operator==(const Transaction& a, const Transaction& b) {
        return a.canonical_json_ == b.canonical_json_;
    }

private:
    Transaction() = default;
    // Checks an envelope object whose values lie inside the JSON subset: exact key set and every
    // field's form, in the order that fixes which error a bad envelope gets. Fills every field
    // except body_ (the caller copies or moves it: parse owns its tree, from_value does not).
    static Result<Transaction> unsealed_from(const json::Value& envelope);
    // Writes signing_bytes and hash from the fields, serialising the envelope's members directly
    // in RFC 8785 key order; returns the offset where the "sig" member belongs in the full form.
    std::size_t seal_signing_bytes();
    // Writes canonical_json: signing_bytes with the "sig" member inserted at `sig_at`.
    void seal_canonical_json(std::size_t sig_at);

    std::string chain_id_;
    std::string type_;
    std::string sender_;
    crypto::PublicKey signer_;
    std::string client_ref_;
    json::Value body_;
    crypto::Signature sig_;

    static constexpr std::size_t kBodyOffset = 8;  // after {"body":
    std::string signing_bytes_;
    std::size_t body_size_ = 0;  // of the body's bytes in signing_bytes_, from kBodyOffset
    Hash hash_;
    std::string canonical_json_;
};

}  // namespace jc::ledger
