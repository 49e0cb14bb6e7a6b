// Settlement queries (DOMAIN.md B.9, API.md): getCycle, listInstructions and getCycleReport.
// Decisions: docs/decisions/0053-settlement-queries.md.

#include <jc/contracts/query.h>

#include "calendar.h"
#include "render.h"
#include "settle.h"
#include "store.h"

#include <jc/contracts/settlement.h>
#include <jc/core/sha256.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace jc::contracts::query {

namespace {

std::optional<InstructionStatus> parse_instruction_status(std::string_view s) {
    for (std::uint8_t i = 0; i <= static_cast<std::uint8_t>(InstructionStatus::kRolled); ++i) {
        if (name(static_cast<InstructionStatus>(i)) == s) {
            return static_cast<InstructionStatus>(i);
        }
    }
    return std::nullopt;
}

std::string cst_time(std::int64_t ms) {
    const auto date = static_cast<Date>(arith::business_date_from_ms(ms));
    const std::uint32_t m = calendar::cst_minutes(ms);
    std::string hhmm = std::to_string(100 + m / 60).substr(1) + ":" + std::to_string(100 + m % 60).substr(1);
    return arith::format_date(date) + "T" + hhmm + "+08:00";
}

// ob/<cycle>/<debtor>/<creditor>/<CATEGORY>
struct ObligationEntry {
    std::string key;
    std::string debtor;
    std::string creditor;
    std::string category;
    ObligationAggregate agg;
};

Result<std::vector<ObligationEntry>> cycle_obligations(const ledger::StateReader& state, std::string_view cycle_id) {
    std::vector<ObligationEntry> out;
    std::optional<Error> failure;
    const std::string prefix = keys::obligation_prefix(cycle_id);
    JC_TRY_STATUS(state.scan(prefix, [&](std::string_view key, std::string_view value) {
        const std::string rest(key.substr(prefix.size()));
        const auto s1 = rest.find('/');
        const auto s2 = s1 == std::string::npos ? s1 : rest.find('/', s1 + 1);
        auto agg = decode_obligation(value);
        if (s2 == std::string::npos || !agg) {
            failure = Error(Errc::kCorruption, "bad obligation record " + std::string(key));
            return false;
        }
        out.push_back(ObligationEntry{std::string(key), rest.substr(0, s1), rest.substr(s1 + 1, s2 - s1 - 1),
                                      rest.substr(s2 + 1), *agg});
        return true;
    }));
    if (failure) {
        return *failure;
    }
    return out;
}

Result<std::vector<SettlementInstruction>> scan_instructions(const ledger::StateReader& state,
                                                             std::string_view prefix) {
    std::vector<SettlementInstruction> out;
    std::optional<Error> failure;
    JC_TRY_STATUS(state.scan(prefix, [&](std::string_view key, std::string_view value) {
        auto si = decode_instruction(value);
        if (!si) {
            failure = si.error().with_context(std::string(key));
            return false;
        }
        out.push_back(std::move(si).value());
        return true;
    }));
    if (failure) {
        return *failure;
    }
    return out;
}

// The instructions still PENDING, SENT or FAILED, through the su/ index.
Result<std::vector<SettlementInstruction>> unsettled_instructions(const ledger::StateReader& state) {
    std::vector<std::string> ids;
    JC_TRY_STATUS(state.scan(keys::kUnsettledPrefix, [&](std::string_view key, std::string_view) {
        ids.emplace_back(key.substr(keys::kUnsettledPrefix.size()));
        return true;
    }));
    std::vector<SettlementInstruction> out;
    for (const auto& id : ids) {
        JC_ASSIGN_OR_RETURN(auto si, store::load<SettlementInstruction>(state, keys::instruction(id), decode_instruction));
        if (!si) {
            return Error(Errc::kCorruption, "unsettled index names a missing instruction " + id);
        }
        out.push_back(std::move(*si));
    }
    return out;
}

Result<json::Value> render(const ledger::StateReader& state, const SettlementInstruction& si) {
    JC_ASSIGN_OR_RETURN(auto d, store::member(state, si.debtor));
    JC_ASSIGN_OR_RETURN(auto c, store::member(state, si.creditor));
    return settle::render_instruction(si, d ? &*d : nullptr, c ? &*c : nullptr);
}

}  // namespace

