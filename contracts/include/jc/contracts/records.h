// The contract state schema: keys, records and their binary encoding (docs/spec/contracts.md).
//
// Every record the engine keeps in the ledger state is one of the structs below, encoded with
// the strict binary codec of jc/core/codec.h: a leading record version byte, fields in
// declaration order, 8- to 32-bit integers little-endian fixed width, varint-prefixed strings,
// 128-bit counters as two u64 halves (low first). 64-bit integers depend on the version
// (RecordVersion below). Decoding rejects anything else (unknown version, out-of-range enum,
// non-minimal varint, trailing bytes) as corruption. Encoding is canonical: a record has exactly
// one encoding for a given version, so state roots agree across builds.
//
// Keys are short ASCII prefixes and '/'-separated identifiers. Identifiers are drawn from
// charsets that exclude '/', so a prefix scan over "ev/<loan_id>/" visits exactly one loan.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <jc/contracts/arith/checked.h>
#include <jc/contracts/arith/date.h>
#include <jc/contracts/arith/day_count.h>
#include <jc/contracts/types.h>
#include <jc/core/bytes.h>
#include <jc/core/error.h>
#include <jc/core/secp256k1.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jc::contracts {

using arith::Date;
using arith::I128;
using arith::U128;

// How a record writes its 64-bit integers (ADR 0175). A chain writes every record in the version
// its params record names (Params::record_version): set in the genesis document, raised by
// governance.set_params from the next block on, never lowered. Decoding accepts both, so a record
// written before a change stays readable until its next write rewrites it.
enum class RecordVersion : std::uint8_t {
    kFixed64 = 1,   // eight little-endian bytes: every chain founded before ADR 0175
    kVarint64 = 2,  // a minimal LEB128 varint, signed values zigzag-mapped first
};
inline constexpr RecordVersion kRecordVersionLatest = RecordVersion::kVarint64;
// Whether `byte` names a RecordVersion this build reads and writes.
[[nodiscard]] constexpr bool known_record_version(std::uint8_t byte) {
    return byte == static_cast<std::uint8_t>(RecordVersion::kFixed64) ||
           byte == static_cast<std::uint8_t>(RecordVersion::kVarint64);
}

// ---- Limits (named; see docs/spec/contracts.md) ----
inline constexpr std::size_t kIdLengthMax = 64;           // loan_id, partnership_id, channel_ref
inline constexpr std::size_t kProductCodeLengthMax = 32;
inline constexpr std::size_t kNameLengthMax = 128;
inline constexpr std::size_t kTranchesMax = 8;            // ERR_TOO_MANY_TRANCHES above this
inline constexpr std::size_t kTranchesFormMax = 64;       // beyond this the body is malformed
inline constexpr std::size_t kInstallmentsMax = 360;
inline constexpr std::size_t kKeysPerMemberMax = 16;
inline constexpr std::size_t kBatchItemsMax = 64;

