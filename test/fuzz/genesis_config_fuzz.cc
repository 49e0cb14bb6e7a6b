// Fuzz target: the two documents an operator hands a node at start — genesis.json
// (ledger::Genesis::parse) and the node config (node::parse_config, JSON with comments) —
// never crash on arbitrary text, and what they accept is self-consistent:
//  - genesis: parsing is deterministic (same text, same hash); the accepted document respects
//    its limits (validators, members, keys per member) and validator indexes are 0..n-1;
//  - config: every limit relationship the loader promises holds (wait_timeout default <= max,
//    view-change timeout <= its cap), the node name is 1-64 characters, and every path is
//    resolved against the base directory.
// The first input byte picks the document (even: genesis, odd: config), so one corpus seeds
// both. Seeds: corpus/genesis_config_fuzz (a genesis from `jointclear init`, node configs).
#include <jc/core/assert.h>
#include <jc/ledger/genesis.h>
#include <jc/node/config.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

void fuzz_genesis(std::string_view text) {
    auto g = jc::ledger::Genesis::parse(text);
    if (!g) {
        return;
    }
    auto again = jc::ledger::Genesis::parse(text);
    JC_ASSERT(again.ok() && again->hash() == g->hash(), "fuzz.genesis.deterministic");
    JC_ASSERT(!g->validators().empty() && g->validators().size() <= jc::ledger::kValidatorsMax,
              "fuzz.genesis.validators_bounded");
    JC_ASSERT(g->members().size() <= jc::ledger::kMembersMax, "fuzz.genesis.members_bounded");
    for (std::size_t i = 0; i < g->validators().size(); ++i) {
        JC_ASSERT(g->validators()[i].index == i, "fuzz.genesis.validator_index");
    }
    for (const auto& m : g->members()) {
        JC_ASSERT(m.keys.size() <= jc::ledger::kMemberKeysMax, "fuzz.genesis.member_keys_bounded");
    }
}

void fuzz_config(std::string_view text) {
    auto c = jc::node::parse_config(text, "/etc/jc/node0");
    if (!c) {
        return;
    }
    JC_ASSERT(c->rpc.wait_timeout_ms_default <= c->rpc.wait_timeout_ms_max, "fuzz.config.wait_timeout");
    JC_ASSERT(c->consensus.view_change_timeout_ticks <= c->consensus.view_change_timeout_ticks_max,
              "fuzz.config.view_change_timeout");
    JC_ASSERT(!c->node_name.empty() && c->node_name.size() <= 64, "fuzz.config.node_name");
    for (const std::string* path : {&c->genesis, &c->data_dir, &c->consensus_key, &c->p2p.ca_cert, &c->p2p.cert,
                                    &c->p2p.key}) {
        JC_ASSERT(!path->empty() && path->front() == '/', "fuzz.config.paths_resolved");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] % 2 == 0) {
        fuzz_genesis(text);
    } else {
        fuzz_config(text);
    }
    return 0;
}
