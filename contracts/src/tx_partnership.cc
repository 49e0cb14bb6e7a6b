// partnership.propose / accept / reject / amend / suspend (DOMAIN.md B.1, B.3; ADR 0032).
#include "form.h"
#include "render.h"
#include "tx_env.h"

#include <array>

namespace jc::contracts {

namespace {

constexpr std::array<std::string_view, 12> kTermFields = {
    "agreement_ref",      "funding_mode",  "min_tranche_share_bps",      "max_outstanding_principal",
    "fronting_limit",     "collection_limit", "service_fee_bps",         "fee_base",
    "require_partner_acceptance", "accept_timeout_days", "writeoff_preauth_dpd", "settlement_mode"};

// Reads the term fields present in `body` over `terms`. `required` makes the core fields
// mandatory (propose); an amendment may carry any subset.
void read_terms(Form& f, const json::Value& body, PartnershipTerms& terms, bool required) {
    if (auto v = f.hex64(body, "agreement_ref", "", required)) {
        terms.agreement_ref = *v;
    }
    if (auto v = f.enumeration(body, "funding_mode", "", parse_funding_mode, required)) {
        terms.funding_mode = *v;
    }
    if (auto v = f.integer(body, "min_tranche_share_bps", "", 0, 10000, false)) {
        terms.min_tranche_share_bps = static_cast<std::uint16_t>(*v);
    }
    if (auto v = f.amount(body, "max_outstanding_principal", "", false, required)) {
        terms.max_outstanding_principal = *v;
    }
    if (auto v = f.amount(body, "fronting_limit", "", false, required)) {
        terms.fronting_limit = *v;
    }
    if (auto v = f.amount(body, "collection_limit", "", false, required)) {
        terms.collection_limit = *v;
    }
    if (auto v = f.integer(body, "service_fee_bps", "", 0, 10000, required)) {
        terms.service_fee_bps = static_cast<std::uint16_t>(*v);
    }
    if (auto v = f.enumeration(body, "fee_base", "", parse_fee_base, false)) {
        terms.fee_base = *v;
    }
    if (auto v = f.boolean(body, "require_partner_acceptance", "", false)) {
        terms.require_partner_acceptance = *v;
    }
    if (auto v = f.integer(body, "accept_timeout_days", "", 0, 3650, false)) {
        terms.accept_timeout_days = static_cast<std::uint32_t>(*v);
    }
    if (auto v = f.integer(body, "writeoff_preauth_dpd", "", 0, 100000, false)) {
        terms.writeoff_preauth_dpd = static_cast<std::uint32_t>(*v);
    }
    if (auto v = f.enumeration(body, "settlement_mode", "", parse_settlement_mode, false)) {
        terms.settlement_mode = *v;
    }
}

// Cross-field rules, checked on the complete terms.
void check_terms(Form& f, const PartnershipTerms& terms) {
    if (terms.funding_mode != FundingMode::kFronted && terms.fronting_limit != 0) {
        f.error(Code::kBadEnvelope, "fronting_limit", "applies to FRONTED partnerships only; must be \"0\"");
    }
}

Exec<std::optional<Partnership>> load_partnership(TxEnv& t, const std::string& id) {
    return load(store::partnership(t.ov, id));
}

TxEffect effect(const Partnership& p) { return TxEffect{json::Value{{"partnership", render::partnership(p)}}, "", 0}; }

// Common head of accept / reject / amend / suspend: form, existence, party check.
Exec<Partnership> load_for_party(TxEnv& t, const json::Value& body, Form& f,
                                 std::initializer_list<std::string_view> allowed) {
    f.object(body, "", allowed);
    const auto id = f.id(body, "partnership_id", "", kIdLengthMax, true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(auto p, load_partnership(t, *id));
    if (p && t.sender.bank_id != p->servicer_bank && t.sender.bank_id != p->partner_bank) {
        return reject(Code::kNotParty, json::Value{{"partnership_id", *id}, {"reason", "sender is not a party"}});
    }
    if (!p) {
        return reject(Code::kPartnershipNotFound, json::Value{{"partnership_id", *id}});
    }
    return std::move(*p);
}

Failure state_error(const Partnership& p, const char* reason) {
    return reject(Code::kPartnershipState, json::Value{{"partnership_id", p.partnership_id},
                                                      {"status", std::string(name(p.status))},
                                                      {"pending_amendment", p.has_pending_amendment},
                                                      {"reason", reason}});
}

ExecStatus check_party_member(TxEnv& t, const std::string& bank, Role role) {
    JC_EXEC_ASSIGN(auto m, load(store::member(t.ov, bank)));
    if (!m) {
        return reject(Code::kUnknownMember, json::Value{{"bank_id", bank}});
    }
    if (m->status != MemberStatus::kActive) {
        return reject(Code::kMemberSuspended, json::Value{{"bank_id", bank}});
    }
    if (!m->has_role(role)) {
        return reject(Code::kRoleNotHeld, json::Value{{"bank_id", bank}, {"role", std::string(name(role))}});
    }
    return exec_ok();
}

}  // namespace

Exec<TxEffect> apply_partnership_propose(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"partnership_id", "servicer_bank", "partner_bank", "agreement_ref", "funding_mode",
                        "min_tranche_share_bps", "max_outstanding_principal", "fronting_limit", "collection_limit",
                        "service_fee_bps", "fee_base", "require_partner_acceptance", "accept_timeout_days",
                        "writeoff_preauth_dpd", "settlement_mode"});
    Partnership p;
    const auto id = f.id(body, "partnership_id", "", kIdLengthMax, true);
    const auto servicer = f.bank_id(body, "servicer_bank", "", true);
    const auto partner = f.bank_id(body, "partner_bank", "", true);
    read_terms(f, body, p.terms, /*required=*/true);
    check_terms(f, p.terms);
    if (servicer && partner && *servicer == *partner) {
        f.error(Code::kBadEnvelope, "partner_bank", "must differ from servicer_bank");
    }
    if (f.has_error()) {
        return f.failure();
    }
    if (*servicer != t.sender.bank_id) {
        return reject(Code::kNotServicer, json::Value{{"servicer_bank", *servicer}, {"sender", t.sender.bank_id}});
    }
    JC_EXEC_TRY(check_party_member(t, *servicer, Role::kServicer));
    JC_EXEC_TRY(check_party_member(t, *partner, Role::kFunder));
    JC_EXEC_ASSIGN(auto existing, load_partnership(t, *id));
    if (existing) {
        return reject(Code::kPartnershipExists, json::Value{{"partnership_id", *id}});
    }
    p.partnership_id = *id;
    p.servicer_bank = *servicer;
    p.partner_bank = *partner;
    p.status = PartnershipStatus::kProposed;
    p.created_height = t.env.block.height;
    p.updated_height = t.env.block.height;
    put_partnership(t.ov, p);
    return effect(p);
}

