#include <jc/ledger/genesis.h>

#include <jc/core/assert.h>
#include <jc/core/sha256.h>
#include <jc/ledger/block.h>
#include <jc/ledger/transaction.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <map>
#include <string>

namespace jc::ledger {
namespace {

constexpr std::uint64_t kRatePpbMax = 1'000'000'000'000;  // 1000 times the principal a year
constexpr std::uint32_t kNplDpdMax = 3650;

constexpr std::array<std::pair<std::string_view, MemberRole>, 4> kRoles = {{
    {"SERVICER", MemberRole::kServicer},
    {"FUNDER", MemberRole::kFunder},
    {"OPERATOR", MemberRole::kOperator},
    {"REGULATOR", MemberRole::kRegulator},
}};
constexpr std::array<std::string_view, 3> kRateBases = {"DAILY", "ACT/360", "ACT/365F"};

Error genesis_error(std::string_view path, std::string_view what) {
    return Error(Errc::kInvalidArgument,
                 "genesis: " + std::string(path) + ": " + std::string(what));
}

std::string field_path(std::string_view parent, std::string_view key) {
    return parent.empty() ? std::string(key) : std::string(parent) + "." + std::string(key);
}

std::string index_path(std::string_view parent, std::size_t i) {
    return std::string(parent) + "[" + std::to_string(i) + "]";
}

// Errors on the first member of `object` (in key order) that is not in `allowed`.
Status check_known_fields(const json::Value& object, std::string_view path,
                          std::initializer_list<std::string_view> allowed) {
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
            return genesis_error(field_path(path, it.key()), "unknown field");
        }
    }
    return {};
}

// Accessors for one field of an object; `path` is the object's own path.
class Fields {
public:
    Fields(const json::Value& object, std::string path) : object_(object), path_(std::move(path)) {}

    [[nodiscard]] std::string path(std::string_view key) const { return field_path(path_, key); }
    [[nodiscard]] bool has(std::string_view key) const { return object_.contains(key); }

    Result<const json::Value*> required(std::string_view key) const {
        const auto it = object_.find(key);
        if (it == object_.end()) {
            return genesis_error(path(key), "missing");
        }
        return &*it;
    }

    Result<std::string> string(std::string_view key) const {
        JC_ASSIGN_OR_RETURN(const json::Value* v, required(key));
        if (!v->is_string()) {
            return genesis_error(path(key), "must be a string");
        }
        return v->get<std::string>();
    }

    // A JSON integer in [min, max].
    Result<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const {
        JC_ASSIGN_OR_RETURN(const json::Value* v, required(key));
        if (!v->is_number_integer()) {
            return genesis_error(path(key), "must be an integer");
        }
        const auto n = v->get<std::int64_t>();
        if (n < min || n > max) {
            return genesis_error(path(key), "must be an integer in " + std::to_string(min) + "-" +
                                                std::to_string(max) + ", got " + std::to_string(n));
        }
        return n;
    }

    // An array of size [min, max].
    Result<const json::Value*> array(std::string_view key, std::size_t min, std::size_t max,
                                     std::string_view what) const {
        JC_ASSIGN_OR_RETURN(const json::Value* v, required(key));
        if (!v->is_array()) {
            return genesis_error(path(key), "must be an array");
        }
        if (v->size() < min || v->size() > max) {
            return genesis_error(path(key), "must list " + std::to_string(min) + "-" +
                                                std::to_string(max) + " " + std::string(what) +
                                                ", got " + std::to_string(v->size()));
        }
        return v;
    }

private:
    const json::Value& object_;
    std::string path_;
};

Status require_object(const json::Value& v, std::string_view path) {
    if (!v.is_object()) {
        return genesis_error(path, "must be an object");
    }
    return {};
}

Result<std::string> string_element(const json::Value& v, std::string_view path) {
    if (!v.is_string()) {
        return genesis_error(path, "must be a string");
    }
    return v.get<std::string>();
}

Status check_name(const std::string& name, std::string_view path) {
    if (name.empty() || name.size() > kNameLengthMax) {
        return genesis_error(path, "must be 1-" + std::to_string(kNameLengthMax) + " characters");
    }
    return {};
}

Result<crypto::PublicKey> public_key(const std::string& hex, std::string_view path) {
    auto key = crypto::PublicKey::from_hex(hex);
    if (!key) {
        return genesis_error(path, "must be 66 lowercase hex digits of a compressed secp256k1 "
                                   "public key (" + key.error().message() + ")");
    }
    return *key;
}

