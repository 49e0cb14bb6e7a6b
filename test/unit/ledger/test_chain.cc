#include "test_chain.h"

#include <jc/core/assert.h>
#include <jc/core/canonical_json.h>
#include <jc/core/sha256.h>
#include <jc/ledger/merkle.h>


namespace jc::test {
namespace {

crypto::SecretKey derive_key(std::uint64_t seed, std::string_view role, std::size_t i) {
    const Hash h = sha256("jc-test-key/" + std::to_string(seed) + "/" + std::string(role) + "/" +
                          std::to_string(i));
    auto key = crypto::SecretKey::from_bytes(h.bytes);
    JC_ASSERT(key.ok(), "test.chain.key_valid");
    return *key;
}

std::string make_genesis_json(std::uint64_t seed, const std::vector<crypto::SecretKey>& validators,
                              const std::vector<crypto::SecretKey>& members) {
    json::Value g = json::Value::object();
    g["chain_id"] = "jc-test-" + std::to_string(seed);
    g["genesis_time_ms"] = 1'700'000'000'000;
    g["validators"] = json::Value::array();
    for (std::size_t i = 0; i < validators.size(); ++i) {
        g["validators"].push_back({{"index", i},
                                   {"name", "node" + std::to_string(i)},
                                   {"consensus_key", validators[i].public_key().hex()},
                                   {"tls_key", sha256("tls/" + std::to_string(i)).hex()},
                                   {"address", "127.0.0.1:" + std::to_string(26600 + i)}});
    }
    g["members"] = json::Value::array();
    for (std::size_t i = 0; i < members.size(); ++i) {
        g["members"].push_back({{"bank_id", TestChain::bank_id(i)},
                                {"name", "Test Bank " + std::to_string(i)},
                                {"cnaps_code", "10210000000" + std::to_string(i)},
                                {"keys", {members[i].public_key().hex()}},
                                {"roles", i == 0 ? json::Value{"SERVICER", "OPERATOR"}
                                                 : json::Value{"FUNDER"}}});
    }
    return json::canonicalize(g);
}

}  // namespace

TestChain::TestChain(std::uint64_t seed, std::size_t validators) : seed_(seed), genesis_([&] {
    for (std::size_t i = 0; i < validators; ++i) {
        validators_.push_back(derive_key(seed, "validator", i));
    }
    for (std::size_t i = 0; i < kMembers; ++i) {
        members_.push_back(derive_key(seed, "member", i));
    }
    genesis_json_ = make_genesis_json(seed, validators_, members_);
    auto g = ledger::Genesis::parse(genesis_json_);
    JC_ASSERT(g.ok(), "test.chain.genesis_valid");
    return std::move(*g);
}()) {}

std::string TestChain::bank_id(std::size_t member) { return "BANK" + std::string(1, static_cast<char>('A' + member)); }

ledger::StateWrites TestChain::genesis_writes() const {
    ledger::StateWrites writes;
    for (std::size_t i = 0; i < kMembers; ++i) {
        writes.push_back({"member/" + bank_id(i), std::string("ACTIVE")});
    }
    writes.push_back({"params/cutoffs", std::string("11:00,16:30")});
    return writes;
}

ledger::TxPtr TestChain::tx(std::size_t member, const std::string& client_ref,
                            std::uint64_t amount) const {
    ledger::UnsignedTx u;
    u.chain_id = genesis_.chain_id();
    u.type = "loan.repay";
    u.sender = bank_id(member);
    u.client_ref = client_ref;
    u.body = json::Value{{"loan_id", "L-" + std::to_string(amount % 97)},
                         {"value_date", "2024-02-15"},
                         {"amount", std::to_string(amount)},
                         {"channel_ref", "PAY-" + client_ref}};
    auto tx = ledger::Transaction::sign(u, members_.at(member));
    JC_ASSERT(tx.ok(), "test.chain.tx_signs");
    return std::make_shared<const ledger::Transaction>(std::move(*tx));
}

std::vector<ledger::TxPtr> TestChain::txs_for(std::uint64_t height, std::size_t txs_max) const {
    const std::size_t count = static_cast<std::size_t>((height * 37 + seed_) % txs_max) + 1;
    std::vector<ledger::TxPtr> txs;
    txs.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t member = (height + i) % kMembers;
        txs.push_back(tx(member, "H" + std::to_string(height) + "-" + std::to_string(i),
                         height * 1000 + i));
    }
    return txs;
}

