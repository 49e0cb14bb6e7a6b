// Closing a settlement cycle, shared by settlement.close_cycle and the block prologue
// (DOMAIN.md B.8; ADRs 0050, 0051, 0052).
//
// Private to jc_contracts. Thread-safety: operates on one block's overlay.
#pragma once

#include "exec.h"
#include "overlay.h"

#include <jc/contracts/engine.h>
#include <jc/contracts/records.h>
#include <jc/contracts/settlement.h>

namespace jc::contracts::settle {

// Closes `cycle` (the open one): first rolls every FAILED instruction of earlier cycles into it
// as CARRY_FORWARD, then nets its obligations bilaterally into instructions, sets its status,
// close trigger and settlement date, and opens the next cycle with the next scheduled cutoff.
// Returns the close_cycle result object. Rejects (9001) when the date's 99 cycle numbers are used
// up or a net exceeds MAX_AMOUNT; the caller rolls the overlay back.
Exec<json::Value> close_open_cycle(Overlay& ov, const BlockContext& block, const Params& params, Cycle cycle,
                                   CloseTrigger trigger);

// The block prologue: closes the open cycle when the block time has reached its scheduled cutoff
// or a repayment flagged an early close (collection_limit). A close that would be rejected leaves
// the cycle open and writes nothing. Errors are storage failures or corruption.
Status prologue(Overlay& ov, const BlockContext& block, const Params& params);

// The pacs.009-shaped JSON of an instruction (CNAPS codes when the members are known).
json::Value render_instruction(const SettlementInstruction& si, const Member* debtor, const Member* creditor);
Exec<json::Value> render_with_members(const ledger::StateReader& r, const SettlementInstruction& si);

// Marks cycle_id SETTLED when every instruction of it is SETTLED or ROLLED; returns its status.
Exec<CycleStatus> settle_cycle_if_done(Overlay& ov, const std::string& cycle_id);

}  // namespace jc::contracts::settle