bool all_digits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// REQUIRES: all_digits(s) and s.size() <= 19, so the value fits without overflow.
std::uint64_t decimal_value(std::string_view s) {
    JC_ASSERT(all_digits(s) && s.size() <= 19, "ledger.genesis.decimal_fits");
    std::uint64_t v = 0;
    for (char c : s) {
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

// "host:port": a DNS name or IPv4 address, or a bracketed IPv6 address, and a port 1-65535
// written without leading zeros.
Status check_address(std::string_view address, std::string_view path) {
    const Error bad = genesis_error(
        path, "must be host:port (a DNS name, IPv4 or [IPv6] address and a port in 1-65535)");
    if (address.empty() || address.size() > kAddressLengthMax) {
        return bad;
    }
    std::string_view host;
    std::string_view port;
    if (address.front() == '[') {
        const auto close = address.find(']');
        if (close == std::string_view::npos || close + 1 >= address.size() ||
            address[close + 1] != ':') {
            return bad;
        }
        host = address.substr(1, close - 1);
        port = address.substr(close + 2);
        const bool ipv6_chars = std::all_of(host.begin(), host.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                   c == ':' || c == '.';
        });
        if (host.find(':') == std::string_view::npos || !ipv6_chars) {
            return bad;
        }
    } else {
        const auto colon = address.rfind(':');
        if (colon == std::string_view::npos) {
            return bad;
        }
        host = address.substr(0, colon);
        port = address.substr(colon + 1);
        const bool name_chars = std::all_of(host.begin(), host.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   c == '-' || c == '.';
        });
        if (host.empty() || !name_chars || host.front() == '.' || host.front() == '-' ||
            host.find("..") != std::string_view::npos) {
            return bad;
        }
    }
    if (host.empty() || port.empty() || port.size() > 5 || !all_digits(port) || port[0] == '0' ||
        decimal_value(port) > 65535) {
        return bad;
    }
    return {};
}

Result<GenesisValidator> parse_validator(const json::Value& v, std::size_t i) {
    const std::string path = index_path("validators", i);
    JC_TRY_STATUS(require_object(v, path));
    JC_TRY_STATUS(check_known_fields(
        v, path, {"address", "consensus_key", "index", "name", "tls_key", "weight"}));
    const Fields f(v, path);
    GenesisValidator out;
    JC_ASSIGN_OR_RETURN(const std::int64_t index, f.integer("index", 0, json::kIntegerMax));
    if (static_cast<std::size_t>(index) != i) {
        return genesis_error(f.path("index"),
                             "must be " + std::to_string(i) +
                                 " (validators are listed in index order from 0)");
    }
    out.index = static_cast<std::uint32_t>(i);
    JC_ASSIGN_OR_RETURN(out.name, f.string("name"));
    JC_TRY_STATUS(check_name(out.name, f.path("name")));
    JC_ASSIGN_OR_RETURN(const std::string consensus_key, f.string("consensus_key"));
    JC_ASSIGN_OR_RETURN(out.consensus_key, public_key(consensus_key, f.path("consensus_key")));
    JC_ASSIGN_OR_RETURN(const std::string tls_key, f.string("tls_key"));
    auto tls = Hash::from_hex(tls_key);
    if (!tls || tls_key.size() != 2 * Hash::kSize) {
        return genesis_error(f.path("tls_key"),
                             "must be 64 lowercase hex digits (SHA-256 of the node certificate's "
                             "SubjectPublicKeyInfo)");
    }
    out.tls_key = *tls;
    JC_ASSIGN_OR_RETURN(out.address, f.string("address"));
    JC_TRY_STATUS(check_address(out.address, f.path("address")));
    if (f.has("weight")) {
        JC_ASSIGN_OR_RETURN(const std::int64_t weight,
                            f.integer("weight", 1, static_cast<std::int64_t>(kValidatorWeightMax)));
        out.weight = static_cast<std::uint64_t>(weight);
    }
    return out;
}

