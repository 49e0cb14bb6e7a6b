// The Byzantine validator mode (tests only, ADR 0092): what a JC_BYZANTINE build of jointcleard
// can be told to do wrong on purpose, so the honest validators' defences are tested on real
// processes (test/integration/byzantine_test.py).
//
// The misbehaviour is a layer between the Replica's outputs and the p2p transport (and the
// block-sync responder): the consensus core runs unchanged and honestly, and the layer rewrites,
// duplicates, forges and replays what leaves the node. It signs only with this validator's own
// consensus key; everything it claims from other validators is forged, replayed or copied.
//
// This header exists in every build, but the types are usable only where JC_BYZANTINE is
// defined (a build the CMake guard refuses for release types): a release jointcleard knows
// neither the flag nor the behaviours.
//
// Thread-safety: plain values.
#pragma once

#if !defined(JC_BYZANTINE)
#error "jc/node/byzantine.h is for JC_BYZANTINE test builds only (ADR 0092)"
#endif

#include <jc/core/error.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jc::node {

enum class ByzantineBehaviour : std::uint8_t {
    kHonest,      // passes everything through (a phase of a test, to set things up)
    kEquivocate,  // as primary: two blocks for one height to different peers; conflicting votes
    kForge,       // bad signatures, messages claiming another validator, undecodable bytes,
                  // view changes with forged certificates, forged NewViews and sync responses
    kStale,       // replays old (view, height) messages, its own and other validators'
    kInvalid,     // as primary: invalid blocks (bad parent, tx root, transactions, oversize, ...)
};

struct ByzantineOptions {
    // Behaviours in the order SIGUSR1 steps through them (wrapping); the first is active at start.
    std::vector<ByzantineBehaviour> behaviours;
    std::uint64_t seed = 1;  // the layer's own generator: which peer gets which variant
};

[[nodiscard]] std::string_view byzantine_behaviour_name(ByzantineBehaviour b);
// "equivocate,forge,stale,invalid" (names as above, lowercase, no repeats needed). Errors name
// the unknown word.
Result<std::vector<ByzantineBehaviour>> parse_byzantine_behaviours(std::string_view list);

}  // namespace jc::node
