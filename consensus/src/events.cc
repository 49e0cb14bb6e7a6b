#include <jc/consensus/events.h>

#include <jc/core/assert.h>

#include <type_traits>

namespace jc::consensus {
namespace {

enum class RecordType : std::uint8_t { kVote = 1, kPrepared = 2, kView = 3 };

}  // namespace

Bytes encode_record(const Record& record) {
    codec::Writer w;
    w.u8(kWireVersion);
    std::visit(
        [&w](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, VoteRecord>) {
                JC_ASSERT(r.proposal.has_value() == (r.kind == VoteKind::kPrePrepare),
                          "consensus.record.proposal_iff_preprepare");
                w.u8(static_cast<std::uint8_t>(RecordType::kVote)).u8(static_cast<std::uint8_t>(r.kind));
                w.u64(r.view).u64(r.height).hash(r.digest);
                if (r.proposal) {
                    encode_proposal(w, *r.proposal);
                }
            } else if constexpr (std::is_same_v<T, PreparedRecord>) {
                w.u8(static_cast<std::uint8_t>(RecordType::kPrepared));
                encode_proposal(w, r.entry.proposal);
                r.entry.certificate.encode(w);
            } else {
                static_assert(std::is_same_v<T, ViewRecord>);
                w.u8(static_cast<std::uint8_t>(RecordType::kView)).u64(r.view);
                w.u8(static_cast<std::uint8_t>(r.status)).u64(r.nv_low).u64(r.nv_high);
            }
        },
        record);
    return w.take();
}

Result<Record> decode_record(ByteView bytes, const CodecLimits& limits) {
    codec::Reader r(bytes);
    JC_ASSIGN_OR_RETURN(const std::uint8_t version, r.u8());
    if (version != kWireVersion) {
        return Error(Errc::kParse, "record: unknown version " + std::to_string(version));
    }
    JC_ASSIGN_OR_RETURN(const std::uint8_t type, r.u8());
    Record out;
    switch (static_cast<RecordType>(type)) {
        case RecordType::kVote: {
            VoteRecord v;
            JC_ASSIGN_OR_RETURN(const std::uint8_t kind, r.u8());
            if (kind != static_cast<std::uint8_t>(VoteKind::kPrePrepare) &&
                kind != static_cast<std::uint8_t>(VoteKind::kPrepare) &&
                kind != static_cast<std::uint8_t>(VoteKind::kCommit)) {
                return Error(Errc::kParse, "record: bad vote kind " + std::to_string(kind));
            }
            v.kind = static_cast<VoteKind>(kind);
            JC_ASSIGN_OR_RETURN(v.view, r.u64());
            JC_ASSIGN_OR_RETURN(v.height, r.u64());
            JC_ASSIGN_OR_RETURN(v.digest, r.hash());
            if (v.kind == VoteKind::kPrePrepare) {
                JC_ASSIGN_OR_RETURN(Proposal p, decode_proposal(r, limits));
                v.proposal = std::move(p);
            }
            out = std::move(v);
            break;
        }
        case RecordType::kPrepared: {
            PreparedRecord p;
            JC_ASSIGN_OR_RETURN(p.entry.proposal, decode_proposal(r, limits));
            JC_ASSIGN_OR_RETURN(p.entry.certificate, decode_certificate(r, limits));
            out = std::move(p);
            break;
        }
        case RecordType::kView: {
            ViewRecord v;
            JC_ASSIGN_OR_RETURN(v.view, r.u64());
            JC_ASSIGN_OR_RETURN(const std::uint8_t status, r.u8());
            if (status != static_cast<std::uint8_t>(ViewStatus::kNormal) &&
                status != static_cast<std::uint8_t>(ViewStatus::kViewChange)) {
                return Error(Errc::kParse, "record: bad view status " + std::to_string(status));
            }
            v.status = static_cast<ViewStatus>(status);
            JC_ASSIGN_OR_RETURN(v.nv_low, r.u64());
            JC_ASSIGN_OR_RETURN(v.nv_high, r.u64());
            out = v;
            break;
        }
        default:
            return Error(Errc::kParse, "record: unknown type " + std::to_string(type));
    }
    JC_TRY_STATUS(r.finish());
    return out;
}

std::uint64_t record_height(const Record& record) {
    return std::visit(
        [](const auto& r) -> std::uint64_t {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, VoteRecord>) {
                return r.height;
            } else if constexpr (std::is_same_v<T, PreparedRecord>) {
                return r.entry.certificate.height;
            } else {
                return 0;
            }
        },
        record);
}

std::string_view rejection_name(Rejection r) {
    switch (r) {
        case Rejection::kNone: return "none";
        case Rejection::kHalted: return "halted";
        case Rejection::kUnknownSender: return "unknown_sender";
        case Rejection::kMalformed: return "malformed";
        case Rejection::kBadSignature: return "bad_signature";
        case Rejection::kStaleView: return "stale_view";
        case Rejection::kStaleHeight: return "stale_height";
        case Rejection::kOutOfWindow: return "out_of_window";
        case Rejection::kNotPrimary: return "not_primary";
        case Rejection::kDuplicate: return "duplicate";
        case Rejection::kEquivocation: return "equivocation";
        case Rejection::kInvalidProposal: return "invalid_proposal";
        case Rejection::kParentMismatch: return "parent_mismatch";
        case Rejection::kBadCertificate: return "bad_certificate";
        case Rejection::kBadViewChange: return "bad_view_change";
        case Rejection::kBadNewView: return "bad_new_view";
        case Rejection::kBufferFull: return "buffer_full";
        case Rejection::kWrongHeight: return "wrong_height";
        case Rejection::kNotReady: return "not_ready";
        case Rejection::kBadInput: return "bad_input";
    }
    return "unknown";
}

}  // namespace jc::consensus
