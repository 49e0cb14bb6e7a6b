// A scripted driver for consensus scenario tests (etcd raft's "network" in raft_test.go).
//
// Holds n real replicas with fake signatures, delivers messages FIFO and synchronously, and
// acknowledges persistence at once unless a test holds a replica's acknowledgements. A filter
// decides which messages are dropped, so tests silence a primary, lose a phase, or cut a
// replica off. Committed blocks are executed by the simulator's fake executor and fed back as
// Executed. Byzantine messages are built with the Byzantine validator's own FakeSigner.
#pragma once

#include "fake_crypto.h"

#include <jc/consensus/replica.h>
#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace jc::consensus::testing {

inline constexpr const char* kChain = "jc-test";

inline Hash test_genesis() { return sha256(std::string_view("jc-test-genesis")); }

struct Envelope {
    ValidatorIndex from = 0;
    ValidatorIndex to = 0;
    Message message;
};

class Harness {
public:
    explicit Harness(std::vector<std::uint64_t> weights, Config base = {}) : base_(std::move(base)) {
        for (std::uint32_t i = 0; i < weights.size(); ++i) {
            secrets_.push_back(sim::fake_secret(77, i));
            ValidatorKey k;
            k.index = i;
            k.weight = weights[i];
            keys_.push_back(k);
        }
        verifier_ = std::make_unique<sim::FakeVerifier>(secrets_);
        const std::size_t n = weights.size();
        signers_.resize(n);
        replicas_.resize(n);
        durable_.resize(n);
        unacked_.resize(n);
        ledger_.resize(n);
        results_.resize(n);
        hold_acks_.assign(n, false);
        stable_.resize(n);
        diverged_.resize(n);
        corrupt_results_.assign(n, false);
        for (std::uint32_t i = 0; i < n; ++i) {
            start(i);
        }
    }
    explicit Harness(std::uint32_t n, Config base = {}) : Harness(std::vector<std::uint64_t>(n, 1), std::move(base)) {}

    Config config(std::uint32_t i) const {
        Config c = base_;
        c.chain_id = kChain;
        c.validators = keys_;
        c.self = i;
        c.genesis_digest = test_genesis();
        return c;
    }

    // (Re)starts replica i from its durable records and ledger.
    void start(std::uint32_t i) {
        signers_[i] = std::make_unique<sim::FakeSigner>(secrets_[i]);
        Recovered r;
        r.committed_height = ledger_[i].size();
        r.committed_digest = ledger_[i].empty() ? test_genesis() : ledger_[i].back().proposal.digest;
        if (!ledger_[i].empty()) {
            r.committed_certificate = ledger_[i].back().certificate;
        }
        r.executed_height = results_[i].size();
        if (!results_[i].empty()) {
            r.executed_results_digest = results_[i].back();
        }
        r.stable_checkpoint = stable_[i];
        r.records = durable_[i];
        auto rep = Replica::create(config(i), *signers_[i], *verifier_, validator_, r);
        REQUIRE(rep.ok());
        replicas_[i] = std::move(*rep);
        unacked_[i].clear();
        drain(i);
    }

    // Crash: unacknowledged records are lost; then restart.
    void crash_and_restart(std::uint32_t i) {
        unacked_[i].clear();
        replicas_[i].reset();
        std::erase_if(net_, [&](const Envelope& e) { return e.to == i; });
        start(i);
    }

    Replica& replica(std::uint32_t i) { return *replicas_[i]; }
    std::size_t size() const { return replicas_.size(); }

    StepOutcome step(std::uint32_t i, const Input& in) {
        const StepOutcome out = replicas_[i]->step(in);
        drain(i);
        return out;
    }

    // Delivers queued messages until none is left (bounded).
    void pump(std::size_t messages_max = 200000) {
        for (std::size_t k = 0; k < messages_max && !net_.empty(); ++k) {
            Envelope e = std::move(net_.front());
            net_.pop_front();
            if (drop && drop(e)) {
                continue;
            }
            if (replicas_[e.to]) {
                (void)step(e.to, Received{e.from, std::move(e.message)});
            }
        }
    }

    void tick_all(std::size_t ticks, bool pump_between = true) {
        for (std::size_t t = 0; t < ticks; ++t) {
            for (std::uint32_t i = 0; i < size(); ++i) {
                (void)step(i, Tick{});
            }
            if (pump_between) {
                pump();
            }
        }
    }

    void set_work_pending(bool pending) {
        for (std::uint32_t i = 0; i < size(); ++i) {
            (void)step(i, WorkPending{pending});
        }
    }

    // The primary proposes a block carrying `tag` at its proposal slot.
    std::optional<Proposal> propose(std::uint32_t primary, std::string_view tag) {
        const auto slot = replicas_[primary]->proposal_slot();
        if (!slot) {
            return std::nullopt;
        }
        Bytes payload(tag.begin(), tag.end());
        Proposal p = sim::make_sim_proposal(slot->height, slot->parent_digest, std::move(payload));
        const StepOutcome out = step(primary, Propose{slot->height, p});
        if (!out.ok()) {
            return std::nullopt;
        }
        return p;
    }

