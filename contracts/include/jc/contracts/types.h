// The domain enumerations of DOMAIN.md B (roles, statuses, modes) with their stable wire names.
//
// Each enum has a name() giving the exact JSON string and a parse_*() that accepts only that
// string. The numeric values are the binary state encoding: never renumber.
// Thread-safety: constants and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace jc::contracts {

enum class Role : std::uint8_t { kServicer = 0, kFunder = 1, kOperator = 2, kRegulator = 3 };
inline constexpr std::uint8_t kRoleCount = 4;
constexpr std::uint8_t role_bit(Role r) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(r)); }

enum class MemberStatus : std::uint8_t { kActive = 0, kSuspended = 1 };

enum class FundingMode : std::uint8_t { kPrefundedReserve = 0, kFronted = 1, kDirect = 2 };

enum class FeeBase : std::uint8_t { kInterest = 0, kInterestAndPenalty = 1 };

// How a cycle's obligations become instructions at its close (DOMAIN.md B.8, ADR 0055):
// bilateral per pair (default) or multilateral through a designated settlement agent.
enum class NettingMode : std::uint8_t { kBilateral = 0, kMultilateral = 1 };

// Per partnership (DOMAIN.md B.8 "gross mode", ADR 0056): NET obligations wait for the cycle
// close; GROSS ones become an instruction of their own at once (RTGS-like).
enum class SettlementMode : std::uint8_t { kNet = 0, kGross = 1 };

enum class PartnershipStatus : std::uint8_t { kProposed = 0, kActive = 1, kRejected = 2, kSuspended = 3 };

enum class LoanStatus : std::uint8_t {
    kPending = 0,
    kActive = 1,
    kPaidOff = 2,
    kWrittenOff = 3,
    kClosed = 4,
    kCancelled = 5,
};

enum class PenaltyMode : std::uint8_t { kReplace = 0, kAdd = 1 };

enum class ScheduleType : std::uint8_t { kEqualPrincipal = 0, kBullet = 1, kCustom = 2 };
inline constexpr std::uint8_t kScheduleTypeCount = 3;
constexpr std::uint8_t schedule_bit(ScheduleType t) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(t));
}
inline constexpr std::uint8_t kAllScheduleTypes = 0b111;

enum class InterestMethod : std::uint8_t { kActualDays = 0 };

enum class PrepayMode : std::uint8_t { kShorten = 0 };

enum class RepayIntent : std::uint8_t { kAuto = 0, kPayoff = 1 };

enum class EventType : std::uint8_t { kOriginate = 0, kRepay = 1, kWriteOff = 2, kRecover = 3, kCorrect = 4 };
inline constexpr std::uint8_t kEventTypeCount = 5;

// Obligation categories (DOMAIN.md B.1 CycleObligation).
enum class Category : std::uint8_t {
    kFunding = 0,
    kPrincipal = 1,
    kInterest = 2,
    kPenalty = 3,
    kServiceFee = 4,
    kRecovery = 5,
    kReserveTopup = 6,
    kCarryForward = 7,
    kCorrection = 8,
};

enum class CycleStatus : std::uint8_t { kOpen = 0, kClosed = 1, kSettled = 2 };

// The chart of accounts (DOMAIN.md B.2). The numeric value is the account code.
enum class AccountCode : std::uint16_t {
    kSettlementCash = 1100,
    kBorrowerClearing = 1200,
    kLoanPrincipal = 1300,
    kInterbank = 1400,
    kInterestIncome = 4100,
    kPenaltyIncome = 4110,
    kServiceFeeIncome = 4200,
    kRecoveryIncome = 4300,
    kCreditLossExpense = 5100,
    kServiceFeeExpense = 5200,
};

std::string_view name(Role v);
std::string_view name(MemberStatus v);
std::string_view name(FundingMode v);
std::string_view name(FeeBase v);
std::string_view name(NettingMode v);
std::string_view name(SettlementMode v);
std::string_view name(PartnershipStatus v);
std::string_view name(LoanStatus v);
std::string_view name(PenaltyMode v);
std::string_view name(ScheduleType v);
std::string_view name(InterestMethod v);
std::string_view name(PrepayMode v);
std::string_view name(RepayIntent v);
std::string_view name(EventType v);
std::string_view name(Category v);
std::string_view name(CycleStatus v);
std::string_view name(AccountCode v);

std::optional<Role> parse_role(std::string_view s);
std::optional<MemberStatus> parse_member_status(std::string_view s);
std::optional<FundingMode> parse_funding_mode(std::string_view s);
std::optional<FeeBase> parse_fee_base(std::string_view s);
std::optional<NettingMode> parse_netting_mode(std::string_view s);
std::optional<SettlementMode> parse_settlement_mode(std::string_view s);
std::optional<PenaltyMode> parse_penalty_mode(std::string_view s);
std::optional<ScheduleType> parse_schedule_type(std::string_view s);
std::optional<InterestMethod> parse_interest_method(std::string_view s);
std::optional<PrepayMode> parse_prepay_mode(std::string_view s);
std::optional<RepayIntent> parse_repay_intent(std::string_view s);
std::optional<AccountCode> parse_account_code(std::uint16_t code);

// A debit-normal account's balance is debits - credits; a credit-normal one's credits - debits.
// INTERBANK is signed: debit balance = the counterparty owes this bank.
bool is_debit_normal(AccountCode code);

}  // namespace jc::contracts
