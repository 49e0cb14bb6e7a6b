// Settlement instructions (DOMAIN.md B.4, B.8): the pacs.009-shaped record produced by closing a
// cycle with bilateral deferred net settlement, its key and its canonical binary encoding
// (same conventions as records.h: schema byte, fields in order, strict decode).
//
// One instruction per ordered pair (net debtor -> net creditor) with a non-zero net over the
// closed cycle's obligations. `categories` are the per-category nets in the instruction's
// direction (an obligation from the creditor to the debtor counts negative), so they sum to
// `amount`; `counts` are the numbers of obligations per category in either direction
// (docs/decisions/0050-settlement-instructions.md). Failure, roll-forward and the unsettled
// index: docs/decisions/0052-instruction-failure-and-roll-forward.md.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <jc/contracts/records.h>
#include <jc/contracts/types.h>
#include <jc/core/bytes.h>
#include <jc/core/error.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace jc::contracts {

enum class InstructionStatus : std::uint8_t { kPending = 0, kSent = 1, kSettled = 2, kFailed = 3, kRolled = 4 };
std::string_view name(InstructionStatus v);

// What produced an instruction: the bilateral net of a pair at a close (ADR 0050), a bank's
// multilateral net with the settlement agent at a close (ADR 0055), one event of a GROSS
// partnership (ADR 0056), or a reserve top-up / withdrawal (ADR 0057).
enum class InstructionKind : std::uint8_t {
    kBilateral = 0,
    kMultilateral = 1,
    kGross = 2,
    kReserveTopup = 3,
    kReserveWithdrawal = 4,
};
inline constexpr std::uint8_t kInstructionKindCount = 5;
std::string_view name(InstructionKind v);

inline constexpr std::size_t kCategoryCount = 9;
inline constexpr std::size_t kReasonLengthMax = 256;  // report_failure's reason  // Category::kFunding .. Category::kCorrection

struct SettlementInstruction {
    std::string instruction_id;  // "SI-<cycle_id>-<debtor>-<creditor>"; also end_to_end_id
    std::string cycle_id;
    std::string debtor;
    std::string creditor;
    std::int64_t amount = 0;     // > 0, fen
    Date settlement_date = 0;
    InstructionStatus status = InstructionStatus::kPending;
    std::array<std::int64_t, kCategoryCount> categories{};  // indexed by Category
    std::array<std::uint64_t, kCategoryCount> counts{};
    Hash obligations_digest;
    std::uint64_t created_height = 0;
    std::uint64_t updated_height = 0;
    // Lifecycle details (ADR 0052): the debtor's HVPS reference from confirm_sent, the reason and
    // reporting bank of report_failure, and the cycle a ROLLED amount was carried into.
    std::string payer_ref;
    std::string failure_reason;
    std::string failed_by;
    std::string carried_to_cycle;
    InstructionKind kind = InstructionKind::kBilateral;
    // GROSS and reserve instructions: the partnership; GROSS: the loan event ("<tx>:<item>").
    std::string partnership_id;
    std::string event_id;
    friend bool operator==(const SettlementInstruction&, const SettlementInstruction&) = default;
};

// The prefunded reserve of one PREFUNDED_RESERVE partnership (DOMAIN.md B.2 / B.8, ADR 0057):
// what its top-ups and withdrawals have moved so far. `balance` = received top-ups − received
// withdrawals, the part of pos(S,i) that is neither an open-cycle obligation nor an unsettled
// instruction (B5 counts it); `pending_*` are SENT, not yet received; `seq` numbers the
// partnership's reserve instructions RV-<partnership_id>-<seq:06>.
struct ReserveAccount {
    std::string partnership_id;
    std::string servicer;
    std::string partner;
    std::int64_t balance = 0;               // servicer owes partner; >= 0
    std::int64_t pending_topups = 0;        // >= 0
    std::int64_t pending_withdrawals = 0;   // >= 0
    std::uint32_t seq = 0;
    friend bool operator==(const ReserveAccount&, const ReserveAccount&) = default;
};

std::string encode(const ReserveAccount& v, RecordVersion version);
Result<ReserveAccount> decode_reserve(std::string_view bytes);

inline bool is_reserve(InstructionKind k) {
    return k == InstructionKind::kReserveTopup || k == InstructionKind::kReserveWithdrawal;
}

namespace keys {
// "rv/<servicer>/<partner>/<partnership_id>" -> ReserveAccount; "rv/<S>/<i>/" lists a pair's.
std::string reserve(std::string_view servicer, std::string_view partner, std::string_view partnership_id);
std::string reserve_pair_prefix(std::string_view servicer, std::string_view partner);
inline constexpr std::string_view kReservePrefix = "rv/";
// "pr/<bank>/<payer_ref>" -> instruction id: a bank's reserve payment reference is used once
// (the B.7 natural key of reserve.topup / reserve.withdraw; 3003 on reuse).
std::string payer_ref(std::string_view bank, std::string_view payer_ref);
std::string instruction(std::string_view instruction_id);
// Every instruction of one cycle: instruction ids start with "SI-<cycle_id>-" and cycle ids
// have the fixed shape YYYYMMDD-NN, so this prefix selects exactly that cycle.
std::string instruction_prefix(std::string_view cycle_id);
inline constexpr std::string_view kInstructionPrefix = "si/";
// Index of the instructions not yet SETTLED or ROLLED (PENDING, SENT, FAILED):
// "su/<instruction_id>" -> the instruction's cycle id. Kept small (a few per pair) so the close
// (auto-roll of FAILED), the B5 check and positions read it instead of every instruction ever.
std::string unsettled(std::string_view instruction_id);
inline constexpr std::string_view kUnsettledPrefix = "su/";
}  // namespace keys

std::string instruction_id(std::string_view cycle_id, std::string_view debtor, std::string_view creditor);

std::string encode(const SettlementInstruction& v, RecordVersion version);
Result<SettlementInstruction> decode_instruction(std::string_view bytes);

}  // namespace jc::contracts