// ---- Keys ----
namespace keys {
std::string params();
std::string member(std::string_view bank_id);
inline constexpr std::string_view kMemberPrefix = "mb/";
std::string partnership(std::string_view partnership_id);
inline constexpr std::string_view kPartnershipPrefix = "pt/";
std::string loan(std::string_view loan_id);
inline constexpr std::string_view kLoanPrefix = "ln/";
std::string event(std::string_view loan_id, std::uint32_t event_seq);
std::string event_prefix(std::string_view loan_id);
std::string account(std::string_view bank_id, AccountCode code, std::string_view counterparty);
// The same key written into `out`, whose capacity is reused (the engine builds ~14 account and
// obligation keys per repayment; ADR 0173).
void account_into(std::string& out, std::string_view bank_id, AccountCode code,
                  std::string_view counterparty);
std::string account_prefix(std::string_view bank_id);
inline constexpr std::string_view kAccountPrefix = "ac/";
std::string idempotency(std::string_view bank_id, std::string_view client_ref);
std::string channel_ref(std::string_view bank_id, std::string_view channel_ref);
std::string borrower(std::string_view product_code, std::string_view borrower_ref);
std::string current_cycle();
std::string cycle(std::string_view cycle_id);
std::string obligation(std::string_view cycle_id, std::string_view debtor, std::string_view creditor,
                       Category category);
void obligation_into(std::string& out, std::string_view cycle_id, std::string_view debtor,
                     std::string_view creditor, Category category);
std::string obligation_prefix(std::string_view cycle_id);
inline constexpr std::string_view kObligationPrefix = "ob/";
std::string aggregate(std::string_view bank_id);
inline constexpr std::string_view kAggregatePrefix = "ag/";
// Two-step origination (ADR 0062): the proposal of a PENDING loan, its expiry index entry
// ("lx/<YYYYMMDD>/<loan_id>", ordered by expiry date), and the capacity it reserves per
// partnership ("rs/pt/<partnership_id>") and per servicer/partner pair ("rs/pr/<S>/<i>").
std::string proposal(std::string_view loan_id);
std::string proposal_expiry(arith::Date expires_after, std::string_view loan_id);
inline constexpr std::string_view kProposalExpiryPrefix = "lx/";
std::string reserved_partnership(std::string_view partnership_id);
std::string reserved_pair(std::string_view servicer, std::string_view partner);
inline constexpr std::string_view kReservedPrefix = "rs/";

// Splits an account key back into its parts; nullopt if it is not one.
struct AccountKey {
    std::string bank_id;
    AccountCode code;
    std::string counterparty;
};
std::optional<AccountKey> parse_account(std::string_view key);
}  // namespace keys

// ---- Records ----

struct Member {
    std::string bank_id;
    std::string name;
    std::string cnaps_code;  // 12 digits
    std::string bic;         // optional, "" when absent
    std::string lei;         // optional, "" when absent
    std::vector<crypto::PublicKey> keys;
    std::uint8_t roles = 0;  // bit set of role_bit(Role)
    MemberStatus status = MemberStatus::kActive;

    [[nodiscard]] bool has_role(Role r) const { return (roles & role_bit(r)) != 0; }
    friend bool operator==(const Member&, const Member&) = default;
};

struct ProductTerms {
    std::string product_code;                 // "" for the default terms
    std::int64_t max_principal = arith::kMaxAmount;
    std::int32_t max_bullet_term_days = 366;
    // Cap per basis (DAILY, ACT/360, ACT/365F); -1 = no cap.
    std::array<std::int64_t, 3> max_rate_ppb = {-1, -1, -1};
    std::uint8_t schedule_types = kAllScheduleTypes;  // bit set of schedule_bit()

    friend bool operator==(const ProductTerms&, const ProductTerms&) = default;
};

inline constexpr std::size_t kCycleCutoffsMax = 8;
inline constexpr std::size_t kCalendarDatesMax = 4096;  // holidays, working weekends (each)
inline constexpr std::uint8_t kAllRateBases = 0b111;    // bit per arith::Basis

// Governance parameters (gv/params; docs/spec/contracts.md 3.2). Written at genesis and by an
// executed governance.set_params proposal; a change applies from the NEXT block (the engine
// reads the record once per block).
struct Params {
    arith::Rounding rounding = arith::Rounding::kHalfUp;  // interest and penalty
    std::int64_t max_rate_ppb = 10'000'000'000;         // ERR_BAD_RATE above (any basis)
    std::int32_t npl_dpd_threshold = 91;                  // DPD >= this: NON_PERFORMING
    ProductTerms default_product;
    std::vector<ProductTerms> products;                   // sorted by product_code, unique
    // Settlement cycle schedule (DOMAIN.md B.8, ADR 0051). Cutoffs in minutes after midnight
    // CST, strictly increasing, each in [1, 1440]; 1440 ("24:00") is the end-of-day cutoff.
    // Cutoffs apply on business days only. Empty: no automatic closing.
    std::vector<std::uint32_t> cycle_cutoffs_minutes;
    // Business-day calendar (PBoC/HVPS working days): Monday-Friday except `holidays`, plus the
    // weekend days in `working_weekends` (调休). Both sorted, unique.
    std::vector<Date> holidays;
    std::vector<Date> working_weekends;
    std::uint8_t rate_bases = kAllRateBases;  // bit (1 << Basis) set: basis allowed for new loans
    // Governance: a proposal executes once approvals from ACTIVE voting members reach
    // ceil(voters x quorum_bps / 10000); it expires when the business date passes its
    // creation date + ttl_days (ADR 0060).
    std::uint16_t governance_quorum_bps = 5001;
    std::uint32_t governance_ttl_days = 7;
    // Netting of the cycles opened from now on (ADR 0055): MULTILATERAL needs `settlement_agent`,
    // a member bank that every other bank pays its net to or is paid its net by; "" when
    // BILATERAL. A cycle keeps the mode it opened with.
    NettingMode netting = NettingMode::kBilateral;
    std::string settlement_agent;
    // The version every record is written in (ADR 0175). Not a field of the params record: it is
    // that record's own version byte, so a chain founded before ADR 0175 keeps its bytes.
    RecordVersion record_version = RecordVersion::kFixed64;

