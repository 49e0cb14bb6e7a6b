// pbft_step_fuzz: libFuzzer target (STYLE.md §8). Fuzz bytes become a bounded sequence of inputs
// for a 4-validator in-memory cluster of real replicas: which queued message is delivered,
// dropped or duplicated, ticks, proposals, persistence acknowledgements, crash/restart losing
// unacknowledged records, and messages from Byzantine validator 3 built from raw fuzz bytes —
// either as they are (mostly refused by the codec or by signature checks) or decoded and then
// validly re-signed with validator 3's key, so they reach the protocol logic. After every input:
// S1 agreement, S2 no equivocation (every signed message an honest replica sends), S3 valid
// commit certificates, S4 equal results, S5 chained ledgers; the replicas' own JC_ASSERTs are
// on. A violation aborts, which libFuzzer reports with the input that caused it.
//
// Links jc_sim (fake signatures, simulated block format) and jc_consensus.
#include "fake_crypto.h"

#include <jc/consensus/replica.h>
#include <jc/core/sha256.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

namespace {

using namespace jc;
using namespace jc::consensus;

constexpr std::uint32_t kN = 4;
constexpr std::uint32_t kByzantine = 3;
constexpr std::size_t kOpsMax = 3000;
constexpr std::size_t kQueueMax = 4096;
constexpr const char* kChain = "jc-fuzz";

[[noreturn]] void violated(const char* invariant, std::uint64_t height) {
    std::fprintf(stderr, "pbft_step_fuzz: %s violated at height %llu\n", invariant,
                 static_cast<unsigned long long>(height));
    std::abort();
}

class FuzzBytes {
public:
    FuzzBytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::uint32_t u16() { return static_cast<std::uint32_t>(byte()) | (static_cast<std::uint32_t>(byte()) << 8); }
    Bytes bytes(std::size_t n) {
        n = std::min(n, size_ - std::min(pos_, size_));
        Bytes out(data_ + pos_, data_ + pos_ + n);
        pos_ += n;
        return out;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

struct Envelope {
    std::uint32_t from;
    std::uint32_t to;
    Bytes bytes;
};

class FuzzCluster {
public:
    FuzzCluster() {
        for (std::uint32_t i = 0; i < kN; ++i) {
            secrets_.push_back(sim::fake_secret(99, i));
            ValidatorKey k;
            k.index = i;
            keys_.push_back(k);
        }
        verifier_ = std::make_unique<sim::FakeVerifier>(secrets_);
        config_.chain_id = kChain;
        config_.validators = keys_;
        config_.genesis_digest = sha256(std::string_view("jc-fuzz-genesis"));
        config_.view_change_timeout_ticks = 3;
        config_.view_change_timeout_ticks_max = 12;
        config_.retransmit_ticks = 2;
        config_.fetch_retry_ticks = 3;
        config_.window_heights = 4;
        config_.results_lag_heights_max = 8;
        config_.checkpoint_horizon_heights = 16;
        config_.future_heights_max = 16;
        config_.future_messages_per_peer_max = 8;
        config_.proposal_bytes_max = 256;
        nodes_.resize(kN);
        for (std::uint32_t i = 0; i < kN; ++i) {
            start(i);
        }
    }

    void run(FuzzBytes& in) {
        for (std::size_t op = 0; op < kOpsMax && !in.empty(); ++op) {
            const std::uint8_t code = in.byte();
            const std::uint32_t r = in.byte() % kN;
            switch (code % 10) {
                case 0:
                case 1:
                    deliver(queue_.empty() ? 0 : in.u16() % queue_.size(), /*keep=*/false);
                    break;
                case 2:
                    deliver(queue_.empty() ? 0 : in.u16() % queue_.size(), /*keep=*/true);  // duplicate
                    break;
                case 3:
                    if (!queue_.empty()) {
                        queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(in.u16() % queue_.size()));
                    }
                    break;
                case 4:
                    step(r, Tick{});
                    break;
                case 5:
                    propose(r, in.byte());
                    break;
                case 6:
                    ack(r);
                    break;
                case 7:
                    if (r != kByzantine) {
                        crash_and_restart(r);
                    }
                    break;
                case 8: {  // raw bytes from the Byzantine validator
                    push(kByzantine, r, in.bytes(in.byte()));
                    break;
                }
                case 9: {  // decoded, then validly signed by the Byzantine validator
                    auto m = decode(in.bytes(in.u16() % 2048), codec_limits(config_));
                    if (m) {
                        std::visit([](auto& x) { x.signer = kByzantine; }, *m);
                        const Hash h = signed_hash(kChain, *m);
                        std::visit([&](auto& x) { x.sig = sim::fake_sign(secrets_[kByzantine], h); }, *m);
                        push(kByzantine, r, encode(*m));
                    }
                    break;
                }
                default:
                    break;
            }
            step(r, WorkPending{in.byte() % 2 == 0});
        }
    }

private:
    struct Node {
        std::unique_ptr<sim::FakeSigner> signer;
        std::unique_ptr<Replica> replica;
        std::vector<Record> durable;
        std::vector<PersistRecord> unacked;
        std::vector<CommittedBlock> ledger;
        std::vector<Hash> results;
        std::optional<Certificate> stable;
        std::map<std::tuple<std::uint8_t, std::uint64_t, std::uint64_t>, Hash> signed_votes;
    };

    void start(std::uint32_t i) {
        Node& n = nodes_[i];
        n.signer = std::make_unique<sim::FakeSigner>(secrets_[i]);
        Recovered r;
        r.committed_height = n.ledger.size();
        r.committed_digest = n.ledger.empty() ? config_.genesis_digest : n.ledger.back().proposal.digest;
        if (!n.ledger.empty()) {
            r.committed_certificate = n.ledger.back().certificate;
        }
        r.executed_height = n.results.size();
        if (!n.results.empty()) {
            r.executed_results_digest = n.results.back();
        }
        r.stable_checkpoint = n.stable;
        r.records = n.durable;
        Config c = config_;
        c.self = i;
        auto rep = Replica::create(c, *n.signer, *verifier_, validator_, r);
        if (!rep) {
            violated("restart-from-own-records", n.ledger.size());
        }
        n.replica = std::move(*rep);
        n.unacked.clear();
        drain(i);
    }

    void crash_and_restart(std::uint32_t i) {
        nodes_[i].replica.reset();
        nodes_[i].unacked.clear();
        start(i);
    }

    void step(std::uint32_t i, const consensus::Input& input) {
        (void)nodes_[i].replica->step(input);
        drain(i);
    }

    void propose(std::uint32_t i, std::uint8_t tag) {
        const auto slot = nodes_[i].replica->proposal_slot();
        if (slot) {
            Bytes payload{'f', tag, static_cast<std::uint8_t>(slot->height), static_cast<std::uint8_t>(slot->view)};
            step(i, Propose{slot->height, sim::make_sim_proposal(slot->height, slot->parent_digest, payload)});
        }
    }

    void ack(std::uint32_t i) {
        Node& n = nodes_[i];
        if (n.unacked.empty()) {
            return;
        }
        const std::uint64_t seq = n.unacked.back().seq;
        for (auto& p : n.unacked) {
            n.durable.push_back(p.record);
        }
        n.unacked.clear();
        step(i, Persisted{seq});
    }

    void push(std::uint32_t from, std::uint32_t to, Bytes bytes) {
        if (from == to) {
            return;
        }
        if (queue_.size() >= kQueueMax) {
            queue_.pop_front();
        }
        queue_.push_back({from, to, std::move(bytes)});
    }

    void deliver(std::size_t index, bool keep) {
        if (queue_.empty()) {
            return;
        }
        const Envelope e = queue_[index];
        if (!keep) {
            queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(index));
        }
        auto m = decode(e.bytes, codec_limits(config_));
        if (m) {
            step(e.to, Received{e.from, std::move(*m)});
        }
    }

