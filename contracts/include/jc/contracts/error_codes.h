// The stable domain error codes of DOMAIN.md B.5 (plus the additions of ADR 0031).
//
// A rejected transaction carries exactly one code, its name ("ERR_SHARES_NOT_100") and a detail
// object. Numbers and names are part of the public contract: never renumber, never reuse.
// Thread-safety: constants and pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace jc::contracts {

enum class Code : std::int32_t {
    kOk = 0,
    // 1xxx request
    kBadEnvelope = 1001,
    kBadClientRef = 1002,
    kBadAmount = 1003,
    kBadCurrency = 1004,
    kBadDate = 1005,
    kBadRate = 1006,
    kLinkedEventFailed = 1007,
    // 2xxx authorisation
    kUnknownMember = 2001,
    kMemberSuspended = 2002,
    kNotServicer = 2003,
    kNotTrancheHolder = 2004,
    kNotDebtor = 2005,
    kNotCreditor = 2006,
    kRoleNotHeld = 2007,  // ADR 0031
    kNotParty = 2008,     // ADR 0031
    // 3xxx idempotency and uniqueness
    kIdempotencyConflict = 3001,
    kLoanExists = 3002,
    kDuplicateChannelRef = 3003,
    // 4xxx origination
    kPartnershipNotFound = 4001,
    kPartnershipInactive = 4002,
    kPartnershipExists = 4003,       // ADR 0031
    kPartnershipState = 4004,        // ADR 0031
    kFundingModeMismatch = 4005,     // ADR 0031
    kAcceptanceRequired = 4006,      // ADR 0031
    kAcceptanceNotRequired = 4007,   // ADR 0062
    kAcceptanceNotPending = 4008,    // ADR 0062
    kTranchesNotAccepted = 4009,     // ADR 0062
    kTooManyTranches = 4101,
    kSharesNot100 = 4102,
    kTrancheShareBelowMin = 4103,
    kDuplicateTrancheBank = 4104,
    kServicerNotInTranches = 4105,
    kZeroTranche = 4106,
    kPrincipalAboveMax = 4201,
    kBorrowerLimit = 4202,
    kBulletTermTooLong = 4203,
    kRateAboveCap = 4204,
    kScheduleInvalid = 4301,
    kPartnershipLimitExceeded = 4401,
    kExposureLimitExceeded = 4402,
    kInsufficientReserve = 4403,
    // 5xxx servicing
    kLoanNotFound = 5001,
    kLoanState = 5002,
    kValueDateBeforeLastEvent = 5003,
    kValueDateInFuture = 5004,
    kOverpayment = 5005,
    kPayoffAmountMismatch = 5006,
    kWriteOffNotEligible = 5101,
    kRecoveryExceedsWrittenOff = 5102,
    kCorrectionNotLatest = 5201,
    kCorrectionCycleClosed = 5202,  // ADR 0061; no longer produced since ADR 0063 (never reuse)
    kCorrectionNotEligible = 5203,  // ADR 0063
    // 6xxx governance (ADR 0060)
    kProposalNotFound = 6001,
    kProposalExists = 6002,
    kProposalExpired = 6003,
    kProposalDigestMismatch = 6004,
    kAlreadyApproved = 6005,
    kProposalClosed = 6006,
    kParamsInvalid = 6007,
    kMemberExists = 6008,
    kMemberNotFound = 6009,
    kKeyInUse = 6010,
    // 7xxx settlement
    kCycleMismatch = 7001,
    kCycleCutoffNotReached = 7002,
    kInstructionNotFound = 7003,
    kInstructionState = 7004,
    kSettlementAmountMismatch = 7005,
    // 9xxx internal
    kArithmeticOverflow = 9001,
    kInvariantViolation = 9900,
};

// "ERR_SHARES_NOT_100" etc.; "" for kOk.
std::string_view code_name(Code code);

constexpr std::int32_t code_number(Code code) { return static_cast<std::int32_t>(code); }

}  // namespace jc::contracts