Result<GenesisMember> parse_member(const json::Value& v, std::size_t i) {
    const std::string path = index_path("members", i);
    JC_TRY_STATUS(require_object(v, path));
    JC_TRY_STATUS(check_known_fields(v, path,
                                     {"bank_id", "cnaps_code", "keys", "name", "roles", "status"}));
    const Fields f(v, path);
    GenesisMember out;
    JC_ASSIGN_OR_RETURN(out.bank_id, f.string("bank_id"));
    if (!check_bank_id(out.bank_id)) {
        return genesis_error(f.path("bank_id"), "must be 1-" + std::to_string(kBankIdLengthMax) +
                                                    " characters of [A-Z0-9_]");
    }
    JC_ASSIGN_OR_RETURN(out.name, f.string("name"));
    JC_TRY_STATUS(check_name(out.name, f.path("name")));
    JC_ASSIGN_OR_RETURN(out.cnaps_code, f.string("cnaps_code"));
    if (out.cnaps_code.size() != 12 || !all_digits(out.cnaps_code)) {
        return genesis_error(f.path("cnaps_code"), "must be exactly 12 digits (CNAPS participant code)");
    }
    JC_ASSIGN_OR_RETURN(const json::Value* keys, f.array("keys", 1, kMemberKeysMax, "keys"));
    for (std::size_t k = 0; k < keys->size(); ++k) {
        const std::string key_path = index_path(f.path("keys"), k);
        JC_ASSIGN_OR_RETURN(const std::string hex, string_element((*keys)[k], key_path));
        JC_ASSIGN_OR_RETURN(const crypto::PublicKey key, public_key(hex, key_path));
        out.keys.push_back(key);
    }
    JC_ASSIGN_OR_RETURN(const json::Value* roles, f.array("roles", 1, kRoles.size(), "roles"));
    for (std::size_t r = 0; r < roles->size(); ++r) {
        const std::string role_path = index_path(f.path("roles"), r);
        JC_ASSIGN_OR_RETURN(const std::string name, string_element((*roles)[r], role_path));
        const auto it = std::find_if(kRoles.begin(), kRoles.end(),
                                     [&](const auto& entry) { return entry.first == name; });
        if (it == kRoles.end()) {
            return genesis_error(role_path, "must be one of SERVICER, FUNDER, OPERATOR, REGULATOR");
        }
        if (out.has_role(it->second)) {
            return genesis_error(role_path, "repeats role " + name);
        }
        out.roles.push_back(it->second);
    }
    if (f.has("status")) {
        JC_ASSIGN_OR_RETURN(const std::string status, f.string("status"));
        if (status == "ACTIVE") {
            out.status = MemberStatus::kActive;
        } else if (status == "SUSPENDED") {
            out.status = MemberStatus::kSuspended;
        } else {
            return genesis_error(f.path("status"), "must be ACTIVE or SUSPENDED");
        }
    }
    return out;
}

Result<std::uint32_t> parse_cutoff(const std::string& text, std::string_view path) {
    const Error bad = genesis_error(path, "must be a time HH:MM between 00:00 and 23:59");
    if (text.size() != 5 || text[2] != ':' || !all_digits(text.substr(0, 2)) ||
        !all_digits(text.substr(3, 2))) {
        return bad;
    }
    const std::uint32_t hours = static_cast<std::uint32_t>((text[0] - '0') * 10 + (text[1] - '0'));
    const std::uint32_t minutes = static_cast<std::uint32_t>((text[3] - '0') * 10 + (text[4] - '0'));
    if (hours > 23 || minutes > 59) {
        return bad;
    }
    return hours * 60 + minutes;
}