    [[nodiscard]] const ProductTerms& product(std::string_view code) const;
    [[nodiscard]] bool basis_allowed(arith::Basis b) const {
        return (rate_bases & (1u << static_cast<unsigned>(b))) != 0;
    }
    friend bool operator==(const Params&, const Params&) = default;
};

// Problems with a Params value (genesis and governance.set_params): "" when valid, else the
// first problem ("cycle_cutoffs_minutes: must be strictly increasing").
std::string check_params(const Params& p);

struct PartnershipTerms {
    std::string agreement_ref;  // 64 lowercase hex
    FundingMode funding_mode = FundingMode::kFronted;
    std::uint16_t min_tranche_share_bps = 3000;
    std::int64_t max_outstanding_principal = 0;
    std::int64_t fronting_limit = 0;
    std::int64_t collection_limit = 0;
    std::uint16_t service_fee_bps = 0;
    FeeBase fee_base = FeeBase::kInterestAndPenalty;
    bool require_partner_acceptance = false;
    std::uint32_t accept_timeout_days = 0;
    std::uint32_t writeoff_preauth_dpd = 0;
    // NET: obligations wait for the cycle close; GROSS: each event's become an instruction at
    // once (ADR 0056). Governs obligations booked while in force (not copied into loans).
    SettlementMode settlement_mode = SettlementMode::kNet;

    friend bool operator==(const PartnershipTerms&, const PartnershipTerms&) = default;
};

struct Partnership {
    std::string partnership_id;
    std::string servicer_bank;
    std::string partner_bank;
    PartnershipTerms terms;
    PartnershipStatus status = PartnershipStatus::kProposed;
    std::int64_t used = 0;  // sum of partner principal_out over this partnership's loans
    std::uint32_t loan_count = 0;
    bool has_pending_amendment = false;
    PartnershipTerms pending_amendment;  // meaningful only when has_pending_amendment
    std::string amendment_proposer;      // bank that proposed the pending amendment
    std::uint64_t created_height = 0;
    std::uint64_t updated_height = 0;

    friend bool operator==(const Partnership&, const Partnership&) = default;
};

struct Tranche {
    std::string bank_id;
    std::uint16_t share_bps = 0;
    std::string partnership_id;  // "" for the servicer's own tranche
    FundingMode funding_mode = FundingMode::kFronted;
    std::uint16_t fee_bps = 0;   // service fee this tranche pays the servicer (0 for the servicer)
    FeeBase fee_base = FeeBase::kInterestAndPenalty;
    std::int64_t principal_orig = 0;
    std::int64_t principal_out = 0;
    std::int64_t interest_unpaid = 0;
    std::int64_t penalty_unpaid = 0;
    std::int64_t principal_paid = 0;
    std::int64_t interest_paid = 0;
    std::int64_t penalty_paid = 0;
    std::int64_t fee_base_cum = 0;
    std::int64_t fee_cum = 0;
    std::int64_t written_off = 0;
    std::int64_t recovered = 0;
    // The partnership's writeoff_preauth_dpd at origination (0: write-off needs this tranche
    // holder's approval). Copied like the fee terms: amendments govern new loans only.
    std::uint32_t writeoff_preauth_dpd = 0;

    friend bool operator==(const Tranche&, const Tranche&) = default;
};

