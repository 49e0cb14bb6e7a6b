#include <jc/ledger/transaction.h>

#include <jc/core/assert.h>
#include <jc/core/sha256.h>

#include <array>

namespace jc::ledger {
namespace {

Error field_error(std::string_view field, std::string_view what) {
    return Error(Errc::kInvalidArgument, "field \"" + std::string(field) + "\": " + std::string(what));
}

bool all_of_chars(std::string_view s, bool (*allowed)(char)) {
    for (char c : s) {
        if (!allowed(c)) {
            return false;
        }
    }
    return true;
}

bool is_alnum(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

constexpr std::array<std::string_view, 7> kEnvelopeKeys = {
    "body", "chain_id", "client_ref", "sender", "sig", "signer", "type"};

const std::string& string_field(const json::Value& v, std::string_view key, Status& status) {
    static const std::string kEmpty;
    const auto it = v.find(key);
    if (it == v.end()) {
        status = field_error(key, "missing");
        return kEmpty;
    }
    if (!it->is_string()) {
        status = field_error(key, "must be a string");
        return kEmpty;
    }
    return it->get_ref<const std::string&>();
}

// RFC 8785 string form for the subset (printable ASCII): only '"' and '\\' are escaped. The
// envelope's own fields cannot contain either after their checks; escaping anyway keeps this
// exact for any input.
void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace

Status check_chain_id(std::string_view chain_id) {
    if (chain_id.empty() || chain_id.size() > kChainIdLengthMax ||
        !all_of_chars(chain_id, [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; })) {
        return field_error("chain_id", "must be 1-64 characters of [A-Za-z0-9._-]");
    }
    return {};
}

Status check_bank_id(std::string_view bank_id) {
    if (bank_id.empty() || bank_id.size() > kBankIdLengthMax ||
        !all_of_chars(bank_id, [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; })) {
        return field_error("sender", "bank id must be 1-16 characters of [A-Z0-9_]");
    }
    return {};
}

Status check_client_ref(std::string_view client_ref) {
    if (client_ref.empty() || client_ref.size() > kClientRefLengthMax ||
        !all_of_chars(client_ref, [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == ':' || c == '-'; })) {
        return field_error("client_ref", "must be 1-64 characters of [A-Za-z0-9_.:-]");
    }
    return {};
}

Status check_tx_type(std::string_view type) {
    // Dotted lowercase words, e.g. "loan.repay", "partnership.accept".
    bool word_start = true;
    for (char c : type) {
        if (c == '.') {
            if (word_start) {
                return field_error("type", "empty word in dotted type name");
            }
            word_start = true;
        } else if ((c >= 'a' && c <= 'z') || c == '_') {
            word_start = false;
        } else {
            return field_error("type", "must be dotted lowercase words, e.g. \"loan.repay\"");
        }
    }
    if (type.empty() || type.size() > kTxTypeLengthMax || word_start) {
        return field_error("type", "must be 1-64 characters of dotted lowercase words");
    }
    return {};
}

// The envelope's members in key-byte order (RFC 8785): body, chain_id, client_ref, sender, sig,
// signer, type. Writing them directly, with the body canonicalised once, gives the same bytes as
// canonicalising an envelope object (the path before ADR 0115) without building or copying one,
// and the form with "sig" is the signing bytes with one member spliced in.
std::size_t Transaction::seal_signing_bytes() {
    const std::string body = json::canonicalize(body_);
    const std::string signer_hex = signer_.hex();
    std::string& out = signing_bytes_;
    out.clear();
    out.reserve(body.size() + chain_id_.size() + client_ref_.size() + sender_.size() +
                signer_hex.size() + type_.size() + 80);
    out += "{\"body\":";
    JC_ASSERT(out.size() == kBodyOffset, "ledger.transaction.body_offset");
    out += body;
    body_size_ = body.size();
    out += ",\"chain_id\":";
    append_json_string(out, chain_id_);
    out += ",\"client_ref\":";
    append_json_string(out, client_ref_);
    out += ",\"sender\":";
    append_json_string(out, sender_);
    const std::size_t sig_at = out.size();
    out += ",\"signer\":";
    append_json_string(out, signer_hex);
    out += ",\"type\":";
    append_json_string(out, type_);
    out.push_back('}');
    hash_ = sha256(out);
    return sig_at;
}

void Transaction::seal_canonical_json(std::size_t sig_at) {
    const std::string sig_hex = sig_.hex();
    canonical_json_.clear();
    canonical_json_.reserve(signing_bytes_.size() + sig_hex.size() + 9);
    canonical_json_.append(signing_bytes_, 0, sig_at);
    canonical_json_ += ",\"sig\":";
    append_json_string(canonical_json_, sig_hex);
    canonical_json_.append(signing_bytes_, sig_at, std::string::npos);
}

json::Value Transaction::to_value() const {
    json::Value v = json::Value::object();
    v["chain_id"] = chain_id_;
    v["type"] = type_;
    v["sender"] = sender_;
    v["signer"] = signer_.hex();
    v["client_ref"] = client_ref_;
    v["body"] = body_;
    v["sig"] = sig_.hex();
    return v;
}

Result<Transaction> Transaction::parse(std::string_view envelope_json, const TxLimits& limits) {
    if (envelope_json.size() > limits.envelope_bytes_max) {
        return Error(Errc::kLimit, "transaction of " + std::to_string(envelope_json.size()) +
                                       " bytes exceeds limit " +
                                       std::to_string(limits.envelope_bytes_max));
    }
    json::ParseLimits parse_limits;
    parse_limits.document_bytes_max = limits.envelope_bytes_max;
    parse_limits.depth_max = limits.body_depth_max + 1;
    auto value = json::parse_strict(envelope_json, parse_limits);
    if (!value) {
        return value.error();
    }
    // No check_subset here (ADR 0115): parse_strict refuses everything check_subset refuses, with
    // the same depth limit, so on this path it could never fail. The tree is ours: move the body.
    auto tx = unsealed_from(*value);
    if (!tx) {
        return tx;
    }
    tx->body_ = std::move(*value->find("body"));
    tx->seal_canonical_json(tx->seal_signing_bytes());
    return tx;
}

Result<Transaction> Transaction::from_value(const json::Value& envelope, const TxLimits& limits) {
    if (!envelope.is_object()) {
        return Error(Errc::kInvalidArgument, "transaction must be a JSON object");
    }
    JC_TRY_STATUS(json::check_subset(envelope, limits.body_depth_max + 1));
    auto tx = unsealed_from(envelope);
    if (!tx) {
        return tx;
    }
    tx->body_ = *envelope.find("body");
    tx->seal_canonical_json(tx->seal_signing_bytes());
    return tx;
}

Result<Transaction> Transaction::unsealed_from(const json::Value& envelope) {
    if (!envelope.is_object()) {
        return Error(Errc::kInvalidArgument, "transaction must be a JSON object");
    }
    for (auto it = envelope.begin(); it != envelope.end(); ++it) {
        bool known = false;
        for (auto key : kEnvelopeKeys) {
            known = known || it.key() == key;
        }
        if (!known) {
            return field_error(it.key(), "unknown envelope field");
        }
    }
    Status status;
    Transaction tx;
    tx.chain_id_ = string_field(envelope, "chain_id", status);
    JC_TRY_STATUS(status);
    JC_TRY_STATUS(check_chain_id(tx.chain_id_));
    tx.type_ = string_field(envelope, "type", status);
    JC_TRY_STATUS(status);
    JC_TRY_STATUS(check_tx_type(tx.type_));
    tx.sender_ = string_field(envelope, "sender", status);
    JC_TRY_STATUS(status);
    JC_TRY_STATUS(check_bank_id(tx.sender_));
    const std::string& signer_hex = string_field(envelope, "signer", status);
    JC_TRY_STATUS(status);
    auto signer = crypto::PublicKey::from_hex(signer_hex);
    if (!signer) {
        return field_error("signer", signer.error().message());
    }
    tx.signer_ = *signer;
    tx.client_ref_ = string_field(envelope, "client_ref", status);
    JC_TRY_STATUS(status);
    JC_TRY_STATUS(check_client_ref(tx.client_ref_));
    const auto body = envelope.find("body");
    if (body == envelope.end()) {
        return field_error("body", "missing");
    }
    if (!body->is_object()) {
        return field_error("body", "must be an object");
    }
    const std::string& sig_hex = string_field(envelope, "sig", status);
    JC_TRY_STATUS(status);
    auto sig = crypto::Signature::from_hex(sig_hex);
    if (!sig) {
        return field_error("sig", sig.error().message());
    }
    tx.sig_ = *sig;
    return tx;
}

Result<Transaction> Transaction::sign(const UnsignedTx& unsigned_tx, const crypto::SecretKey& key) {
    JC_TRY_STATUS(check_chain_id(unsigned_tx.chain_id));
    JC_TRY_STATUS(check_tx_type(unsigned_tx.type));
    JC_TRY_STATUS(check_bank_id(unsigned_tx.sender));
    JC_TRY_STATUS(check_client_ref(unsigned_tx.client_ref));
    if (!unsigned_tx.body.is_object()) {
        return field_error("body", "must be an object");
    }
    JC_TRY_STATUS(json::check_subset(unsigned_tx.body, TxLimits{}.body_depth_max));
    Transaction tx;
    tx.chain_id_ = unsigned_tx.chain_id;
    tx.type_ = unsigned_tx.type;
    tx.sender_ = unsigned_tx.sender;
    tx.signer_ = key.public_key();
    tx.client_ref_ = unsigned_tx.client_ref;
    tx.body_ = unsigned_tx.body;
    const std::size_t sig_at = tx.seal_signing_bytes();  // the hash over the fields without sig
    tx.sig_ = key.sign(tx.hash_);
    tx.seal_canonical_json(sig_at);
    return tx;
}

Status Transaction::verify_signature() const {
    if (auto s = crypto::verify_status(signer_, hash_, sig_); !s) {
        return Error(Errc::kCrypto, "BAD_SIGNATURE: " + s.error().message());
    }
    return {};
}

}  // namespace jc::ledger