Exec<TxEffect> apply_partnership_accept(TxEnv& t, const json::Value& body) {
    Form f;
    JC_EXEC_ASSIGN(Partnership p, load_for_party(t, body, f, {"partnership_id"}));
    if (p.status == PartnershipStatus::kProposed) {
        if (t.sender.bank_id != p.partner_bank) {
            return reject(Code::kNotParty, json::Value{{"partnership_id", p.partnership_id},
                                                       {"reason", "only the partner bank accepts a proposal"}});
        }
        p.status = PartnershipStatus::kActive;
    } else if (p.status == PartnershipStatus::kActive && p.has_pending_amendment) {
        if (t.sender.bank_id == p.amendment_proposer) {
            return reject(Code::kNotParty, json::Value{{"partnership_id", p.partnership_id},
                                                       {"reason", "the other party accepts an amendment"}});
        }
        // Amendments govern new loans only: existing loans keep the terms snapshotted in their
        // tranches at origination.
        p.terms = p.pending_amendment;
        p.has_pending_amendment = false;
        p.pending_amendment = PartnershipTerms{};
        p.amendment_proposer.clear();
    } else {
        return state_error(p, "nothing to accept");
    }
    p.updated_height = t.env.block.height;
    put_partnership(t.ov, p);
    return effect(p);
}

