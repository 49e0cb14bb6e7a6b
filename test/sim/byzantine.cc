// The Byzantine validators of the simulator. A Byzantine node runs the real Replica (so its
// traffic is plausible and well-timed) and an adversary rewrites what it sends and adds its own
// attacks. It holds only its own signing key: everything it signs is validly signed by itself,
// everything it claims from others is forged, replayed or copied.
#include "cluster.h"

#include "fake_crypto.h"
#include "node.h"

#include <jc/core/assert.h>
#include <jc/core/codec.h>
#include <jc/core/sha256.h>

#include <algorithm>

namespace jc::sim {

using consensus::Message;

namespace {

Bytes junk(Rng& rng, std::size_t n) {
    Bytes b(n);
    for (auto& x : b) {
        x = static_cast<std::uint8_t>(rng.next());
    }
    return b;
}

Hash junk_hash(Rng& rng) {
    Hash h;
    for (auto& x : h.bytes) {
        x = static_cast<std::uint8_t>(rng.next());
    }
    return h;
}

crypto::Signature junk_sig(Rng& rng) {
    crypto::Signature s;
    for (auto& x : s.bytes) {
        x = static_cast<std::uint8_t>(rng.next());
    }
    return s;
}

}  // namespace

struct ByzantineAccess {
    static void sign(consensus::Signer& signer, Message& m) {
        const Hash h = consensus::signed_hash("jc-sim", m);
        std::visit([&](auto& x) { x.sig = signer.sign(h); }, m);
    }
};

void Cluster::byzantine_send(std::uint32_t from, const consensus::Outbound& out) {
    Node& n = *nodes_[from];
    ByzantineMode mode = n.mode;
    if (mode == ByzantineMode::kMixed) {
        // Honest about a third of the time, so attacks interleave with real participation.
        const std::uint64_t pick = rng_.range(0, 8);
        mode = pick < 6 ? static_cast<ByzantineMode>(pick) : ByzantineMode::kReplay;
        if (pick >= 6) {
            honest_send(from, out);
            return;
        }
    }
    std::vector<std::uint32_t> targets;
    if (out.to) {
        targets.push_back(*out.to);
    } else {
        for (std::uint32_t j = 0; j < opt_.validators; ++j) {
            if (j != from) {
                targets.push_back(j);
            }
        }
    }
    switch (mode) {
        case ByzantineMode::kSilent:
            return;
        case ByzantineMode::kEquivocate: {
            Message alt = out.message;
            bool changed = false;
            if (auto* pp = std::get_if<consensus::PrePrepare>(&alt)) {
                Bytes payload = junk(rng_, 12);
                payload[0] = 'Y';
                pp->proposal = make_sim_proposal(pp->height, pp->proposal.parent_digest, std::move(payload));
                changed = true;
            } else if (auto* v = std::get_if<consensus::Vote>(&alt); v && v->signer == from) {
                v->digest = junk_hash(rng_);
                changed = true;
            }
            if (!changed) {
                honest_send(from, out);
                return;
            }
            ByzantineAccess::sign(*n.signer, alt);
            for (std::size_t k = 0; k < targets.size(); ++k) {
                send_bytes(from, targets[k], consensus::encode(k % 2 == 0 ? out.message : alt));
            }
            return;
        }
        case ByzantineMode::kForge: {
            honest_send(from, out);
            Message forged = out.message;
            std::visit(
                [&](auto& x) {
                    // Claim another validator's authorship, or corrupt our own signature.
                    if (rng_.chance(500)) {
                        x.signer = static_cast<consensus::ValidatorIndex>(rng_.range(0, opt_.validators - 1));
                    } else {
                        x.sig.bytes[rng_.range(0, 64)] ^= 0x5a;
                    }
                },
                forged);
            const std::uint32_t t = targets[static_cast<std::size_t>(rng_.range(0, targets.size() - 1))];
            send_bytes(from, t, consensus::encode(forged));
            send_bytes(from, t, junk(rng_, static_cast<std::size_t>(rng_.range(0, 300))));
            Bytes truncated = consensus::encode(out.message);
            truncated.resize(static_cast<std::size_t>(rng_.range(0, truncated.size())));
            send_bytes(from, t, std::move(truncated));
            return;
        }
        case ByzantineMode::kReplay:
        case ByzantineMode::kFlood:
            honest_send(from, out);
            return;
        case ByzantineMode::kFakeViewChange: {
            if (auto* vc = std::get_if<consensus::ViewChange>(&out.message)) {
                consensus::ViewChange fake = *vc;
                // Invent a prepared certificate above the claim with forged co-signers.
                const std::uint64_t h = fake.committed.height + 1;
                consensus::Proposal p =
                    make_sim_proposal(h, fake.committed.digest, junk(rng_, 10));
                Certificate c{VoteKind::kPrepare, fake.new_view - 1, h, p.digest, {}};
                for (std::uint32_t v = 0; v < opt_.validators; ++v) {
                    c.signatures.push_back({v, v == from ? n.signer->sign(vote_hash("jc-sim", VoteKind::kPrepare, c.view, h, p.digest))
                                                         : junk_sig(rng_)});
                }
                fake.prepared.clear();
                fake.prepared.push_back({p, c});
                Message m = fake;
                ByzantineAccess::sign(*n.signer, m);
                for (auto t : targets) {
                    send_bytes(from, t, consensus::encode(m));
                }
                return;
            }
            honest_send(from, out);
            return;
        }
        case ByzantineMode::kMixed:
            break;
    }
    honest_send(from, out);
}

void Cluster::byzantine_act(std::uint32_t i) {
    Node& n = *nodes_[i];
    if (!n.up || !violation_.empty()) {
        return;
    }
    ByzantineMode mode = n.mode;
    if (mode == ByzantineMode::kMixed) {
        mode = static_cast<ByzantineMode>(rng_.range(0, 5));
    }
    const consensus::ReplicaStatus st = n.replica->status();
    const auto random_peer = [&] {
        auto p = static_cast<std::uint32_t>(rng_.range(0, opt_.validators - 1));
        return p;
    };
    switch (mode) {
        case ByzantineMode::kReplay: {
            // Stale and duplicate copies of real, validly signed traffic.
            for (int k = 0; k < 6 && !n.captured.empty(); ++k) {
                const Bytes& b = n.captured[static_cast<std::size_t>(rng_.range(0, n.captured.size() - 1))];
                const auto t = random_peer();
                if (t != i) {
                    send_bytes(i, t, b);
                }
            }
            return;
        }
        case ByzantineMode::kFlood: {
            for (int k = 0; k < 40; ++k) {
                Message m;
                const std::uint64_t kind = rng_.range(0, 3);
                if (kind == 0) {
                    m = consensus::Vote{VoteKind::kPrepare, st.view + rng_.range(0, 3), st.head_height + rng_.range(1, 5000),
                                        junk_hash(rng_), i, {}};
                } else if (kind == 1) {
                    m = consensus::Vote{VoteKind::kCommit, st.view + rng_.range(0, 1000), st.head_height + rng_.range(1, 40),
                                        junk_hash(rng_), i, {}};
                } else if (kind == 2) {
                    m = consensus::Checkpoint{st.head_height + rng_.range(1, 100000), junk_hash(rng_), i, {}};
                } else {
                    consensus::PrePrepare pp;
                    pp.view = st.view + rng_.range(0, 2);
                    pp.height = st.head_height + rng_.range(1, 30);
                    pp.proposal = make_sim_proposal(pp.height, junk_hash(rng_), junk(rng_, static_cast<std::size_t>(rng_.range(1, 2000))));
                    pp.signer = i;
                    m = pp;
                }
                ByzantineAccess::sign(*n.signer, m);
                const Bytes b = consensus::encode(m);
                const auto t = random_peer();
                if (t != i) {
                    send_bytes(i, t, b);
                    send_bytes(i, t, b);  // and a duplicate
                }
            }
            return;
        }
        case ByzantineMode::kFakeViewChange: {
            // A view change for a later view with a fake commit claim or fake prepared
            // certificates, signed by us; and, for a view we lead, a NewView whose selection
            // does not follow from its view changes.
            consensus::ViewChange vc;
            vc.new_view = st.view + rng_.range(1, 2);
            vc.signer = i;
            const std::uint64_t variant = rng_.range(0, 3);
            vc.committed.height = st.certified_height;
            vc.committed.digest = st.certified_height == 0 ? sha256(std::string_view("jc-sim-genesis")) : st.head_digest;
            if (st.certified_height > 0 && !n.ledger.empty() && n.ledger.size() == st.certified_height) {
                vc.committed.certificate = n.ledger.back().certificate;
            }
            if (variant == 0) {
                // A commit claim far above the truth, "certified" by forged signatures.
                vc.committed.height = st.certified_height + rng_.range(1, 5);
                vc.committed.digest = junk_hash(rng_);
                Certificate c{VoteKind::kCommit, st.view, vc.committed.height, vc.committed.digest, {}};
                for (std::uint32_t v = 0; v < opt_.validators; ++v) {
                    c.signatures.push_back({v, junk_sig(rng_)});
                }
                vc.committed.certificate = c;
            } else if (variant == 1 || variant == 2) {
                const std::uint64_t h = vc.committed.height + 1;
                consensus::Proposal p = make_sim_proposal(h, vc.committed.digest, junk(rng_, 9));
                Certificate c{VoteKind::kPrepare, vc.new_view - 1, h, p.digest, {}};
                // variant 1: only our own (valid) signature, below quorum; variant 2: a copy of
                // a real certificate's shape with the digest swapped.
                c.signatures.push_back({i, n.signer->sign(vote_hash("jc-sim", VoteKind::kPrepare, c.view, h, p.digest))});
                if (variant == 2) {
                    for (std::uint32_t v = 0; v < opt_.validators; ++v) {
                        if (v != i) {
                            c.signatures.push_back({v, junk_sig(rng_)});
                        }
                    }
                    std::sort(c.signatures.begin(), c.signatures.end(),
                              [](const auto& a, const auto& b) { return a.validator < b.validator; });
                }
                vc.prepared.push_back({p, c});
            }
            if (vc.committed.height > 0 && !vc.committed.certificate) {
                vc.committed.height = 0;
                vc.committed.digest = sha256(std::string_view("jc-sim-genesis"));
            }
            Message m = vc;
            ByzantineAccess::sign(*n.signer, m);
            const Bytes b = consensus::encode(m);
            for (std::uint32_t t = 0; t < opt_.validators; ++t) {
                if (t != i) {
                    send_bytes(i, t, b);
                }
            }
            // A NewView for the next view we lead, built from captured real view changes.
            std::uint64_t target = st.view + 1;
            while (target % opt_.validators != i) {
                ++target;
            }
            consensus::NewView nv;
            nv.view = target;
            nv.signer = i;
            std::map<consensus::ValidatorIndex, consensus::ViewChange> latest;
            for (const Bytes& cb : n.captured) {
                auto dm = consensus::decode(cb, consensus::codec_limits(config_for(i)));
                if (dm) {
                    if (auto* cvc = std::get_if<consensus::ViewChange>(&*dm); cvc && cvc->new_view == target) {
                        latest[cvc->signer] = *cvc;
                    }
                }
            }
            for (auto& [v, cvc] : latest) {
                nv.view_changes.push_back(cvc);
            }
            if (nv.view_changes.empty()) {
                consensus::ViewChange own = vc;
                own.new_view = target;
                Message om = own;
                ByzantineAccess::sign(*n.signer, om);
                nv.view_changes.push_back(std::get<consensus::ViewChange>(om));
            }
            std::uint64_t low = 0;
            for (const auto& cvc : nv.view_changes) {
                low = std::max(low, cvc.committed.height);
            }
            nv.selected.push_back({low + 1, junk_hash(rng_)});  // never the honest recomputation
            Message nm = nv;
            ByzantineAccess::sign(*n.signer, nm);
            const Bytes nb = consensus::encode(nm);
            for (std::uint32_t t = 0; t < opt_.validators; ++t) {
                if (t != i) {
                    send_bytes(i, t, nb);
                }
            }
            return;
        }
        case ByzantineMode::kSilent:
        case ByzantineMode::kEquivocate:
        case ByzantineMode::kForge:
        case ByzantineMode::kMixed:
            return;
    }
}

}  // namespace jc::sim
