// Private to jc_contracts: the governance proposal record `gp/<proposal_id>` and the electorate
// that votes on it (DOMAIN.md B.1, B.3; docs/decisions/0060-governance-quorum.md). Shared by the
// transactions (tx_governance.cc) and the read-only queries (query.cc), so a bank reads exactly
// what the approvals are checked against.
#pragma once

#include <jc/contracts/records.h>
#include <jc/core/canonical_json.h>
#include <jc/ledger/state.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace jc::contracts {

inline constexpr std::string_view kProposalPrefix = "gp/";

enum class ProposalStatus : std::uint8_t { kOpen = 0, kExecuted = 1 };

struct Proposal {
    std::string proposal_id;
    std::string type;       // the action's transaction type
    std::string body_json;  // the action body (RFC 8785), proposal_id included
    Hash action_digest;     // SHA-256(type "\n" body_json): what approvers sign up to
    std::string proposer;
    Date created_date = 0;
    std::uint64_t created_height = 0;
    ProposalStatus status = ProposalStatus::kOpen;
    std::vector<std::string> approvals;  // sorted bank ids
    std::uint64_t executed_height = 0;
};

[[nodiscard]] std::string proposal_key(std::string_view id);
[[nodiscard]] std::string encode_proposal(const Proposal& p, RecordVersion version);
Result<Proposal> decode_proposal(std::string_view bytes);
[[nodiscard]] Hash action_digest(std::string_view type, std::string_view body_json);
// The last business date on which the proposal can still be approved.
[[nodiscard]] Date expires_after(const Proposal& p, const Params& params);

// ACTIVE members holding SERVICER, FUNDER or OPERATOR vote; a REGULATOR-only member observes.
[[nodiscard]] bool is_voter(const Member& m);

struct Electorate {
    std::set<std::string> voters;
    std::size_t quorum = 1;
};

// The voters in `state` and the quorum they make: ceil(voters x quorum_bps / 10000), at least 1.
Result<Electorate> electorate_of(const ledger::StateReader& state, std::uint64_t quorum_bps);

// The proposal as receipts show it: id, type, action digest, proposer, dates, status, approvals,
// quorum and voters.
[[nodiscard]] json::Value proposal_json(const Proposal& p, const Electorate& e, const Params& params);

}  // namespace jc::contracts
