// loan.originate and loan.repay (DOMAIN.md B.2-B.5; docs/spec/contracts.md), and the origination
// checks and disbursement booking that loan.propose / loan.disburse share (origination.h).
#include "origination.h"

#include "form.h"
#include "invariants.h"
#include "render.h"
#include "servicing.h"
#include "settle.h"
#include "tx_env.h"

#include <jc/contracts/arith/allocate.h>
#include <jc/core/assert.h>

#include <algorithm>
#include <span>

namespace jc::contracts {

namespace {

struct TrancheInput {
    std::string bank_id;
    std::int64_t share_bps = 0;
    std::optional<std::string> partnership_id;
};

struct InstallmentInput {
    Date due_date = 0;
    std::int64_t principal = 0;
};

struct OriginateInput {
    std::string loan_id;
    std::string product_code;
    std::string borrower_ref;
    std::int64_t principal = 0;
    Date value_date = 0;
    std::int64_t rate_ppb = 0;
    arith::Basis basis = arith::Basis::kDaily;
    InterestMethod interest_method = InterestMethod::kActualDays;
    std::int64_t penalty_rate_ppb = 0;
    PenaltyMode penalty_mode = PenaltyMode::kReplace;
    PrepayMode prepay_mode = PrepayMode::kShorten;
    ScheduleType schedule_type = ScheduleType::kEqualPrincipal;
    std::int64_t n = 0;                 // EQUAL_PRINCIPAL
    Date first_due_date = 0;            // EQUAL_PRINCIPAL
    Date bullet_due_date = 0;           // BULLET
    std::vector<InstallmentInput> custom;  // CUSTOM
    std::vector<TrancheInput> tranches;
    std::string channel_ref;
    FundingMode mode = FundingMode::kFronted;
};

// All 1xxx checks of loan.originate, lowest code first.
// `propose`: loan.propose's body, whose disbursement names only the mode (loan.disburse brings
// the channel_ref).
Exec<OriginateInput> read_originate(const json::Value& body, const Params& params, const std::string& sender,
                                    bool propose) {
    Form f;
    OriginateInput in;
    f.object(body, "", {"loan_id", "product_code", "borrower_ref", "principal", "currency", "value_date", "rate_ppb",
                        "basis", "interest_method", "penalty_rate_ppb", "penalty_mode", "schedule", "prepay_mode",
                        "tranches", "disbursement"});
    if (auto v = f.id(body, "loan_id", "", kIdLengthMax, true)) {
        in.loan_id = *v;
    }
    if (auto v = f.id(body, "product_code", "", kProductCodeLengthMax, true)) {
        in.product_code = *v;
    }
    if (auto v = f.hex64(body, "borrower_ref", "", true)) {
        in.borrower_ref = *v;
    }
    if (auto v = f.amount(body, "principal", "", /*positive=*/true, true)) {
        in.principal = *v;
    }
    f.currency(body, "currency", "");
    if (auto v = f.date(body, "value_date", "", true)) {
        in.value_date = *v;
    }
    if (auto v = f.rate(body, "rate_ppb", "", params.max_rate_ppb, true)) {
        in.rate_ppb = *v;
    }
    if (auto v = f.basis(body, "basis", "", true)) {
        in.basis = *v;
    }
    if (auto v = f.enumeration(body, "interest_method", "", parse_interest_method, false)) {
        in.interest_method = *v;
    }
    if (auto v = f.rate(body, "penalty_rate_ppb", "", params.max_rate_ppb, true)) {
        in.penalty_rate_ppb = *v;
    }
    if (auto v = f.enumeration(body, "penalty_mode", "", parse_penalty_mode, false)) {
        in.penalty_mode = *v;
    }
    if (auto v = f.enumeration(body, "prepay_mode", "", parse_prepay_mode, false)) {
        in.prepay_mode = *v;
    }
    if (const json::Value* s = f.field(body, "schedule", "", true)) {
        if (s->is_object()) {
            const auto type = f.enumeration(*s, "type", "schedule", parse_schedule_type, true);
            if (type) {
                in.schedule_type = *type;
                switch (*type) {
                    case ScheduleType::kEqualPrincipal:
                        f.object(*s, "schedule", {"type", "n", "first_due_date"});
                        if (auto n = f.integer(*s, "n", "schedule", -json::kIntegerMax, json::kIntegerMax, true)) {
                            in.n = *n;
                        }
                        if (auto d = f.date(*s, "first_due_date", "schedule", true)) {
                            in.first_due_date = *d;
                        }
                        break;
                    case ScheduleType::kBullet:
                        f.object(*s, "schedule", {"type", "due_date"});
                        if (auto d = f.date(*s, "due_date", "schedule", true)) {
                            in.bullet_due_date = *d;
                        }
                        break;
                    case ScheduleType::kCustom: {
                        f.object(*s, "schedule", {"type", "installments"});
                        const json::Value* list = f.field(*s, "installments", "schedule", true);
                        if (list != nullptr && !list->is_array()) {
                            f.error(Code::kBadEnvelope, "schedule.installments", "must be an array");
                        } else if (list != nullptr) {
                            for (std::size_t i = 0; i < list->size(); ++i) {
                                const std::string path = "schedule.installments[" + std::to_string(i) + "]";
                                const json::Value& item = (*list)[i];
                                InstallmentInput ii;
                                if (f.object(item, path, {"due_date", "principal"})) {
                                    if (auto d = f.date(item, "due_date", path, true)) {
                                        ii.due_date = *d;
                                    }
                                    // Zero is well-formed here; ERR_SCHEDULE_INVALID reports it.
                                    if (auto a = f.amount(item, "principal", path, /*positive=*/false, true)) {
                                        ii.principal = *a;
                                    }
                                }
                                in.custom.push_back(ii);
                            }
                        }
                        break;
                    }
                }
            }
        } else {
            f.error(Code::kBadEnvelope, "schedule", "must be an object");
        }
    }
    if (const json::Value* list = f.field(body, "tranches", "", true)) {
        if (!list->is_array() || list->size() > kTranchesFormMax) {
            f.error(Code::kBadEnvelope, "tranches",
                    "must be an array of at most " + std::to_string(kTranchesFormMax) + " tranches");
        } else {
            for (std::size_t i = 0; i < list->size(); ++i) {
                const std::string path = "tranches[" + std::to_string(i) + "]";
                const json::Value& item = (*list)[i];
                TrancheInput ti;
                if (f.object(item, path, {"bank_id", "share_bps", "partnership_id"})) {
                    if (auto b = f.bank_id(item, "bank_id", path, true)) {
                        ti.bank_id = *b;
                    }
                    if (auto s = f.integer(item, "share_bps", path, 0, 10000, true)) {
                        ti.share_bps = *s;
                    }
                    ti.partnership_id = f.id(item, "partnership_id", path, kIdLengthMax, false);
                    if (ti.partnership_id && ti.bank_id == sender) {
                        f.error(Code::kBadEnvelope, path + ".partnership_id",
                                "the servicer's own tranche takes no partnership");
                    }
                }
                in.tranches.push_back(std::move(ti));
            }
        }
    }
    if (const json::Value* d = f.field(body, "disbursement", "", true)) {
        const bool shaped = propose ? f.object(*d, "disbursement", {"mode"})
                                    : f.object(*d, "disbursement", {"channel_ref", "mode"});
        if (shaped) {
            if (!propose) {
                if (auto c = f.id(*d, "channel_ref", "disbursement", kIdLengthMax, true)) {
                    in.channel_ref = *c;
                }
            }
            if (auto m = f.enumeration(*d, "mode", "disbursement", parse_funding_mode, true)) {
                in.mode = *m;
            }
        }
    }
    if (f.has_error()) {
        return f.failure();
    }
    return in;
}

Failure schedule_invalid(const char* reason, json::Value extra = json::Value::object()) {
    extra["reason"] = reason;
    return reject(Code::kScheduleInvalid, std::move(extra));
}

// ERR_SCHEDULE_INVALID checks and the instalment list.
Exec<std::vector<Installment>> build_schedule(const OriginateInput& in, const ProductTerms& product) {
    if ((product.schedule_types & schedule_bit(in.schedule_type)) == 0) {
        return schedule_invalid("schedule type not allowed for this product",
                                json::Value{{"type", std::string(name(in.schedule_type))},
                                            {"product_code", in.product_code}});
    }
    std::vector<Installment> out;
    switch (in.schedule_type) {
        case ScheduleType::kEqualPrincipal: {
            if (in.n < 1 || in.n > static_cast<std::int64_t>(kInstallmentsMax)) {
                return schedule_invalid("n must be in [1, 360]", json::Value{{"n", in.n}});
            }
            if (in.principal < in.n) {
                return schedule_invalid("principal is smaller than the number of instalments (P < n)",
                                        json::Value{{"n", in.n}, {"principal", std::to_string(in.principal)}});
            }
            if (in.first_due_date <= in.value_date) {
                return schedule_invalid("first_due_date must be after value_date");
            }
            std::vector<std::int64_t> parts(static_cast<std::size_t>(in.n));
            arith::split_evenly(in.principal, parts);
            const std::uint32_t anchor = arith::civil_from_days(in.first_due_date).day;
            for (std::int64_t k = 0; k < in.n; ++k) {
                const auto due = arith::add_months(in.first_due_date, static_cast<std::int32_t>(k), anchor);
                if (!due) {
                    return schedule_invalid("due dates leave the calendar (year 9999)");
                }
                out.push_back(Installment{*due, parts[static_cast<std::size_t>(k)], 0});
            }
            break;
        }
        case ScheduleType::kBullet:
            if (in.bullet_due_date <= in.value_date) {
                return schedule_invalid("due_date must be after value_date");
            }
            out.push_back(Installment{in.bullet_due_date, in.principal, 0});
            break;
        case ScheduleType::kCustom: {
            if (in.custom.empty() || in.custom.size() > kInstallmentsMax) {
                return schedule_invalid("a CUSTOM schedule has 1 to 360 instalments",
                                        json::Value{{"n", in.custom.size()}});
            }
            I128 sum = 0;
            Date prev = in.value_date;
            for (std::size_t i = 0; i < in.custom.size(); ++i) {
                const auto& c = in.custom[i];
                if (c.due_date <= prev) {
                    return schedule_invalid(i == 0 ? "due dates must be after value_date"
                                                   : "due dates must be strictly increasing",
                                            json::Value{{"index", i}});
                }
                if (c.principal == 0) {
                    return schedule_invalid("an instalment's principal is 0", json::Value{{"index", i}});
                }
                sum += c.principal;
                prev = c.due_date;
                out.push_back(Installment{c.due_date, c.principal, 0});
            }
            if (sum != in.principal) {
                return schedule_invalid("instalment principals do not sum to the principal",
                                        json::Value{{"sum", arith::to_string_i128(sum)},
                                                    {"principal", std::to_string(in.principal)}});
            }
            break;
        }
    }
    return out;
}

}  // namespace

Exec<std::int64_t> load_reserved(const ledger::StateReader& r, const std::string& key) {
    auto raw = r.get(key);
    if (!raw) {
        return fail(std::move(raw).error());
    }
    if (!raw->has_value()) {
        return std::int64_t{0};
    }
    auto v = decode_reserved(**raw);
    if (!v || *v < 0) {
        return fail(v ? Error(Errc::kCorruption, key + ": negative reservation") : v.error().with_context(key));
    }
    return *v;
}

ExecStatus add_reserved(Overlay& ov, const std::string& key, std::int64_t delta) {
    JC_EXEC_ASSIGN(const std::int64_t now, load_reserved(ov, key));
    const std::int64_t next = now + delta;  // both bounded by the loans' principals (<= 10^15 each)
    if (next < 0) {
        return fail(Error(Errc::kCorruption, key + ": reservation would go negative"));
    }
    if (next == 0) {
        ov.erase(key);  // no reservation leaves no record: state equals that of a one-step origination
    } else {
        ov.put(key, encode_reserved(next, ov.record_version()));
    }
    return exec_ok();
}

ExecStatus check_capacity(TxEnv& t, const Loan& loan, const std::vector<std::optional<Partnership>>& parts,
                          const std::vector<std::int64_t>& funded, bool reserved_includes_loan) {
    const std::size_t k = loan.tranches.size();
    JC_ASSERT(parts.size() == k && funded.size() == k, "contracts.capacity.sizes");
    // What this loan adds on top of the reservations already held (nothing at disbursement: its
    // own reservation is one of them).
    auto adding = [&](std::size_t i) { return reserved_includes_loan ? std::int64_t{0} : funded[i]; };
    for (std::size_t i = 0; i < k; ++i) {
        if (!parts[i]) {
            continue;
        }
        JC_EXEC_ASSIGN(const std::int64_t reserved,
                       load_reserved(t.ov, keys::reserved_partnership(parts[i]->partnership_id)));
        if (static_cast<I128>(parts[i]->used) + reserved + adding(i) > parts[i]->terms.max_outstanding_principal) {
            return reject(Code::kPartnershipLimitExceeded,
                          json::Value{{"partnership_id", parts[i]->partnership_id},
                                      {"used", std::to_string(parts[i]->used)},
                                      {"reserved", std::to_string(reserved)},
                                      {"tranche", std::to_string(funded[i])},
                                      {"max_outstanding_principal",
                                       std::to_string(parts[i]->terms.max_outstanding_principal)}});
        }
    }
    // pos(S, i) after this loan and every pending one are funded.
    std::vector<I128> available(k, 0);
    for (std::size_t i = 0; i < k; ++i) {
        if (parts[i] && loan.tranches[i].funding_mode != FundingMode::kDirect) {
            const std::string& partner = loan.tranches[i].bank_id;
            JC_EXEC_ASSIGN(const I128 pos, load(store::position(t.ov, loan.servicer, partner)));
            JC_EXEC_ASSIGN(const std::int64_t reserved,
                           load_reserved(t.ov, keys::reserved_pair(loan.servicer, partner)));
            available[i] = pos - reserved;
            if (loan.tranches[i].funding_mode == FundingMode::kPrefundedReserve) {
                // Reserve already on its way back to the partner is not there to draw (ADR 0057).
                JC_EXEC_ASSIGN(const settle::ReserveTotals rt, load(settle::reserve_totals(t.ov, loan.servicer, partner)));
                available[i] -= rt.pending_withdrawals;
            }
        }
    }
    for (std::size_t i = 0; i < k; ++i) {
        if (parts[i] && loan.tranches[i].funding_mode == FundingMode::kFronted &&
            available[i] - adding(i) < -static_cast<I128>(parts[i]->terms.fronting_limit)) {
            return reject(Code::kExposureLimitExceeded,
                          json::Value{{"partner", loan.tranches[i].bank_id},
                                      {"position_after", arith::to_string_i128(available[i] - adding(i))},
                                      {"fronting_limit", std::to_string(parts[i]->terms.fronting_limit)}});
        }
    }
    for (std::size_t i = 0; i < k; ++i) {
        if (parts[i] && loan.tranches[i].funding_mode == FundingMode::kPrefundedReserve &&
            available[i] - adding(i) < 0) {
            return reject(Code::kInsufficientReserve,
                          json::Value{{"partner", loan.tranches[i].bank_id},
                                      {"reserve", arith::to_string_i128(available[i] + funded[i] - adding(i))},
                                      {"tranche", std::to_string(funded[i])}});
        }
    }
    return exec_ok();
}

Exec<OriginationPlan> plan_origination(TxEnv& t, const json::Value& body, OriginationPath route) {
    const Params& params = t.env.params;
    const std::string& servicer = t.sender.bank_id;
    const bool propose = route == OriginationPath::kPropose;
    JC_EXEC_ASSIGN(OriginateInput in, read_originate(body, params, servicer, propose));
    if (!params.basis_allowed(in.basis)) {
        return reject(Code::kBadRate, json::Value{{"field", "basis"},
                                                  {"reason", "basis " + std::string(arith::basis_name(in.basis)) +
                                                                 " is not allowed by the governance parameters"}});
    }

    // 2xxx
    if (!t.sender.has_role(Role::kServicer)) {
        return reject(Code::kNotServicer, json::Value{{"bank_id", servicer}, {"reason", "sender lacks the SERVICER role"}});
    }
    // 3xxx
    JC_EXEC_ASSIGN(auto existing, load_loan_for_update(t, in.loan_id));
    if (existing) {
        return reject(Code::kLoanExists, json::Value{{"loan_id", in.loan_id}});
    }
    if (!propose) {  // a proposal has no disbursement reference yet: loan.disburse brings it
        JC_EXEC_ASSIGN(auto channel, load(store::channel_ref(t.ov, servicer, in.channel_ref)));
        if (channel) {
            return reject(Code::kDuplicateChannelRef, json::Value{{"channel_ref", in.channel_ref},
                                                                  {"loan_id", channel->loan_id},
                                                                  {"event_seq", channel->event_seq}});
        }
    }
    // 4001 / 4002 / 4005 / 4006: resolve each partner tranche's partnership.
    const std::size_t k = in.tranches.size();
    std::vector<std::optional<Partnership>> parts(k);
    for (std::size_t i = 0; i < k; ++i) {
        const TrancheInput& ti = in.tranches[i];
        if (ti.bank_id == servicer) {
            continue;
        }
        const std::string path = "tranches[" + std::to_string(i) + "]";
        if (!ti.partnership_id) {
            return reject(Code::kPartnershipNotFound,
                          json::Value{{"field", path + ".partnership_id"}, {"reason", "a partner tranche names its partnership"}});
        }
        JC_EXEC_ASSIGN(parts[i], load(store::partnership(t.ov, *ti.partnership_id)));
        if (!parts[i]) {
            return reject(Code::kPartnershipNotFound, json::Value{{"field", path + ".partnership_id"},
                                                                  {"partnership_id", *ti.partnership_id}});
        }
        if (parts[i]->servicer_bank != servicer || parts[i]->partner_bank != ti.bank_id) {
            return reject(Code::kPartnershipNotFound,
                          json::Value{{"field", path + ".partnership_id"},
                                      {"partnership_id", *ti.partnership_id},
                                      {"reason", "the partnership links " + parts[i]->servicer_bank + " and " +
                                                     parts[i]->partner_bank}});
        }
    }
    for (std::size_t i = 0; i < k; ++i) {
        if (!parts[i]) {
            continue;
        }
        if (parts[i]->status != PartnershipStatus::kActive) {
            return reject(Code::kPartnershipInactive, json::Value{{"partnership_id", parts[i]->partnership_id},
                                                                  {"status", std::string(name(parts[i]->status))}});
        }
        JC_EXEC_ASSIGN(auto partner, load(store::member(t.ov, parts[i]->partner_bank)));
        if (!partner || partner->status != MemberStatus::kActive) {
            return reject(Code::kPartnershipInactive, json::Value{{"partnership_id", parts[i]->partnership_id},
                                                                  {"reason", "the partner bank is not an ACTIVE member"}});
        }
    }
    for (std::size_t i = 0; i < k; ++i) {
        if (parts[i] && parts[i]->terms.funding_mode != in.mode) {
            return reject(Code::kFundingModeMismatch,
                          json::Value{{"partnership_id", parts[i]->partnership_id},
                                      {"partnership_mode", std::string(name(parts[i]->terms.funding_mode))},
                                      {"disbursement_mode", std::string(name(in.mode))}});
        }
    }
    // 4006 / 4007: one path per loan (ADR 0062). A partnership that requires acceptance takes
    // loan.propose; a loan none of whose partnerships does takes loan.originate.
    bool acceptance_required = false;
    for (std::size_t i = 0; i < k; ++i) {
        if (parts[i] && parts[i]->terms.require_partner_acceptance) {
            if (!propose) {
                return reject(Code::kAcceptanceRequired, json::Value{{"partnership_id", parts[i]->partnership_id},
                                                                     {"reason", "this partnership requires loan.propose"}});
            }
            acceptance_required = true;
        }
    }
    if (propose && !acceptance_required) {
        return reject(Code::kAcceptanceNotRequired,
                      json::Value{{"loan_id", in.loan_id},
                                  {"reason", "no tranche's partnership requires acceptance: use loan.originate"}});
    }
    // 41xx: tranche shape.
    if (k > kTranchesMax) {
        return reject(Code::kTooManyTranches, json::Value{{"count", k}, {"max", kTranchesMax}});
    }
    std::int64_t share_sum = 0;
    for (const auto& ti : in.tranches) {
        share_sum += ti.share_bps;
    }
    if (share_sum != 10000) {
        return reject(Code::kSharesNot100, json::Value{{"sum_bps", share_sum}});
    }
    std::int64_t servicer_min = 0;
    for (std::size_t i = 0; i < k; ++i) {
        if (parts[i]) {
            servicer_min = std::max<std::int64_t>(servicer_min, parts[i]->terms.min_tranche_share_bps);
        }
    }
    for (std::size_t i = 0; i < k; ++i) {
        const std::int64_t min = parts[i] ? parts[i]->terms.min_tranche_share_bps : servicer_min;
        if (in.tranches[i].share_bps < min) {
            return reject(Code::kTrancheShareBelowMin, json::Value{{"index", i},
                                                                   {"bank_id", in.tranches[i].bank_id},
                                                                   {"share_bps", in.tranches[i].share_bps},
                                                                   {"min_tranche_share_bps", min}});
        }
    }
    for (std::size_t i = 0; i < k; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (in.tranches[i].bank_id == in.tranches[j].bank_id) {
                return reject(Code::kDuplicateTrancheBank,
                              json::Value{{"bank_id", in.tranches[i].bank_id}, {"indexes", {j, i}}});
            }
        }
    }
    const auto servicer_it = std::find_if(in.tranches.begin(), in.tranches.end(),
                                          [&](const TrancheInput& ti) { return ti.bank_id == servicer; });
    if (servicer_it == in.tranches.end()) {
        return reject(Code::kServicerNotInTranches, json::Value{{"servicer", servicer}});
    }
    std::array<std::int64_t, kTranchesMax> weights{};
    std::array<std::int64_t, kTranchesMax> funded{};
    for (std::size_t i = 0; i < k; ++i) {
        weights[i] = in.tranches[i].share_bps;
    }
    const auto split = arith::allocate_lrm(in.principal, std::span<const std::int64_t>(weights.data(), k),
                                           std::span<std::int64_t>(funded.data(), k));
    JC_ASSERT(split == arith::AllocateStatus::kOk, "contracts.originate.split_valid");
    for (std::size_t i = 0; i < k; ++i) {
        if (funded[i] == 0) {
            return reject(Code::kZeroTranche, json::Value{{"index", i},
                                                          {"bank_id", in.tranches[i].bank_id},
                                                          {"principal", std::to_string(in.principal)},
                                                          {"share_bps", in.tranches[i].share_bps}});
        }
    }
    // 42xx: product limits.
    const ProductTerms& product = params.product(in.product_code);
    if (in.principal > product.max_principal) {
        return reject(Code::kPrincipalAboveMax, json::Value{{"principal", std::to_string(in.principal)},
                                                            {"max_principal", std::to_string(product.max_principal)}});
    }
    const std::string borrower_key = keys::borrower(in.product_code, in.borrower_ref);
    JC_EXEC_ASSIGN(const std::int64_t borrower_out, load(store::borrower_outstanding(t.ov, borrower_key)));
    if (borrower_out + in.principal > product.max_principal) {  // both <= 10^15: no overflow
        return reject(Code::kBorrowerLimit, json::Value{{"outstanding", std::to_string(borrower_out)},
                                                        {"principal", std::to_string(in.principal)},
                                                        {"max_principal", std::to_string(product.max_principal)}});
    }
    if (in.schedule_type == ScheduleType::kBullet &&
        in.bullet_due_date - in.value_date > product.max_bullet_term_days) {
        return reject(Code::kBulletTermTooLong, json::Value{{"term_days", in.bullet_due_date - in.value_date},
                                                            {"max_bullet_term_days", product.max_bullet_term_days}});
    }
    const std::int64_t cap = product.max_rate_ppb[static_cast<std::size_t>(in.basis)];
    if (cap >= 0 && (in.rate_ppb > cap || in.penalty_rate_ppb > cap)) {
        return reject(Code::kRateAboveCap, json::Value{{"rate_ppb", std::to_string(in.rate_ppb)},
                                                       {"penalty_rate_ppb", std::to_string(in.penalty_rate_ppb)},
                                                       {"max_rate_ppb", std::to_string(cap)},
                                                       {"basis", std::string(arith::basis_name(in.basis))}});
    }
    // 4301
    JC_EXEC_ASSIGN(std::vector<Installment> schedule, build_schedule(in, product));
    // The loan as it will be funded (nothing is written before the checks below pass).
    OriginationPlan plan;
    Loan& loan = plan.loan;
    loan.loan_id = in.loan_id;
    loan.servicer = servicer;
    loan.borrower_ref = in.borrower_ref;
    loan.product_code = in.product_code;
    loan.principal = in.principal;
    loan.value_date = in.value_date;
    loan.rate_ppb = in.rate_ppb;
    loan.basis = in.basis;
    loan.interest_method = in.interest_method;
    loan.penalty_rate_ppb = in.penalty_rate_ppb;
    loan.penalty_mode = in.penalty_mode;
    loan.schedule_type = in.schedule_type;
    loan.prepay_mode = in.prepay_mode;
    loan.rounding = params.rounding;
    loan.status = LoanStatus::kActive;
    loan.last_accrual_date = in.value_date;
    loan.last_event_date = in.value_date;
    loan.event_seq = 1;
    loan.disbursement_channel_ref = in.channel_ref;
    loan.originated_height = t.env.block.height;
    loan.installments = std::move(schedule);
    plan.funded.assign(funded.begin(), funded.begin() + static_cast<std::ptrdiff_t>(k));
    for (std::size_t i = 0; i < k; ++i) {
        Tranche tr;
        tr.bank_id = in.tranches[i].bank_id;
        tr.share_bps = static_cast<std::uint16_t>(in.tranches[i].share_bps);
        tr.funding_mode = in.mode;
        if (parts[i]) {
            // The fee terms in force now govern this loan for life (amendments apply to new loans).
            tr.partnership_id = parts[i]->partnership_id;
            tr.fee_bps = parts[i]->terms.service_fee_bps;
            tr.fee_base = parts[i]->terms.fee_base;
            tr.writeoff_preauth_dpd = parts[i]->terms.writeoff_preauth_dpd;
        }
        tr.principal_orig = funded[i];
        tr.principal_out = funded[i];
        loan.tranches.push_back(std::move(tr));
    }

