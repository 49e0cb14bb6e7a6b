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

// One loan event's obligation lines under a GROSS partnership (ADR 0056): their net becomes one
// PENDING instruction SI-<cycle>-<debtor>-<creditor>-G<seq> in `cycle_id` (the open cycle);
// nothing when they net to zero.
ExecStatus book_gross(Overlay& ov, const std::string& cycle_id, const std::string& partnership_id,
                      const std::vector<ObligationLine>& lines, const std::string& event_id, std::uint64_t height,
                      Date business_date);

// Writes an instruction and keeps the unsettled index (su/) in step with its status: netted and
// GROSS instructions are indexed while PENDING, SENT or FAILED (a FAILED one is still a debt);
// reserve instructions only while SENT (cash in flight, no debt; FAILED is final, ADR 0057).
void put_instruction(Overlay& ov, const SettlementInstruction& si);

// The reserve of a (servicer, partner) pair over its PREFUNDED partnerships (ADR 0057).
struct ReserveTotals {
    I128 balance = 0;
    I128 pending_withdrawals = 0;
};
Result<ReserveTotals> reserve_totals(const ledger::StateReader& r, std::string_view servicer,
                                     std::string_view partner);
// A reserve instruction was received (balance moves, pending falls) or failed (pending falls).
ExecStatus reserve_received(Overlay& ov, const SettlementInstruction& si);
ExecStatus reserve_failed(Overlay& ov, const SettlementInstruction& si);

// Marks cycle_id SETTLED when it is CLOSED and every instruction of it is SETTLED or ROLLED;
// returns its status (OPEN stays OPEN: a GROSS instruction may settle before its cycle closes).
Exec<CycleStatus> settle_cycle_if_done(Overlay& ov, const std::string& cycle_id);

}  // namespace jc::contracts::settle
