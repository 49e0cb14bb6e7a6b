// Settlement transactions (DOMAIN.md B.4, B.8): settlement.close_cycle (bilateral deferred net
// settlement of the open cycle into pacs.009-shaped instructions, the next cycle opening at
// once), settlement.confirm_sent (debtor) and settlement.confirm_received (creditor, posts the
// settlement entries of B.2), settlement.report_failure and settlement.roll (FAILED -> ROLLED,
// carried forward as CARRY_FORWARD), and the automatic close of the block prologue.
// Decisions: docs/decisions/0050-settlement-instructions.md, 0051 (cutoffs), 0052 (failure).

#include <jc/contracts/settlement.h>

#include "calendar.h"
#include "form.h"
#include "record_ints.h"
#include "settle.h"
#include "tx_env.h"

#include <jc/contracts/arith/checked.h>
#include <jc/core/codec.h>
#include <jc/core/sha256.h>

#include <limits>
#include <map>
#include <utility>

namespace jc::contracts {

std::string_view name(CloseTrigger v) {
    switch (v) {
        case CloseTrigger::kNone: return "NONE";
        case CloseTrigger::kExplicit: return "EXPLICIT";
        case CloseTrigger::kCutoff: return "CUTOFF";
        case CloseTrigger::kEarly: return "EARLY";
    }
    return "?";
}

std::string_view name(InstructionStatus v) {
    switch (v) {
        case InstructionStatus::kPending: return "PENDING";
        case InstructionStatus::kSent: return "SENT";
        case InstructionStatus::kSettled: return "SETTLED";
        case InstructionStatus::kFailed: return "FAILED";
        case InstructionStatus::kRolled: return "ROLLED";
    }
    return "?";
}

std::string_view name(InstructionKind v) {
    switch (v) {
        case InstructionKind::kBilateral: return "BILATERAL";
        case InstructionKind::kMultilateral: return "MULTILATERAL";
        case InstructionKind::kGross: return "GROSS";
        case InstructionKind::kReserveTopup: return "RESERVE_TOPUP";
        case InstructionKind::kReserveWithdrawal: return "RESERVE_WITHDRAWAL";
    }
    return "?";
}

namespace keys {
std::string instruction(std::string_view instruction_id) { return "si/" + std::string(instruction_id); }
std::string instruction_prefix(std::string_view cycle_id) { return "si/SI-" + std::string(cycle_id) + "-"; }
std::string unsettled(std::string_view instruction_id) { return "su/" + std::string(instruction_id); }
}  // namespace keys

std::string instruction_id(std::string_view cycle_id, std::string_view debtor, std::string_view creditor) {
    return "SI-" + std::string(cycle_id) + "-" + std::string(debtor) + "-" + std::string(creditor);
}

std::string encode(const SettlementInstruction& v, RecordVersion version) {
    codec::Writer w;
    put_version(w, version).str(v.instruction_id).str(v.cycle_id).str(v.debtor).str(v.creditor);
    put_i64(w, version, v.amount);
    w.u32(static_cast<std::uint32_t>(v.settlement_date)).u8(static_cast<std::uint8_t>(v.status));
    for (const auto c : v.categories) {
        put_i64(w, version, c);
    }
    for (const auto c : v.counts) {
        put_u64(w, version, c);
    }
    w.hash(v.obligations_digest);
    put_u64(w, version, v.created_height);
    put_u64(w, version, v.updated_height);
    w.str(v.payer_ref).str(v.failure_reason).str(v.failed_by).str(v.carried_to_cycle);
    w.u8(static_cast<std::uint8_t>(v.kind)).str(v.partnership_id).str(v.event_id);
    return to_string(w.data());
}

Result<SettlementInstruction> decode_instruction(std::string_view bytes) {
    return read_record<SettlementInstruction>(bytes, "instruction", [&](codec::Reader& r) -> Result<SettlementInstruction> {
        SettlementInstruction v;
        JC_ASSIGN_OR_RETURN(const RecordVersion version, read_version(r, "instruction"));
        JC_ASSIGN_OR_RETURN(v.instruction_id, r.str(2 * kIdLengthMax + 32));
        JC_ASSIGN_OR_RETURN(v.cycle_id, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(v.debtor, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(v.creditor, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(v.amount, read_i64(r, version));
        JC_ASSIGN_OR_RETURN(const std::uint32_t date, r.u32());
        v.settlement_date = static_cast<Date>(date);
        JC_ASSIGN_OR_RETURN(const std::uint8_t status, r.u8());
        if (status > static_cast<std::uint8_t>(InstructionStatus::kRolled)) {
            return Error(Errc::kCorruption, "instruction: unknown status");
        }
        v.status = static_cast<InstructionStatus>(status);
        for (auto& c : v.categories) {
            JC_ASSIGN_OR_RETURN(c, read_i64(r, version));
        }
        for (auto& c : v.counts) {
            JC_ASSIGN_OR_RETURN(c, read_u64(r, version));
        }
        JC_ASSIGN_OR_RETURN(v.obligations_digest, r.hash());
        JC_ASSIGN_OR_RETURN(v.created_height, read_u64(r, version));
        JC_ASSIGN_OR_RETURN(v.updated_height, read_u64(r, version));
        JC_ASSIGN_OR_RETURN(v.payer_ref, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(v.failure_reason, r.str(kReasonLengthMax));
        JC_ASSIGN_OR_RETURN(v.failed_by, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(v.carried_to_cycle, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(const std::uint8_t kind, r.u8());
        if (kind >= kInstructionKindCount) {
            return Error(Errc::kCorruption, "instruction: unknown kind");
        }
        v.kind = static_cast<InstructionKind>(kind);
        JC_ASSIGN_OR_RETURN(v.partnership_id, r.str(kIdLengthMax));
        JC_ASSIGN_OR_RETURN(v.event_id, r.str(2 * kIdLengthMax + 32));
        JC_TRY_STATUS(r.finish());
        if (v.amount <= 0) {
            return Error(Errc::kCorruption, "instruction: non-positive amount");
        }
        return v;
    });
}

namespace {

std::optional<Category> category_from_name(std::string_view s) {
    for (std::size_t i = 0; i < kCategoryCount; ++i) {
        const auto c = static_cast<Category>(i);
        if (name(c) == s) {
            return c;
        }
    }
    return std::nullopt;
}

// "YYYYMMDD-NN" of the cycle that opens after `current` in a block of business date `date`:
// the first cycle of a new business date is -01, later ones on the same date count up.
std::optional<std::string> next_cycle_id(std::string_view current, Date date) {
    std::string ymd = arith::format_date(date);
    std::erase(ymd, '-');
    if (current.size() != 11 || current[8] != '-') {
        return std::nullopt;
    }
    const std::string_view current_ymd = current.substr(0, 8);
    if (ymd > current_ymd) {
        return ymd + "-01";
    }
    // Same date (or, defensively, a block date behind the cycle's): the next sequence number.
    const int hi = current[9] - '0';
    const int lo = current[10] - '0';
    if (hi < 0 || hi > 9 || lo < 0 || lo > 9) {
        return std::nullopt;
    }
    const int next = hi * 10 + lo + 1;
    if (next > 99) {
        return std::nullopt;
    }
    std::string id(current_ymd);
    id += '-';
    id += static_cast<char>('0' + next / 10);
    id += static_cast<char>('0' + next % 10);
    return id;
}

Exec<SettlementInstruction> load_instruction(const ledger::StateReader& r, const std::string& id) {
    JC_EXEC_ASSIGN(auto raw, load(r.get(keys::instruction(id))));
    if (!raw) {
        return reject(Code::kInstructionNotFound, json::Value{{"instruction_id", id}});
    }
    return from_result(decode_instruction(*raw));
}

// One direction of one pair: per-category totals and counts.
struct PairFlow {
    std::array<I128, kCategoryCount> amount{};
    std::array<std::uint64_t, kCategoryCount> count{};
};

void put_instruction(Overlay& ov, const SettlementInstruction& si) { settle::put_instruction(ov, si); }

// FAILED -> ROLLED: the amount becomes a CARRY_FORWARD obligation (debtor -> creditor) of
// `into_cycle`; the instruction's own cycle may become SETTLED.
ExecStatus roll_into(Overlay& ov, SettlementInstruction& si, const std::string& into_cycle, std::uint64_t height) {
    Booking book;
    book.oblige(si.debtor, si.creditor, Category::kCarryForward, si.amount);
    JC_EXEC_TRY(book.apply(ov, into_cycle));
    si.status = InstructionStatus::kRolled;
    si.carried_to_cycle = into_cycle;
    si.updated_height = height;
    put_instruction(ov, si);
    JC_EXEC_TRY(settle::settle_cycle_if_done(ov, si.cycle_id));
    return exec_ok();
}

// The sender must be the instruction's debtor or creditor (2008).
std::optional<Failure> require_party(const TxEnv& t, const SettlementInstruction& si) {
    if (t.tx.sender() != si.debtor && t.tx.sender() != si.creditor) {
        return reject(Code::kNotParty, json::Value{{"instruction_id", si.instruction_id},
                                                   {"debtor", si.debtor},
                                                   {"creditor", si.creditor}});
    }
    return std::nullopt;
}

Failure wrong_state(const SettlementInstruction& si, const char* required) {
    return reject(Code::kInstructionState, json::Value{{"instruction_id", si.instruction_id},
                                                       {"status", std::string(name(si.status))},
                                                       {"required", required}});
}

}  // namespace

namespace settle {

void put_instruction(Overlay& ov, const SettlementInstruction& si) {
    ov.note_concern(si.debtor, Concern::Record::kInstruction, si.instruction_id);
    ov.note_concern(si.creditor, Concern::Record::kInstruction, si.instruction_id);
    ov.put(keys::instruction(si.instruction_id), encode(si, ov.record_version()));
    const bool unsettled = is_reserve(si.kind) ? si.status == InstructionStatus::kSent
                                               : si.status == InstructionStatus::kPending ||
                                                     si.status == InstructionStatus::kSent ||
                                                     si.status == InstructionStatus::kFailed;
    if (unsettled) {
        ov.put(keys::unsettled(si.instruction_id), si.cycle_id);
    } else {
        ov.erase(keys::unsettled(si.instruction_id));
    }
}

ExecStatus book_gross(Overlay& ov, const std::string& cycle_id, const std::string& partnership_id,
                      const std::vector<ObligationLine>& lines, const std::string& event_id, std::uint64_t height,
                      Date business_date) {
    if (lines.empty()) {
        return exec_ok();
    }
    // Orient by the first line's pair; the net decides the direction.
    const std::string a = lines.front().debtor;
    const std::string b = lines.front().creditor;
    PairFlow ab;
    PairFlow ba;
    std::string digest_lines;
    for (const auto& o : lines) {
        const bool forward = o.debtor == a && o.creditor == b;
        if (!forward && !(o.debtor == b && o.creditor == a)) {
            return Error(Errc::kInternal, "gross obligations of one partnership name more than one pair");
        }
        PairFlow& f = forward ? ab : ba;
        const auto idx = static_cast<std::size_t>(o.category);
        f.amount[idx] += static_cast<I128>(o.amount);
        f.count[idx] += 1;
        digest_lines += o.debtor + "/" + o.creditor + "/" + std::string(name(o.category)) + "=" +
                        std::to_string(o.amount) + ",1\n";
    }
    I128 net = 0;  // a owes b
    for (std::size_t i = 0; i < kCategoryCount; ++i) {
        net += ab.amount[i] - ba.amount[i];
    }
    if (net == 0) {
        return exec_ok();
    }
    const bool a_pays = net > 0;
    const I128 amount = a_pays ? net : -net;
    if (amount > static_cast<I128>(arith::kMaxAmount)) {
        return overflow("instruction amount");
    }
    JC_EXEC_ASSIGN(auto cycle, load(store::load<Cycle>(ov, keys::cycle(cycle_id), decode_cycle)));
    if (!cycle || cycle->status != CycleStatus::kOpen) {
        return Error(Errc::kCorruption, "gross instruction for cycle " + cycle_id + ", which is not open");
    }
    if (cycle->gross_seq >= 999999) {
        return overflow("gross instruction sequence");
    }
    cycle->gross_seq += 1;
    ov.put(keys::cycle(cycle_id), encode(*cycle, ov.record_version()));
    SettlementInstruction si;
    si.kind = InstructionKind::kGross;
    si.cycle_id = cycle_id;
    si.debtor = a_pays ? a : b;
    si.creditor = a_pays ? b : a;
    const std::string seq = std::to_string(1000000 + cycle->gross_seq).substr(1);
    si.instruction_id = instruction_id(cycle_id, si.debtor, si.creditor) + "-G" + seq;
    si.amount = static_cast<std::int64_t>(amount);
    si.settlement_date = business_date;
    si.status = InstructionStatus::kPending;
    const PairFlow& out = a_pays ? ab : ba;
    const PairFlow& in = a_pays ? ba : ab;
    for (std::size_t i = 0; i < kCategoryCount; ++i) {
        si.categories[i] = static_cast<std::int64_t>(out.amount[i] - in.amount[i]);
        si.counts[i] = out.count[i] + in.count[i];
    }
    si.obligations_digest = sha256(digest_lines);
    si.created_height = height;
    si.updated_height = height;
    si.partnership_id = partnership_id;
    si.event_id = event_id;
    put_instruction(ov, si);
    return exec_ok();
}

json::Value render_instruction(const SettlementInstruction& si, const Member* debtor, const Member* creditor) {
    json::Value categories = json::Value::object();
    json::Value counts = json::Value::object();
    for (std::size_t i = 0; i < kCategoryCount; ++i) {
        if (si.counts[i] == 0) {
            continue;
        }
        const auto c = static_cast<Category>(i);
        categories[std::string(name(c))] = std::to_string(si.categories[i]);
        counts[std::string(name(c))] = si.counts[i];
    }
    json::Value v{{"instruction_id", si.instruction_id},
                  {"end_to_end_id", si.instruction_id},
                  {"cycle_id", si.cycle_id},
                  {"debtor", si.debtor},
                  {"creditor", si.creditor},
                  {"amount", std::to_string(si.amount)},
                  {"currency", "CNY"},
                  {"settlement_date", arith::format_date(si.settlement_date)},
                  {"status", std::string(name(si.status))},
                  {"kind", std::string(name(si.kind))},
                  {"categories", std::move(categories)},
                  {"counts", std::move(counts)},
                  {"obligations_digest", si.obligations_digest.hex()}};
    if (debtor != nullptr) {
        v["debtor_cnaps"] = debtor->cnaps_code;
    }
    if (creditor != nullptr) {
        v["creditor_cnaps"] = creditor->cnaps_code;
    }
    if (!si.payer_ref.empty()) {
        v["payer_ref"] = si.payer_ref;
    }
    if (!si.failure_reason.empty()) {
        v["failure_reason"] = si.failure_reason;
        v["failed_by"] = si.failed_by;
    }
    if (!si.carried_to_cycle.empty()) {
        v["carried_to_cycle"] = si.carried_to_cycle;
    }
    if (!si.partnership_id.empty()) {
        v["partnership_id"] = si.partnership_id;
    }
    if (!si.event_id.empty()) {
        v["event_id"] = si.event_id;
    }
    return v;
}

Exec<json::Value> render_with_members(const ledger::StateReader& r, const SettlementInstruction& si) {
    JC_EXEC_ASSIGN(auto d, load(store::member(r, si.debtor)));
    JC_EXEC_ASSIGN(auto c, load(store::member(r, si.creditor)));
    return render_instruction(si, d ? &*d : nullptr, c ? &*c : nullptr);
}

Exec<CycleStatus> settle_cycle_if_done(Overlay& ov, const std::string& cycle_id) {
    bool all_done = true;
    std::optional<Error> bad;
    auto scanned = ov.scan(keys::instruction_prefix(cycle_id), [&](std::string_view, std::string_view v) {
        auto other = decode_instruction(v);
        if (!other) {
            bad = other.error();
            return false;
        }
        if (other->status != InstructionStatus::kSettled && other->status != InstructionStatus::kRolled) {
            all_done = false;
            return false;
        }
        return true;
    });
    if (!scanned) {
        return scanned.error();
    }
    if (bad) {
        return *bad;
    }
    JC_EXEC_ASSIGN(auto cycle, load(store::load<Cycle>(ov, keys::cycle(cycle_id), decode_cycle)));
    if (!cycle) {
        return Error(Errc::kCorruption, "instructions of cycle " + cycle_id + " but no cycle record");
    }
    if (cycle->status == CycleStatus::kOpen) {
        return cycle->status;  // a GROSS instruction settled before its cycle closed
    }
    if (all_done && cycle->status == CycleStatus::kClosed) {
        cycle->status = CycleStatus::kSettled;
        ov.put(keys::cycle(cycle_id), encode(*cycle, ov.record_version()));
    }
    return cycle->status;
}

Exec<json::Value> close_open_cycle(Overlay& ov, const BlockContext& block, const Params& params, Cycle cycle,
                                   CloseTrigger trigger) {
    const auto next_id = next_cycle_id(cycle.cycle_id, static_cast<Date>(block.business_date));
    if (!next_id) {
        return overflow("cycle sequence number");
    }

    // Roll-forward (ADR 0052): every FAILED instruction is carried into the closing cycle, so its
    // amount is netted with this cycle's obligations.
    std::vector<std::string> failed;
    {
        std::vector<std::string> unsettled;
        JC_EXEC_TRY(from_status(ov.scan(keys::kUnsettledPrefix, [&](std::string_view key, std::string_view) {
            unsettled.emplace_back(key.substr(keys::kUnsettledPrefix.size()));
            return true;
        })));
        for (const auto& id : unsettled) {
            JC_EXEC_ASSIGN(SettlementInstruction si, load_instruction(ov, id));
            if (si.status == InstructionStatus::kFailed && !is_reserve(si.kind)) {
                JC_EXEC_TRY(roll_into(ov, si, cycle.cycle_id, block.height));
                failed.push_back(id);
            }
        }
    }

    // Gather the cycle's obligation aggregates: ob/<cycle>/<debtor>/<creditor>/<CATEGORY>.
    std::map<std::pair<std::string, std::string>, PairFlow> flows;
    std::map<std::pair<std::string, std::string>, std::string> digest_lines;  // by unordered pair
    struct ObligationLineText {
        std::string debtor;
        std::string creditor;
        std::string text;
    };
    std::vector<ObligationLineText> obligation_lines;  // in key order
    const std::string prefix = keys::obligation_prefix(cycle.cycle_id);
    std::optional<Error> bad;
    auto scanned = ov.scan(prefix, [&](std::string_view key, std::string_view value) {
        const std::string_view rest = key.substr(prefix.size());
        const auto s1 = rest.find('/');
        const auto s2 = s1 == std::string_view::npos ? s1 : rest.find('/', s1 + 1);
        auto agg = decode_obligation(value);
        const auto cat = s2 == std::string_view::npos ? std::nullopt : category_from_name(rest.substr(s2 + 1));
        if (!agg || !cat) {
            bad = Error(Errc::kCorruption, "bad obligation record " + std::string(key));
            return false;
        }
        std::string debtor(rest.substr(0, s1));
        std::string creditor(rest.substr(s1 + 1, s2 - s1 - 1));
        auto& flow = flows[{debtor, creditor}];
        const auto idx = static_cast<std::size_t>(*cat);
        flow.amount[idx] += static_cast<I128>(agg->amount);
        flow.count[idx] += agg->count;
        auto unordered = debtor < creditor ? std::make_pair(debtor, creditor) : std::make_pair(creditor, debtor);
        std::string line = std::string(key) + "=" + arith::to_string_u128(agg->amount) + "," +
                           std::to_string(agg->count) + "\n";
        digest_lines[unordered] += line;
        obligation_lines.push_back(ObligationLineText{std::move(debtor), std::move(creditor), std::move(line)});
        return true;
    });
    if (!scanned) {
        return scanned.error();
    }
    if (bad) {
        return *bad;
    }
    // The close concerns every bank with an obligation in the cycle, also one whose net is zero
    // and gets no instruction (its report still changes; multilateral novation posts to it).
    for (const auto& [pair, flow] : flows) {
        ov.note_concern(pair.first, Concern::Record::kCycle, cycle.cycle_id);
        ov.note_concern(pair.second, Concern::Record::kCycle, cycle.cycle_id);
    }
    if (cycle.netting != NettingMode::kBilateral && !flows.empty()) {
        ov.note_concern(cycle.settlement_agent, Concern::Record::kCycle, cycle.cycle_id);
    }

    // Settlement date (ADR 0051): an automatic close settles as of its scheduled cutoff when it
    // runs on the cutoff's date; any other close as of the block time.
    const std::int64_t reference_ms =
        trigger == CloseTrigger::kCutoff && cycle.cutoff_ms != 0 &&
                arith::business_date_from_ms(cycle.cutoff_ms) == block.business_date
            ? cycle.cutoff_ms
            : block.timestamp_ms;
    const Date settlement_date = calendar::settlement_date(params, reference_ms);

    json::Value instructions = json::Value::array();
    I128 funds_moved = 0;  // what the net debtors pay: the liquidity the close needs
    auto emit = [&](SettlementInstruction si) -> ExecStatus {
        si.cycle_id = cycle.cycle_id;
        si.instruction_id = instruction_id(cycle.cycle_id, si.debtor, si.creditor);
        si.settlement_date = settlement_date;
        si.status = InstructionStatus::kPending;
        si.created_height = block.height;
        si.updated_height = block.height;
        put_instruction(ov, si);
        JC_EXEC_ASSIGN(json::Value rendered, render_with_members(ov, si));
        instructions.push_back(std::move(rendered));
        return exec_ok();
    };
    if (cycle.netting == NettingMode::kBilateral) {
        for (const auto& [pair, lines] : digest_lines) {
            const auto& [a, b] = pair;  // a < b
            const PairFlow none;
            const auto ab_it = flows.find({a, b});
            const auto ba_it = flows.find({b, a});
            const PairFlow& ab = ab_it == flows.end() ? none : ab_it->second;
            const PairFlow& ba = ba_it == flows.end() ? none : ba_it->second;
            I128 net = 0;  // a owes b
            for (std::size_t i = 0; i < kCategoryCount; ++i) {
                net += ab.amount[i] - ba.amount[i];
            }
            if (net == 0) {
                continue;
            }
            const bool a_pays = net > 0;
            const I128 amount = a_pays ? net : -net;
            if (amount > static_cast<I128>(arith::kMaxAmount)) {
                return overflow("instruction amount");
            }
            SettlementInstruction si;
            si.kind = InstructionKind::kBilateral;
            si.debtor = a_pays ? a : b;
            si.creditor = a_pays ? b : a;
            si.amount = static_cast<std::int64_t>(amount);
            const PairFlow& out = a_pays ? ab : ba;  // debtor -> creditor
            const PairFlow& in = a_pays ? ba : ab;
            for (std::size_t i = 0; i < kCategoryCount; ++i) {
                // Each side is bounded by the pair total, itself bounded above: fits in i64.
                si.categories[i] = static_cast<std::int64_t>(out.amount[i] - in.amount[i]);
                si.counts[i] = out.count[i] + in.count[i];
            }
            si.obligations_digest = sha256(lines);
            funds_moved += amount;
            JC_EXEC_TRY(emit(std::move(si)));
        }
    } else {
        // Multilateral (ADR 0055): every pair's net not involving the agent is novated to the
        // agent (debtor owes the agent, the agent owes the creditor; B.2-style intra-bank
        // postings at all three banks, so T1/T2 hold), then each bank other than the agent
        // settles its multilateral net with the agent in one instruction.
        const std::string& agent = cycle.settlement_agent;
        Booking novation;
        for (const auto& [pair, lines] : digest_lines) {
            const auto& [a, b] = pair;
            if (a == agent || b == agent) {
                continue;
            }
            const PairFlow none;
            const auto ab_it = flows.find({a, b});
            const auto ba_it = flows.find({b, a});
            I128 net = 0;  // a owes b
            for (std::size_t i = 0; i < kCategoryCount; ++i) {
                net += (ab_it == flows.end() ? none : ab_it->second).amount[i] -
                       (ba_it == flows.end() ? none : ba_it->second).amount[i];
            }
            if (net == 0) {
                continue;
            }
            const std::string& d = net > 0 ? a : b;
            const std::string& k = net > 0 ? b : a;
            const I128 amount = net > 0 ? net : -net;
            if (amount > static_cast<I128>(arith::kMaxAmount)) {
                return overflow("novated amount");
            }
            const auto n = static_cast<std::int64_t>(amount);
            novation.post(d, AccountCode::kInterbank, k, AccountCode::kInterbank, agent, n);
            novation.post(k, AccountCode::kInterbank, agent, AccountCode::kInterbank, d, n);
            novation.post(agent, AccountCode::kInterbank, d, AccountCode::kInterbank, k, n);
        }
        JC_EXEC_TRY(novation.apply(ov, cycle.cycle_id));

        struct BankFlow {
            PairFlow owes;    // the bank as debtor
            PairFlow owed;    // the bank as creditor
            std::string lines;
        };
        std::map<std::string, BankFlow> banks;
        for (const auto& [pair, flow] : flows) {
            auto& d = banks[pair.first];
            auto& k = banks[pair.second];
            for (std::size_t i = 0; i < kCategoryCount; ++i) {
                d.owes.amount[i] += flow.amount[i];
                d.owes.count[i] += flow.count[i];
                k.owed.amount[i] += flow.amount[i];
                k.owed.count[i] += flow.count[i];
            }
        }
        for (const auto& line : obligation_lines) {
            banks[line.debtor].lines += line.text;
            banks[line.creditor].lines += line.text;
        }
        for (const auto& [bank, bf] : banks) {
            if (bank == agent) {
                continue;
            }
            I128 net = 0;  // what the bank is owed
            for (std::size_t i = 0; i < kCategoryCount; ++i) {
                net += bf.owed.amount[i] - bf.owes.amount[i];
            }
            if (net == 0) {
                continue;
            }
            const I128 amount = net > 0 ? net : -net;
            if (amount > static_cast<I128>(arith::kMaxAmount)) {
                return overflow("instruction amount");
            }
            SettlementInstruction si;
            si.kind = InstructionKind::kMultilateral;
            si.debtor = net > 0 ? agent : bank;
            si.creditor = net > 0 ? bank : agent;
            si.amount = static_cast<std::int64_t>(amount);
            for (std::size_t i = 0; i < kCategoryCount; ++i) {
                const I128 owed_net = bf.owed.amount[i] - bf.owes.amount[i];
                // A bank's category totals span all its counterparties: check they fit.
                if (owed_net > std::numeric_limits<std::int64_t>::max() ||
                    owed_net < -std::numeric_limits<std::int64_t>::max()) {
                    return overflow("instruction category net");
                }
                si.categories[i] = static_cast<std::int64_t>(net > 0 ? owed_net : -owed_net);
                si.counts[i] = bf.owed.count[i] + bf.owes.count[i];
            }
            si.obligations_digest = sha256(bf.lines);
            if (net < 0) {
                funds_moved += amount;
            }
            JC_EXEC_TRY(emit(std::move(si)));
        }
        // The agent's own net, when it takes part, is the negative of the others' sum: its
        // share of the pay-ins (or pay-outs) needs no instruction with itself.
        const auto own = banks.find(agent);
        if (own != banks.end()) {
            I128 net = 0;
            for (std::size_t i = 0; i < kCategoryCount; ++i) {
                net += own->second.owed.amount[i] - own->second.owes.amount[i];
            }
            if (net < 0) {
                funds_moved += -net;
            }
        }
    }

    // CLOSED, then SETTLED at once if nothing of it is outstanding: no netted instruction and
    // every GROSS one already settled or rolled (ADR 0056).
    cycle.status = CycleStatus::kClosed;
    cycle.closed_at_height = block.height;
    cycle.close_trigger = trigger;
    cycle.settlement_date = settlement_date;
    ov.put(keys::cycle(cycle.cycle_id), encode(cycle, ov.record_version()));
    JC_EXEC_ASSIGN(cycle.status, settle::settle_cycle_if_done(ov, cycle.cycle_id));
    Cycle next;
    next.cycle_id = *next_id;
    next.status = CycleStatus::kOpen;
    next.opened_at_height = block.height;
    next.cutoff_ms = calendar::next_cutoff_after(params, block.timestamp_ms);
    // The netting parameters in force now (a set_params executed in an earlier block) govern the
    // cycle that opens now, for its whole life.
    next.netting = params.netting;
    next.settlement_agent = params.settlement_agent;
    ov.put(keys::cycle(next.cycle_id), encode(next, ov.record_version()));
    ov.put(keys::current_cycle(), encode_current_cycle(next.cycle_id, ov.record_version()));
    json::Value rolled = json::Value::array();
    for (const auto& id : failed) {
        rolled.push_back(id);
    }
    return json::Value{{"closed_cycle_id", cycle.cycle_id},
                       {"closed_cycle_status", std::string(name(cycle.status))},
                       {"netting_mode", std::string(name(cycle.netting))},
                       {"settlement_agent", cycle.settlement_agent.empty() ? json::Value(nullptr)
                                                                           : json::Value(cycle.settlement_agent)},
                       {"funds_moved", arith::to_string_i128(funds_moved)},
                       {"close_trigger", std::string(name(trigger))},
                       {"settlement_date", arith::format_date(settlement_date)},
                       {"next_cycle_id", next.cycle_id},
                       {"rolled_instructions", std::move(rolled)},
                       {"instructions", std::move(instructions)}};
}

Status prologue(Overlay& ov, const BlockContext& block, const Params& params) {
    auto cycle = store::current_cycle(ov);
    if (!cycle) {
        return cycle.error();
    }
    CloseTrigger trigger = CloseTrigger::kNone;
    if (cycle->cutoff_ms != 0 && block.timestamp_ms >= cycle->cutoff_ms) {
        trigger = CloseTrigger::kCutoff;
    } else if (cycle->early_close_requested) {
        trigger = CloseTrigger::kEarly;
    }
    if (trigger == CloseTrigger::kNone) {
        return {};
    }
    const Overlay::Savepoint sp = ov.savepoint();
    auto closed = close_open_cycle(ov, block, params, std::move(cycle).value(), trigger);
    if (closed.failed()) {
        return closed.error();
    }
    if (closed.rejected()) {
        // Deterministically left open (e.g. the 100th cycle of a date); an explicit close or the
        // next date's first block closes it.
        ov.rollback(sp);
    }
    ov.release_undo();
    return {};
}

}  // namespace settle

Exec<TxEffect> apply_settlement_close_cycle(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"expected_cycle_id"});
    const auto expected = f.string(body, "expected_cycle_id", "", true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(Cycle cycle, load(store::current_cycle(t.ov)));
    if (*expected != cycle.cycle_id) {
        // Two members racing to close the same cycle, or the block prologue closed it at its
        // cutoff: the later close sees the new id and closes nothing (7001).
        return reject(Code::kCycleMismatch,
                      json::Value{{"expected_cycle_id", *expected}, {"current_cycle_id", cycle.cycle_id}});
    }
    JC_EXEC_ASSIGN(json::Value result,
                   settle::close_open_cycle(t.ov, t.env.block, t.env.params, std::move(cycle), CloseTrigger::kExplicit));
    return TxEffect{std::move(result), "", 0};
}

Exec<TxEffect> apply_settlement_confirm_sent(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"instruction_id", "amount", "payer_ref"});
    const auto id = f.string(body, "instruction_id", "", true);
    const auto payer_ref = f.id(body, "payer_ref", "", kIdLengthMax, false);
    const auto amount = f.amount(body, "amount", "", true, true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(SettlementInstruction si, load_instruction(t.ov, *id));
    if (t.tx.sender() != si.debtor) {
        return reject(Code::kNotDebtor, json::Value{{"instruction_id", si.instruction_id}, {"debtor", si.debtor}});
    }
    if (si.status != InstructionStatus::kPending) {
        return wrong_state(si, "PENDING");
    }
    if (*amount != si.amount) {
        return reject(Code::kSettlementAmountMismatch, json::Value{{"instruction_id", si.instruction_id},
                                                                   {"amount", std::to_string(*amount)},
                                                                   {"expected", std::to_string(si.amount)}});
    }
    si.status = InstructionStatus::kSent;
    si.payer_ref = payer_ref.value_or("");
    si.updated_height = t.env.block.height;
    put_instruction(t.ov, si);
    JC_EXEC_ASSIGN(json::Value rendered, settle::render_with_members(t.ov, si));
    return TxEffect{json::Value{{"instruction", std::move(rendered)}}, "", 0};
}

Exec<TxEffect> apply_settlement_confirm_received(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"instruction_id", "amount"});
    const auto id = f.string(body, "instruction_id", "", true);
    const auto amount = f.amount(body, "amount", "", true, true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(SettlementInstruction si, load_instruction(t.ov, *id));
    if (t.tx.sender() != si.creditor) {
        return reject(Code::kNotCreditor,
                      json::Value{{"instruction_id", si.instruction_id}, {"creditor", si.creditor}});
    }
    if (si.status != InstructionStatus::kSent) {
        return wrong_state(si, "SENT");
    }
    if (*amount != si.amount) {
        return reject(Code::kSettlementAmountMismatch, json::Value{{"instruction_id", si.instruction_id},
                                                                   {"amount", std::to_string(*amount)},
                                                                   {"expected", std::to_string(si.amount)}});
    }
    // DOMAIN.md B.2 "Settlement confirmed": the cash move unwinds both INTERBANK mirrors.
    Booking book;
    book.post(si.debtor, AccountCode::kInterbank, si.creditor, AccountCode::kSettlementCash, "", si.amount);
    book.post(si.creditor, AccountCode::kSettlementCash, "", AccountCode::kInterbank, si.debtor, si.amount);
    JC_EXEC_TRY(book.apply(t.ov, si.cycle_id));
    si.status = InstructionStatus::kSettled;
    si.updated_height = t.env.block.height;
    put_instruction(t.ov, si);
    JC_EXEC_ASSIGN(json::Value rendered, settle::render_with_members(t.ov, si));
    if (is_reserve(si.kind)) {
        // A reserve move belongs to no cycle's settlement (ADR 0057): it moves the reserve.
        JC_EXEC_TRY(settle::reserve_received(t.ov, si));
        return TxEffect{json::Value{{"instruction", std::move(rendered)}}, "", 0};
    }
    // The cycle is SETTLED once every instruction is SETTLED or ROLLED (B.4).
    JC_EXEC_ASSIGN(const CycleStatus cycle_status, settle::settle_cycle_if_done(t.ov, si.cycle_id));
    return TxEffect{json::Value{{"instruction", std::move(rendered)}, {"cycle_status", std::string(name(cycle_status))}},
                    "", 0};
}

Exec<TxEffect> apply_settlement_report_failure(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"instruction_id", "reason"});
    const auto id = f.string(body, "instruction_id", "", true);
    const auto reason = f.string(body, "reason", "", true);
    if (reason && (reason->empty() || reason->size() > kReasonLengthMax)) {
        f.error(Code::kBadEnvelope, "reason", "must be 1 to " + std::to_string(kReasonLengthMax) + " characters");
    }
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(SettlementInstruction si, load_instruction(t.ov, *id));
    if (auto r = require_party(t, si)) {
        return std::move(*r);
    }
    if (si.status != InstructionStatus::kPending && si.status != InstructionStatus::kSent) {
        return wrong_state(si, "PENDING or SENT");
    }
    si.status = InstructionStatus::kFailed;
    si.failure_reason = *reason;
    si.failed_by = t.tx.sender();
    si.updated_height = t.env.block.height;
    put_instruction(t.ov, si);
    if (is_reserve(si.kind)) {
        // No debt stands behind a reserve move: FAILED is final, the pending amount is released.
        JC_EXEC_TRY(settle::reserve_failed(t.ov, si));
    }
    JC_EXEC_ASSIGN(json::Value rendered, settle::render_with_members(t.ov, si));
    return TxEffect{json::Value{{"instruction", std::move(rendered)}}, "", 0};
}

Exec<TxEffect> apply_settlement_roll(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"instruction_id"});
    const auto id = f.string(body, "instruction_id", "", true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(SettlementInstruction si, load_instruction(t.ov, *id));
    if (auto r = require_party(t, si)) {
        return std::move(*r);
    }
    if (si.status != InstructionStatus::kFailed || is_reserve(si.kind)) {
        return wrong_state(si, is_reserve(si.kind) ? "a FAILED netted or GROSS instruction (reserve moves do not roll)"
                                                   : "FAILED");
    }
    JC_EXEC_ASSIGN(const Cycle open, load(store::current_cycle(t.ov)));
    JC_EXEC_TRY(roll_into(t.ov, si, open.cycle_id, t.env.block.height));
    JC_EXEC_ASSIGN(auto own, load(store::load<Cycle>(t.ov, keys::cycle(si.cycle_id), decode_cycle)));
    JC_EXEC_ASSIGN(json::Value rendered, settle::render_with_members(t.ov, si));
    return TxEffect{json::Value{{"instruction", std::move(rendered)},
                                {"carried_to_cycle", open.cycle_id},
                                {"cycle_status", std::string(name(own ? own->status : CycleStatus::kClosed))}},
                    "", 0};
}

}  // namespace jc::contracts
