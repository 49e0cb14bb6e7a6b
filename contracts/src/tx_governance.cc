// Governance (DOMAIN.md B.1, B.3; docs/decisions/0060-governance-quorum.md):
//   governance.set_params, member.register, member.update, member.suspend  — each submission is
//     a PROPOSAL `gp/<proposal_id>` carrying its own body, approved by its proposer;
//   governance.approve {proposal_id, action_digest}  — another voting member's approval.
// A proposal executes in the transaction that brings its approvals to the quorum
// ceil(voters x governance_quorum_bps / 10000), voters being the ACTIVE members holding SERVICER,
// FUNDER or OPERATOR (a REGULATOR-only member observes). It expires when the business date
// passes its creation date + governance_ttl_days. Parameter changes apply from the next block;
// member changes at once.
#include "form.h"
#include "governance.h"
#include "render.h"
#include "tx_env.h"

#include <jc/contracts/arith/date.h>
#include <jc/core/codec.h>
#include <jc/core/sha256.h>

#include <algorithm>
#include <set>

namespace jc::contracts {

namespace {

// An electorate read through the transaction's overlay.
Exec<Electorate> electorate(const TxEnv& t) { return load(electorate_of(t.ov, t.env.params.governance_quorum_bps)); }

// ---- the actions: each validates its body against the current state and, when `apply`,
// writes its effect. The same code runs at proposal time (validate) and at execution.

using Action = Exec<json::Value> (*)(TxEnv&, const json::Value&, bool apply);

// "HH:MM" CST in [00:01, 24:00] ("24:00" is the end-of-day cutoff, ADR 0051).
std::optional<std::uint32_t> parse_cutoff(const std::string& s) {
    if (s.size() != 5 || s[2] != ':' || !std::isdigit(static_cast<unsigned char>(s[0])) ||
        !std::isdigit(static_cast<unsigned char>(s[1])) || !std::isdigit(static_cast<unsigned char>(s[3])) ||
        !std::isdigit(static_cast<unsigned char>(s[4]))) {
        return std::nullopt;
    }
    const int h = (s[0] - '0') * 10 + (s[1] - '0');
    const int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h * 60 + m > 24 * 60) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(h * 60 + m);
}

std::string format_cutoff(std::uint32_t minutes) {
    std::string out = "00:00";
    out[0] = static_cast<char>('0' + minutes / 600);
    out[1] = static_cast<char>('0' + (minutes / 60) % 10);
    out[3] = static_cast<char>('0' + (minutes % 60) / 10);
    out[4] = static_cast<char>('0' + minutes % 10);
    return out;
}

json::Value params_json(const Params& p) {
    json::Value cutoffs = json::Value::array();
    for (const auto m : p.cycle_cutoffs_minutes) {
        cutoffs.push_back(format_cutoff(m));
    }
    json::Value bases = json::Value::array();
    for (const auto b : {arith::Basis::kDaily, arith::Basis::kAct360, arith::Basis::kAct365F}) {
        if (p.basis_allowed(b)) {
            bases.push_back(std::string(arith::basis_name(b)));
        }
    }
    json::Value holidays = json::Value::array();
    for (const Date d : p.holidays) {
        holidays.push_back(arith::format_date(d));
    }
    json::Value workdays = json::Value::array();
    for (const Date d : p.working_weekends) {
        workdays.push_back(arith::format_date(d));
    }
    json::Value out{{"cycle_cutoffs", std::move(cutoffs)},
                    {"rounding_mode", p.rounding == arith::Rounding::kHalfUp ? "HALF_UP" : "HALF_EVEN"},
                    {"rate_bases", std::move(bases)},
                    {"max_rate_ppb", std::to_string(p.max_rate_ppb)},
                    {"npl_dpd_threshold", p.npl_dpd_threshold},
                    {"holidays", std::move(holidays)},
                    {"working_weekends", std::move(workdays)},
                    {"governance_quorum_bps", p.governance_quorum_bps},
                    {"governance_ttl_days", p.governance_ttl_days},
                    {"netting_mode", std::string(name(p.netting))},
                    {"settlement_agent", p.settlement_agent.empty() ? json::Value(nullptr)
                                                                    : json::Value(p.settlement_agent)}};
    // Shown only from version 2 on: a chain founded before ADR 0175 replays its set_params
    // receipts byte for byte.
    if (p.record_version != RecordVersion::kFixed64) {
        out["record_version"] = static_cast<int>(p.record_version);
    }
    return out;
}

// Reads an array of dates at obj[key] (1001/1005 on form errors).
std::vector<Date> date_list(Form& f, const json::Value& obj, std::string_view key, const std::string& path) {
    std::vector<Date> out;
    const json::Value* v = f.field(obj, key, path, false);
    if (v == nullptr) {
        return out;
    }
    const std::string here = Form::join(path, key);
    if (!v->is_array() || v->size() > kCalendarDatesMax) {
        f.error(Code::kBadEnvelope, here, "must be an array of at most 4096 dates");
        return out;
    }
    for (std::size_t i = 0; i < v->size(); ++i) {
        json::Value holder{{"d", (*v)[i]}};
        if (auto d = f.date(holder, "d", here + "[" + std::to_string(i) + "]", true)) {
            out.push_back(*d);
        }
    }
    return out;
}

Failure params_invalid(const std::string& problem) {
    return reject(Code::kParamsInvalid, json::Value{{"reason", problem}});
}

Exec<json::Value> action_set_params(TxEnv& t, const json::Value& body, bool apply) {
    Form f;
    f.object(body, "", {"proposal_id", "cycle_cutoffs", "rounding_mode", "rate_bases", "max_rate_ppb",
                        "npl_dpd_threshold", "calendar", "governance_quorum_bps", "governance_ttl_days",
                        "netting_mode", "settlement_agent", "record_version"});
    f.id(body, "proposal_id", "", kIdLengthMax, true);
    // The current record, not the block's copy: an earlier execution in this block is included.
    JC_EXEC_ASSIGN(Params p, load(store::params(t.ov)));
    bool changes = false;
    if (const json::Value* v = f.field(body, "cycle_cutoffs", "", false)) {
        changes = true;
        if (!v->is_array()) {
            f.error(Code::kBadEnvelope, "cycle_cutoffs", "must be an array of \"HH:MM\" times (CST)");
        } else {
            p.cycle_cutoffs_minutes.clear();
            for (std::size_t i = 0; i < v->size(); ++i) {
                const auto m = (*v)[i].is_string() ? parse_cutoff((*v)[i].get<std::string>()) : std::nullopt;
                if (!m) {
                    f.error(Code::kBadEnvelope, "cycle_cutoffs[" + std::to_string(i) + "]", "must be \"HH:MM\"");
                } else {
                    p.cycle_cutoffs_minutes.push_back(*m);
                }
            }
        }
    }
    if (auto v = f.string(body, "rounding_mode", "", false)) {
        changes = true;
        if (*v == "HALF_UP") {
            p.rounding = arith::Rounding::kHalfUp;
        } else if (*v == "HALF_EVEN") {
            p.rounding = arith::Rounding::kHalfEven;
        } else {
            f.error(Code::kBadEnvelope, "rounding_mode", "must be HALF_UP or HALF_EVEN");
        }
    }
    if (const json::Value* v = f.field(body, "rate_bases", "", false)) {
        changes = true;
        p.rate_bases = 0;
        if (!v->is_array()) {
            f.error(Code::kBadEnvelope, "rate_bases", "must be an array of bases");
        } else {
            for (std::size_t i = 0; i < v->size(); ++i) {
                json::Value holder{{"b", (*v)[i]}};
                if (auto b = f.basis(holder, "b", "rate_bases[" + std::to_string(i) + "]", true)) {
                    p.rate_bases = static_cast<std::uint8_t>(p.rate_bases | (1u << static_cast<unsigned>(*b)));
                }
            }
        }
    }
    if (auto v = f.rate(body, "max_rate_ppb", "", arith::kMaxAmount, false)) {
        changes = true;
        p.max_rate_ppb = *v;
    }
    if (auto v = f.integer(body, "npl_dpd_threshold", "", 1, 100000, false)) {
        changes = true;
        p.npl_dpd_threshold = static_cast<std::int32_t>(*v);
    }
    if (auto v = f.integer(body, "governance_quorum_bps", "", 1, 10000, false)) {
        changes = true;
        p.governance_quorum_bps = static_cast<std::uint16_t>(*v);
    }
    if (auto v = f.integer(body, "governance_ttl_days", "", 1, 366, false)) {
        changes = true;
        p.governance_ttl_days = static_cast<std::uint32_t>(*v);
    }
    // The record version (ADR 0175) only goes up: records written in version 2 stay readable by
    // every build that writes it, but a chain that went back would have two histories to replay.
    if (auto v = f.integer(body, "record_version", "", 1, 2, false)) {
        changes = true;
        const auto version = static_cast<RecordVersion>(*v);
        if (version < p.record_version) {
            return params_invalid("record_version: cannot go back from " +
                                  std::to_string(static_cast<int>(p.record_version)) + " to " +
                                  std::to_string(*v));
        }
        p.record_version = version;
    }
    // Netting (ADR 0055): BILATERAL drops the agent; MULTILATERAL needs one, named in the same
    // body or already set.
    if (auto v = f.string(body, "netting_mode", "", false)) {
        changes = true;
        if (const auto m = parse_netting_mode(*v)) {
            p.netting = *m;
            if (*m == NettingMode::kBilateral) {
                p.settlement_agent.clear();
            }
        } else {
            f.error(Code::kBadEnvelope, "netting_mode", "must be BILATERAL or MULTILATERAL");
        }
    }
    if (auto v = f.bank_id(body, "settlement_agent", "", false)) {
        changes = true;
        p.settlement_agent = *v;
    }
    std::string calendar_problem;
    if (const json::Value* cal = f.field(body, "calendar", "", false)) {
        changes = true;
        if (f.object(*cal, "calendar", {"add_holidays", "remove_holidays", "add_working_weekends", "remove_working_weekends"})) {
            auto edit = [&](std::vector<Date>& list, const std::vector<Date>& add, const std::vector<Date>& remove,
                            const char* what) {
                for (const Date d : remove) {
                    const auto it = std::lower_bound(list.begin(), list.end(), d);
                    if (it == list.end() || *it != d) {
                        if (calendar_problem.empty()) {
                            calendar_problem = std::string(what) + ": " + arith::format_date(d) + " is not listed";
                        }
                        continue;
                    }
                    list.erase(it);
                }
                for (const Date d : add) {
                    const auto it = std::lower_bound(list.begin(), list.end(), d);
                    if (it != list.end() && *it == d) {
                        if (calendar_problem.empty()) {
                            calendar_problem = std::string(what) + ": " + arith::format_date(d) + " is already listed";
                        }
                        continue;
                    }
                    list.insert(it, d);
                }
            };
            const auto add_h = date_list(f, *cal, "add_holidays", "calendar");
            const auto rem_h = date_list(f, *cal, "remove_holidays", "calendar");
            const auto add_w = date_list(f, *cal, "add_working_weekends", "calendar");
            const auto rem_w = date_list(f, *cal, "remove_working_weekends", "calendar");
            edit(p.holidays, add_h, rem_h, "holidays");
            edit(p.working_weekends, add_w, rem_w, "working_weekends");
        }
    }
    if (!changes && !f.has_error()) {
        f.error(Code::kBadEnvelope, "", "set_params needs at least one parameter");
    }
    if (f.has_error()) {
        return f.failure();
    }
    if (!calendar_problem.empty()) {
        return params_invalid(calendar_problem);
    }
    if (const std::string problem = check_params(p); !problem.empty()) {
        return params_invalid(problem);
    }
    if (p.netting == NettingMode::kMultilateral) {
        // Checked at proposal and again at execution: the agent may have been suspended since.
        JC_EXEC_ASSIGN(auto agent, load(store::member(t.ov, p.settlement_agent)));
        if (!agent || agent->status != MemberStatus::kActive) {
            return params_invalid("settlement_agent: " + p.settlement_agent + " is not an ACTIVE member");
        }
    }
    if (apply) {
        t.ov.put(keys::params(), encode(p));
    }
    return json::Value{{"params", params_json(p)}, {"effective", "from the next block"}};
}

// Member fields common to register and update. `required` for register.
struct MemberInput {
    std::optional<std::string> name, cnaps, bic, lei;
    std::optional<std::vector<crypto::PublicKey>> keys;
    std::optional<std::uint8_t> roles;
    std::optional<MemberStatus> status;
};

MemberInput read_member(Form& f, const json::Value& body, bool required) {
    MemberInput in;
    auto printable = [](const std::string& s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
    };
    if ((in.name = f.string(body, "name", "", required)) &&
        (in.name->empty() || in.name->size() > kNameLengthMax || !printable(*in.name))) {
        f.error(Code::kBadEnvelope, "name", "must be 1-128 printable ASCII characters");
    }
    if ((in.cnaps = f.string(body, "cnaps_code", "", required)) &&
        (in.cnaps->size() != 12 || !std::all_of(in.cnaps->begin(), in.cnaps->end(), [](char c) {
             return c >= '0' && c <= '9';
         }))) {
        f.error(Code::kBadEnvelope, "cnaps_code", "must be 12 digits");
    }
    if ((in.bic = f.string(body, "bic", "", false)) && (in.bic->size() > 11 || !printable(*in.bic))) {
        f.error(Code::kBadEnvelope, "bic", "at most 11 printable characters");
    }
    if ((in.lei = f.string(body, "lei", "", false)) && (in.lei->size() > 20 || !printable(*in.lei))) {
        f.error(Code::kBadEnvelope, "lei", "at most 20 printable characters");
    }
    if (const json::Value* v = f.field(body, "keys", "", required)) {
        if (!v->is_array() || v->empty() || v->size() > kKeysPerMemberMax) {
            f.error(Code::kBadEnvelope, "keys", "must be an array of 1 to 16 compressed public keys (hex)");
        } else {
            std::vector<crypto::PublicKey> keys;
            for (std::size_t i = 0; i < v->size(); ++i) {
                const std::string path = "keys[" + std::to_string(i) + "]";
                auto k = (*v)[i].is_string() ? crypto::PublicKey::from_hex((*v)[i].get<std::string>())
                                             : Result<crypto::PublicKey>(Error(Errc::kInvalidArgument, "not a string"));
                if (!k) {
                    f.error(Code::kBadEnvelope, path, "must be a 33-byte compressed secp256k1 key in hex");
                    continue;
                }
                if (std::find(keys.begin(), keys.end(), *k) != keys.end()) {
                    f.error(Code::kBadEnvelope, path, "listed twice");
                    continue;
                }
                keys.push_back(*k);
            }
            std::sort(keys.begin(), keys.end());
            in.keys = std::move(keys);
        }
    }
    if (const json::Value* v = f.field(body, "roles", "", required)) {
        if (!v->is_array() || v->empty()) {
            f.error(Code::kBadEnvelope, "roles", "must be a non-empty array of roles");
        } else {
            std::uint8_t roles = 0;
            for (std::size_t i = 0; i < v->size(); ++i) {
                json::Value holder{{"r", (*v)[i]}};
                if (auto r = f.enumeration(holder, "r", "roles[" + std::to_string(i) + "]", parse_role, true)) {
                    if ((roles & role_bit(*r)) != 0) {
                        f.error(Code::kBadEnvelope, "roles[" + std::to_string(i) + "]", "listed twice");
                    }
                    roles = static_cast<std::uint8_t>(roles | role_bit(*r));
                }
            }
            in.roles = roles;
        }
    }
    return in;
}

// 6009: a key may belong to one member only.
ExecStatus check_keys_free(const TxEnv& t, const std::string& bank, const std::vector<crypto::PublicKey>& keys) {
    std::optional<Error> bad;
    std::optional<std::pair<std::string, std::string>> clash;
    auto scanned = t.ov.scan(keys::kMemberPrefix, [&](std::string_view key, std::string_view value) {
        auto m = decode_member(value);
        if (!m) {
            bad = m.error().with_context(std::string(key));
            return false;
        }
        if (m->bank_id == bank) {
            return true;
        }
        for (const auto& k : keys) {
            if (std::find(m->keys.begin(), m->keys.end(), k) != m->keys.end()) {
                clash = std::make_pair(m->bank_id, k.hex());
                return false;
            }
        }
        return true;
    });
    if (!scanned) {
        return scanned.error();
    }
    if (bad) {
        return *bad;
    }
    if (clash) {
        return reject(Code::kKeyInUse, json::Value{{"key", clash->second}, {"member", clash->first}});
    }
    return exec_ok();
}

void write_member(TxEnv& t, const Member& m) {
    t.ov.put(keys::member(m.bank_id), encode(m, t.ov.record_version()));
    // The block's sender cache must see the change (tx_env.h).
    t.env.members.erase(m.bank_id);
}

Exec<json::Value> action_register(TxEnv& t, const json::Value& body, bool apply) {
    Form f;
    f.object(body, "", {"proposal_id", "bank_id", "name", "cnaps_code", "bic", "lei", "keys", "roles"});
    f.id(body, "proposal_id", "", kIdLengthMax, true);
    const auto bank = f.bank_id(body, "bank_id", "", true);
    MemberInput in = read_member(f, body, true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(auto existing, load(store::member(t.ov, *bank)));
    if (existing) {
        return reject(Code::kMemberExists, json::Value{{"bank_id", *bank}});
    }
    JC_EXEC_TRY(check_keys_free(t, *bank, *in.keys));
    Member m;
    m.bank_id = *bank;
    m.name = *in.name;
    m.cnaps_code = *in.cnaps;
    m.bic = in.bic.value_or("");
    m.lei = in.lei.value_or("");
    m.keys = *in.keys;
    m.roles = *in.roles;
    m.status = MemberStatus::kActive;
    if (apply) {
        write_member(t, m);
        t.ov.put(keys::aggregate(m.bank_id), encode(BankAggregate{}, t.ov.record_version()));
    }
    return json::Value{{"member", render::member(m)}};
}

Exec<json::Value> action_update(TxEnv& t, const json::Value& body, bool apply) {
    Form f;
    f.object(body, "", {"proposal_id", "bank_id", "name", "cnaps_code", "bic", "lei", "keys", "roles", "status"});
    f.id(body, "proposal_id", "", kIdLengthMax, true);
    const auto bank = f.bank_id(body, "bank_id", "", true);
    MemberInput in = read_member(f, body, false);
    const auto status = f.enumeration(body, "status", "", parse_member_status, false);
    if (!f.has_error() && !in.name && !in.cnaps && !in.bic && !in.lei && !in.keys && !in.roles && !status) {
        f.error(Code::kBadEnvelope, "", "member.update needs at least one field to change");
    }
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(auto existing, load(store::member(t.ov, *bank)));
    if (!existing) {
        return reject(Code::kMemberNotFound, json::Value{{"bank_id", *bank}});
    }
    Member m = *existing;
    if (in.keys) {
        JC_EXEC_TRY(check_keys_free(t, *bank, *in.keys));
        m.keys = *in.keys;
    }
    m.name = in.name.value_or(m.name);
    m.cnaps_code = in.cnaps.value_or(m.cnaps_code);
    m.bic = in.bic.value_or(m.bic);
    m.lei = in.lei.value_or(m.lei);
    m.roles = in.roles.value_or(m.roles);
    m.status = status.value_or(m.status);
    if (apply) {
        write_member(t, m);
    }
    return json::Value{{"member", render::member(m)}};
}

Exec<json::Value> action_suspend(TxEnv& t, const json::Value& body, bool apply) {
    Form f;
    f.object(body, "", {"proposal_id", "bank_id"});
    f.id(body, "proposal_id", "", kIdLengthMax, true);
    const auto bank = f.bank_id(body, "bank_id", "", true);
    if (f.has_error()) {
        return f.failure();
    }
    JC_EXEC_ASSIGN(auto existing, load(store::member(t.ov, *bank)));
    if (!existing) {
        return reject(Code::kMemberNotFound, json::Value{{"bank_id", *bank}});
    }
    Member m = *existing;
    if (m.status == MemberStatus::kSuspended) {
        return reject(Code::kMemberSuspended, json::Value{{"bank_id", *bank}, {"reason", "already SUSPENDED"}});
    }
    m.status = MemberStatus::kSuspended;
    if (apply) {
        write_member(t, m);
    }
    return json::Value{{"member", render::member(m)}};
}

Action find_action(std::string_view type) {
    if (type == "governance.set_params") return action_set_params;
    if (type == "member.register") return action_register;
    if (type == "member.update") return action_update;
    if (type == "member.suspend") return action_suspend;
    return nullptr;
}

std::size_t counted(const Proposal& p, const Electorate& e) {
    return static_cast<std::size_t>(std::count_if(p.approvals.begin(), p.approvals.end(),
                                                  [&](const std::string& b) { return e.voters.count(b) != 0; }));
}

// Executes when the approvals of current voters reach the quorum; else stores the proposal.
Exec<TxEffect> settle_proposal(TxEnv& t, Proposal& p) {
    JC_EXEC_ASSIGN(const Electorate e, electorate(t));
    json::Value effect = nullptr;
    if (counted(p, e) >= e.quorum) {
        auto parsed = json::parse_strict(p.body_json);
        if (!parsed) {
            return fail(Error(Errc::kCorruption, "proposal " + p.proposal_id + " body does not parse"));
        }
        const Action action = find_action(p.type);
        if (action == nullptr) {
            return fail(Error(Errc::kCorruption, "proposal " + p.proposal_id + " has unknown type " + p.type));
        }
        JC_EXEC_ASSIGN(effect, action(t, *parsed, true));
        p.status = ProposalStatus::kExecuted;
        p.executed_height = t.env.block.height;
    }
    t.ov.put(proposal_key(p.proposal_id), encode_proposal(p, t.ov.record_version()));
    // Every member votes on, or is bound by, a proposal (ADR 0179).
    t.ov.note_concern("", Concern::Record::kProposal, p.proposal_id);
    json::Value result{{"proposal", proposal_json(p, e, t.env.params)}};
    if (!effect.is_null()) {
        result["executed"] = std::move(effect);
    }
    return TxEffect{std::move(result), "", 0};
}

// A governance action submitted by a voter: a new proposal with the proposer's approval.
Exec<TxEffect> propose(TxEnv& t, const json::Value& body, Action action) {
    // The action's checks without effects; its form errors (1xxx) come first, then who may
    // propose (2007), then the proposal id (6002), then the action's state checks (ADR 0031).
    auto checked = action(t, body, false);
    if (checked.failed()) {
        return std::move(checked).failure();
    }
    if (checked.rejected() && code_number(checked.rejection().code) < 2000) {
        return std::move(checked).failure();
    }
    if (!is_voter(t.sender)) {
        return reject(Code::kRoleNotHeld, json::Value{{"bank_id", t.sender.bank_id},
                                                      {"reason", "only ACTIVE SERVICER, FUNDER or OPERATOR members vote"}});
    }
    const std::string id = body.at("proposal_id").get<std::string>();
    JC_EXEC_ASSIGN(auto raw, load(t.ov.get(proposal_key(id))));
    if (raw) {
        return reject(Code::kProposalExists, json::Value{{"proposal_id", id}});
    }
    if (checked.rejected()) {
        return std::move(checked).failure();
    }
    Proposal p;
    p.proposal_id = id;
    p.type = t.tx.type();
    p.body_json = json::canonicalize(body);
    p.action_digest = action_digest(p.type, p.body_json);
    p.proposer = t.sender.bank_id;
    p.created_date = static_cast<Date>(t.env.block.business_date);
    p.created_height = t.env.block.height;
    p.approvals = {t.sender.bank_id};
    return settle_proposal(t, p);
}

}  // namespace

Exec<TxEffect> apply_governance_set_params(TxEnv& t, const json::Value& body) {
    return propose(t, body, action_set_params);
}
Exec<TxEffect> apply_member_register(TxEnv& t, const json::Value& body) { return propose(t, body, action_register); }
Exec<TxEffect> apply_member_update(TxEnv& t, const json::Value& body) { return propose(t, body, action_update); }
Exec<TxEffect> apply_member_suspend(TxEnv& t, const json::Value& body) { return propose(t, body, action_suspend); }

Exec<TxEffect> apply_governance_approve(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"proposal_id", "action_digest"});
    const auto id = f.id(body, "proposal_id", "", kIdLengthMax, true);
    const auto digest = f.hex64(body, "action_digest", "", true);
    if (f.has_error()) {
        return f.failure();
    }
    if (!is_voter(t.sender)) {
        return reject(Code::kRoleNotHeld, json::Value{{"bank_id", t.sender.bank_id},
                                                      {"reason", "only ACTIVE SERVICER, FUNDER or OPERATOR members vote"}});
    }
    JC_EXEC_ASSIGN(auto raw, load(t.ov.get(proposal_key(*id))));
    if (!raw) {
        return reject(Code::kProposalNotFound, json::Value{{"proposal_id", *id}});
    }
    auto decoded = decode_proposal(*raw);
    if (!decoded) {
        return fail(decoded.error().with_context(proposal_key(*id)));
    }
    Proposal p = std::move(decoded).value();
    if (p.status != ProposalStatus::kOpen) {
        return reject(Code::kProposalClosed, json::Value{{"proposal_id", p.proposal_id}, {"status", "EXECUTED"}});
    }
    const Date last_day = expires_after(p, t.env.params);
    if (t.env.block.business_date > last_day) {
        return reject(Code::kProposalExpired, json::Value{{"proposal_id", p.proposal_id},
                                                          {"created_date", arith::format_date(p.created_date)},
                                                          {"expires_after", arith::format_date(last_day)}});
    }
    if (*digest != p.action_digest.hex()) {
        return reject(Code::kProposalDigestMismatch, json::Value{{"proposal_id", p.proposal_id},
                                                                 {"action_digest", *digest},
                                                                 {"expected", p.action_digest.hex()}});
    }
    if (std::binary_search(p.approvals.begin(), p.approvals.end(), t.sender.bank_id)) {
        return reject(Code::kAlreadyApproved, json::Value{{"proposal_id", p.proposal_id}, {"bank_id", t.sender.bank_id}});
    }
    p.approvals.insert(std::lower_bound(p.approvals.begin(), p.approvals.end(), t.sender.bank_id), t.sender.bank_id);
    return settle_proposal(t, p);
}

}  // namespace jc::contracts
