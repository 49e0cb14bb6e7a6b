#include <jc/contracts/error_codes.h>
#include <jc/contracts/types.h>

#include <array>
#include <utility>

namespace jc::contracts {
namespace {

template <typename E, std::size_t N>
std::optional<E> parse_by_name(std::string_view s, const std::array<E, N>& values) {
    for (const E v : values) {
        if (name(v) == s) {
            return v;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string_view name(Role v) {
    switch (v) {
        case Role::kServicer: return "SERVICER";
        case Role::kFunder: return "FUNDER";
        case Role::kOperator: return "OPERATOR";
        case Role::kRegulator: return "REGULATOR";
    }
    return "?";
}

std::string_view name(MemberStatus v) {
    switch (v) {
        case MemberStatus::kActive: return "ACTIVE";
        case MemberStatus::kSuspended: return "SUSPENDED";
    }
    return "?";
}

std::string_view name(FundingMode v) {
    switch (v) {
        case FundingMode::kPrefundedReserve: return "PREFUNDED_RESERVE";
        case FundingMode::kFronted: return "FRONTED";
        case FundingMode::kDirect: return "DIRECT";
    }
    return "?";
}

std::string_view name(FeeBase v) {
    switch (v) {
        case FeeBase::kInterest: return "INTEREST";
        case FeeBase::kInterestAndPenalty: return "INTEREST_AND_PENALTY";
    }
    return "?";
}

std::string_view name(NettingMode v) {
    switch (v) {
        case NettingMode::kBilateral: return "BILATERAL";
        case NettingMode::kMultilateral: return "MULTILATERAL";
    }
    return "?";
}

std::string_view name(SettlementMode v) {
    switch (v) {
        case SettlementMode::kNet: return "NET";
        case SettlementMode::kGross: return "GROSS";
    }
    return "?";
}

std::string_view name(PartnershipStatus v) {
    switch (v) {
        case PartnershipStatus::kProposed: return "PROPOSED";
        case PartnershipStatus::kActive: return "ACTIVE";
        case PartnershipStatus::kRejected: return "REJECTED";
        case PartnershipStatus::kSuspended: return "SUSPENDED";
    }
    return "?";
}

std::string_view name(LoanStatus v) {
    switch (v) {
        case LoanStatus::kPending: return "PENDING";
        case LoanStatus::kActive: return "ACTIVE";
        case LoanStatus::kPaidOff: return "PAID_OFF";
        case LoanStatus::kWrittenOff: return "WRITTEN_OFF";
        case LoanStatus::kClosed: return "CLOSED";
        case LoanStatus::kCancelled: return "CANCELLED";
    }
    return "?";
}

std::string_view name(PenaltyMode v) {
    switch (v) {
        case PenaltyMode::kReplace: return "REPLACE";
        case PenaltyMode::kAdd: return "ADD";
    }
    return "?";
}

std::string_view name(ScheduleType v) {
    switch (v) {
        case ScheduleType::kEqualPrincipal: return "EQUAL_PRINCIPAL";
        case ScheduleType::kBullet: return "BULLET";
        case ScheduleType::kCustom: return "CUSTOM";
    }
    return "?";
}

std::string_view name(InterestMethod v) {
    switch (v) {
        case InterestMethod::kActualDays: return "ACTUAL_DAYS";
    }
    return "?";
}

std::string_view name(PrepayMode v) {
    switch (v) {
        case PrepayMode::kShorten: return "SHORTEN";
    }
    return "?";
}

std::string_view name(RepayIntent v) {
    switch (v) {
        case RepayIntent::kAuto: return "AUTO";
        case RepayIntent::kPayoff: return "PAYOFF";
    }
    return "?";
}

std::string_view name(EventType v) {
    switch (v) {
        case EventType::kOriginate: return "ORIGINATE";
        case EventType::kRepay: return "REPAY";
        case EventType::kWriteOff: return "WRITE_OFF";
        case EventType::kRecover: return "RECOVER";
        case EventType::kCorrect: return "CORRECT";
    }
    return "?";
}

std::string_view name(Category v) {
    switch (v) {
        case Category::kFunding: return "FUNDING";
        case Category::kPrincipal: return "PRINCIPAL";
        case Category::kInterest: return "INTEREST";
        case Category::kPenalty: return "PENALTY";
        case Category::kServiceFee: return "SERVICE_FEE";
        case Category::kRecovery: return "RECOVERY";
        case Category::kReserveTopup: return "RESERVE_TOPUP";
        case Category::kCarryForward: return "CARRY_FORWARD";
        case Category::kCorrection: return "CORRECTION";
    }
    return "?";
}

std::string_view name(CycleStatus v) {
    switch (v) {
        case CycleStatus::kOpen: return "OPEN";
        case CycleStatus::kClosed: return "CLOSED";
        case CycleStatus::kSettled: return "SETTLED";
    }
    return "?";
}

std::string_view name(AccountCode v) {
    switch (v) {
        case AccountCode::kSettlementCash: return "SETTLEMENT_CASH";
        case AccountCode::kBorrowerClearing: return "BORROWER_CLEARING";
        case AccountCode::kLoanPrincipal: return "LOAN_PRINCIPAL";
        case AccountCode::kInterbank: return "INTERBANK";
        case AccountCode::kInterestIncome: return "INTEREST_INCOME";
        case AccountCode::kPenaltyIncome: return "PENALTY_INCOME";
        case AccountCode::kServiceFeeIncome: return "SERVICE_FEE_INCOME";
        case AccountCode::kRecoveryIncome: return "RECOVERY_INCOME";
        case AccountCode::kCreditLossExpense: return "CREDIT_LOSS_EXPENSE";
        case AccountCode::kServiceFeeExpense: return "SERVICE_FEE_EXPENSE";
    }
    return "?";
}

std::optional<Role> parse_role(std::string_view s) {
    return parse_by_name(s, std::array{Role::kServicer, Role::kFunder, Role::kOperator, Role::kRegulator});
}
std::optional<MemberStatus> parse_member_status(std::string_view s) {
    return parse_by_name(s, std::array{MemberStatus::kActive, MemberStatus::kSuspended});
}
std::optional<FundingMode> parse_funding_mode(std::string_view s) {
    return parse_by_name(s, std::array{FundingMode::kPrefundedReserve, FundingMode::kFronted, FundingMode::kDirect});
}
std::optional<NettingMode> parse_netting_mode(std::string_view s) {
    return parse_by_name(s, std::array{NettingMode::kBilateral, NettingMode::kMultilateral});
}
std::optional<SettlementMode> parse_settlement_mode(std::string_view s) {
    return parse_by_name(s, std::array{SettlementMode::kNet, SettlementMode::kGross});
}
std::optional<FeeBase> parse_fee_base(std::string_view s) {
    return parse_by_name(s, std::array{FeeBase::kInterest, FeeBase::kInterestAndPenalty});
}
std::optional<PenaltyMode> parse_penalty_mode(std::string_view s) {
    return parse_by_name(s, std::array{PenaltyMode::kReplace, PenaltyMode::kAdd});
}
std::optional<ScheduleType> parse_schedule_type(std::string_view s) {
    return parse_by_name(s, std::array{ScheduleType::kEqualPrincipal, ScheduleType::kBullet, ScheduleType::kCustom});
}
std::optional<InterestMethod> parse_interest_method(std::string_view s) {
    return parse_by_name(s, std::array{InterestMethod::kActualDays});
}
std::optional<PrepayMode> parse_prepay_mode(std::string_view s) {
    return parse_by_name(s, std::array{PrepayMode::kShorten});
}
std::optional<RepayIntent> parse_repay_intent(std::string_view s) {
    return parse_by_name(s, std::array{RepayIntent::kAuto, RepayIntent::kPayoff});
}

std::optional<AccountCode> parse_account_code(std::uint16_t code) {
    for (const AccountCode c :
         {AccountCode::kSettlementCash, AccountCode::kBorrowerClearing, AccountCode::kLoanPrincipal,
          AccountCode::kInterbank, AccountCode::kInterestIncome, AccountCode::kPenaltyIncome,
          AccountCode::kServiceFeeIncome, AccountCode::kRecoveryIncome, AccountCode::kCreditLossExpense,
          AccountCode::kServiceFeeExpense}) {
        if (static_cast<std::uint16_t>(c) == code) {
            return c;
        }
    }
    return std::nullopt;
}

bool is_debit_normal(AccountCode code) {
    switch (code) {
        case AccountCode::kSettlementCash:
        case AccountCode::kBorrowerClearing:
        case AccountCode::kLoanPrincipal:
        case AccountCode::kInterbank:
        case AccountCode::kCreditLossExpense:
        case AccountCode::kServiceFeeExpense:
            return true;
        case AccountCode::kInterestIncome:
        case AccountCode::kPenaltyIncome:
        case AccountCode::kServiceFeeIncome:
        case AccountCode::kRecoveryIncome:
            return false;
    }
    return true;
}

std::string_view code_name(Code code) {
    switch (code) {
        case Code::kOk: return "";
        case Code::kBadEnvelope: return "ERR_BAD_ENVELOPE";
        case Code::kBadClientRef: return "ERR_BAD_CLIENT_REF";
        case Code::kBadAmount: return "ERR_BAD_AMOUNT";
        case Code::kBadCurrency: return "ERR_BAD_CURRENCY";
        case Code::kBadDate: return "ERR_BAD_DATE";
        case Code::kBadRate: return "ERR_BAD_RATE";
        case Code::kLinkedEventFailed: return "ERR_LINKED_EVENT_FAILED";
        case Code::kUnknownMember: return "ERR_UNKNOWN_MEMBER";
        case Code::kMemberSuspended: return "ERR_MEMBER_SUSPENDED";
        case Code::kNotServicer: return "ERR_NOT_SERVICER";
        case Code::kNotTrancheHolder: return "ERR_NOT_TRANCHE_HOLDER";
        case Code::kNotDebtor: return "ERR_NOT_DEBTOR";
        case Code::kNotCreditor: return "ERR_NOT_CREDITOR";
        case Code::kRoleNotHeld: return "ERR_ROLE_NOT_HELD";
        case Code::kNotParty: return "ERR_NOT_PARTY";
        case Code::kIdempotencyConflict: return "ERR_IDEMPOTENCY_CONFLICT";
        case Code::kLoanExists: return "ERR_LOAN_EXISTS";
        case Code::kDuplicateChannelRef: return "ERR_DUPLICATE_CHANNEL_REF";
        case Code::kPartnershipNotFound: return "ERR_PARTNERSHIP_NOT_FOUND";
        case Code::kPartnershipInactive: return "ERR_PARTNERSHIP_INACTIVE";
        case Code::kPartnershipExists: return "ERR_PARTNERSHIP_EXISTS";
        case Code::kPartnershipState: return "ERR_PARTNERSHIP_STATE";
        case Code::kFundingModeMismatch: return "ERR_FUNDING_MODE_MISMATCH";
        case Code::kAcceptanceRequired: return "ERR_ACCEPTANCE_REQUIRED";
        case Code::kAcceptanceNotRequired: return "ERR_ACCEPTANCE_NOT_REQUIRED";
        case Code::kAcceptanceNotPending: return "ERR_ACCEPTANCE_NOT_PENDING";
        case Code::kTranchesNotAccepted: return "ERR_TRANCHES_NOT_ACCEPTED";
        case Code::kTooManyTranches: return "ERR_TOO_MANY_TRANCHES";
        case Code::kSharesNot100: return "ERR_SHARES_NOT_100";
        case Code::kTrancheShareBelowMin: return "ERR_TRANCHE_SHARE_BELOW_MIN";
        case Code::kDuplicateTrancheBank: return "ERR_DUPLICATE_TRANCHE_BANK";
        case Code::kServicerNotInTranches: return "ERR_SERVICER_NOT_IN_TRANCHES";
        case Code::kZeroTranche: return "ERR_ZERO_TRANCHE";
        case Code::kPrincipalAboveMax: return "ERR_PRINCIPAL_ABOVE_MAX";
        case Code::kBorrowerLimit: return "ERR_BORROWER_LIMIT";
        case Code::kBulletTermTooLong: return "ERR_BULLET_TERM_TOO_LONG";
        case Code::kRateAboveCap: return "ERR_RATE_ABOVE_CAP";
        case Code::kScheduleInvalid: return "ERR_SCHEDULE_INVALID";
        case Code::kPartnershipLimitExceeded: return "ERR_PARTNERSHIP_LIMIT_EXCEEDED";
        case Code::kExposureLimitExceeded: return "ERR_EXPOSURE_LIMIT_EXCEEDED";
        case Code::kInsufficientReserve: return "ERR_INSUFFICIENT_RESERVE";
        case Code::kLoanNotFound: return "ERR_LOAN_NOT_FOUND";
        case Code::kLoanState: return "ERR_LOAN_STATE";
        case Code::kValueDateBeforeLastEvent: return "ERR_VALUE_DATE_BEFORE_LAST_EVENT";
        case Code::kValueDateInFuture: return "ERR_VALUE_DATE_IN_FUTURE";
        case Code::kOverpayment: return "ERR_OVERPAYMENT";
        case Code::kPayoffAmountMismatch: return "ERR_PAYOFF_AMOUNT_MISMATCH";
        case Code::kWriteOffNotEligible: return "ERR_WRITE_OFF_NOT_ELIGIBLE";
        case Code::kRecoveryExceedsWrittenOff: return "ERR_RECOVERY_EXCEEDS_WRITTEN_OFF";
        case Code::kCorrectionNotLatest: return "ERR_CORRECTION_NOT_LATEST";
        case Code::kCorrectionCycleClosed: return "ERR_CORRECTION_CYCLE_CLOSED";
        case Code::kCorrectionNotEligible: return "ERR_CORRECTION_NOT_ELIGIBLE";
        case Code::kProposalNotFound: return "ERR_PROPOSAL_NOT_FOUND";
        case Code::kProposalExists: return "ERR_PROPOSAL_EXISTS";
        case Code::kProposalExpired: return "ERR_PROPOSAL_EXPIRED";
        case Code::kProposalDigestMismatch: return "ERR_PROPOSAL_DIGEST_MISMATCH";
        case Code::kAlreadyApproved: return "ERR_ALREADY_APPROVED";
        case Code::kProposalClosed: return "ERR_PROPOSAL_CLOSED";
        case Code::kParamsInvalid: return "ERR_PARAMS_INVALID";
        case Code::kMemberExists: return "ERR_MEMBER_EXISTS";
        case Code::kMemberNotFound: return "ERR_MEMBER_NOT_FOUND";
        case Code::kKeyInUse: return "ERR_KEY_IN_USE";
        case Code::kCycleMismatch: return "ERR_CYCLE_MISMATCH";
        case Code::kCycleCutoffNotReached: return "ERR_CYCLE_CUTOFF_NOT_REACHED";
        case Code::kInstructionNotFound: return "ERR_INSTRUCTION_NOT_FOUND";
        case Code::kInstructionState: return "ERR_INSTRUCTION_STATE";
        case Code::kSettlementAmountMismatch: return "ERR_SETTLEMENT_AMOUNT_MISMATCH";
        case Code::kArithmeticOverflow: return "ERR_ARITHMETIC_OVERFLOW";
        case Code::kInvariantViolation: return "ERR_INVARIANT_VIOLATION";
    }
    return "ERR_UNKNOWN";
}

}  // namespace jc::contracts
