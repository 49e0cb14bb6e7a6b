#include <jc/ledger/receipt.h>

#include <jc/core/assert.h>
#include <jc/core/canonical_json.h>
#include <jc/core/sha256.h>
#include <jc/ledger/merkle.h>

#include <vector>

namespace jc::ledger {
namespace {

Error receipt_error(std::string_view field, std::string_view what) {
    return Error(Errc::kInvalidArgument,
                 "receipt " + std::string(field) + ": " + std::string(what));
}

bool is_error_name(std::string_view name) {
    if (name.empty() || name.size() > kReceiptErrorBytesMax) {
        return false;
    }
    for (char c : name) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return true;
}

Status check_canonical_json(std::string_view field, const std::string& text,
                            std::size_t bytes_max) {
    if (text.size() > bytes_max) {
        return Error(Errc::kLimit, "receipt " + std::string(field) + ": " +
                                       std::to_string(text.size()) + " bytes exceeds limit " +
                                       std::to_string(bytes_max));
    }
    json::ParseLimits limits;
    limits.document_bytes_max = bytes_max;
    // The common case, text the engine canonicalised, is recognised in one pass without building
    // a tree (ADR 0130); anything else takes the full parse, which gives the verdict and the error.
    if (json::is_canonical(text, limits) && (field != "detail" || text.front() == '{')) {
        return {};
    }
    auto value = json::parse_strict(text, limits);
    if (!value) {
        return receipt_error(field, "not strict JSON: " + value.error().message());
    }
    if (json::canonicalize(*value) != text) {
        return receipt_error(field, "not in canonical (RFC 8785) form");
    }
    if (field == "detail" && !value->is_object()) {
        return receipt_error(field, "must be a JSON object when present");
    }
    return {};
}

}  // namespace

std::string_view receipt_status_name(ReceiptStatus status) {
    switch (status) {
        case ReceiptStatus::kOk:
            return "OK";
        case ReceiptStatus::kDuplicate:
            return "DUPLICATE";
        case ReceiptStatus::kRejected:
            return "REJECTED";
    }
    JC_UNREACHABLE("ledger.receipt.status_known");
}

Status Receipt::validate() const {
    switch (status) {
        case ReceiptStatus::kOk:
            if (code != 0 || !error.empty()) {
                return receipt_error("code", "an OK receipt has code 0 and no error");
            }
            break;
        case ReceiptStatus::kRejected:
            if (code == 0) {
                return receipt_error("code", "a REJECTED receipt has a non-zero code");
            }
            if (!is_error_name(error)) {
                return receipt_error("error", "a REJECTED receipt names its error as 1-" +
                                                  std::to_string(kReceiptErrorBytesMax) +
                                                  " characters of [A-Z0-9_]");
            }
            break;
        case ReceiptStatus::kDuplicate:
            // A replay carries the original outcome, whatever it was.
            if (!error.empty() && !is_error_name(error)) {
                return receipt_error("error", "must be empty or 1-" +
                                                  std::to_string(kReceiptErrorBytesMax) +
                                                  " characters of [A-Z0-9_]");
            }
            break;
        default:
            return receipt_error("status", "unknown value " +
                                               std::to_string(static_cast<unsigned>(status)));
    }
    if (!detail.empty()) {
        JC_TRY_STATUS(check_canonical_json("detail", detail, kReceiptDetailBytesMax));
    }
    if (result.empty()) {
        return receipt_error("result", "must be canonical JSON text (\"null\" when none)");
    }
    JC_TRY_STATUS(check_canonical_json("result", result, kReceiptResultBytesMax));
    return {};
}

void Receipt::encode(codec::Writer& w) const {
    JC_ASSERT(error.size() <= kReceiptErrorBytesMax && detail.size() <= kReceiptDetailBytesMax &&
                  result.size() <= kReceiptResultBytesMax,
              "ledger.receipt.fields_bounded");
    w.hash(tx_hash)
        .u64(height)
        .u32(index)
        .u8(static_cast<std::uint8_t>(status))
        .u32(static_cast<std::uint32_t>(code))
        .str(error)
        .str(detail)
        .str(result);
}

Bytes Receipt::encode() const {
    codec::Writer w(Hash::kSize + 32 + error.size() + detail.size() + result.size());
    encode(w);
    return w.take();
}

Result<Receipt> Receipt::decode(codec::Reader& r) {
    Receipt out;
    JC_ASSIGN_OR_RETURN(out.tx_hash, r.hash());
    JC_ASSIGN_OR_RETURN(out.height, r.u64());
    JC_ASSIGN_OR_RETURN(out.index, r.u32());
    JC_ASSIGN_OR_RETURN(const std::uint8_t status, r.u8());
    if (status > static_cast<std::uint8_t>(ReceiptStatus::kRejected)) {
        return Error(Errc::kParse, "receipt status: unknown value " + std::to_string(status));
    }
    out.status = static_cast<ReceiptStatus>(status);
    JC_ASSIGN_OR_RETURN(const std::uint32_t code, r.u32());
    out.code = static_cast<std::int32_t>(code);
    JC_ASSIGN_OR_RETURN(out.error, r.str(kReceiptErrorBytesMax));
    JC_ASSIGN_OR_RETURN(out.detail, r.str(kReceiptDetailBytesMax));
    JC_ASSIGN_OR_RETURN(out.result, r.str(kReceiptResultBytesMax));
    if (auto s = out.validate(); !s) {
        return Error(Errc::kParse, s.error().message());
    }
    return out;
}

Result<Receipt> Receipt::decode(ByteView bytes) {
    codec::Reader r(bytes);
    JC_ASSIGN_OR_RETURN(Receipt out, decode(r));
    JC_TRY_STATUS(r.finish());
    return out;
}

Hash Receipt::hash() const { return sha256(encode()); }

Hash receipt_root(std::span<const Receipt> receipts) {
    std::vector<Hash> hashes;
    hashes.reserve(receipts.size());
    for (const auto& receipt : receipts) {
        hashes.push_back(receipt.hash());
    }
    return merkle::root(hashes);
}

}  // namespace jc::ledger