    // Acknowledges every record of replica i written so far.
    void ack(std::uint32_t i) {
        if (unacked_[i].empty()) {
            return;
        }
        const std::uint64_t seq = unacked_[i].back().seq;
        for (auto& r : unacked_[i]) {
            durable_[i].push_back(r.record);
        }
        unacked_[i].clear();
        (void)replicas_[i]->step(Persisted{seq});
        drain(i);
    }

    Message sign_as(std::uint32_t validator, Message m) const {
        const Hash h = signed_hash(kChain, m);
        std::visit([&](auto& x) { x.sig = sim::fake_sign(secrets_[validator], h); }, m);
        return m;
    }

    const std::vector<CommittedBlock>& ledger(std::uint32_t i) const { return ledger_[i]; }
    std::vector<Envelope>& sent() { return sent_; }
    std::vector<FetchRequest>& fetches(std::uint32_t i) { return fetches_[i]; }
    const std::optional<Certificate>& stable(std::uint32_t i) const { return stable_[i]; }
    const std::optional<ResultsDiverged>& diverged(std::uint32_t i) const { return diverged_[i]; }
    const std::vector<Record>& durable(std::uint32_t i) const { return durable_[i]; }
    const Verifier& verifier() const { return *verifier_; }
    const std::vector<ValidatorKey>& keys() const { return keys_; }
    void hold_acks(std::uint32_t i, bool hold) { hold_acks_[i] = hold; }
    void corrupt_results(std::uint32_t i) { corrupt_results_[i] = true; }
    std::deque<Envelope>& network() { return net_; }

    std::function<bool(const Envelope&)> drop;

private:
    void drain(std::uint32_t i) {
        for (int guard = 0; guard < 10000; ++guard) {
            Ready r = replicas_[i]->take_ready();
            if (r.empty()) {
                return;
            }
            for (auto& p : r.to_persist) {
                unacked_[i].push_back(p);
            }
            for (auto& o : r.to_send) {
                const auto push = [&](ValidatorIndex to) {
                    net_.push_back({i, to, o.message});
                    sent_.push_back({i, to, o.message});
                };
                if (o.to) {
                    push(*o.to);
                } else {
                    for (ValidatorIndex j = 0; j < size(); ++j) {
                        if (j != i) {
                            push(j);
                        }
                    }
                }
            }
            for (auto& f : r.fetch_requests) {
                fetches_[i].push_back(f);
            }
            if (!r.stable_checkpoints.empty()) {
                stable_[i] = r.stable_checkpoints.back();
            }
            if (r.diverged) {
                diverged_[i] = r.diverged;
            }
            for (auto& b : r.to_commit) {
                REQUIRE(b.height == ledger_[i].size() + 1);
                ledger_[i].push_back(b);
                const Hash prev = results_[i].empty() ? Hash{} : results_[i].back();
                Hash res = sha256_parts({prev.view(), b.proposal.digest.view()});
                if (corrupt_results_[i]) {
                    res.bytes[0] ^= 1;
                }
                results_[i].push_back(res);
                (void)replicas_[i]->step(Executed{b.height, res});
            }
            if (!hold_acks_[i] && !unacked_[i].empty()) {
                const std::uint64_t seq = unacked_[i].back().seq;
                for (auto& p : unacked_[i]) {
                    durable_[i].push_back(p.record);
                }
                unacked_[i].clear();
                (void)replicas_[i]->step(Persisted{seq});
            }
        }
        FAIL("replica output did not settle");
    }

    Config base_;
    std::vector<Hash> secrets_;
    std::vector<ValidatorKey> keys_;
    std::unique_ptr<sim::FakeVerifier> verifier_;
    sim::SimProposalValidator validator_;
    std::vector<std::unique_ptr<sim::FakeSigner>> signers_;
    std::vector<std::unique_ptr<Replica>> replicas_;
    std::vector<std::vector<Record>> durable_;
    std::vector<std::vector<PersistRecord>> unacked_;
    std::vector<std::vector<CommittedBlock>> ledger_;
    std::vector<std::vector<Hash>> results_;
    std::vector<bool> hold_acks_;
    std::vector<std::optional<Certificate>> stable_;
    std::vector<std::optional<ResultsDiverged>> diverged_;
    std::vector<bool> corrupt_results_;
    std::map<std::uint32_t, std::vector<FetchRequest>> fetches_;
    std::deque<Envelope> net_;
    std::vector<Envelope> sent_;
};

inline std::uint64_t rejected(Replica& r, Rejection reason) { return r.rejections()[static_cast<std::size_t>(reason)]; }

}  // namespace jc::consensus::testing
