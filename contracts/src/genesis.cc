#include <jc/contracts/genesis.h>

#include "calendar.h"

#include <jc/contracts/arith/date.h>
#include <jc/ledger/transaction.h>

#include <algorithm>
#include <map>
#include <set>

namespace jc::contracts {

namespace {

Error bad(const std::string& what) { return Error(Errc::kInvalidArgument, "genesis: " + what); }

bool is_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_printable(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

Status check_product(const ProductTerms& p, const std::string& where) {
    if (p.max_principal <= 0 || p.max_principal > arith::kMaxAmount) {
        return bad(where + ": max_principal must be in [1, 10^15]");
    }
    if (p.max_bullet_term_days < 1) {
        return bad(where + ": max_bullet_term_days must be positive");
    }
    for (const auto cap : p.max_rate_ppb) {
        if (cap < -1) {
            return bad(where + ": a rate cap is -1 (none) or a non-negative ppb value");
        }
    }
    if (p.schedule_types == 0 || (p.schedule_types & ~kAllScheduleTypes) != 0) {
        return bad(where + ": schedule_types must allow at least one known type");
    }
    return {};
}

std::string first_cycle_id(std::int64_t genesis_time_ms) {
    const auto date = static_cast<Date>(arith::business_date_from_ms(genesis_time_ms));
    std::string ymd = arith::format_date(date);
    ymd.erase(std::remove(ymd.begin(), ymd.end(), '-'), ymd.end());
    return ymd + "-01";
}

}  // namespace

Result<ledger::StateWrites> genesis_writes(const GenesisMembers& members, const GenesisParams& gp) {
    const Params& params = gp.params;
    if (const std::string problem = check_params(params); !problem.empty()) {
        return bad("params." + problem);
    }
    JC_TRY_STATUS(check_product(params.default_product, "default product"));
    for (std::size_t i = 0; i < params.products.size(); ++i) {
        const auto& p = params.products[i];
        const std::string where = "product " + p.product_code;
        if (p.product_code.empty() || p.product_code.size() > kProductCodeLengthMax ||
            !ledger::check_client_ref(p.product_code)) {  // same charset as client_ref
            return bad("product_code \"" + p.product_code + "\" must be 1-32 characters of [A-Za-z0-9_.:-]");
        }
        if (i > 0 && !(params.products[i - 1].product_code < p.product_code)) {
            return bad("products must be sorted by product_code and unique");
        }
        JC_TRY_STATUS(check_product(p, where));
    }
    for (std::size_t i = 0; i < params.cycle_cutoffs_minutes.size(); ++i) {
        const std::uint32_t m = params.cycle_cutoffs_minutes[i];
        if (m < 1 || m > calendar::kEndOfDayMinutes || (i > 0 && m <= params.cycle_cutoffs_minutes[i - 1])) {
            return bad("cycle_cutoffs must be strictly increasing minutes in [1, 1440] (00:01 to 24:00 CST)");
        }
    }
    for (const auto* days : {&params.holidays, &params.working_weekends}) {
        for (std::size_t i = 0; i < days->size(); ++i) {
            const Date d = (*days)[i];
            if (d < arith::kDateMin || d > arith::kDateMax || (i > 0 && d <= (*days)[i - 1])) {
                return bad("holidays and working_weekends must be sorted, unique calendar dates");
            }
        }
    }
    if (members.members.empty()) {
        return bad("at least one member is required");
    }
    const auto date = arith::business_date_from_ms(gp.genesis_time_ms);
    if (date < arith::kDateMin || date > arith::kDateMax) {
        return bad("genesis_time_ms outside the calendar");
    }

    std::map<std::string, std::string> records;  // key -> value, emitted in key order
    std::set<std::string> bank_ids;
    std::set<crypto::PublicKey> all_keys;
    for (const auto& m : members.members) {
        const std::string where = "member " + m.bank_id;
        if (!ledger::check_bank_id(m.bank_id)) {
            return bad("bank_id \"" + m.bank_id + "\" must be 1-16 characters of [A-Z0-9_]");
        }
        if (!bank_ids.insert(m.bank_id).second) {
            return bad("duplicate bank_id " + m.bank_id);
        }
        if (m.name.empty() || m.name.size() > kNameLengthMax || !is_printable(m.name)) {
            return bad(where + ": name must be 1-128 printable ASCII characters");
        }
        if (m.cnaps_code.size() != 12 || !is_digits(m.cnaps_code)) {
            return bad(where + ": cnaps_code must be 12 digits");
        }
        if (m.bic.size() > 11 || !is_printable(m.bic) || m.lei.size() > 20 || !is_printable(m.lei)) {
            return bad(where + ": bic (<= 11) or lei (<= 20) malformed");
        }
        if (m.keys.empty() || m.keys.size() > kKeysPerMemberMax) {
            return bad(where + ": needs 1 to 16 signing keys");
        }
        for (const auto& k : m.keys) {
            // Stored keys are trusted on read (records.cc), so they are checked here, once.
            if (auto parsed = crypto::PublicKey::from_bytes(k.bytes); !parsed) {
                return bad(where + ": key " + k.hex() + ": " + parsed.error().message());
            }
            if (!all_keys.insert(k).second) {
                return bad(where + ": key " + k.hex() + " is listed twice or belongs to another member");
            }
        }
        if (m.roles.empty()) {
            return bad(where + ": needs at least one role");
        }
        Member rec;
        rec.bank_id = m.bank_id;
        rec.name = m.name;
        rec.cnaps_code = m.cnaps_code;
        rec.bic = m.bic;
        rec.lei = m.lei;
        rec.keys = m.keys;
        std::sort(rec.keys.begin(), rec.keys.end());
        for (const Role r : m.roles) {
            if (static_cast<unsigned>(r) >= kRoleCount) {
                return bad(where + ": unknown role");
            }
            if ((rec.roles & role_bit(r)) != 0) {
                return bad(where + ": role " + std::string(name(r)) + " listed twice");
            }
            rec.roles = static_cast<std::uint8_t>(rec.roles | role_bit(r));
        }
        rec.status = m.status;
        records.emplace(keys::member(m.bank_id), encode(rec, params.record_version));
        records.emplace(keys::aggregate(m.bank_id), encode(BankAggregate{}, params.record_version));
    }
    if (params.netting == NettingMode::kMultilateral) {
        const auto agent = std::find_if(members.members.begin(), members.members.end(),
                                        [&](const auto& m) { return m.bank_id == params.settlement_agent; });
        if (agent == members.members.end() || agent->status != MemberStatus::kActive) {
            return bad("params.settlement_agent must be an ACTIVE member");
        }
    }
    records.emplace(keys::params(), encode(params));
    Cycle cycle;
    cycle.netting = params.netting;
    cycle.settlement_agent = params.settlement_agent;
    cycle.cycle_id = first_cycle_id(gp.genesis_time_ms);
    cycle.status = CycleStatus::kOpen;
    cycle.opened_at_height = 0;
    cycle.cutoff_ms = calendar::next_cutoff_after(params, gp.genesis_time_ms);
    records.emplace(keys::cycle(cycle.cycle_id), encode(cycle, params.record_version));
    records.emplace(keys::current_cycle(), encode_current_cycle(cycle.cycle_id, params.record_version));

    ledger::StateWrites out;
    out.reserve(records.size());
    for (auto& [k, v] : records) {
        out.push_back(ledger::StateWrite{k, std::move(v)});
    }
    return out;
}

}  // namespace jc::contracts
