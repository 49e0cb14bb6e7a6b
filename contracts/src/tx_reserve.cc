// The prefunded reserve (DOMAIN.md B.2, B.3, B.8): reserve.topup (the partner sends cash to the
// servicer) and reserve.withdraw (the servicer sends reserve back), each creating a SENT
// instruction that the other bank completes with settlement.confirm_received, which posts B.2's
// settlement entries and moves the reserve balance. Decisions: docs/decisions/0057-reserve.md.

#include <jc/contracts/settlement.h>

#include "origination.h"
#include "record_ints.h"
#include "form.h"
#include "settle.h"
#include "tx_env.h"

#include <jc/core/codec.h>
#include <jc/core/sha256.h>

#include <algorithm>

namespace jc::contracts {

namespace keys {
std::string reserve(std::string_view servicer, std::string_view partner, std::string_view partnership_id) {
    return reserve_pair_prefix(servicer, partner) + std::string(partnership_id);
}
std::string reserve_pair_prefix(std::string_view servicer, std::string_view partner) {
    return "rv/" + std::string(servicer) + "/" + std::string(partner) + "/";
}
std::string payer_ref(std::string_view bank, std::string_view payer_ref) {
    return "pr/" + std::string(bank) + "/" + std::string(payer_ref);
}
}  // namespace keys

std::string encode(const ReserveAccount& v, RecordVersion version) {
    codec::Writer w;
    put_version(w, version).str(v.partnership_id).str(v.servicer).str(v.partner);
    put_i64(w, version, v.balance);
    put_i64(w, version, v.pending_topups);
    put_i64(w, version, v.pending_withdrawals).u32(v.seq);
    return to_string(w.data());
}

Result<ReserveAccount> decode_reserve(std::string_view bytes) {
    return read_record<ReserveAccount>(bytes, "reserve", [&](codec::Reader& r) -> Result<ReserveAccount> {
        ReserveAccount v;
        JC_ASSIGN_OR_RETURN(const RecordVersion version, read_version(r, "reserve"));
        JC_ASSIGN_OR_RETURN(v.partnership_id, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(v.servicer, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(v.partner, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(v.balance, read_i64(r, version));
        JC_ASSIGN_OR_RETURN(v.pending_topups, read_i64(r, version));
        JC_ASSIGN_OR_RETURN(v.pending_withdrawals, read_i64(r, version));
        JC_ASSIGN_OR_RETURN(v.seq, r.u32());
        JC_TRY_STATUS(r.finish());
        if (v.balance < 0 || v.pending_topups < 0 || v.pending_withdrawals < 0) {
            return Error(Errc::kCorruption, "reserve: negative amount");
        }
        return v;
    });
}

namespace settle {

Result<ReserveTotals> reserve_totals(const ledger::StateReader& r, std::string_view servicer,
                                     std::string_view partner) {
    ReserveTotals t;
    std::optional<Error> bad;
    JC_TRY_STATUS(r.scan(keys::reserve_pair_prefix(servicer, partner), [&](std::string_view key, std::string_view v) {
        auto rv = decode_reserve(v);
        if (!rv) {
            bad = rv.error().with_context(std::string(key));
            return false;
        }
        t.balance += rv->balance;
        t.pending_withdrawals += rv->pending_withdrawals;
        return true;
    }));
    if (bad) {
        return *bad;
    }
    return t;
}

ExecStatus reserve_received(Overlay& ov, const SettlementInstruction& si) {
    const bool topup = si.kind == InstructionKind::kReserveTopup;
    const std::string& servicer = topup ? si.creditor : si.debtor;
    const std::string& partner = topup ? si.debtor : si.creditor;
    const std::string key = keys::reserve(servicer, partner, si.partnership_id);
    JC_EXEC_ASSIGN(auto raw, load(ov.get(key)));
    if (!raw) {
        return Error(Errc::kCorruption, "reserve instruction " + si.instruction_id + " without its reserve record");
    }
    JC_EXEC_ASSIGN(ReserveAccount rv, from_result(decode_reserve(*raw)));
    if (topup) {
        rv.pending_topups -= si.amount;
        rv.balance += si.amount;  // <= 2 x 10^15 over any realistic life; checked below
    } else {
        rv.pending_withdrawals -= si.amount;
        rv.balance -= si.amount;
    }
    if (rv.pending_topups < 0 || rv.pending_withdrawals < 0 || rv.balance < 0 ||
        rv.balance > arith::kMaxAmount * 1000) {
        return overflow("reserve balance");
    }
    ov.put(key, encode(rv, ov.record_version()));
    return exec_ok();
}

ExecStatus reserve_failed(Overlay& ov, const SettlementInstruction& si) {
    const bool topup = si.kind == InstructionKind::kReserveTopup;
    const std::string key =
        keys::reserve(topup ? si.creditor : si.debtor, topup ? si.debtor : si.creditor, si.partnership_id);
    JC_EXEC_ASSIGN(auto raw, load(ov.get(key)));
    if (!raw) {
        return Error(Errc::kCorruption, "reserve instruction " + si.instruction_id + " without its reserve record");
    }
    JC_EXEC_ASSIGN(ReserveAccount rv, from_result(decode_reserve(*raw)));
    (topup ? rv.pending_topups : rv.pending_withdrawals) -= si.amount;
    ov.put(key, encode(rv, ov.record_version()));
    return exec_ok();
}

}  // namespace settle

namespace {

// reserve.topup (partner -> servicer) and reserve.withdraw (servicer -> partner): the same
// checks in B.5 order with the sender's role swapped (ADR 0057).
Exec<TxEffect> apply_reserve_move(TxEnv& t, const json::Value& body, bool topup) {
    Form f;
    f.object(body, "", {"partnership_id", "amount", "payer_ref"});
    const auto pid = f.id(body, "partnership_id", "", kIdLengthMax, true);
    const auto payer_ref = f.id(body, "payer_ref", "", kIdLengthMax, true);
    const auto amount = f.amount(body, "amount", "", true, true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(auto p, load(store::partnership(t.ov, *pid)));
    // 2008: only the partner tops up and only the servicer withdraws.
    if (p) {
        const std::string& allowed = topup ? p->partner_bank : p->servicer_bank;
        if (t.tx.sender() != allowed) {
            return reject(Code::kNotParty, json::Value{{"partnership_id", *pid},
                                                       {"reason", topup ? "only the partner tops up the reserve"
                                                                        : "only the servicer withdraws from the reserve"},
                                                       {"allowed", allowed}});
        }
    }
    // 3003: the payment reference (HVPS message id) is the bank's natural key (B.7).
    JC_EXEC_ASSIGN(auto used, load(t.ov.get(keys::payer_ref(t.tx.sender(), *payer_ref))));
    if (used) {
        return reject(Code::kDuplicateChannelRef,
                      json::Value{{"field", "payer_ref"}, {"payer_ref", *payer_ref}, {"instruction_id", *used}});
    }
    if (!p) {
        return reject(Code::kPartnershipNotFound, json::Value{{"partnership_id", *pid}});
    }
    // 4002: a top-up needs an ACTIVE partnership; a withdrawal also works while SUSPENDED, so a
    // suspended partnership can be wound down.
    const bool usable = p->status == PartnershipStatus::kActive ||
                        (!topup && p->status == PartnershipStatus::kSuspended);
    if (!usable) {
        return reject(Code::kPartnershipInactive,
                      json::Value{{"partnership_id", *pid}, {"status", std::string(name(p->status))}});
    }
    if (p->terms.funding_mode != FundingMode::kPrefundedReserve) {
        return reject(Code::kFundingModeMismatch,
                      json::Value{{"partnership_id", *pid},
                                  {"funding_mode", std::string(name(p->terms.funding_mode))},
                                  {"required", "PREFUNDED_RESERVE"}});
    }
    const std::string key = keys::reserve(p->servicer_bank, p->partner_bank, p->partnership_id);
    ReserveAccount rv;
    JC_EXEC_ASSIGN(auto raw, load(t.ov.get(key)));
    if (raw) {
        JC_EXEC_ASSIGN(rv, from_result(decode_reserve(*raw)));
    } else {
        rv.partnership_id = p->partnership_id;
        rv.servicer = p->servicer_bank;
        rv.partner = p->partner_bank;
    }
    if (!topup) {
        // 4403: pos(S,i) >= 0 must survive the withdrawal and every one already on its way, and
        // only reserve actually received can go back (collections owed to the partner are paid
        // by the cycle's netting, not out of the reserve).
        JC_EXEC_ASSIGN(const I128 pos, load(store::position(t.ov, p->servicer_bank, p->partner_bank)));
        JC_EXEC_ASSIGN(const settle::ReserveTotals pair, load(settle::reserve_totals(t.ov, p->servicer_bank,
                                                                                     p->partner_bank)));
        // A pending two-step origination holds its share of the reserve too (ADR 0062): what a
        // partner accepted must still be there when the servicer disburses.
        JC_EXEC_ASSIGN(const std::int64_t reserved,
                       load_reserved(t.ov, keys::reserved_pair(p->servicer_bank, p->partner_bank)));
        const I128 by_position = pos - pair.pending_withdrawals - reserved;
        const I128 by_reserve = static_cast<I128>(rv.balance) - rv.pending_withdrawals;
        const I128 available = std::min(by_position, by_reserve);
        if (static_cast<I128>(*amount) > available) {
            return reject(Code::kInsufficientReserve,
                          json::Value{{"partnership_id", *pid},
                                      {"amount", std::to_string(*amount)},
                                      {"position", arith::to_string_i128(pos)},
                                      {"reserve", std::to_string(rv.balance)},
                                      {"pending_withdrawals", arith::to_string_i128(pair.pending_withdrawals)},
                                      {"reserved_by_proposals", std::to_string(reserved)},
                                      {"available", arith::to_string_i128(available < 0 ? 0 : available)}});
        }
        rv.pending_withdrawals += *amount;
    } else {
        if (rv.pending_topups > arith::kMaxAmount) {
            return overflow("pending top-ups");
        }
        rv.pending_topups += *amount;
    }
    if (rv.seq >= 999999) {
        return overflow("reserve instruction sequence");
    }
    rv.seq += 1;
    t.ov.put(key, encode(rv, t.ov.record_version()));

    JC_EXEC_ASSIGN(const Cycle open, load(store::current_cycle(t.ov)));
    SettlementInstruction si;
    si.kind = topup ? InstructionKind::kReserveTopup : InstructionKind::kReserveWithdrawal;
    si.instruction_id = "RV-" + p->partnership_id + "-" + std::to_string(1000000 + rv.seq).substr(1);
    si.cycle_id = open.cycle_id;  // for the record: reserve moves are not part of any netting
    si.debtor = topup ? p->partner_bank : p->servicer_bank;
    si.creditor = topup ? p->servicer_bank : p->partner_bank;
    si.amount = *amount;
    si.settlement_date = static_cast<Date>(t.env.block.business_date);
    si.status = InstructionStatus::kSent;  // the sender's submission is its confirm_sent
    si.categories[static_cast<std::size_t>(Category::kReserveTopup)] = topup ? *amount : -*amount;
    si.counts[static_cast<std::size_t>(Category::kReserveTopup)] = 1;
    si.obligations_digest = sha256(si.instruction_id + "=" + std::to_string(*amount) + "\n");
    si.created_height = t.env.block.height;
    si.updated_height = t.env.block.height;
    si.payer_ref = *payer_ref;
    si.partnership_id = p->partnership_id;
    settle::put_instruction(t.ov, si);
    t.ov.put(keys::payer_ref(t.tx.sender(), *payer_ref), si.instruction_id);
    JC_EXEC_ASSIGN(json::Value rendered, settle::render_with_members(t.ov, si));
    return TxEffect{json::Value{{"instruction", std::move(rendered)},
                                {"reserve", json::Value{{"partnership_id", rv.partnership_id},
                                                        {"balance", std::to_string(rv.balance)},
                                                        {"pending_topups", std::to_string(rv.pending_topups)},
                                                        {"pending_withdrawals",
                                                         std::to_string(rv.pending_withdrawals)}}}},
                    "", 0};
}

}  // namespace

Exec<TxEffect> apply_reserve_topup(TxEnv& t, const json::Value& body) { return apply_reserve_move(t, body, true); }

Exec<TxEffect> apply_reserve_withdraw(TxEnv& t, const json::Value& body) {
    return apply_reserve_move(t, body, false);
}

}  // namespace jc::contracts