Result<GenesisParams> parse_params(const json::Value& v) {
    const std::string path = "params";
    JC_TRY_STATUS(require_object(v, path));
    JC_TRY_STATUS(check_known_fields(v, path,
                                     {"block_bytes_max", "block_txs_max", "cycle_cutoffs",
                                      "max_rate_ppb", "npl_dpd_min", "rate_bases",
                                      "record_version", "rounding_mode"}));
    const Fields f(v, path);
    GenesisParams out;
    if (f.has("cycle_cutoffs")) {
        JC_ASSIGN_OR_RETURN(const json::Value* cutoffs,
                            f.array("cycle_cutoffs", 1, kCycleCutoffsMax, "cutoff times"));
        out.cycle_cutoffs_minutes.clear();
        for (std::size_t i = 0; i < cutoffs->size(); ++i) {
            const std::string item_path = index_path(f.path("cycle_cutoffs"), i);
            JC_ASSIGN_OR_RETURN(const std::string text, string_element((*cutoffs)[i], item_path));
            JC_ASSIGN_OR_RETURN(const std::uint32_t minutes, parse_cutoff(text, item_path));
            if (!out.cycle_cutoffs_minutes.empty() && minutes <= out.cycle_cutoffs_minutes.back()) {
                return genesis_error(item_path, "must be later than the cutoff before it");
            }
            out.cycle_cutoffs_minutes.push_back(minutes);
        }
    }
    if (f.has("rounding_mode")) {
        JC_ASSIGN_OR_RETURN(const std::string mode, f.string("rounding_mode"));
        if (mode == "HALF_UP") {
            out.rounding_mode = RoundingMode::kHalfUp;
        } else if (mode == "HALF_EVEN") {
            out.rounding_mode = RoundingMode::kHalfEven;
        } else {
            return genesis_error(f.path("rounding_mode"), "must be HALF_UP or HALF_EVEN");
        }
    }
    if (f.has("max_rate_ppb")) {
        JC_ASSIGN_OR_RETURN(const std::string rate, f.string("max_rate_ppb"));
        const Error bad = genesis_error(f.path("max_rate_ppb"),
                                        "must be a string of an integer in 1-" +
                                            std::to_string(kRatePpbMax) + " (parts per billion)");
        if (rate.empty() || rate.size() > 13 || rate[0] == '0' || !all_digits(rate)) {
            return bad;
        }
        const std::uint64_t ppb = decimal_value(rate);
        if (ppb > kRatePpbMax) {
            return bad;
        }
        out.max_rate_ppb = ppb;
    }
    if (f.has("rate_bases")) {
        JC_ASSIGN_OR_RETURN(const json::Value* bases,
                            f.array("rate_bases", 1, kRateBases.size(), "rate bases"));
        out.rate_bases.clear();
        for (std::size_t i = 0; i < bases->size(); ++i) {
            const std::string item_path = index_path(f.path("rate_bases"), i);
            JC_ASSIGN_OR_RETURN(std::string basis, string_element((*bases)[i], item_path));
            if (std::find(kRateBases.begin(), kRateBases.end(), basis) == kRateBases.end()) {
                return genesis_error(item_path, "must be one of DAILY, ACT/360, ACT/365F");
            }
            if (std::find(out.rate_bases.begin(), out.rate_bases.end(), basis) !=
                out.rate_bases.end()) {
                return genesis_error(item_path, "repeats basis " + basis);
            }
            out.rate_bases.push_back(std::move(basis));
        }
    }
    if (f.has("npl_dpd_min")) {
        JC_ASSIGN_OR_RETURN(const std::int64_t days, f.integer("npl_dpd_min", 1, kNplDpdMax));
        out.npl_dpd_min = static_cast<std::uint32_t>(days);
    }
    if (f.has("block_txs_max")) {
        JC_ASSIGN_OR_RETURN(const std::int64_t txs, f.integer("block_txs_max", 1, kBlockTxsMax));
        out.block_txs_max = static_cast<std::uint32_t>(txs);
    }
    if (f.has("block_bytes_max")) {
        JC_ASSIGN_OR_RETURN(const std::int64_t bytes,
                            f.integer("block_bytes_max", static_cast<std::int64_t>(kBlockBytesMin),
                                      static_cast<std::int64_t>(kBlockBytesMax)));
        out.block_bytes_max = static_cast<std::uint64_t>(bytes);
    }
    if (f.has("record_version")) {
        JC_ASSIGN_OR_RETURN(const std::int64_t version, f.integer("record_version", 1, 2));
        out.record_version = static_cast<std::uint8_t>(version);
    }
    return out;
}

}  // namespace

std::string_view member_role_name(MemberRole role) {
    for (const auto& [name, value] : kRoles) {
        if (value == role) {
            return name;
        }
    }
    JC_UNREACHABLE("ledger.genesis.role_known");
}

std::string_view member_status_name(MemberStatus status) {
    return status == MemberStatus::kActive ? "ACTIVE" : "SUSPENDED";
}

std::string_view rounding_mode_name(RoundingMode mode) {
    return mode == RoundingMode::kHalfUp ? "HALF_UP" : "HALF_EVEN";
}

