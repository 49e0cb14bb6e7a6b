// Goal: the catch-up pipeline (ADR 0125, sync_pipeline.h) refuses a synced block that must be
// refused, and recovers: when a response carries a block with a bad commit certificate (a
// forged signature, too few signers, the digest of another block), a broken chain link, or a
// transaction with a forged signature under a valid certificate, nothing from that block on is
// handed to the storage thread, executed or stored; the staged height is not raised over it, so
// the next fetch asks from exactly that block (not above it, not from the start); and a later
// honest response is accepted and committed up to the end. Likewise when the storage thread
// refuses a handed-over group that does not extend its head (a fork certified elsewhere): the
// staged height drops to the head and the refused heights are fetched again.
// Method: the node's own SyncPipeline with the node's real checks injected (the cached block
// decoder, jc::verify_certificate over four secp256k1 validators, verify_once with the real
// signature check), real signed blocks and commit certificates encoded as a peer's sync
// response, and a recording store in place of the storage thread's commit. The storage
// thread's lag is modelled by applying the handed-over groups only when the test says, so a
// fetch can be asked while groups are in flight. Single-threaded and deterministic; no sleeps.
#include "sync_pipeline.h"

#include <jc/core/codec.h>
#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace jc::node {
namespace {

constexpr std::string_view kChain = "sync-test-chain";

const std::vector<crypto::SecretKey>& validator_secrets() {
    static const std::vector<crypto::SecretKey> keys = [] {
        std::vector<crypto::SecretKey> out;
        for (char c : std::string("1234")) {
            out.push_back(crypto::SecretKey::from_hex(std::string(63, c) + "9").value());
        }
        return out;
    }();
    return keys;
}

std::vector<ValidatorKey> validator_keys() {
    std::vector<ValidatorKey> out;
    for (std::uint32_t i = 0; i < validator_secrets().size(); ++i) {
        out.push_back(ValidatorKey{i, validator_secrets()[i].public_key(), 1});
    }
    return out;
}

const crypto::SecretKey& bank_key() {
    static const auto k = crypto::SecretKey::from_hex(std::string(63, '6') + "1").value();
    return k;
}

ledger::TxPtr height_tx(std::uint64_t height, int i) {
    ledger::UnsignedTx u{std::string(kChain), "loan.repay", "WEBANK",
                         "ref-" + std::to_string(height) + "-" + std::to_string(i),
                         json::Value{{"amount", "50.00"}, {"h", static_cast<std::int64_t>(height)}}};
    return std::make_shared<const ledger::Transaction>(ledger::Transaction::sign(u, bank_key()).value());
}

// Same fields, another key's signature: well-formed, badly signed.
ledger::TxPtr forged_by_validator(const ledger::Transaction& honest) {
    json::Value v = honest.to_value();
    v["sig"] = validator_secrets()[0].sign(honest.hash()).hex();
    return std::make_shared<const ledger::Transaction>(ledger::Transaction::from_value(v).value());
}

// A commit certificate for `block` signed by `signers` (a quorum of 4 is 3).
Certificate certify(const ledger::Block& block, std::vector<std::uint32_t> signers = {0, 1, 2}) {
    Certificate c;
    c.kind = VoteKind::kCommit;
    c.view = 0;
    c.height = block.height();
    c.digest = block.hash();
    const Hash vote = vote_hash(kChain, VoteKind::kCommit, c.view, c.height, c.digest);
    for (const auto v : signers) {
        c.signatures.push_back(VoteSignature{v, validator_secrets()[v].sign(vote)});
    }
    return c;
}

struct Synced {
    ledger::Block block;
    Certificate cert;
};

const Hash& genesis_hash() {
    static const Hash h = sha256("genesis");
    return h;
}

ledger::Block make_block(std::uint64_t height, const Hash& parent, std::vector<ledger::TxPtr> txs) {
    return ledger::Block::make(height, parent, 1'700'000'000'000 + static_cast<std::int64_t>(height), 0, std::move(txs))
        .value();
}

// Heights 1..n, two transactions each, every block certified by validators 0, 1 and 2.
std::vector<Synced> honest_chain(std::uint64_t n) {
    std::vector<Synced> out;
    Hash parent = genesis_hash();
    for (std::uint64_t h = 1; h <= n; ++h) {
        auto block = make_block(h, parent, {height_tx(h, 0), height_tx(h, 1)});
        parent = block.hash();
        auto cert = certify(block);
        out.push_back({std::move(block), std::move(cert)});
    }
    return out;
}

// A peer's sync response: varint count, then each block's and certificate's bytes.
Bytes response(const std::vector<Synced>& blocks) {
    codec::Writer w;
    w.varint(blocks.size());
    for (const auto& s : blocks) {
        w.bytes(s.block.encode()).bytes(s.cert.encode());
    }
    return w.data();
}

std::vector<Synced> slice(const std::vector<Synced>& chain, std::uint64_t from, std::uint64_t to) {
    return {chain.begin() + static_cast<std::ptrdiff_t>(from - 1), chain.begin() + static_cast<std::ptrdiff_t>(to)};
}

// The pipeline with the node's checks, and a store that records what it executed.
struct Harness {
    VerifiedTxCache cache{1000, 1 << 20};
    std::vector<ValidatorKey> validators = validator_keys();
    // One block (two transactions) per group, so a response is handed over in several groups.
    SyncPipeline pipeline{jc::log::get("sync-test"), /*group_txs=*/2};
    std::vector<ledger::Block> stored;  // what the storage thread executed and committed, in order
    std::vector<CheckedSync> in_flight;  // handed over, not yet applied by the storage thread
    std::uint64_t consensus_height = 0;  // what consensus committed (the node's metrics height)
    bool fail_commits = false;           // the store refuses writes (the node halts)