Exec<TxEffect> apply_partnership_reject(TxEnv& t, const json::Value& body) {
    Form f;
    JC_EXEC_ASSIGN(Partnership p, load_for_party(t, body, f, {"partnership_id"}));
    if (p.status == PartnershipStatus::kProposed) {
        if (t.sender.bank_id != p.partner_bank) {
            return reject(Code::kNotParty, json::Value{{"partnership_id", p.partnership_id},
                                                       {"reason", "only the partner bank rejects a proposal"}});
        }
        p.status = PartnershipStatus::kRejected;
    } else if (p.status == PartnershipStatus::kActive && p.has_pending_amendment) {
        // Either party may drop a pending amendment: the counterparty declines it, the proposer
        // withdraws it.
        p.has_pending_amendment = false;
        p.pending_amendment = PartnershipTerms{};
        p.amendment_proposer.clear();
    } else {
        return state_error(p, "nothing to reject");
    }
    p.updated_height = t.env.block.height;
    put_partnership(t.ov, p);
    return effect(p);
}

Exec<TxEffect> apply_partnership_amend(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"partnership_id", "agreement_ref", "funding_mode", "min_tranche_share_bps",
                        "max_outstanding_principal", "fronting_limit", "collection_limit", "service_fee_bps",
                        "fee_base", "require_partner_acceptance", "accept_timeout_days", "writeoff_preauth_dpd",
                        "settlement_mode"});
    const auto id = f.id(body, "partnership_id", "", kIdLengthMax, true);
    bool any_term = false;
    for (const auto field : kTermFields) {
        any_term = any_term || body.contains(field);
    }
    if (!any_term) {
        f.error(Code::kBadEnvelope, "body", "an amendment changes at least one term");
    }
    PartnershipTerms probe;
    read_terms(f, body, probe, /*required=*/false);  // form checks only; merged below
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(auto loaded, load_partnership(t, *id));
    if (loaded && t.sender.bank_id != loaded->servicer_bank && t.sender.bank_id != loaded->partner_bank) {
        return reject(Code::kNotParty, json::Value{{"partnership_id", *id}, {"reason", "sender is not a party"}});
    }
    if (!loaded) {
        return reject(Code::kPartnershipNotFound, json::Value{{"partnership_id", *id}});
    }
    Partnership p = std::move(*loaded);
    if (p.status != PartnershipStatus::kActive || p.has_pending_amendment) {
        return state_error(p, "amendments need an ACTIVE partnership without a pending amendment");
    }
    PartnershipTerms merged = p.terms;
    Form f2;
    read_terms(f2, body, merged, /*required=*/false);
    check_terms(f2, merged);
    if (f2.has_error()) {
        return f2.failure();
    }
    if (merged == p.terms) {
        return reject(Code::kBadEnvelope, json::Value{{"field", "body"}, {"reason", "the amendment changes nothing"}});
    }
    p.has_pending_amendment = true;
    p.pending_amendment = merged;
    p.amendment_proposer = t.sender.bank_id;
    p.updated_height = t.env.block.height;
    put_partnership(t.ov, p);
    return effect(p);
}

Exec<TxEffect> apply_partnership_suspend(TxEnv& t, const json::Value& body) {
    Form f;
    JC_EXEC_ASSIGN(Partnership p, load_for_party(t, body, f, {"partnership_id"}));
    if (p.status != PartnershipStatus::kActive) {
        return state_error(p, "only an ACTIVE partnership can be suspended");
    }
    p.status = PartnershipStatus::kSuspended;
    p.has_pending_amendment = false;
    p.pending_amendment = PartnershipTerms{};
    p.amendment_proposer.clear();
    p.updated_height = t.env.block.height;
    put_partnership(t.ov, p);
    return effect(p);
}

}  // namespace jc::contracts
