#include <jc/consensus/messages.h>

#include <jc/core/assert.h>
#include <jc/core/sha256.h>

#include <algorithm>
#include <type_traits>

namespace jc::consensus {
namespace {

enum class Type : std::uint8_t {
    kPrePrepare = 1,
    kPrepare = 2,
    kCommit = 3,
    kCheckpoint = 4,
    kViewChange = 5,
    kNewView = 6,
};

Result<crypto::Signature> read_sig(codec::Reader& r) {
    JC_ASSIGN_OR_RETURN(const ByteView b, r.fixed(crypto::Signature::kSize));
    crypto::Signature s;
    std::copy(b.begin(), b.end(), s.bytes.begin());
    return s;
}

Result<std::uint64_t> read_view(codec::Reader& r) {
    JC_ASSIGN_OR_RETURN(const std::uint64_t v, r.u64());
    if (v > kViewMax) {
        return Error(Errc::kParse, "view " + std::to_string(v) + " above the maximum");
    }
    return v;
}

Result<std::uint64_t> read_height(codec::Reader& r) {
    JC_ASSIGN_OR_RETURN(const std::uint64_t h, r.u64());
    if (h > kHeightMax) {
        return Error(Errc::kParse, "height " + std::to_string(h) + " above the maximum");
    }
    return h;
}

void encode_claim(codec::Writer& w, const CommittedClaim& c) {
    w.u64(c.height).hash(c.digest).boolean(c.certificate.has_value());
    if (c.certificate) {
        c.certificate->encode(w);
    }
}

// Decodes in place: returning a CommittedClaim inside a Result makes g++ -O2 warn
// (-Wmaybe-uninitialized, a false positive on the optional's payload).
Status decode_claim(codec::Reader& r, const CodecLimits& limits, CommittedClaim& c) {
    JC_ASSIGN_OR_RETURN(c.height, read_height(r));
    JC_ASSIGN_OR_RETURN(c.digest, r.hash());
    JC_ASSIGN_OR_RETURN(const bool has_cert, r.boolean());
    if (has_cert) {
        JC_ASSIGN_OR_RETURN(Certificate cert, decode_certificate(r, limits));
        c.certificate.emplace(std::move(cert));
    }
    return {};
}

void encode_view_change_body(codec::Writer& w, const ViewChange& vc) {
    w.u64(vc.new_view).u32(vc.signer);
    encode_claim(w, vc.committed);
    w.varint(vc.prepared.size());
    for (const auto& e : vc.prepared) {
        encode_proposal(w, e.proposal);
        e.certificate.encode(w);
    }
}

void encode_new_view_body(codec::Writer& w, const NewView& nv) {
    w.u64(nv.view).u32(nv.signer);
    w.varint(nv.view_changes.size());
    for (const auto& vc : nv.view_changes) {
        encode_view_change(w, vc);
    }
    w.varint(nv.selected.size());
    for (const auto& s : nv.selected) {
        w.u64(s.height).hash(s.digest);
    }
}

}  // namespace

void encode_proposal(codec::Writer& w, const Proposal& p) {
    w.hash(p.digest).hash(p.parent_digest).bytes(p.payload);
}

Result<Proposal> decode_proposal(codec::Reader& r, const CodecLimits& limits) {
    Proposal p;
    JC_ASSIGN_OR_RETURN(p.digest, r.hash());
    JC_ASSIGN_OR_RETURN(p.parent_digest, r.hash());
    JC_ASSIGN_OR_RETURN(const ByteView payload, r.bytes(limits.proposal_bytes_max));
    p.payload.assign(payload.begin(), payload.end());
    return p;
}

Result<Certificate> decode_certificate(codec::Reader& r, const CodecLimits& limits) {
    const std::size_t start = r.position();
    JC_ASSIGN_OR_RETURN(Certificate c, Certificate::decode(r));
    if (c.signatures.size() > limits.certificate_signatures_max) {
        return Error(Errc::kLimit, "certificate at offset " + std::to_string(start) + " has " +
                                       std::to_string(c.signatures.size()) + " signatures");
    }
    if (c.view > kViewMax || c.height > kHeightMax) {
        return Error(Errc::kParse, "certificate view or height above the maximum");
    }
    return c;
}

void encode_view_change(codec::Writer& w, const ViewChange& vc) {
    encode_view_change_body(w, vc);
    w.fixed(vc.sig.bytes);
}

Result<ViewChange> decode_view_change(codec::Reader& r, const CodecLimits& limits) {
    ViewChange vc;
    JC_ASSIGN_OR_RETURN(vc.new_view, read_view(r));
    JC_ASSIGN_OR_RETURN(vc.signer, r.u32());
    JC_TRY_STATUS(decode_claim(r, limits, vc.committed));
    JC_ASSIGN_OR_RETURN(const std::uint64_t count,
                        r.varint_max(limits.prepared_entries_max, "prepared entries"));
    for (std::uint64_t i = 0; i < count; ++i) {
        PreparedEntry e;
        JC_ASSIGN_OR_RETURN(e.proposal, decode_proposal(r, limits));
        JC_ASSIGN_OR_RETURN(e.certificate, decode_certificate(r, limits));
        vc.prepared.push_back(std::move(e));
    }
    JC_ASSIGN_OR_RETURN(vc.sig, read_sig(r));
    return vc;
}

Hash ViewChange::body_hash() const {
    codec::Writer w;
    encode_view_change_body(w, *this);
    return sha256(w.data());
}

Hash NewView::body_hash() const {
    codec::Writer w;
    encode_new_view_body(w, *this);
    return sha256(w.data());
}

Bytes encode(const Message& message) {
    codec::Writer w;
    w.u8(kWireVersion);
    std::visit(
        [&w](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, PrePrepare>) {
                w.u8(static_cast<std::uint8_t>(Type::kPrePrepare)).u64(m.view).u64(m.height);
                encode_proposal(w, m.proposal);
                w.u32(m.signer).fixed(m.sig.bytes);
            } else if constexpr (std::is_same_v<T, Vote>) {
                JC_ASSERT(m.kind == VoteKind::kPrepare || m.kind == VoteKind::kCommit,
                          "consensus.codec.vote_kind");
                w.u8(static_cast<std::uint8_t>(m.kind == VoteKind::kPrepare ? Type::kPrepare
                                                                            : Type::kCommit));
                w.u64(m.view).u64(m.height).hash(m.digest).u32(m.signer).fixed(m.sig.bytes);
            } else if constexpr (std::is_same_v<T, Checkpoint>) {
                w.u8(static_cast<std::uint8_t>(Type::kCheckpoint)).u64(m.height).hash(m.results_digest);
                w.u32(m.signer).fixed(m.sig.bytes);
            } else if constexpr (std::is_same_v<T, ViewChange>) {
                w.u8(static_cast<std::uint8_t>(Type::kViewChange));
                encode_view_change(w, m);
            } else {
                static_assert(std::is_same_v<T, NewView>);
                w.u8(static_cast<std::uint8_t>(Type::kNewView));
                encode_new_view_body(w, m);
                w.fixed(m.sig.bytes);
            }
        },
        message);
    return w.take();
}