    void check_sent(std::uint32_t i, const Message& m) {
        if (i == kByzantine) {
            return;
        }
        std::optional<std::pair<std::tuple<std::uint8_t, std::uint64_t, std::uint64_t>, Hash>> entry;
        if (const auto* pp = std::get_if<PrePrepare>(&m); pp && pp->signer == i) {
            entry = {{1, pp->view, pp->height}, pp->proposal.digest};
        } else if (const auto* v = std::get_if<Vote>(&m); v && v->signer == i) {
            entry = {{static_cast<std::uint8_t>(v->kind), v->view, v->height}, v->digest};
        } else if (const auto* nv = std::get_if<NewView>(&m); nv && nv->signer == i) {
            entry = {{5, nv->view, 0}, nv->body_hash()};
        }
        if (entry) {
            auto [it, inserted] = nodes_[i].signed_votes.emplace(entry->first, entry->second);
            if (!inserted && it->second != entry->second) {
                violated("INV-S2-no-equivocation", std::get<2>(entry->first));
            }
        }
    }

    void commit(std::uint32_t i, const CommittedBlock& b) {
        Node& n = nodes_[i];
        const Hash parent = n.ledger.empty() ? config_.genesis_digest : n.ledger.back().proposal.digest;
        if (b.height != n.ledger.size() + 1 || b.proposal.parent_digest != parent) {
            violated("INV-S5-chain", b.height);
        }
        if (i != kByzantine) {
            if (!verify_certificate_with(b.certificate, VoteKind::kCommit, kChain, keys_, *verifier_) ||
                b.certificate.height != b.height || b.certificate.digest != b.proposal.digest) {
                violated("INV-S3-certified", b.height);
            }
            auto [it, inserted] = committed_.emplace(b.height, b.proposal.digest);
            if (!inserted && it->second != b.proposal.digest) {
                violated("INV-S1-agreement", b.height);
            }
        }
        n.ledger.push_back(b);
        const Hash prev = n.results.empty() ? Hash{} : n.results.back();
        n.results.push_back(sha256_parts({prev.view(), b.proposal.digest.view()}));
        if (i != kByzantine) {
            auto [it, inserted] = results_.emplace(b.height, n.results.back());
            if (!inserted && it->second != n.results.back()) {
                violated("INV-S4-results", b.height);
            }
        }
        (void)n.replica->step(Executed{b.height, n.results.back()});
    }