bool GenesisMember::has_role(MemberRole role) const {
    return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool GenesisMember::has_key(const crypto::PublicKey& key) const {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

Result<Genesis> Genesis::parse(std::string_view json_text) {
    json::ParseLimits limits;
    limits.document_bytes_max = kGenesisBytesMax;
    auto document = json::parse_strict(json_text, limits);
    if (!document) {
        return Error(Errc::kParse, "genesis: " + document.error().message());
    }
    return from_value(*document);
}

Result<Genesis> Genesis::from_value(const json::Value& document) {
    if (!document.is_object()) {
        return Error(Errc::kInvalidArgument, "genesis: must be a JSON object");
    }
    if (auto s = json::check_subset(document); !s) {
        return Error(Errc::kInvalidArgument, "genesis: " + s.error().message());
    }
    JC_TRY_STATUS(check_known_fields(
        document, "", {"chain_id", "genesis_time_ms", "members", "params", "validators"}));
    const Fields f(document, "");
    Genesis g;
    JC_ASSIGN_OR_RETURN(g.chain_id_, f.string("chain_id"));
    if (!check_chain_id(g.chain_id_)) {
        return genesis_error("chain_id", "must be 1-" + std::to_string(kChainIdLengthMax) +
                                             " characters of [A-Za-z0-9._-]");
    }
    JC_ASSIGN_OR_RETURN(g.genesis_time_ms_, f.integer("genesis_time_ms", 0, json::kIntegerMax));

    // Keys and addresses each have one owner: a key reused across roles or nodes would let one
    // compromise count twice.
    std::map<crypto::PublicKey, std::string> key_owner;
    auto claim_key = [&](const crypto::PublicKey& key, const std::string& path) -> Status {
        const auto [it, inserted] = key_owner.emplace(key, path);
        if (!inserted) {
            return genesis_error(path, "repeats the key of " + it->second);
        }
        return {};
    };

    JC_ASSIGN_OR_RETURN(const json::Value* validators,
                        f.array("validators", 1, kValidatorsMax, "validators"));
    std::map<Hash, std::size_t> tls_owner;
    std::map<std::string, std::size_t> address_owner;
    for (std::size_t i = 0; i < validators->size(); ++i) {
        JC_ASSIGN_OR_RETURN(GenesisValidator v, parse_validator((*validators)[i], i));
        const std::string path = index_path("validators", i);
        JC_TRY_STATUS(claim_key(v.consensus_key, path + ".consensus_key"));
        if (const auto [it, inserted] = tls_owner.emplace(v.tls_key, i); !inserted) {
            return genesis_error(path + ".tls_key",
                                 "repeats the key of " + index_path("validators", it->second) +
                                     ".tls_key");
        }
        if (const auto [it, inserted] = address_owner.emplace(v.address, i); !inserted) {
            return genesis_error(path + ".address",
                                 "repeats the address of " + index_path("validators", it->second));
        }
        g.validators_.push_back(std::move(v));
    }

    JC_ASSIGN_OR_RETURN(const json::Value* members, f.array("members", 1, kMembersMax, "members"));
    std::map<std::string, std::size_t> bank_owner;
    for (std::size_t i = 0; i < members->size(); ++i) {
        JC_ASSIGN_OR_RETURN(GenesisMember m, parse_member((*members)[i], i));
        const std::string path = index_path("members", i);
        if (const auto [it, inserted] = bank_owner.emplace(m.bank_id, i); !inserted) {
            return genesis_error(path + ".bank_id", "repeats bank " + m.bank_id + " of " +
                                                        index_path("members", it->second));
        }
        for (std::size_t k = 0; k < m.keys.size(); ++k) {
            JC_TRY_STATUS(claim_key(m.keys[k], index_path(path + ".keys", k)));
        }
        g.members_.push_back(std::move(m));
    }

    if (f.has("params")) {
        JC_ASSIGN_OR_RETURN(const json::Value* params, f.required("params"));
        JC_ASSIGN_OR_RETURN(g.params_, parse_params(*params));
    }

    g.canonical_json_ = json::canonicalize(document);
    g.hash_ = sha256(g.canonical_json_);
    return g;
}

std::vector<ValidatorKey> Genesis::validator_keys() const {
    std::vector<ValidatorKey> keys;
    keys.reserve(validators_.size());
    for (const auto& v : validators_) {
        keys.push_back(ValidatorKey{v.index, v.consensus_key, v.weight});
    }
    return keys;
}

const GenesisMember* Genesis::find_member(std::string_view bank_id) const {
    for (const auto& m : members_) {
        if (m.bank_id == bank_id) {
            return &m;
        }
    }
    return nullptr;
}

}  // namespace jc::ledger
