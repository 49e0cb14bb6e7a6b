// Genesis bootstrap: the members and parameters a chain starts with, turned into the first
// state writes (members, governance parameters, the first open settlement cycle, zero per-bank
// aggregates).
//
// The node converts its genesis file into these plain structs (the ledger owns the file format);
// genesis_writes validates them strictly (unique bank ids, 12-digit CNAPS codes, at least one
// key per member and no key shared between members, sorted unique product codes) and reports
// the first problem as an Error naming the member or field.
//
// Thread-safety: pure function.
#pragma once

#include <jc/contracts/records.h>
#include <jc/contracts/types.h>
#include <jc/core/error.h>
#include <jc/core/secp256k1.h>
#include <jc/ledger/state.h>

#include <cstdint>
#include <string>
#include <vector>

namespace jc::contracts {

struct GenesisMember {
    std::string bank_id;
    std::string name;
    std::string cnaps_code;
    std::string bic;  // optional
    std::string lei;  // optional
    std::vector<crypto::PublicKey> keys;
    std::vector<Role> roles;
    MemberStatus status = MemberStatus::kActive;
};

struct GenesisMembers {
    std::vector<GenesisMember> members;
};

struct GenesisParams {
    std::int64_t genesis_time_ms = 0;  // names the first cycle ("YYYYMMDD-01", CST business date)
    Params params;                     // governance parameters and product terms
};

[[nodiscard]] Result<ledger::StateWrites> genesis_writes(const GenesisMembers& members,
                                                         const GenesisParams& params);

}  // namespace jc::contracts
