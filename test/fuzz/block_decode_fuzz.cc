// Fuzz target: the ledger's binary decoders never crash on arbitrary bytes, never allocate beyond
// their limits, and every accepted input is the one canonical encoding of what it decodes to.
//
// The whole input goes to Block::decode (the decoder that takes peer bytes), and also to the
// decoders of the other records the ledger hashes or stores (BlockHeader, Receipt,
// ExecutionResults, state writes). For each accepted input: re-encoding gives back exactly the
// input, decoding that again gives an equal value, and a block's header commits to its
// transactions (tx_count, tx_root). Seeds: corpus/block_decode_fuzz (valid blocks with 0-3
// transactions, a receipt, results and a state-write list).
#include <jc/core/assert.h>
#include <jc/ledger/block.h>
#include <jc/ledger/merkle.h>
#include <jc/ledger/receipt.h>
#include <jc/ledger/results.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace {

using jc::ByteView;
using jc::Bytes;

bool same_bytes(const Bytes& a, ByteView b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

void fuzz_block(ByteView in) {
    auto block = jc::ledger::Block::decode(in);
    if (!block) {
        return;
    }
    const Bytes again = block->encode();
    JC_ASSERT(same_bytes(again, in), "fuzz.block.canonical");
    JC_ASSERT(block->encoded_size() == in.size(), "fuzz.block.size");
    JC_ASSERT(block->header().tx_count == block->txs().size(), "fuzz.block.tx_count");
    JC_ASSERT(block->header().tx_root == jc::ledger::merkle::root(block->tx_hashes()),
              "fuzz.block.tx_root");
    JC_ASSERT(block->hash() == block->header().hash(), "fuzz.block.hash");
    auto twice = jc::ledger::Block::decode(again);
    JC_ASSERT(twice.ok() && *twice == *block, "fuzz.block.round_trip");
}

void fuzz_header(ByteView in) {
    auto header = jc::ledger::BlockHeader::decode(in);
    if (!header) {
        return;
    }
    JC_ASSERT(same_bytes(header->encode(), in), "fuzz.header.canonical");
}

void fuzz_receipt(ByteView in) {
    auto receipt = jc::ledger::Receipt::decode(in);
    if (!receipt) {
        return;
    }
    JC_ASSERT(receipt->validate().ok(), "fuzz.receipt.valid");
    JC_ASSERT(same_bytes(receipt->encode(), in), "fuzz.receipt.canonical");
}

void fuzz_results(ByteView in) {
    auto results = jc::ledger::ExecutionResults::decode(in);
    if (!results) {
        return;
    }
    JC_ASSERT(same_bytes(results->encode(), in), "fuzz.results.canonical");
}

void fuzz_state_writes(ByteView in) {
    jc::codec::Reader r(in);
    auto writes = jc::ledger::decode_state_writes(r);
    if (!writes || !r.finish()) {
        return;
    }
    JC_ASSERT(jc::ledger::check_state_writes(*writes).ok(), "fuzz.state_writes.within_limits");
    jc::codec::Writer w;
    jc::ledger::encode_state_writes(w, *writes);
    JC_ASSERT(same_bytes(w.data(), in), "fuzz.state_writes.canonical");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in(data, size);
    fuzz_block(in);
    fuzz_header(in);
    fuzz_receipt(in);
    fuzz_results(in);
    fuzz_state_writes(in);
    return 0;
}