struct Installment {
    Date due_date = 0;
    std::int64_t principal_due = 0;
    std::int64_t principal_paid = 0;

    [[nodiscard]] std::int64_t unpaid() const { return principal_due - principal_paid; }
    friend bool operator==(const Installment&, const Installment&) = default;
};

struct Loan {
    std::string loan_id;
    std::string servicer;
    std::string borrower_ref;
    std::string product_code;
    std::int64_t principal = 0;
    Date value_date = 0;
    std::int64_t rate_ppb = 0;
    arith::Basis basis = arith::Basis::kDaily;
    InterestMethod interest_method = InterestMethod::kActualDays;
    std::int64_t penalty_rate_ppb = 0;
    PenaltyMode penalty_mode = PenaltyMode::kReplace;
    ScheduleType schedule_type = ScheduleType::kEqualPrincipal;
    PrepayMode prepay_mode = PrepayMode::kShorten;
    arith::Rounding rounding = arith::Rounding::kHalfUp;
    LoanStatus status = LoanStatus::kActive;
    Date last_accrual_date = 0;
    Date last_event_date = 0;
    std::uint32_t event_seq = 0;
    std::int64_t fees_unpaid = 0;  // v1 has no loan.charge_fee: always 0
    std::string disbursement_channel_ref;
    std::uint64_t originated_height = 0;
    std::vector<Tranche> tranches;
    std::vector<Installment> installments;

    [[nodiscard]] std::int64_t principal_out() const;
    [[nodiscard]] std::int64_t interest_unpaid() const;
    [[nodiscard]] std::int64_t penalty_unpaid() const;
    friend bool operator==(const Loan&, const Loan&) = default;
};

// One single-debit/single-credit intra-bank transfer (DOMAIN.md B.2).
struct Posting {
    std::string bank_id;
    AccountCode debit = AccountCode::kBorrowerClearing;
    std::string debit_counterparty;  // only for INTERBANK
    AccountCode credit = AccountCode::kBorrowerClearing;
    std::string credit_counterparty;
    std::int64_t amount = 0;

    friend bool operator==(const Posting&, const Posting&) = default;
};

struct ObligationLine {
    std::string debtor;
    std::string creditor;
    Category category = Category::kFunding;
    std::int64_t amount = 0;

    friend bool operator==(const ObligationLine&, const ObligationLine&) = default;
};

struct TrancheAllocation {
    std::int64_t funded = 0;             // origination: this tranche's principal
    std::int64_t interest_accrued = 0;   // accrual booked by this event
    std::int64_t penalty_accrued = 0;
    std::int64_t penalty = 0;            // paid
    std::int64_t interest = 0;
    std::int64_t principal_due = 0;
    std::int64_t principal_prepaid = 0;
    std::int64_t fee = 0;                // service fee this tranche pays the servicer
    std::int64_t fee_base_cum = 0;       // after the event
    std::int64_t fee_cum = 0;
    std::int64_t principal_out_after = 0;
    // Credit events only (write-off, recovery, correction; encoded only for those types):
    std::int64_t written_off = 0;           // principal written off by this event
    std::int64_t recovered = 0;             // recovery received (negative: a corrected recovery)
    std::int64_t interest_written_off = 0;  // memo interest zeroed by a write-off
    std::int64_t penalty_written_off = 0;   // memo penalty zeroed by a write-off

    [[nodiscard]] std::int64_t principal() const { return principal_due + principal_prepaid; }
    friend bool operator==(const TrancheAllocation&, const TrancheAllocation&) = default;
};

// Principal applied to one instalment by a repayment (index into Loan::installments), so that a
// correction can restore the schedule exactly.
struct InstallmentApplication {
    std::uint32_t index = 0;
    std::int64_t amount = 0;
    friend bool operator==(const InstallmentApplication&, const InstallmentApplication&) = default;
};

