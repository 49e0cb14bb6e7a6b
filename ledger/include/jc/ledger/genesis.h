// Genesis: the document that founds a chain — its id, validators, member banks and governance
// parameters — loaded from JSON with strict validation.
//
//   {"chain_id", "genesis_time_ms",
//    "validators": [{"index", "name", "consensus_key", "tls_key", "address", "weight"?}],
//    "members":    [{"bank_id", "name", "cnaps_code", "keys", "roles", "status"?}],
//    "params":     {...}?}
//
// docs/spec/storage.md ("Genesis document") lists every field, its form and its default.
// Unknown fields are errors. Each error message starts with
// "genesis: " and names the field path (e.g. "validators[2].tls_key") and what is wrong.
//
// The genesis hash is SHA-256 of the RFC 8785 canonical form of the document AS GIVEN (not with
// defaults filled in), so adding a defaulted parameter in a later release does not change the
// identity of existing chains (docs/decisions/0022-genesis.md). It identifies the chain: the
// store refuses to open for another genesis, and block 1's parent hash is the genesis hash.
//
// Thread-safety: immutable after construction.
#pragma once

#include <jc/core/bytes.h>
#include <jc/core/canonical_json.h>
#include <jc/core/certificate.h>
#include <jc/core/error.h>
#include <jc/core/secp256k1.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jc::ledger {

inline constexpr std::size_t kGenesisBytesMax = 1 << 20;
inline constexpr std::size_t kValidatorsMax = 256;
inline constexpr std::uint64_t kValidatorWeightMax = 1'000'000;
inline constexpr std::size_t kMembersMax = 1024;
inline constexpr std::size_t kMemberKeysMax = 16;
inline constexpr std::size_t kNameLengthMax = 128;
inline constexpr std::size_t kAddressLengthMax = 255;
inline constexpr std::size_t kCycleCutoffsMax = 8;

enum class MemberRole : std::uint8_t { kServicer, kFunder, kOperator, kRegulator };
enum class MemberStatus : std::uint8_t { kActive, kSuspended };
enum class RoundingMode : std::uint8_t { kHalfUp, kHalfEven };

std::string_view member_role_name(MemberRole role);        // "SERVICER", ...
std::string_view member_status_name(MemberStatus status);  // "ACTIVE", "SUSPENDED"
std::string_view rounding_mode_name(RoundingMode mode);    // "HALF_UP", "HALF_EVEN"

struct GenesisValidator {
    std::uint32_t index = 0;
    std::string name;
    crypto::PublicKey consensus_key;
    Hash tls_key;  // SHA-256 of the node certificate's SubjectPublicKeyInfo DER
    std::string address;  // "host:port"
    std::uint64_t weight = 1;
};

struct GenesisMember {
    std::string bank_id;
    std::string name;
    std::string cnaps_code;  // 12 digits
    std::vector<crypto::PublicKey> keys;
    std::vector<MemberRole> roles;
    MemberStatus status = MemberStatus::kActive;

    [[nodiscard]] bool has_role(MemberRole role) const;
    [[nodiscard]] bool has_key(const crypto::PublicKey& key) const;
};

// Governance parameters (DOMAIN.md). Every field has a default; see docs/spec/storage.md. The
// node carries each into the contracts' genesis (src/node/src/contract_genesis.h, ADR 0176).
struct GenesisParams {
    // Settlement cycle cutoffs in minutes after midnight, China Standard Time, strictly
    // increasing. JSON: ["HH:MM", ...]; default ["11:00", "16:30"].
    std::vector<std::uint32_t> cycle_cutoffs_minutes = {11 * 60, 16 * 60 + 30};
    RoundingMode rounding_mode = RoundingMode::kHalfUp;
    // Cap on an annualised loan rate in ppb; absent means no cap (DOMAIN.md B.1: "if
    // governance sets one"). JSON: a string of a positive integer. The node makes it the
    // default product's cap per basis (ADR 0176).
    std::optional<std::uint64_t> max_rate_ppb;
    // Allowed rate bases; default all three.
    std::vector<std::string> rate_bases = {"DAILY", "ACT/360", "ACT/365F"};
    // Days past due from which a loan is non-performing; default 91.
    std::uint32_t npl_dpd_min = 91;
    // Block assembly limits; at most the protocol hard limits of block.h.
    std::uint32_t block_txs_max = 1000;
    std::uint64_t block_bytes_max = std::uint64_t{4} << 20;
    // How the contract records store 64-bit integers (ADR 0175): 1, eight fixed bytes, or 2,
    // varints. Default 1, the form of every chain founded before the field existed, so that
    // their genesis state stays what it was; `jointclear init` writes 2.
    std::uint8_t record_version = 1;
};

class Genesis {
public:
    static Result<Genesis> parse(std::string_view json_text);
    static Result<Genesis> from_value(const json::Value& document);

    [[nodiscard]] const std::string& chain_id() const { return chain_id_; }
    [[nodiscard]] std::int64_t genesis_time_ms() const { return genesis_time_ms_; }
    [[nodiscard]] const std::vector<GenesisValidator>& validators() const { return validators_; }
    [[nodiscard]] const std::vector<GenesisMember>& members() const { return members_; }
    [[nodiscard]] const GenesisParams& params() const { return params_; }

    // RFC 8785 form of the document as given, and its SHA-256: the chain's identity.
    [[nodiscard]] const std::string& canonical_json() const { return canonical_json_; }
    [[nodiscard]] const Hash& hash() const { return hash_; }

    // The validator set in the form verify_certificate() takes.
    [[nodiscard]] std::vector<ValidatorKey> validator_keys() const;
    [[nodiscard]] const GenesisMember* find_member(std::string_view bank_id) const;

private:
    Genesis() = default;

    std::string chain_id_;
    std::int64_t genesis_time_ms_ = 0;
    std::vector<GenesisValidator> validators_;
    std::vector<GenesisMember> members_;
    GenesisParams params_;
    std::string canonical_json_;
    Hash hash_;
};

}  // namespace jc::ledger
