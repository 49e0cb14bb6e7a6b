#include "governance.h"

#include "record_ints.h"

#include <jc/contracts/arith/date.h>
#include <jc/core/codec.h>
#include <jc/core/sha256.h>

#include <algorithm>
#include <optional>

namespace jc::contracts {

std::string proposal_key(std::string_view id) { return std::string(kProposalPrefix) + std::string(id); }

std::string encode_proposal(const Proposal& p, RecordVersion version) {
    codec::Writer w;
    put_version(w, version).str(p.proposal_id).str(p.type).str(p.body_json).hash(p.action_digest).str(p.proposer);
    w.u32(static_cast<std::uint32_t>(p.created_date));
    put_u64(w, version, p.created_height).u8(static_cast<std::uint8_t>(p.status));
    w.varint(p.approvals.size());
    for (const auto& b : p.approvals) {
        w.str(b);
    }
    put_u64(w, version, p.executed_height);
    return to_string(w.data());
}

Result<Proposal> decode_proposal(std::string_view bytes) {
    return read_record<Proposal>(bytes, "proposal", [&](codec::Reader& r) -> Result<Proposal> {
        Proposal p;
        JC_ASSIGN_OR_RETURN(const RecordVersion version, read_version(r, "proposal"));
        JC_ASSIGN_OR_RETURN(p.proposal_id, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(p.type, r.str(64));
        JC_ASSIGN_OR_RETURN(p.body_json, r.str(1 << 20));
        JC_ASSIGN_OR_RETURN(p.action_digest, r.hash());
        JC_ASSIGN_OR_RETURN(p.proposer, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(const std::uint32_t date, r.u32());
        p.created_date = static_cast<Date>(date);
        JC_ASSIGN_OR_RETURN(p.created_height, read_u64(r, version));
        JC_ASSIGN_OR_RETURN(const std::uint8_t status, r.u8());
        if (status > 1) {
            return Error(Errc::kCorruption, "proposal: unknown status");
        }
        p.status = static_cast<ProposalStatus>(status);
        JC_ASSIGN_OR_RETURN(const std::uint64_t n, r.varint_max(1000, "approvals"));
        for (std::uint64_t i = 0; i < n; ++i) {
            JC_ASSIGN_OR_RETURN(std::string b, r.str(kIdLengthMax));
            p.approvals.push_back(std::move(b));
        }
        JC_ASSIGN_OR_RETURN(p.executed_height, read_u64(r, version));
        JC_TRY_STATUS(r.finish());
        return p;
    });
}

Hash action_digest(std::string_view type, std::string_view body_json) {
    Sha256 h;
    h.update(type);
    h.update(std::string_view("\n", 1));
    h.update(body_json);
    return h.finish();
}

bool is_voter(const Member& m) {
    return m.status == MemberStatus::kActive &&
           (m.has_role(Role::kServicer) || m.has_role(Role::kFunder) || m.has_role(Role::kOperator));
}

Result<Electorate> electorate_of(const ledger::StateReader& state, std::uint64_t quorum_bps) {
    Electorate e;
    std::optional<Error> bad;
    auto scanned = state.scan(keys::kMemberPrefix, [&](std::string_view key, std::string_view value) {
        auto m = decode_member(value);
        if (!m) {
            bad = m.error().with_context(std::string(key));
            return false;
        }
        if (is_voter(*m)) {
            e.voters.insert(m->bank_id);
        }
        return true;
    });
    if (!scanned) {
        return scanned.error();
    }
    if (bad) {
        return *bad;
    }
    const std::uint64_t n = e.voters.size();
    e.quorum = std::max<std::uint64_t>(1, (n * quorum_bps + 9999) / 10000);
    return e;
}

Date expires_after(const Proposal& p, const Params& params) {
    return p.created_date + static_cast<Date>(params.governance_ttl_days);
}

json::Value proposal_json(const Proposal& p, const Electorate& e, const Params& params) {
    json::Value approvals = json::Value::array();
    for (const auto& b : p.approvals) {
        approvals.push_back(b);
    }
    json::Value v{{"proposal_id", p.proposal_id},
                  {"type", p.type},
                  {"action_digest", p.action_digest.hex()},
                  {"proposer", p.proposer},
                  {"created_date", arith::format_date(p.created_date)},
                  {"expires_after", arith::format_date(expires_after(p, params))},
                  {"status", p.status == ProposalStatus::kOpen ? "OPEN" : "EXECUTED"},
                  {"approvals", std::move(approvals)},
                  {"quorum", e.quorum},
                  {"voters", e.voters.size()}};
    return v;
}

}  // namespace jc::contracts
