// What loan.originate and the two-step origination (loan.propose ... loan.disburse, ADR 0062)
// share: the checks of an origination body in B.5 order, the capacity checks that count pending
// reservations, the reservation records, and the booking of a disbursement.
//
// Private to jc_contracts. Thread-safety: operates on one block's overlay.
#pragma once

#include "exec.h"
#include "overlay.h"
#include "tx_env.h"

#include <jc/contracts/records.h>

#include <optional>
#include <string>
#include <vector>

namespace jc::contracts {

enum class OriginationPath { kOriginate, kPropose };

// A checked origination: the loan with funded tranches (status ACTIVE, event_seq 1, nothing
// written yet), each tranche's partnership (nullopt for the servicer's own), and the borrower
// exposure counter it will move.
struct OriginationPlan {
    Loan loan;
    std::vector<std::int64_t> funded;
    std::vector<std::optional<Partnership>> parts;
    std::string borrower_key;
    std::int64_t borrower_out = 0;
    std::string channel_ref;  // "" for a proposal
};

// Every check of loan.originate (kOriginate) or loan.propose (kPropose: no channel_ref, and at
// least one partnership must require acceptance, else 4007) in B.5 order.
Exec<OriginationPlan> plan_origination(TxEnv& t, const json::Value& body, OriginationPath path);

// 4401 / 4402 / 4403 with every pending reservation counted (rs/pt/..., rs/pr/...).
// `reserved_includes_loan`: the loan's own reservation is already among them (disbursement).
ExecStatus check_capacity(TxEnv& t, const Loan& loan, const std::vector<std::optional<Partnership>>& parts,
                          const std::vector<std::int64_t>& funded, bool reserved_includes_loan);

// A reservation amount (0 when absent), and a change to one (the record is erased at zero).
Exec<std::int64_t> load_reserved(const ledger::StateReader& r, const std::string& key);
ExecStatus add_reserved(Overlay& ov, const std::string& key, std::int64_t delta);

// Books the disbursement of `loan`, whose tranches carry their funded principal: status ACTIVE,
// event 1 (ORIGINATE) with DOMAIN.md B.2's postings and FUNDING obligations in the open cycle,
// partnership usage and loan counts, the channel reference; writes loan, event and partnerships.
// REQUIRES: parts.size() == loan.tranches.size().
Exec<LoanEvent> book_disbursement(TxEnv& t, Loan& loan, std::vector<std::optional<Partnership>>& parts,
                                  const std::string& channel_ref);

// The block prologue's half of ADR 0062: cancels every PENDING loan whose proposal expired
// (expires_after < the block's business date) and releases its reservations.
Status expire_proposals(Overlay& ov, const BlockContext& block);

}  // namespace jc::contracts