Result<json::Value> get_cycle(const ledger::StateReader& state, std::string_view cycle_id) {
    JC_ASSIGN_OR_RETURN(const Cycle current, store::current_cycle(state));
    const std::string id = cycle_id.empty() ? current.cycle_id : std::string(cycle_id);
    JC_ASSIGN_OR_RETURN(auto cycle, store::load<Cycle>(state, keys::cycle(id), decode_cycle));
    if (!cycle) {
        return json::Value(nullptr);
    }
    JC_ASSIGN_OR_RETURN(const auto obligations, cycle_obligations(state, id));
    json::Value by_category = json::Value::object();
    std::map<std::string, std::pair<U128, std::uint64_t>> cats;
    U128 gross = 0;
    std::uint64_t count = 0;
    for (const auto& o : obligations) {
        auto& [a, n] = cats[o.category];
        a += o.agg.amount;
        n += o.agg.count;
        gross += o.agg.amount;
        count += o.agg.count;
    }
    for (const auto& [c, v] : cats) {
        by_category[c] = json::Value{{"amount", render::amount(v.first)}, {"count", v.second}};
    }
    JC_ASSIGN_OR_RETURN(const auto instructions, scan_instructions(state, keys::instruction_prefix(id)));
    json::Value by_status = json::Value::object();
    json::Value by_kind = json::Value::object();
    json::Value ids = json::Value::array();
    I128 total = 0;
    for (const auto& si : instructions) {
        const std::string st(name(si.status));
        by_status[st] = by_status.value(st, 0) + 1;
        const std::string kind(name(si.kind));
        by_kind[kind] = by_kind.value(kind, 0) + 1;
        ids.push_back(si.instruction_id);
        total += si.amount;
    }
    const bool open = cycle->status == CycleStatus::kOpen;
    return json::Value{
        {"cycle_id", cycle->cycle_id},
        {"status", std::string(name(cycle->status))},
        {"current", cycle->cycle_id == current.cycle_id},
        {"opened_at_height", cycle->opened_at_height},
        {"closed_at_height", open ? json::Value(nullptr) : json::Value(cycle->closed_at_height)},
        {"close_trigger", std::string(name(cycle->close_trigger))},
        {"cutoff", cycle->cutoff_ms == 0 ? json::Value(nullptr) : json::Value(cst_time(cycle->cutoff_ms))},
        {"cutoff_ms", cycle->cutoff_ms},
        {"settlement_date", open ? json::Value(nullptr) : json::Value(arith::format_date(cycle->settlement_date))},
        {"early_close_requested", cycle->early_close_requested},
        {"netting_mode", std::string(name(cycle->netting))},
        {"settlement_agent",
         cycle->settlement_agent.empty() ? json::Value(nullptr) : json::Value(cycle->settlement_agent)},
        {"obligations", json::Value{{"count", count}, {"gross", render::amount(gross)}, {"by_category", by_category}}},
        {"instructions", json::Value{{"count", instructions.size()},
                                     {"total", render::amount(total)},
                                     {"by_status", by_status},
                                     {"by_kind", by_kind},
                                     {"ids", ids}}}};
}

Result<json::Value> list_instructions(const ledger::StateReader& state, const InstructionFilter& filter) {
    std::optional<InstructionStatus> status;
    if (!filter.status.empty()) {
        status = parse_instruction_status(filter.status);
        if (!status) {
            return Error(Errc::kInvalidArgument, "status must be PENDING, SENT, SETTLED, FAILED or ROLLED");
        }
    }
    std::vector<SettlementInstruction> found;
    if (!filter.instruction_id.empty()) {
        JC_ASSIGN_OR_RETURN(auto si, store::load<SettlementInstruction>(state, keys::instruction(filter.instruction_id),
                                                                        decode_instruction));
        if (si && (filter.cycle_id.empty() || si->cycle_id == filter.cycle_id)) {
            found.push_back(std::move(*si));
        }
    } else if (!filter.cycle_id.empty()) {
        JC_ASSIGN_OR_RETURN(found, scan_instructions(state, keys::instruction_prefix(filter.cycle_id)));
    } else if (status && (*status == InstructionStatus::kPending || *status == InstructionStatus::kSent)) {
        // su/ holds every PENDING and SENT instruction (a FAILED reserve move leaves it, ADR 0057).
        JC_ASSIGN_OR_RETURN(found, unsettled_instructions(state));
    } else {
        JC_ASSIGN_OR_RETURN(found, scan_instructions(state, keys::kInstructionPrefix));
    }
    json::Value out = json::Value::array();
    bool truncated = false;
    for (const auto& si : found) {
        if (status && si.status != *status) {
            continue;
        }
        if (!filter.bank_id.empty() && si.debtor != filter.bank_id && si.creditor != filter.bank_id) {
            continue;
        }
        if (out.size() == kListInstructionsMax) {
            truncated = true;
            break;
        }
        JC_ASSIGN_OR_RETURN(json::Value v, render(state, si));
        out.push_back(std::move(v));
    }
    const std::size_t n = out.size();
    return json::Value{{"instructions", std::move(out)}, {"count", n}, {"truncated", truncated}};
}