    // 44xx: partnership capacity and interbank bounds, counting every pending reservation.
    JC_EXEC_TRY(check_capacity(t, loan, parts, plan.funded, /*reserved_includes_loan=*/false));
    // 5004
    if (in.value_date > t.env.block.business_date) {
        return reject(Code::kValueDateInFuture,
                      json::Value{{"value_date", arith::format_date(in.value_date)},
                                  {"business_date", arith::format_date(t.env.block.business_date)}});
    }

    plan.parts = std::move(parts);
    plan.borrower_key = borrower_key;
    plan.borrower_out = borrower_out;
    plan.channel_ref = in.channel_ref;
    return plan;
}

Exec<LoanEvent> book_disbursement(TxEnv& t, Loan& loan, std::vector<std::optional<Partnership>>& parts,
                                  const std::string& channel_ref) {
    const std::string& servicer = loan.servicer;
    const std::size_t k = loan.tranches.size();
    JC_ASSERT(parts.size() == k, "contracts.disburse.parts_match_tranches");
    loan.status = LoanStatus::kActive;
    loan.event_seq = 1;
    loan.disbursement_channel_ref = channel_ref;
    loan.originated_height = t.env.block.height;
    LoanEvent ev;
    ev.type = EventType::kOriginate;
    ev.event_seq = 1;
    ev.tx_hash = t.tx.hash();
    ev.item_index = t.item_index;
    ev.height = t.env.block.height;
    ev.tx_index = t.tx_index;
    ev.client_ref = t.tx.client_ref();
    ev.channel_ref = channel_ref;
    ev.value_date = loan.value_date;
    ev.amount = loan.principal;
    // The open cycle now, not at block start: a settlement.close_cycle earlier in the block
    // (or batch) may have opened the next one.
    JC_EXEC_ASSIGN(ev.cycle_id, load(store::current_cycle_id(t.ov, t.env.cycle)));
    ev.principal_out_before = 0;
    ev.principal_out_after = loan.principal;
    ev.status_after = LoanStatus::kActive;
    Booking book;
    for (std::size_t i = 0; i < k; ++i) {
        const std::int64_t funded = loan.tranches[i].principal_orig;
        TrancheAllocation a;
        a.funded = funded;
        a.principal_out_after = funded;
        ev.tranches.push_back(a);
        const std::string& bank = loan.tranches[i].bank_id;
        if (bank == servicer) {
            book.post(servicer, AccountCode::kLoanPrincipal, "", AccountCode::kBorrowerClearing, "", funded);
        } else if (loan.tranches[i].funding_mode == FundingMode::kDirect) {
            // The partner paid the borrower itself: no interbank leg.
            book.post(bank, AccountCode::kLoanPrincipal, "", AccountCode::kSettlementCash, "", funded);
        } else {
            book.post(servicer, AccountCode::kInterbank, bank, AccountCode::kBorrowerClearing, "", funded);
            book.post(bank, AccountCode::kLoanPrincipal, "", AccountCode::kInterbank, servicer, funded);
            book.oblige(bank, servicer, Category::kFunding, funded, loan.tranches[i].partnership_id);
        }
    }
    book.set_event(ev.event_id(), t.env.block.height, static_cast<Date>(t.env.block.business_date));
    JC_EXEC_TRY(book.apply(t.ov, ev.cycle_id));
    ev.postings = book.postings();
    ev.obligations = book.obligations();

    for (std::size_t i = 0; i < k; ++i) {
        if (!parts[i]) {
            continue;
        }
        Partnership& p = *parts[i];
        p.used += loan.tranches[i].principal_orig;  // <= max_outstanding_principal (checked before)
        p.loan_count += 1;
        p.updated_height = t.env.block.height;
        put_partnership(t.ov, p);
    }
    t.ov.put(keys::channel_ref(servicer, channel_ref), encode(ChannelRefRecord{loan.loan_id, 1}, t.ov.record_version()));
    t.ov.put(keys::event(loan.loan_id, 1), encode(ev, t.ov.record_version()));
    put_loan(t.ov, loan);
    if (t.env.options.check_tx_invariants) {
        if (auto s = invariants::check_loan_event(nullptr, loan, ev, t.ov); !s) {
            return fail(invariants::violation(t.env.block.height, s.error().message()));
        }
    }
    return ev;
}