    [[nodiscard]] std::uint64_t head() const { return stored.empty() ? 0 : stored.back().height(); }

    void check(const Bytes& payload) {
        SyncChecks checks;
        checks.decode = [this](ByteView bytes) { return decode_block(bytes, ledger::BlockLimits{}, cache); };
        checks.verify_certificate = [this](const Certificate& c) { return verify_certificate(c, kChain, validators); };
        checks.verify_signatures = [this](const std::vector<ledger::TxPtr>& txs) {
            for (std::size_t i = 0; i < txs.size(); ++i) {
                if (!cache.verify_once(txs[i], [](const ledger::Transaction& t) { return t.verify_signature(); })) {
                    return i;
                }
            }
            return txs.size();
        };
        checks.committed_height = [this] { return std::max(consensus_height, head()); };
        checks.stopping = [] { return false; };
        pipeline.check(payload, checks, [this](CheckedSync group) { in_flight.push_back(std::move(group)); });
    }

    // The storage thread catching up with everything handed over.
    void apply_in_flight() {
        SyncStore store;
        store.head_height = [this] { return head(); };
        store.head_hash = [this] { return stored.empty() ? genesis_hash() : stored.back().hash(); };
        store.commit = [this](const ledger::Block& block, const Certificate&) {
            if (!fail_commits) {
                stored.push_back(block);
            }
        };
        for (const auto& group : in_flight) {
            (void)pipeline.apply(group, store);
        }
        in_flight.clear();
    }

    [[nodiscard]] std::vector<std::uint64_t> in_flight_heights() const {
        std::vector<std::uint64_t> out;
        for (const auto& g : in_flight) {
            for (const auto& b : g.blocks) {
                out.push_back(b.block.height());
            }
        }
        return out;
    }

    [[nodiscard]] std::vector<std::uint64_t> stored_heights() const {
        std::vector<std::uint64_t> out;
        for (const auto& b : stored) {
            out.push_back(b.height());
        }
        return out;
    }

    // What the node's fetch asks for when it wants everything from the head up.
    [[nodiscard]] std::uint64_t next_fetch_from() const {
        const auto range = pipeline.fetch_range(head() + 1, head() + 2 * kSyncBlocksPerResponseMax);
        REQUIRE(range.has_value());
        return range->first;
    }
};

using Heights = std::vector<std::uint64_t>;

}  // namespace

TEST_CASE("a refused synced block is not executed, is fetched again, and an honest response then commits",
          "[node][sync][regress]") {
    const auto chain = honest_chain(6);
    auto bad = chain;  // heights 1..6, block 4 made to fail one check
    const char* fault = GENERATE("certificate with a forged signature", "certificate below the quorum",
                                 "certificate for another block", "broken chain link",
                                 "transaction with a forged signature");
    INFO(fault);
    const std::string f = fault;
    if (f == "certificate with a forged signature") {
        // Validator 2's slot signed by validator 3's key.
        const Hash vote = vote_hash(kChain, VoteKind::kCommit, 0, 4, chain[3].block.hash());
        bad[3].cert.signatures[2].sig = validator_secrets()[3].sign(vote);
    } else if (f == "certificate below the quorum") {
        bad[3].cert = certify(chain[3].block, {0, 1});
    } else if (f == "certificate for another block") {
        bad[3].cert = chain[4].cert;
    } else if (f == "broken chain link") {
        // A properly certified height-4 block that does not extend block 3.
        bad[3].block = make_block(4, sha256("another fork"), {height_tx(4, 0), height_tx(4, 1)});
        bad[3].cert = certify(bad[3].block);
    } else {
        // Certified by a quorum (so more than f validators would be faulty), yet badly signed.
        bad[3].block = make_block(4, chain[2].block.hash(), {height_tx(4, 0), forged_by_validator(*height_tx(4, 1))});
        bad[3].cert = certify(bad[3].block);
    }

    Harness h;
    REQUIRE(h.next_fetch_from() == 1);
    h.check(response(bad));
    // Blocks 1..3 passed and went over (one group each); block 4 and everything after it did not.
    CHECK(h.in_flight_heights() == Heights{1, 2, 3});
    CHECK(h.pipeline.staged() == 3);
    // A fetch made while the storage thread still applies them asks from the refused block:
    // above what is on its way, not above what was refused.
    CHECK(h.pipeline.fetch_range(1, 128) == std::pair<std::uint64_t, std::uint64_t>{4, 4 + kSyncBlocksPerResponseMax - 1});
    h.apply_in_flight();
    CHECK(h.stored_heights() == Heights{1, 2, 3});
    CHECK(h.next_fetch_from() == 4);

    // The same bad response again (another faulty peer, or the same): still nothing past 3.
    // Blocks 1..3 are now skipped on their headers, so the broken link is the first block kept:
    // the sync-check thread, which does not know the head's hash, passes it, and the storage
    // thread refuses it against its head. Every other fault is refused before it goes over.
    h.check(response(bad));
    CHECK(h.in_flight_heights() == (f == "broken chain link" ? Heights{4} : Heights{}));
    h.apply_in_flight();
    CHECK(h.stored_heights() == Heights{1, 2, 3});
    CHECK(h.next_fetch_from() == 4);

    // An honest peer answers the re-fetch (it may repeat heights already applied: skipped).
    h.check(response(slice(chain, 2, 6)));
    CHECK(h.in_flight_heights() == Heights{4, 5, 6});
    h.apply_in_flight();
    REQUIRE(h.stored_heights() == Heights{1, 2, 3, 4, 5, 6});
    for (std::size_t i = 0; i < chain.size(); ++i) {
        CHECK(h.stored[i].hash() == chain[i].block.hash());  // the honest blocks, none of the bad one
    }
    CHECK(h.pipeline.staged() == 6);
    CHECK(h.next_fetch_from() == 7);
}

