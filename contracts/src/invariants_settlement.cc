// Block invariants B5 and B6 (DOMAIN.md B.6) and the B7 replay comparison.
// Decisions: docs/decisions/0054-settlement-invariants.md.

#include "invariants.h"

#include <jc/contracts/settlement.h>

#include <map>
#include <set>

namespace jc::contracts::invariants {

namespace {

std::string s(I128 v) { return arith::to_string_i128(v); }

using Pair = std::pair<std::string, std::string>;  // (debtor, creditor)

// Signed net of an unordered pair, oriented as "first owes second" with first < second.
struct Nets {
    std::map<Pair, I128> pair;          // key: (a, b) with a < b; value: a owes b
    std::map<std::string, I128> bank;   // multilateral: what the bank is owed, minus what it owes
    void add(const std::string& debtor, const std::string& creditor, I128 amount) {
        if (debtor < creditor) {
            pair[{debtor, creditor}] += amount;
        } else {
            pair[{creditor, debtor}] -= amount;
        }
        bank[creditor] += amount;
        bank[debtor] -= amount;
    }
};

Result<Nets> obligation_nets(const ledger::StateReader& r, std::string_view cycle_id) {
    Nets nets;
    std::optional<Error> bad;
    const std::string prefix = keys::obligation_prefix(cycle_id);
    JC_TRY_STATUS(r.scan(prefix, [&](std::string_view key, std::string_view value) {
        const std::string rest(key.substr(prefix.size()));
        const auto s1 = rest.find('/');
        const auto s2 = s1 == std::string::npos ? s1 : rest.find('/', s1 + 1);
        auto agg = decode_obligation(value);
        if (s2 == std::string::npos || !agg) {
            bad = Error(Errc::kCorruption, "bad obligation record " + std::string(key));
            return false;
        }
        nets.add(rest.substr(0, s1), rest.substr(s1 + 1, s2 - s1 - 1), static_cast<I128>(agg->amount));
        return true;
    }));
    if (bad) {
        return *bad;
    }
    return nets;
}

Result<std::vector<SettlementInstruction>> instructions_with_prefix(const ledger::StateReader& r,
                                                                    std::string_view prefix) {
    std::vector<SettlementInstruction> out;
    std::optional<Error> bad;
    JC_TRY_STATUS(r.scan(prefix, [&](std::string_view key, std::string_view value) {
        auto si = decode_instruction(value);
        if (!si) {
            bad = si.error().with_context(std::string(key));
            return false;
        }
        out.push_back(std::move(si).value());
        return true;
    }));
    if (bad) {
        return *bad;
    }
    return out;
}

// Indexed in su/ (ADR 0052; reserve moves only while SENT, ADR 0057).
bool is_unsettled(const SettlementInstruction& si) {
    const InstructionStatus st = si.status;
    if (is_reserve(si.kind)) {
        return st == InstructionStatus::kSent;
    }
    return st == InstructionStatus::kPending || st == InstructionStatus::kSent || st == InstructionStatus::kFailed;
}

}  // namespace

Status check_settlement(Overlay& ov, const BlockContext& block) {
    auto bad = [&](const std::string& what) { return Status(violation(block.height, what)); };
    const ledger::StateReader& parent = ov.parent();

    // What the block touched: INTERBANK accounts, obligations, instructions, cycles.
    std::set<Pair> touched_pairs;  // unordered, (a, b) with a < b
    for (const auto& e : ov.sorted(keys::kAccountPrefix)) {
        const auto parsed = keys::parse_account(*e.key);
        if (parsed && parsed->code == AccountCode::kInterbank) {
            touched_pairs.insert(parsed->bank_id < parsed->counterparty ? Pair{parsed->bank_id, parsed->counterparty}
                                                                        : Pair{parsed->counterparty, parsed->bank_id});
        }
    }
    const bool obligations_touched = !ov.sorted("ob/").empty();
    const bool instructions_touched = !ov.sorted(keys::kInstructionPrefix).empty() ||
                                      !ov.sorted(keys::kUnsettledPrefix).empty() ||
                                      !ov.sorted(keys::kReservePrefix).empty();
    std::vector<std::string> closed_cycles;  // OPEN in the parent (or new), not OPEN now
    for (const auto& e : ov.sorted("cy/id/")) {
        if (!*e.value) {
            return bad("a cycle record was deleted: " + *e.key);
        }
        auto after = decode_cycle(**e.value);
        if (!after) {
            return after.error();
        }
        auto before = store::load<Cycle>(parent, *e.key, decode_cycle);
        if (!before) {
            return before.error();
        }
        const bool was_open = !*before || (**before).status == CycleStatus::kOpen;
        if (was_open && after->status != CycleStatus::kOpen) {
            closed_cycles.push_back(after->cycle_id);
        }
    }
    if (touched_pairs.empty() && !obligations_touched && !instructions_touched && closed_cycles.empty()) {
        return {};
    }

    // Cycles closed in this block: B6 (per-bank multilateral nets of the obligations equal those of
    // the instructions, and sum to zero), then B5's second half (one instruction per pair with a
    // non-zero net, of exactly |net|, from the net debtor).
    for (const auto& cycle_id : closed_cycles) {
        auto ob = obligation_nets(ov, cycle_id);
        auto all = instructions_with_prefix(ov, keys::instruction_prefix(cycle_id));
        auto record = store::load<Cycle>(ov, keys::cycle(cycle_id), decode_cycle);
        if (!ob || !all || !record) {
            return !ob ? Status(ob.error()) : !all ? Status(all.error()) : Status(record.error());
        }
        const Cycle& cy = **record;
        const InstructionKind netted =
            cy.netting == NettingMode::kMultilateral ? InstructionKind::kMultilateral : InstructionKind::kBilateral;
        // Only the instructions the close made: GROSS ones of the cycle settle events one by one
        // and are covered by B5's first half.
        std::vector<SettlementInstruction> made;
        for (auto& si : *all) {
            if (si.kind == InstructionKind::kBilateral || si.kind == InstructionKind::kMultilateral) {
                if (si.kind != netted) {
                    return bad("B5 cycle " + cycle_id + ": " + std::string(name(cy.netting)) + " cycle has " +
                               std::string(name(si.kind)) + " instruction " + si.instruction_id);
                }
                made.push_back(std::move(si));
            }
        }
        Nets in;
        for (const auto& si : made) {
            in.add(si.debtor, si.creditor, si.amount);
        }
        I128 sum = 0;
        std::set<std::string> banks;
        for (const auto& [b, v] : ob->bank) {
            banks.insert(b);
            sum += v;
        }
        for (const auto& [b, v] : in.bank) {
            banks.insert(b);
        }
        if (sum != 0) {
            return bad("B6 cycle " + cycle_id + ": multilateral nets sum to " + s(sum));
        }
        for (const auto& b : banks) {
            const I128 want = ob->bank.count(b) != 0 ? ob->bank.at(b) : 0;
            const I128 got = in.bank.count(b) != 0 ? in.bank.at(b) : 0;
            if (want != got) {
                return bad("B6 cycle " + cycle_id + ": bank " + b + " multilateral net " + s(want) +
                           " but its instructions net " + s(got));
            }
        }
        if (cy.netting == NettingMode::kMultilateral) {
            // B5 for a multilateral cycle (ADR 0055): one instruction per bank other than the
            // agent with a non-zero multilateral net, between it and the agent, of exactly that net.
            const std::string& agent = cy.settlement_agent;
            std::set<std::string> seen;
            for (const auto& si : made) {
                const bool pays = si.creditor == agent;
                const std::string& bank = pays ? si.debtor : si.creditor;
                if ((si.debtor != agent && si.creditor != agent) || bank == agent || !seen.insert(bank).second) {
                    return bad("B5 cycle " + cycle_id + ": instruction " + si.instruction_id +
                               " is not the only one between a bank and the agent " + agent);
                }
                const I128 net = ob->bank.count(bank) != 0 ? ob->bank.at(bank) : 0;
                const I128 signed_amount = pays ? -static_cast<I128>(si.amount) : si.amount;
                if (signed_amount != net) {
                    return bad("B5 cycle " + cycle_id + ": instruction " + si.instruction_id + " of " +
                               s(si.amount) + " does not equal " + bank + "'s multilateral net " + s(net));
                }
            }
            for (const auto& [bank, net] : ob->bank) {
                if (net != 0 && bank != agent && seen.count(bank) == 0) {
                    return bad("B5 cycle " + cycle_id + ": bank " + bank + " nets " + s(net) +
                               " without an instruction with the agent");
                }
            }
            continue;
        }
        std::map<Pair, int> per_pair;
        for (const auto& si : made) {
            const Pair key = si.debtor < si.creditor ? Pair{si.debtor, si.creditor} : Pair{si.creditor, si.debtor};
            ++per_pair[key];
            const I128 net = ob->pair.count(key) != 0 ? ob->pair.at(key) : 0;  // first owes second
            const I128 signed_amount = si.debtor == key.first ? si.amount : -static_cast<I128>(si.amount);
            if (per_pair[key] > 1 || signed_amount != net) {
                return bad("B5 cycle " + cycle_id + ": instruction " + si.instruction_id + " of " + s(si.amount) +
                           " does not equal the pair's bilateral net " + s(net));
            }
        }
        for (const auto& [key, net] : ob->pair) {
            if (net != 0 && per_pair.count(key) == 0) {
                return bad("B5 cycle " + cycle_id + ": pair " + key.first + "/" + key.second + " nets " + s(net) +
                           " without an instruction");
            }
        }
    }

    // B5: for each pair, INTERBANK net = open-cycle obligations + unsettled instructions.
    auto cycle = store::current_cycle(ov);
    if (!cycle) {
        return cycle.error();
    }
    auto open = obligation_nets(ov, cycle->cycle_id);
    if (!open) {
        return open.error();
    }
    Nets expected = std::move(open).value();
    std::vector<std::string> unsettled_ids;
    auto scanned = ov.scan(keys::kUnsettledPrefix, [&](std::string_view key, std::string_view) {
        unsettled_ids.emplace_back(key.substr(keys::kUnsettledPrefix.size()));
        return true;
    });
    if (!scanned) {
        return scanned.error();
    }
    for (const auto& id : unsettled_ids) {
        auto si = store::load<SettlementInstruction>(ov, keys::instruction(id), decode_instruction);
        if (!si) {
            return si.error();
        }
        if (!*si || !is_unsettled(**si)) {
            return bad("B5 unsettled index names " + id + ", which is missing or settled");
        }
        if (is_reserve((**si).kind)) {
            continue;  // cash in flight: no debt until received (ADR 0057)
        }
        expected.add((**si).debtor, (**si).creditor, (**si).amount);
    }
    // Received reserve (ADR 0057): what the servicer holds for the partner is part of pos(S,i).
    {
        std::optional<Error> bad_reserve;
        auto reserves = ov.scan(keys::kReservePrefix, [&](std::string_view key, std::string_view value) {
            auto rv = decode_reserve(value);
            if (!rv) {
                bad_reserve = rv.error().with_context(std::string(key));
                return false;
            }
            expected.add(rv->servicer, rv->partner, rv->balance);
            return true;
        });
        if (!reserves) {
            return reserves.error();
        }
        if (bad_reserve) {
            return *bad_reserve;
        }
    }
    // Instructions written in this block that are unsettled must be indexed.
    for (const auto& e : ov.sorted(keys::kInstructionPrefix)) {
        if (!*e.value) {
            return bad("an instruction record was deleted: " + *e.key);
        }
        auto si = decode_instruction(**e.value);
        if (!si) {
            return si.error();
        }
        auto indexed = ov.get(keys::unsettled(si->instruction_id));
        if (!indexed) {
            return indexed.error();
        }
        if (is_unsettled(*si) != indexed->has_value()) {
            return bad("B5 instruction " + si->instruction_id + " is " + std::string(name(si->status)) +
                       " but the unsettled index says otherwise");
        }
        touched_pairs.insert(si->debtor < si->creditor ? Pair{si->debtor, si->creditor}
                                                       : Pair{si->creditor, si->debtor});
    }
    for (const auto& [key, net] : expected.pair) {
        touched_pairs.insert(key);
    }
    for (const auto& [a, b] : touched_pairs) {
        auto acct = store::account_as_stored(ov, keys::account(a, AccountCode::kInterbank, b));
        if (!acct) {
            return acct.error();
        }
        const I128 a_owes_b = -acct->net_debit();  // credit balance of a.INTERBANK[b]
        const I128 want = expected.pair.count({a, b}) != 0 ? expected.pair.at({a, b}) : 0;
        if (a_owes_b != want) {
            return bad("B5 pair " + a + "/" + b + ": INTERBANK says " + a + " owes " + s(a_owes_b) +
                       ", open-cycle obligations and unsettled instructions say " + s(want));
        }
    }
    return {};
}

Status check_replay(const BlockOutput& first, const BlockOutput& second, std::uint64_t height) {
    if (first.writes != second.writes) {
        return violation(height, "B7 replaying the block from the parent state gave different writes");
    }
    if (first.prologue_concerns != second.prologue_concerns) {
        return violation(height, "B7 replaying the block gave a different prologue");
    }
    if (first.receipts.size() != second.receipts.size()) {
        return violation(height, "B7 replaying the block gave a different number of receipts");
    }
    for (std::size_t i = 0; i < first.receipts.size(); ++i) {
        const TxReceipt& a = first.receipts[i];
        const TxReceipt& b = second.receipts[i];
        if (a.status != b.status || a.code != b.code || a.error != b.error ||
            a.detail != b.detail || a.result != b.result || a.concerns != b.concerns) {
            return violation(height, "B7 replaying the block gave a different receipt for tx " + std::to_string(i));
        }
    }
    return {};
}

}  // namespace jc::contracts::invariants
