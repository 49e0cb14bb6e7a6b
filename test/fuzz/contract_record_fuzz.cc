// Fuzz target: the contract state's record decoders (docs/spec/contracts.md 3.1, both record
// versions, ADR 0175) never crash or over-read on damaged bytes, and a record they accept
// re-encodes, in the version its first byte names, to exactly those bytes: decoding is strict
// and encoding canonical, so no two byte strings decode to the same record.
//
// Input: one byte choosing the record type, then the record's bytes.
#include <jc/contracts/records.h>
#include <jc/contracts/settlement.h>
#include <jc/core/assert.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace jc::contracts;

// Decodes `bytes` with `decode`; when accepted, checks `encode(value, version)` gives them back.
template <typename Decode, typename Encode>
void round_trip(std::string_view bytes, Decode decode, Encode encode) {
    auto value = decode(bytes);
    if (!value) {
        JC_ASSERT(value.error().code() == jc::Errc::kCorruption, "fuzz.records.refusal_is_corruption");
        return;
    }
    // Accepted bytes start with a known version byte.
    JC_ASSERT(known_record_version(static_cast<std::uint8_t>(bytes.at(0))), "fuzz.records.version_known");
    JC_ASSERT(encode(*value, static_cast<RecordVersion>(bytes.at(0))) == bytes, "fuzz.records.canonical");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto any = [](const auto& v, RecordVersion version) { return encode(v, version); };
    switch (data[0] % 16) {
        case 0: round_trip(bytes, decode_loan, any); break;
        case 1: round_trip(bytes, decode_loan_event, any); break;
        case 2: round_trip(bytes, decode_member, any); break;
        case 3: round_trip(bytes, decode_partnership, any); break;
        case 4: round_trip(bytes, decode_account, any); break;
        case 5: round_trip(bytes, decode_idempotency, any); break;
        case 6: round_trip(bytes, decode_channel_ref, any); break;
        case 7: round_trip(bytes, decode_cycle, any); break;
        case 8: round_trip(bytes, decode_obligation, any); break;
        case 9: round_trip(bytes, decode_bank_aggregate, any); break;
        case 10: round_trip(bytes, decode_loan_proposal, any); break;
        case 11: round_trip(bytes, decode_borrower_outstanding, encode_borrower_outstanding); break;
        case 12: round_trip(bytes, decode_current_cycle, [](std::string_view id, RecordVersion version) {
                     return encode_current_cycle(id, version);
                 });
                 break;
        case 13:
            // Params carry their version as their own version byte (Params::record_version).
            round_trip(bytes, decode_params, [](const Params& p, RecordVersion) { return encode(p); });
            break;
        case 14: round_trip(bytes, decode_reserve, any); break;
        default: round_trip(bytes, decode_instruction, any); break;
    }
    return 0;
}