// The immutable journal entry of one loan event: the loan statement's line.
struct LoanEvent {
    EventType type = EventType::kRepay;
    std::uint32_t event_seq = 0;
    Hash tx_hash;
    std::uint32_t item_index = 0;  // position inside a batch; 0 otherwise
    std::uint64_t height = 0;
    std::uint32_t tx_index = 0;
    std::string client_ref;
    std::string channel_ref;
    Date value_date = 0;
    std::int64_t amount = 0;
    RepayIntent intent = RepayIntent::kAuto;
    std::string cycle_id;
    std::int64_t accrual_days = 0;
    std::int64_t interest_accrued = 0;
    std::int64_t penalty_accrued = 0;
    std::int64_t fees = 0;
    std::int64_t penalty = 0;
    std::int64_t interest = 0;
    std::int64_t principal_due = 0;
    std::int64_t principal_prepaid = 0;
    std::int64_t principal_out_before = 0;
    std::int64_t principal_out_after = 0;
    LoanStatus status_after = LoanStatus::kActive;
    bool early_close_flag = false;
    std::vector<TrancheAllocation> tranches;
    std::vector<Posting> postings;
    std::vector<ObligationLine> obligations;
    std::vector<InstallmentApplication> applied;  // repayments: principal per instalment
    // Credit events only (encoded only for write-off, recovery, correction):
    std::string reason;               // write-off and correction reason
    std::uint32_t corrects_seq = 0;   // correction: the event_seq it reverses

    [[nodiscard]] bool is_credit_event() const {
        return type == EventType::kWriteOff || type == EventType::kRecover || type == EventType::kCorrect;
    }
    // "<tx_hash hex>-<item_index>" (DOMAIN.md B.1: tx hash + index).
    [[nodiscard]] std::string event_id() const;
    friend bool operator==(const LoanEvent&, const LoanEvent&) = default;
};

// A partner tranche's answer to a loan proposal (ADR 0062).
enum class Acceptance : std::uint8_t { kNotRequired = 0, kPending = 1, kAccepted = 2, kRejected = 3 };
std::string_view name(Acceptance v);
// How a loan proposal ended: still open (the loan is PENDING), disbursed (ACTIVE), or cancelled
// by a partner's rejection or by expiry (CANCELLED).
enum class ProposalOutcome : std::uint8_t { kOpen = 0, kDisbursed = 1, kRejected = 2, kExpired = 3 };
std::string_view name(ProposalOutcome v);

struct TrancheAcceptance {
    Acceptance acceptance = Acceptance::kNotRequired;
    std::int64_t principal = 0;       // the tranche's principal, reserved while the loan is PENDING
    std::uint64_t decided_height = 0;  // accepted or rejected at; 0 while pending / not required
    friend bool operator==(const TrancheAcceptance&, const TrancheAcceptance&) = default;
};

// lp/<loan_id>: the proposal of a loan originated in two steps (loan.propose, accept/reject per
// tranche, loan.disburse). Kept after the outcome, as the record of who agreed when.
struct LoanProposal {
    std::uint64_t proposed_height = 0;
    Date proposed_date = 0;   // business date of loan.propose
    Date expires_after = 0;   // cancelled by the first block whose business date is later
    ProposalOutcome outcome = ProposalOutcome::kOpen;
    std::uint64_t closed_height = 0;  // disbursed, rejected or expired at; 0 while open
    std::string rejected_by;          // the partner bank that rejected
    std::string reason;               // its reason ("" when none was given)
    std::vector<TrancheAcceptance> tranches;  // in the loan's tranche order

    [[nodiscard]] bool all_accepted() const;
    friend bool operator==(const LoanProposal&, const LoanProposal&) = default;
};

struct Account {
    U128 debits_posted = 0;
    U128 credits_posted = 0;

    // debits - credits (positive: debit balance).
    [[nodiscard]] I128 net_debit() const {
        return static_cast<I128>(debits_posted) - static_cast<I128>(credits_posted);
    }
    friend bool operator==(const Account&, const Account&) = default;
};

struct IdempotencyRecord {
    Hash request_digest;
    Hash tx_hash;
    std::uint64_t height = 0;
    std::uint32_t tx_index = 0;
    // The original result: a loan event to re-render (loan_id non-empty) or stored canonical JSON.
    std::string loan_id;
    std::uint32_t event_seq = 0;
    std::string result_json;

    friend bool operator==(const IdempotencyRecord&, const IdempotencyRecord&) = default;
};