Exec<TxEffect> apply_loan_originate(TxEnv& t, const json::Value& body) {
    JC_EXEC_ASSIGN(OriginationPlan plan, plan_origination(t, body, OriginationPath::kOriginate));
    t.ov.put(plan.borrower_key, encode_borrower_outstanding(plan.borrower_out + plan.loan.principal, t.ov.record_version()));
    JC_EXEC_ASSIGN(const LoanEvent ev, book_disbursement(t, plan.loan, plan.parts, plan.channel_ref));
    return TxEffect{CanonicalText{render::event_result_text(plan.loan, ev)}, plan.loan.loan_id, 1};
}

Exec<TxEffect> apply_loan_repay(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"loan_id", "value_date", "amount", "channel_ref", "intent"});
    const auto loan_id = f.id(body, "loan_id", "", kIdLengthMax, true);
    const auto value_date = f.date(body, "value_date", "", true);
    const auto amount = f.amount(body, "amount", "", /*positive=*/true, true);
    const auto channel_ref = f.id(body, "channel_ref", "", kIdLengthMax, true);
    const auto intent = f.enumeration(body, "intent", "", parse_repay_intent, false).value_or(RepayIntent::kAuto);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(auto loaded, load_loan_for_update(t, *loan_id));
    const std::string& servicer = t.sender.bank_id;
    if (loaded && loaded->servicer != servicer) {
        return reject(Code::kNotServicer, json::Value{{"loan_id", *loan_id}, {"servicer", loaded->servicer}});
    }
    JC_EXEC_ASSIGN(auto channel, load(store::channel_ref(t.ov, servicer, *channel_ref)));
    if (channel) {
        return reject(Code::kDuplicateChannelRef, json::Value{{"channel_ref", *channel_ref},
                                                              {"loan_id", channel->loan_id},
                                                              {"event_seq", channel->event_seq}});
    }
    if (!loaded) {
        return reject(Code::kLoanNotFound, json::Value{{"loan_id", *loan_id}});
    }
    const Loan& before = *loaded;
    // The loan is about to drive postings: a record that breaks T4-T6 is corruption, reported
    // rather than computed with (cheap: linear in tranches and instalments).
    if (auto broken = invariants::check_loan(before)) {
        return fail(invariants::violation(t.env.block.height, "stored " + *broken));
    }
    JC_EXEC_ASSIGN(servicing::Plan plan,
                   servicing::plan_repayment(before, *value_date, *amount, intent, t.env.block.business_date));
    const Loan& after = plan.after;
    const std::size_t k = after.tranches.size();

    LoanEvent ev;
    servicing::fill_event(before, plan, ev);
    ev.tx_hash = t.tx.hash();
    ev.item_index = t.item_index;
    ev.height = t.env.block.height;
    ev.tx_index = t.tx_index;
    ev.client_ref = t.tx.client_ref();
    ev.channel_ref = *channel_ref;
    ev.value_date = *value_date;
    ev.intent = intent;
    // The open cycle now, not at block start: a settlement.close_cycle earlier in the block
    // (or batch) may have opened the next one.
    JC_EXEC_ASSIGN(ev.cycle_id, load(store::current_cycle_id(t.ov, t.env.cycle)));

    // The tranches' partnerships, read once: their settlement mode routes the obligations
    // (Booking::apply) and their usage follows the partner's principal below. Nothing between
    // here and the usage update writes a partnership record (ADR 0140).
    struct TranchePartnership {
        const std::string* id;
        std::optional<Partnership> record;
    };
    std::vector<TranchePartnership> partnerships;
    auto partnership_of = [&partnerships](const std::string& id) -> std::optional<Partnership>& {
        for (auto& p : partnerships) {
            if (*p.id == id) {
                return p.record;
            }
        }
        JC_UNREACHABLE("contracts.repay.partnership_read");
    };
    for (const Tranche& tr : after.tranches) {
        if (tr.partnership_id.empty() ||
            std::any_of(partnerships.begin(), partnerships.end(),
                        [&](const TranchePartnership& p) { return *p.id == tr.partnership_id; })) {
            continue;
        }
        JC_EXEC_ASSIGN(auto p, load(store::partnership(t.ov, tr.partnership_id)));
        partnerships.push_back(TranchePartnership{&tr.partnership_id, std::move(p)});
    }

    // Postings (DOMAIN.md B.2): the servicer books the whole cash receipt against its own share
    // and what it now owes each partner; each partner books its share against the claim on the
    // servicer, net of the service fee it pays.
    Booking book;
    for (const auto& p : partnerships) {
        // A missing record nets, as Booking::apply treats it; the usage update below reports it.
        book.know_partnership(*p.id, p.record && p.record->terms.settlement_mode == SettlementMode::kGross);
    }
    std::vector<Booking::Leg> servicer_credits;
    std::int64_t principal_total = 0;
    for (std::size_t i = 0; i < k; ++i) {
        const Tranche& tr = after.tranches[i];
        const TrancheAllocation& a = ev.tranches[i];
        principal_total += a.principal();
        if (tr.bank_id == servicer) {
            servicer_credits.push_back({AccountCode::kLoanPrincipal, "", a.principal()});
            servicer_credits.push_back({AccountCode::kInterestIncome, "", a.interest});
            servicer_credits.push_back({AccountCode::kPenaltyIncome, "", a.penalty});
        }
    }
    for (std::size_t i = 0; i < k; ++i) {
        const Tranche& tr = after.tranches[i];
        if (tr.bank_id == servicer) {
            continue;
        }
        const TrancheAllocation& a = ev.tranches[i];
        const std::int64_t owed_to_partner = a.principal() + a.interest + a.penalty - a.fee;
        servicer_credits.push_back({AccountCode::kInterbank, tr.bank_id, owed_to_partner});
        servicer_credits.push_back({AccountCode::kServiceFeeIncome, "", a.fee});
        book.pair(tr.bank_id,
                  {{AccountCode::kInterbank, servicer, owed_to_partner}, {AccountCode::kServiceFeeExpense, "", a.fee}},
                  {{AccountCode::kLoanPrincipal, "", a.principal()},
                   {AccountCode::kInterestIncome, "", a.interest},
                   {AccountCode::kPenaltyIncome, "", a.penalty}});
        book.oblige(servicer, tr.bank_id, Category::kPrincipal, a.principal(), tr.partnership_id);
        book.oblige(servicer, tr.bank_id, Category::kInterest, a.interest, tr.partnership_id);
        book.oblige(servicer, tr.bank_id, Category::kPenalty, a.penalty, tr.partnership_id);
        book.oblige(tr.bank_id, servicer, Category::kServiceFee, a.fee, tr.partnership_id);
    }
    book.set_event(ev.event_id(), t.env.block.height, static_cast<Date>(t.env.block.business_date));
    // Servicer postings first in the event's list, then the partners' (stable, documented order).
    Booking servicer_book;
    servicer_book.pair(servicer, {{AccountCode::kBorrowerClearing, "", *amount}}, servicer_credits);
    JC_EXEC_TRY(servicer_book.apply(t.ov, ev.cycle_id));
    JC_EXEC_TRY(book.apply(t.ov, ev.cycle_id));
    ev.postings = servicer_book.postings();
    ev.postings.insert(ev.postings.end(), book.postings().begin(), book.postings().end());
    ev.obligations = book.obligations();

    // Partnership usage, early-close flag, borrower exposure.
    for (std::size_t i = 0; i < k; ++i) {
        const Tranche& tr = after.tranches[i];
        if (tr.partnership_id.empty()) {
            continue;
        }
        std::optional<Partnership>& p = partnership_of(tr.partnership_id);
        if (!p) {
            return fail(Error(Errc::kCorruption, "loan " + after.loan_id + " names missing partnership " +
                                                     tr.partnership_id));
        }
        const std::int64_t paid = ev.tranches[i].principal();
        if (paid != 0) {
            p->used -= paid;
            p->updated_height = t.env.block.height;
            put_partnership(t.ov, *p);
        }
        JC_EXEC_ASSIGN(const I128 pos, load(store::position(t.ov, servicer, tr.bank_id)));
        if (pos > p->terms.collection_limit) {
            ev.early_close_flag = true;
        }
    }
    if (ev.early_close_flag) {
        JC_EXEC_ASSIGN(Cycle cycle, load(store::current_cycle(t.ov)));
        if (!cycle.early_close_requested) {
            cycle.early_close_requested = true;
            t.ov.put(keys::cycle(cycle.cycle_id), encode(cycle, t.ov.record_version()));
        }
    }
    if (principal_total != 0) {
        const std::string borrower_key = keys::borrower(after.product_code, after.borrower_ref);
        JC_EXEC_ASSIGN(const std::int64_t borrower_out, load(store::borrower_outstanding(t.ov, borrower_key)));
        if (borrower_out < principal_total) {
            return fail(Error(Errc::kCorruption, "borrower exposure below the loan's principal for " + borrower_key));
        }
        t.ov.put(borrower_key, encode_borrower_outstanding(borrower_out - principal_total, t.ov.record_version()));
    }
    t.ov.put(keys::channel_ref(servicer, *channel_ref), encode(ChannelRefRecord{after.loan_id, ev.event_seq}, t.ov.record_version()));
    t.ov.put(keys::event(after.loan_id, ev.event_seq), encode(ev, t.ov.record_version()));
    put_loan(t.ov, after);
    if (t.env.options.check_tx_invariants) {
        if (auto s = invariants::check_loan_event(&before, after, ev, t.ov); !s) {
            return fail(invariants::violation(t.env.block.height, s.error().message()));
        }
    }
    return TxEffect{CanonicalText{render::event_result_text(after, ev)}, after.loan_id, ev.event_seq};
}

}  // namespace jc::contracts