Result<json::Value> get_cycle_report(const ledger::StateReader& state, std::string_view cycle_id,
                                     std::string_view bank_id) {
    JC_ASSIGN_OR_RETURN(auto cycle, store::load<Cycle>(state, keys::cycle(cycle_id), decode_cycle));
    JC_ASSIGN_OR_RETURN(auto member, store::member(state, bank_id));
    if (!cycle || !member) {
        return json::Value(nullptr);
    }
    const std::string bank(bank_id);
    struct PerCategory {
        U128 credit = 0;  // owed to the bank by the counterparty
        std::uint64_t credit_count = 0;
        U128 debit = 0;   // owed by the bank to the counterparty
        std::uint64_t debit_count = 0;
    };
    struct PerCounterparty {
        std::map<std::string, PerCategory> categories;  // by category name
        std::string digest_lines;                       // ADR 0050's obligations digest input
        std::vector<std::tuple<std::uint64_t, std::uint32_t, std::uint32_t, std::string>> events;
        std::vector<std::string> carried;  // instructions rolled into this cycle
        std::optional<SettlementInstruction> instruction;
        std::vector<SettlementInstruction> gross;  // GROSS instructions of the cycle (ADR 0056)
    };
    std::map<std::string, PerCounterparty> cps;
    JC_ASSIGN_OR_RETURN(const auto obligations, cycle_obligations(state, cycle_id));
    for (const auto& o : obligations) {
        if (o.debtor != bank && o.creditor != bank) {
            continue;
        }
        const bool bank_owes = o.debtor == bank;
        auto& cp = cps[bank_owes ? o.creditor : o.debtor];
        auto& pc = cp.categories[o.category];
        if (bank_owes) {
            pc.debit += o.agg.amount;
            pc.debit_count += o.agg.count;
        } else {
            pc.credit += o.agg.amount;
            pc.credit_count += o.agg.count;
        }
        cp.digest_lines += o.key + "=" + arith::to_string_u128(o.agg.amount) + "," + std::to_string(o.agg.count) + "\n";
    }
    // The cycle's instructions and the instructions rolled into it (CARRY_FORWARD entries).
    JC_ASSIGN_OR_RETURN(const auto own, scan_instructions(state, keys::instruction_prefix(cycle_id)));
    for (const auto& si : own) {
        if (si.debtor == bank || si.creditor == bank) {
            auto& cp = cps[si.debtor == bank ? si.creditor : si.debtor];
            if (si.kind == InstructionKind::kGross) {
                cp.gross.push_back(si);
            } else {
                cp.instruction = si;
            }
        }
    }
    if (!cps.empty()) {
        JC_ASSIGN_OR_RETURN(const auto all, scan_instructions(state, keys::kInstructionPrefix));
        for (const auto& si : all) {
            if (si.carried_to_cycle == cycle_id && (si.debtor == bank || si.creditor == bank)) {
                cps[si.debtor == bank ? si.creditor : si.debtor].carried.push_back(si.instruction_id);
            }
        }
        // The loan events whose obligations landed in this cycle, per counterparty, in execution
        // order (height, tx index, batch item). A full journal walk: see ADR 0053.
        std::optional<Error> failure;
        JC_TRY_STATUS(state.scan("ev/", [&](std::string_view key, std::string_view value) {
            auto ev = decode_loan_event(value);
            if (!ev) {
                failure = ev.error().with_context(std::string(key));
                return false;
            }
            if (ev->cycle_id != cycle_id) {
                return true;
            }
            std::vector<std::string> seen;
            for (const auto& o : ev->obligations) {
                if (o.debtor != bank && o.creditor != bank) {
                    continue;
                }
                const std::string& other = o.debtor == bank ? o.creditor : o.debtor;
                if (std::find(seen.begin(), seen.end(), other) != seen.end()) {
                    continue;
                }
                seen.push_back(other);
                cps[other].events.emplace_back(ev->height, ev->tx_index, ev->item_index, ev->event_id());
            }
            return true;
        }));
        if (failure) {
            return *failure;
        }
    }

    json::Value counterparties = json::Value::array();
    std::uint64_t nb_all = 0;
    U128 ctrl_all = 0;
    I128 net_all = 0;
    for (auto& [other, cp] : cps) {
        json::Value entries = json::Value::array();
        std::uint64_t nb = 0;
        U128 ctrl = 0;
        I128 net = 0;  // positive: the counterparty owes the bank
        for (const auto& [category, pc] : cp.categories) {
            entries.push_back(json::Value{{"category", category},
                                          {"credit", json::Value{{"amount", render::amount(pc.credit)},
                                                                 {"count", pc.credit_count}}},
                                          {"debit", json::Value{{"amount", render::amount(pc.debit)},
                                                                {"count", pc.debit_count}}},
                                          {"net", render::amount(static_cast<I128>(pc.credit) -
                                                                 static_cast<I128>(pc.debit))}});
            nb += pc.credit_count + pc.debit_count;
            ctrl += pc.credit + pc.debit;
            net += static_cast<I128>(pc.credit) - static_cast<I128>(pc.debit);
        }
        std::sort(cp.events.begin(), cp.events.end());
        std::string event_lines;
        for (const auto& e : cp.events) {
            event_lines += std::get<3>(e) + "\n";
        }
        auto brief = [](const SettlementInstruction& si) {
            json::Value v{{"instruction_id", si.instruction_id},
                          {"kind", std::string(name(si.kind))},
                          {"debtor", si.debtor},
                          {"creditor", si.creditor},
                          {"amount", render::amount(si.amount)},
                          {"status", std::string(name(si.status))},
                          {"settlement_date", arith::format_date(si.settlement_date)}};
            if (!si.event_id.empty()) {
                v["event_id"] = si.event_id;
            }
            return v;
        };
        json::Value instruction(nullptr);
        if (cp.instruction) {
            instruction = brief(*cp.instruction);
        }
        json::Value gross = json::Value::array();
        for (const auto& si : cp.gross) {
            gross.push_back(brief(si));
        }
        json::Value carried = json::Value::array();
        for (const auto& id : cp.carried) {
            carried.push_back(id);
        }
        counterparties.push_back(json::Value{{"counterparty", other},
                                             {"opening_net", "0"},
                                             {"entries", std::move(entries)},
                                             {"closing_net", render::amount(net)},
                                             {"NbOfTxs", nb},
                                             {"CtrlSum", render::amount(ctrl)},
                                             {"obligations_digest", sha256(cp.digest_lines).hex()},
                                             {"event_count", cp.events.size()},
                                             {"events_digest", sha256(event_lines).hex()},
                                             {"carried_instructions", std::move(carried)},
                                             {"instruction", std::move(instruction)},
                                             {"gross_instructions", std::move(gross)}});
        nb_all += nb;
        ctrl_all += ctrl;
        net_all += net;
    }
    const bool open = cycle->status == CycleStatus::kOpen;
    return json::Value{
        {"cycle_id", cycle->cycle_id},
        {"bank_id", bank},
        {"bank_cnaps", member->cnaps_code},
        {"status", std::string(name(cycle->status))},
        {"netting_mode", std::string(name(cycle->netting))},
        {"settlement_agent",
         cycle->settlement_agent.empty() ? json::Value(nullptr) : json::Value(cycle->settlement_agent)},
        {"settlement_date", open ? json::Value(nullptr) : json::Value(arith::format_date(cycle->settlement_date))},
        {"currency", "CNY"},
        {"counterparties", std::move(counterparties)},
        {"NbOfTxs", nb_all},
        {"CtrlSum", render::amount(ctrl_all)},
        {"multilateral_net", render::amount(net_all)}};
}

}  // namespace jc::contracts::query