struct ChannelRefRecord {
    std::string loan_id;
    std::uint32_t event_seq = 0;
    friend bool operator==(const ChannelRefRecord&, const ChannelRefRecord&) = default;
};

// How a cycle was closed (ADR 0051).
enum class CloseTrigger : std::uint8_t { kNone = 0, kExplicit = 1, kCutoff = 2, kEarly = 3 };
std::string_view name(CloseTrigger v);

struct Cycle {
    std::string cycle_id;
    CycleStatus status = CycleStatus::kOpen;
    std::uint64_t opened_at_height = 0;
    bool early_close_requested = false;
    std::int64_t cutoff_ms = 0;          // scheduled automatic close (block time >= this); 0: none
    std::uint64_t closed_at_height = 0;  // 0 while OPEN
    CloseTrigger close_trigger = CloseTrigger::kNone;
    Date settlement_date = 0;            // of its instructions; 0 while OPEN
    // Snapshot of the governance netting parameters when the cycle opened (ADR 0055).
    NettingMode netting = NettingMode::kBilateral;
    std::string settlement_agent;        // "" unless MULTILATERAL
    std::uint32_t gross_seq = 0;         // GROSS instructions made in this cycle (ADR 0056)
    friend bool operator==(const Cycle&, const Cycle&) = default;
};

struct ObligationAggregate {
    U128 amount = 0;
    std::uint64_t count = 0;
    friend bool operator==(const ObligationAggregate&, const ObligationAggregate&) = default;
};

// Per-bank totals maintained by the block invariant pass (B1, B3) and reported by
// getInvariantDigest.
struct BankAggregate {
    U128 debits_total = 0;   // sum of debits_posted over the bank's accounts
    U128 credits_total = 0;
    I128 principal_out_total = 0;  // sum of principal_out over the bank's tranches
    friend bool operator==(const BankAggregate&, const BankAggregate&) = default;
};

std::string encode(const Member& v, RecordVersion version);
// Params are written in the version they name (Params::record_version).
std::string encode(const Params& v);
std::string encode(const Partnership& v, RecordVersion version);
std::string encode(const Loan& v, RecordVersion version);
std::string encode(const LoanEvent& v, RecordVersion version);
std::string encode(const Account& v, RecordVersion version);
std::string encode(const IdempotencyRecord& v, RecordVersion version);
std::string encode(const ChannelRefRecord& v, RecordVersion version);
std::string encode(const Cycle& v, RecordVersion version);
std::string encode(const ObligationAggregate& v, RecordVersion version);
std::string encode(const BankAggregate& v, RecordVersion version);
std::string encode(const LoanProposal& v, RecordVersion version);
std::string encode_borrower_outstanding(std::int64_t v, RecordVersion version);
// rs/ reservation amounts: the same one-integer encoding.
inline std::string encode_reserved(std::int64_t v, RecordVersion version) {
    return encode_borrower_outstanding(v, version);
}
std::string encode_current_cycle(std::string_view cycle_id, RecordVersion version);

Result<Member> decode_member(std::string_view bytes);
Result<Params> decode_params(std::string_view bytes);
Result<Partnership> decode_partnership(std::string_view bytes);
Result<Loan> decode_loan(std::string_view bytes);
Result<LoanEvent> decode_loan_event(std::string_view bytes);
Result<Account> decode_account(std::string_view bytes);
Result<IdempotencyRecord> decode_idempotency(std::string_view bytes);
Result<ChannelRefRecord> decode_channel_ref(std::string_view bytes);
Result<Cycle> decode_cycle(std::string_view bytes);
Result<ObligationAggregate> decode_obligation(std::string_view bytes);
Result<BankAggregate> decode_bank_aggregate(std::string_view bytes);
Result<LoanProposal> decode_loan_proposal(std::string_view bytes);
Result<std::int64_t> decode_borrower_outstanding(std::string_view bytes);
inline Result<std::int64_t> decode_reserved(std::string_view bytes) { return decode_borrower_outstanding(bytes); }
Result<std::string> decode_current_cycle(std::string_view bytes);

}  // namespace jc::contracts
