// Receipt: the outcome of one transaction in a committed block (API.md), and the receipt root.
//
//   {tx_hash, height, index, status OK|DUPLICATE|REJECTED, code, error, detail, result}
//
// `detail` and `result` hold canonical JSON text (RFC 8785, the strict subset of
// jc/core/canonical_json.h), so a receipt has one binary encoding and one hash on every node.
// `detail` is empty when absent, otherwise a JSON object; `result` is any JSON value ("null"
// when there is none).
//
// Binary encoding (canonical; the receipt hash is SHA-256 of it):
//
//   hash(tx_hash) u64(height) u32(index) u8(status) u32(code as two's complement)
//   str(error) str(detail) str(result)
//
// Rules checked by `validate` and by `decode`: status is a known value; OK has code 0 and an
// empty error; REJECTED has a non-zero code and an error name; an error name is
// [A-Z0-9_]{1,kReceiptErrorBytesMax}; detail and result are within their size limits and are
// canonical JSON text.
//
// receipt_root = RFC 6962 root (merkle.h) over the receipt hashes in block order.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/codec.h>
#include <jc/core/error.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace jc::ledger {

inline constexpr std::size_t kReceiptErrorBytesMax = 64;
inline constexpr std::size_t kReceiptDetailBytesMax = 16 * 1024;
inline constexpr std::size_t kReceiptResultBytesMax = 64 * 1024;

// Stable numbers: they are hashed into receipt roots. Never renumber.
enum class ReceiptStatus : std::uint8_t {
    kOk = 0,
    kDuplicate = 1,
    kRejected = 2,
};

// "OK", "DUPLICATE", "REJECTED".
std::string_view receipt_status_name(ReceiptStatus status);

struct Receipt {
    Hash tx_hash;
    std::uint64_t height = 0;
    std::uint32_t index = 0;
    ReceiptStatus status = ReceiptStatus::kOk;
    std::int32_t code = 0;
    std::string error;
    std::string detail;          // canonical JSON object text, or empty when absent
    std::string result = "null"; // canonical JSON text

    // Checks the rules above; the error names the field.
    [[nodiscard]] Status validate() const;

    // REQUIRES: validate() succeeds (the store checks before writing).
    void encode(codec::Writer& w) const;
    [[nodiscard]] Bytes encode() const;
    // Strict: every rule of validate(), plus truncation and (whole buffer) trailing bytes.
    static Result<Receipt> decode(codec::Reader& r);
    static Result<Receipt> decode(ByteView bytes);

    // SHA-256 of encode().
    [[nodiscard]] Hash hash() const;

    friend bool operator==(const Receipt&, const Receipt&) = default;
};

// RFC 6962 root over the receipts' hashes.
Hash receipt_root(std::span<const Receipt> receipts);

}  // namespace jc::ledger