TEST_CASE("a refused block first in a response: nothing goes over and the fetch asks for it again",
          "[node][sync][regress]") {
    const auto chain = honest_chain(3);
    Harness h;
    h.check(response(slice(chain, 1, 1)));
    h.apply_in_flight();
    REQUIRE(h.stored_heights() == Heights{1});
    auto bad = slice(chain, 2, 3);
    bad[0].cert = certify(chain[1].block, {1, 3});  // two signers of four: no quorum
    h.check(response(bad));
    CHECK(h.in_flight.empty());
    CHECK(h.pipeline.staged() == 1);
    CHECK(h.next_fetch_from() == 2);
    h.check(response(slice(chain, 2, 3)));
    h.apply_in_flight();
    CHECK(h.stored_heights() == Heights{1, 2, 3});
}

TEST_CASE("a group the storage thread refuses is fetched again from its head", "[node][sync][regress]") {
    const auto chain = honest_chain(6);
    Harness h;
    h.check(response(slice(chain, 1, 3)));
    h.apply_in_flight();
    REQUIRE(h.stored_heights() == Heights{1, 2, 3});

    // A certified fork from height 4: consistent within the response, so the sync-check thread
    // (which checks the chain inside a response) passes it; its first block's parent is not the
    // head, which only the storage thread knows.
    std::vector<Synced> fork;
    Hash parent = sha256("a fork's block 3");
    for (std::uint64_t height = 4; height <= 5; ++height) {
        auto block = make_block(height, parent, {height_tx(height, 7)});
        parent = block.hash();
        auto cert = certify(block);
        fork.push_back({std::move(block), std::move(cert)});
    }
    h.check(response(fork));
    CHECK(h.in_flight_heights() == Heights{4, 5});
    CHECK(h.pipeline.staged() == 5);
    CHECK_FALSE(h.pipeline.fetch_range(4, 5).has_value());  // believed on its way
    h.apply_in_flight();
    CHECK(h.stored_heights() == Heights{1, 2, 3});  // nothing of the fork executed
    CHECK(h.pipeline.staged() == 3);                // dropped to the head
    CHECK(h.next_fetch_from() == 4);                // so heights 4.. are asked again

    h.check(response(slice(chain, 4, 6)));
    h.apply_in_flight();
    CHECK(h.stored_heights() == Heights{1, 2, 3, 4, 5, 6});
    CHECK(h.stored.back().hash() == chain[5].block.hash());
}

TEST_CASE("a commit that fails (the node halts) stops the group and lowers the staged height",
          "[node][sync]") {
    const auto chain = honest_chain(3);
    Harness h;
    h.check(response(chain));
    REQUIRE(h.pipeline.staged() == 3);
    h.fail_commits = true;
    h.apply_in_flight();
    CHECK(h.stored.empty());
    CHECK(h.pipeline.staged() == 0);
}

TEST_CASE("blocks at or below what consensus committed are skipped on their headers", "[node][sync]") {
    const auto chain = honest_chain(4);
    Harness h;
    h.consensus_height = 2;  // consensus committed 1..2 on its own (the store here lags behind)
    h.check(response(chain));
    CHECK(h.in_flight_heights() == Heights{3, 4});
}

}  // namespace jc::node