    void drain(std::uint32_t i) {
        Node& n = nodes_[i];
        for (int guard = 0; guard < 10000; ++guard) {
            Ready r = n.replica->take_ready();
            if (r.empty()) {
                return;
            }
            for (auto& p : r.to_persist) {
                n.unacked.push_back(std::move(p));
            }
            for (const auto& o : r.to_send) {
                check_sent(i, o.message);
                const Bytes b = encode(o.message);
                for (std::uint32_t j = 0; j < kN; ++j) {
                    if (j != i && (!o.to || *o.to == j)) {
                        push(i, j, b);
                    }
                }
            }
            for (const auto& b : r.to_commit) {
                commit(i, b);
            }
            if (!r.stable_checkpoints.empty()) {
                n.stable = r.stable_checkpoints.back();
            }
            if (r.diverged && i != kByzantine) {
                violated("INV-S4-results", r.diverged->height);
            }
            // Block sync is the node's job; here a lagging replica is served by the longest
            // honest ledger so fetch requests are exercised too.
            for (const auto& f : r.fetch_requests) {
                serve_fetch(i, f);
            }
        }
        violated("drain-settles", 0);
    }

    void serve_fetch(std::uint32_t i, const FetchRequest& f) {
        const Node* best = nullptr;
        for (std::uint32_t j = 0; j < kN; ++j) {
            if (j != i && j != kByzantine && (!best || nodes_[j].ledger.size() > best->ledger.size())) {
                best = &nodes_[j];
            }
        }
        Node& n = nodes_[i];
        for (std::uint64_t h = f.from_height; best && h <= f.to_height && h <= best->ledger.size(); ++h) {
            if (h != n.ledger.size() + 1) {
                continue;
            }
            const CommittedBlock b = best->ledger[h - 1];
            const auto out = n.replica->step(Synced{h, b.proposal.digest, b.proposal.parent_digest, b.certificate});
            if (out.ok()) {
                commit_synced(i, b);
            }
        }
    }

    void commit_synced(std::uint32_t i, const CommittedBlock& b) {
        // Same checks as a consensus commit; the Executed goes to the replica inside commit().
        commit(i, b);
    }

    std::vector<Hash> secrets_;
    std::vector<ValidatorKey> keys_;
    std::unique_ptr<sim::FakeVerifier> verifier_;
    sim::SimProposalValidator validator_;
    Config config_;
    std::vector<Node> nodes_;
    std::deque<Envelope> queue_;
    std::map<std::uint64_t, Hash> committed_;
    std::map<std::uint64_t, Hash> results_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzCluster cluster;
    FuzzBytes in(data, size);
    cluster.run(in);
    return 0;
}
