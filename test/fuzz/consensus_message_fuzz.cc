// Fuzz target: the consensus wire and record decoders (the bytes a peer sends on the consensus
// channel, and the records a node reads back from its own store after a restart) never crash,
// never allocate beyond their limits, and accept only canonical encodings: for every accepted
// input, encode(decode(x)) == x, and decoding that again gives an equal value. The signer and
// the signed hash of an accepted message are computable (no hidden invalid state).
// Seeds: corpus/consensus_message_fuzz (one valid message of each kind, from the simulator).
#include <jc/consensus/events.h>
#include <jc/consensus/messages.h>
#include <jc/core/assert.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace {

using jc::ByteView;
using jc::Bytes;

bool same_bytes(const Bytes& a, ByteView b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in(data, size);
    // Small limits as well as the defaults: a limit is where off-by-one bugs live.
    static const jc::consensus::CodecLimits kLimits[] = {
        {}, {.proposal_bytes_max = 64, .prepared_entries_max = 2, .view_changes_max = 3, .selected_max = 2,
             .certificate_signatures_max = 3}};
    for (const auto& limits : kLimits) {
        if (auto message = jc::consensus::decode(in, limits)) {
            const Bytes again = jc::consensus::encode(*message);
            JC_ASSERT(same_bytes(again, in), "fuzz.consensus.message.canonical");
            auto twice = jc::consensus::decode(again, limits);
            JC_ASSERT(twice.ok() && *twice == *message, "fuzz.consensus.message.round_trip");
            (void)jc::consensus::signer_of(*message);
            (void)jc::consensus::signed_hash("fuzz-chain", *message);
            (void)jc::consensus::message_name(*message);
        }
        if (auto record = jc::consensus::decode_record(in, limits)) {
            const Bytes again = jc::consensus::encode_record(*record);
            JC_ASSERT(same_bytes(again, in), "fuzz.consensus.record.canonical");
            auto twice = jc::consensus::decode_record(again, limits);
            JC_ASSERT(twice.ok() && *twice == *record, "fuzz.consensus.record.round_trip");
        }
    }
    return 0;
}