namespace {

Result<Message> decode_body(codec::Reader& r, std::uint8_t type, const CodecLimits& limits) {
    switch (static_cast<Type>(type)) {
        case Type::kPrePrepare: {
            PrePrepare m;
            JC_ASSIGN_OR_RETURN(m.view, read_view(r));
            JC_ASSIGN_OR_RETURN(m.height, read_height(r));
            JC_ASSIGN_OR_RETURN(m.proposal, decode_proposal(r, limits));
            JC_ASSIGN_OR_RETURN(m.signer, r.u32());
            JC_ASSIGN_OR_RETURN(m.sig, read_sig(r));
            return Message(std::move(m));
        }
        case Type::kPrepare:
        case Type::kCommit: {
            Vote m;
            m.kind = static_cast<Type>(type) == Type::kPrepare ? VoteKind::kPrepare : VoteKind::kCommit;
            JC_ASSIGN_OR_RETURN(m.view, read_view(r));
            JC_ASSIGN_OR_RETURN(m.height, read_height(r));
            JC_ASSIGN_OR_RETURN(m.digest, r.hash());
            JC_ASSIGN_OR_RETURN(m.signer, r.u32());
            JC_ASSIGN_OR_RETURN(m.sig, read_sig(r));
            return Message(m);
        }
        case Type::kCheckpoint: {
            Checkpoint m;
            JC_ASSIGN_OR_RETURN(m.height, read_height(r));
            JC_ASSIGN_OR_RETURN(m.results_digest, r.hash());
            JC_ASSIGN_OR_RETURN(m.signer, r.u32());
            JC_ASSIGN_OR_RETURN(m.sig, read_sig(r));
            return Message(m);
        }
        case Type::kViewChange: {
            JC_ASSIGN_OR_RETURN(ViewChange vc, decode_view_change(r, limits));
            return Message(std::move(vc));
        }
        case Type::kNewView: {
            NewView m;
            JC_ASSIGN_OR_RETURN(m.view, read_view(r));
            JC_ASSIGN_OR_RETURN(m.signer, r.u32());
            JC_ASSIGN_OR_RETURN(const std::uint64_t vcs,
                                r.varint_max(limits.view_changes_max, "view changes"));
            for (std::uint64_t i = 0; i < vcs; ++i) {
                JC_ASSIGN_OR_RETURN(ViewChange vc, decode_view_change(r, limits));
                m.view_changes.push_back(std::move(vc));
            }
            JC_ASSIGN_OR_RETURN(const std::uint64_t sel,
                                r.varint_max(limits.selected_max, "selected entries"));
            for (std::uint64_t i = 0; i < sel; ++i) {
                NewViewEntry e;
                JC_ASSIGN_OR_RETURN(e.height, read_height(r));
                JC_ASSIGN_OR_RETURN(e.digest, r.hash());
                m.selected.push_back(e);
            }
            JC_ASSIGN_OR_RETURN(m.sig, read_sig(r));
            return Message(std::move(m));
        }
    }
    return Error(Errc::kParse, "unknown message type " + std::to_string(type));
}

}  // namespace

