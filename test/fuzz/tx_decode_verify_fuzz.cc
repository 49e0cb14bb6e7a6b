// Fuzz target: envelope parsing and signature verification never crash on arbitrary bytes, and
// an accepted envelope's canonical form parses back to the same transaction and hash.
#include <jc/core/assert.h>
#include <jc/ledger/transaction.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto tx = jc::ledger::Transaction::parse(text);
    if (!tx) {
        return 0;
    }
    (void)tx->verify_signature();
    auto again = jc::ledger::Transaction::parse(tx->canonical_json());
    JC_ASSERT(again.ok(), "fuzz.tx.canonical_reparses");
    JC_ASSERT(again->hash() == tx->hash(), "fuzz.tx.same_hash");
    return 0;
}