std::vector<ledger::TxPtr> TestChain::txs_reusing_refs_for(std::uint64_t height, std::size_t txs_max) const {
    auto txs = txs_for(height, txs_max);
    const auto ref = [](std::uint64_t h, std::size_t i) { return "H" + std::to_string(h) + "-" + std::to_string(i); };
    // Transaction i's sender is member (height + i) % kMembers, the same as that of i - 3 in
    // this block and of i + 1 and i - 2 in the block below. Only positions 2, 3 and 4 (mod 6)
    // change, and each refers to a position (0 or 5 mod 6) that txs_for made, so the reused
    // refs are ones a transaction really carried.
    for (std::size_t i = 0; i < txs.size(); ++i) {
        const std::size_t member = (height + i) % kMembers;
        const std::uint64_t amount = height * 1000 + i;
        if (i % 6 == 3) {
            txs[i] = tx(member, ref(height, i - 3), amount);  // same sender and ref, other body
        } else if (height > 1 && i % 6 == 4) {
            txs[i] = tx(member, ref(height - 1, i + 1), amount);
        } else if (height > 1 && i % 6 == 2) {
            txs[i] = tx(member, ref(height - 1, i - 2), (height - 1) * 1000 + i - 2);  // a replay
        }
    }
    return txs;
}

std::vector<ledger::Receipt> TestChain::receipts_for(const ledger::Block& block) const {
    std::vector<ledger::Receipt> receipts;
    for (std::size_t i = 0; i < block.txs().size(); ++i) {
        ledger::Receipt r;
        r.tx_hash = block.txs()[i]->hash();
        r.height = block.height();
        r.index = static_cast<std::uint32_t>(i);
        if (i % 7 == 3) {
            r.status = ledger::ReceiptStatus::kRejected;
            r.code = 1006;
            r.error = "ERR_BAD_RATE";
            r.detail = R"({"field":"rate_ppb","max":"360000000"})";
            r.result = "null";
        } else {
            r.result = R"({"allocated":")" + block.txs()[i]->body()["amount"].get<std::string>() +
                       R"(","seq":)" + std::to_string(i) + "}";
        }
        receipts.push_back(std::move(r));
    }
    return receipts;
}

ledger::StateWrites TestChain::writes_for(const ledger::Block& block) const {
    ledger::StateWrites writes;
    for (std::size_t i = 0; i < block.txs().size(); ++i) {
        const auto& tx = *block.txs()[i];
        writes.push_back({"bal/" + tx.sender() + "/" + std::to_string(i % 5),
                          tx.body()["amount"].get<std::string>()});
    }
    writes.push_back({"height", std::to_string(block.height())});
    if (block.height() % 3 == 0) {
        writes.push_back({"bal/" + bank_id(0) + "/0", std::nullopt});  // a delete
    }
    return writes;
}

ChainStep TestChain::next(const ledger::LedgerHead& head, std::vector<ledger::TxPtr> txs) const {
    const std::uint64_t height = head.height + 1;
    auto block = ledger::Block::make(height, head.hash, genesis_.genesis_time_ms() + static_cast<std::int64_t>(height) * 1000,
                                     static_cast<std::uint32_t>(height % validators_.size()),
                                     std::move(txs));
    JC_ASSERT(block.ok(), "test.chain.block_valid");
    ChainStep step{std::move(*block), {}, {}, {}, {}};
    step.certificate = commit_certificate(step.block);
    step.receipts = receipts_for(step.block);
    step.writes = writes_for(step.block);
    step.results.height = height;
    step.results.state_root = ledger::next_state_root(head.results.state_root, step.writes);
    step.results.receipt_root = ledger::receipt_root(step.receipts);
    return step;
}

Certificate TestChain::sign(VoteKind kind, std::uint64_t view, std::uint64_t height,
                            const Hash& digest, std::size_t signers) const {
    if (signers == 0) {
        signers = static_cast<std::size_t>(quorum_weight(validators_.size()));
    }
    Certificate cert;
    cert.kind = kind;
    cert.view = view;
    cert.height = height;
    cert.digest = digest;
    const Hash h = vote_hash(genesis_.chain_id(), kind, view, height, digest);
    for (std::size_t i = 0; i < signers && i < validators_.size(); ++i) {
        cert.signatures.push_back(VoteSignature{static_cast<std::uint32_t>(i), validators_[i].sign(h)});
    }
    return cert;
}

Certificate TestChain::commit_certificate(const ledger::Block& block, std::size_t signers,
                                          std::uint64_t view) const {
    return sign(VoteKind::kCommit, view, block.height(), block.hash(), signers);
}

Certificate TestChain::checkpoint_certificate(std::uint64_t height, const Hash& digest,
                                              std::size_t signers) const {
    return sign(VoteKind::kCheckpoint, 0, height, digest, signers);
}

}  // namespace jc::test