Result<Message> decode(ByteView bytes, const CodecLimits& limits) {
    codec::Reader r(bytes);
    JC_ASSIGN_OR_RETURN(const std::uint8_t version, r.u8());
    if (version != kWireVersion) {
        return Error(Errc::kParse, "unknown wire version " + std::to_string(version));
    }
    JC_ASSIGN_OR_RETURN(const std::uint8_t type, r.u8());
    JC_ASSIGN_OR_RETURN(Message m, decode_body(r, type, limits));
    JC_TRY_STATUS(r.finish());
    return m;
}

Hash signed_hash(std::string_view chain_id, const Message& message) {
    return std::visit(
        [chain_id](const auto& m) -> Hash {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, PrePrepare>) {
                return vote_hash(chain_id, VoteKind::kPrePrepare, m.view, m.height, m.proposal.digest);
            } else if constexpr (std::is_same_v<T, Vote>) {
                return vote_hash(chain_id, m.kind, m.view, m.height, m.digest);
            } else if constexpr (std::is_same_v<T, Checkpoint>) {
                return vote_hash(chain_id, VoteKind::kCheckpoint, 0, m.height, m.results_digest);
            } else if constexpr (std::is_same_v<T, ViewChange>) {
                return vote_hash(chain_id, VoteKind::kViewChange, m.new_view, m.committed.height,
                                 m.body_hash());
            } else {
                return vote_hash(chain_id, VoteKind::kNewView, m.view, 0, m.body_hash());
            }
        },
        message);
}

ValidatorIndex signer_of(const Message& message) {
    return std::visit([](const auto& m) { return m.signer; }, message);
}

std::uint64_t view_of(const Message& message) {
    return std::visit(
        [](const auto& m) -> std::uint64_t {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Checkpoint>) {
                return 0;
            } else if constexpr (std::is_same_v<T, ViewChange>) {
                return m.new_view;
            } else {
                return m.view;
            }
        },
        message);
}

std::string_view message_name(const Message& message) {
    return std::visit(
        [](const auto& m) -> std::string_view {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, PrePrepare>) {
                return "PrePrepare";
            } else if constexpr (std::is_same_v<T, Vote>) {
                return m.kind == VoteKind::kPrepare ? "Prepare" : "Commit";
            } else if constexpr (std::is_same_v<T, Checkpoint>) {
                return "Checkpoint";
            } else if constexpr (std::is_same_v<T, ViewChange>) {
                return "ViewChange";
            } else {
                return "NewView";
            }
        },
        message);
}

}  // namespace jc::consensus
