#include <jc/node/config.h>

#include <jc/core/assert.h>
#include <jc/core/canonical_json.h>
#include <jc/core/bytes.h>
#include <jc/core/file_util.h>

#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <type_traits>

namespace jc::node {
namespace {

using json::Value;

Error config_error(const std::string& path, const std::string& what) {
    return Error(Errc::kInvalidArgument, "config " + path + ": " + what);
}

std::string resolve(const std::string& base_dir, const std::string& path) {
    if (path.empty() || path.front() == '/') {
        return path;
    }
    return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

// Reads one object's members with per-key handlers; unknown keys are errors.
class ObjectReader {
public:
    ObjectReader(const Value& v, std::string path) : v_(v), path_(std::move(path)) {}

    ObjectReader& string(const std::string& key, std::string& out, bool required = false) {
        fields_[key] = [&out, key, this](const Value& x) -> Status {
            if (!x.is_string()) {
                return config_error(path_ + key, "must be a string");
            }
            out = x.get<std::string>();
            return {};
        };
        if (required) {
            required_.push_back(key);
        }
        return *this;
    }
    ObjectReader& strings(const std::string& key, std::vector<std::string>& out) {
        fields_[key] = [&out, key, this](const Value& x) -> Status {
            if (!x.is_array()) {
                return config_error(path_ + key, "must be an array of strings");
            }
            out.clear();
            for (const auto& item : x) {
                if (!item.is_string()) {
                    return config_error(path_ + key, "must be an array of strings");
                }
                out.push_back(item.get<std::string>());
            }
            return {};
        };
        return *this;
    }
    // An object whose keys are validator indexes ("0".."255") and values "host:port" strings.
    ObjectReader& addresses(const std::string& key, std::map<std::uint32_t, std::string>& out) {
        fields_[key] = [&out, key, this](const Value& x) -> Status {
            if (!x.is_object()) {
                return config_error(path_ + key, "must be an object of validator index -> \"host:port\"");
            }
            out.clear();
            for (auto it = x.begin(); it != x.end(); ++it) {
                const std::string& k = it.key();
                const std::string where = path_ + key + "." + k;
                if (k.empty() || k.size() > 3 || k.find_first_not_of("0123456789") != std::string::npos ||
                    (k.size() > 1 && k[0] == '0') || std::stoul(k) > 255) {
                    return config_error(where, "key must be a validator index in [0, 255]");
                }
                if (!it->is_string()) {
                    return config_error(where, "must be a \"host:port\" string");
                }
                const auto& address = it->get_ref<const std::string&>();
                const auto colon = address.rfind(':');
                if (address.size() > 255 || colon == std::string::npos || colon == 0 || colon + 1 == address.size() ||
                    address.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
                    return config_error(where, "must be a \"host:port\" string");
                }
                out[static_cast<std::uint32_t>(std::stoul(k))] = address;
            }
            return {};
        };
        return *this;
    }
    // An array of {"bank": id, "sha256": 64 lowercase hex} objects, each hash listed once.
    // rpc.tokens: [{"bank", "sha256"} | {"role": "auditor", "sha256"}] (ADR 0091, 0097).
    ObjectReader& tokens(const std::string& key, std::map<std::string, std::string>& banks,
                         std::set<std::string>& auditors) {
        fields_[key] = [&banks, &auditors, key, this](const Value& x) -> Status {
            const std::string where = path_ + key;
            if (!x.is_array()) {
                return config_error(where, "must be an array of {\"bank\", \"sha256\"} or "
                                           "{\"role\": \"auditor\", \"sha256\"} objects");
            }
            banks.clear();
            auditors.clear();
            for (std::size_t i = 0; i < x.size(); ++i) {
                const auto& t = x[i];
                const std::string at = where + "[" + std::to_string(i) + "]";
                const bool bank_form = t.is_object() && t.size() == 2 && t.contains("bank") && t.contains("sha256") &&
                                       t["bank"].is_string() && t["sha256"].is_string();
                const bool role_form = t.is_object() && t.size() == 2 && t.contains("role") && t.contains("sha256") &&
                                       t["role"].is_string() && t["sha256"].is_string();
                if (!bank_form && !role_form) {
                    return config_error(at, "must be {\"bank\": string, \"sha256\": string} or "
                                            "{\"role\": \"auditor\", \"sha256\": string}");
                }
                const auto& hash = t["sha256"].get_ref<const std::string&>();
                if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
                    return config_error(at + ".sha256", "must be 64 lowercase hex digits (SHA-256 of the token)");
                }
                if (banks.count(hash) != 0 || auditors.count(hash) != 0) {
                    return config_error(at + ".sha256", "is listed twice");
                }
                if (role_form) {
                    if (t["role"].get_ref<const std::string&>() != "auditor") {
                        return config_error(at + ".role", "must be \"auditor\" (the only role; a bank's token "
                                                          "names its \"bank\")");
                    }
                    auditors.insert(hash);
                    continue;
                }
                const auto& bank = t["bank"].get_ref<const std::string&>();
                if (bank.empty() || bank.size() > 64) {
                    return config_error(at + ".bank", "must be a bank id of 1-64 characters");
                }
                banks.emplace(hash, bank);
            }
            return {};
        };
        return *this;
    }
    // Into any unsigned field (the p2p limits are std::size_t); `max` must fit in it.
    template <typename Unsigned>
    ObjectReader& integer(const std::string& key, Unsigned& out, std::uint64_t min, std::uint64_t max) {
        static_assert(std::is_unsigned_v<Unsigned>);
        JC_ASSERT(max <= std::numeric_limits<Unsigned>::max(), "node.config.integer_max_fits");
        fields_[key] = [&out, key, min, max, this](const Value& x) -> Status {
            if (!x.is_number_integer() || x.get<std::int64_t>() < 0 ||
                x.get<std::uint64_t>() < min || x.get<std::uint64_t>() > max) {
                return config_error(path_ + key, "must be an integer in [" + std::to_string(min) + ", " +
                                                      std::to_string(max) + "]");
            }
            out = static_cast<Unsigned>(x.get<std::uint64_t>());
            return {};
        };
        return *this;
    }
    ObjectReader& object(const std::string& key, std::function<Status(const Value&, const std::string&)> read) {
        fields_[key] = [read, key, this](const Value& x) -> Status {
            if (!x.is_object()) {
                return config_error(path_ + key, "must be an object");
            }
            return read(x, path_ + key + ".");
        };
        return *this;
    }
    Status run() {
        for (auto it = v_.begin(); it != v_.end(); ++it) {
            auto f = fields_.find(it.key());
            if (f == fields_.end()) {
                return config_error(path_ + it.key(), "unknown key");
            }
            JC_TRY_STATUS(f->second(*it));
        }
        for (const auto& key : required_) {
            if (!v_.contains(key)) {
                return config_error(path_ + key, "missing");
            }
        }
        return {};
    }

private:
    const Value& v_;
    std::string path_;
    std::map<std::string, std::function<Status(const Value&)>> fields_;
    std::vector<std::string> required_;
};

}  // namespace

Result<std::string> strip_json_comments(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            out.push_back(c);
            if (c == '\\' && i + 1 < text.size()) {
                out.push_back(text[++i]);
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            out.push_back(c);
        } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
            while (i < text.size() && text[i] != '\n') {
                ++i;
            }
            out.push_back('\n');
        } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
            const auto end = text.find("*/", i + 2);
            if (end == std::string_view::npos) {
                return Error(Errc::kParse, "config: unterminated /* comment");
            }
            out.push_back(' ');
            i = end + 1;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Result<NodeConfig> parse_config(std::string_view text, const std::string& base_dir) {
    JC_ASSIGN_OR_RETURN(const std::string stripped, strip_json_comments(text));
    auto doc = json::parse_strict(stripped);
    if (!doc) {
        return doc.error().with_context("config");
    }
    if (!doc->is_object()) {
        return config_error("", "must be a JSON object");
    }
    NodeConfig c;
    std::uint64_t index = 0;
    ObjectReader top(*doc, "");
    top.string("node", c.node_name, true)
        .integer("validator_index", index, 0, 255)
        .string("genesis", c.genesis, true)
        .string("data_dir", c.data_dir, true)
        .string("consensus_key", c.consensus_key, true)
        .object("p2p", [&](const Value& v, const std::string& p) {
            return ObjectReader(v, p)
                .string("listen", c.p2p.listen)
                .string("ca_cert", c.p2p.ca_cert, true)
                .string("cert", c.p2p.cert, true)
                .string("key", c.p2p.key, true)
                .integer("frame_bytes_max", c.p2p.limits.frame_bytes_max, 1 << 16, 1 << 30)
                .integer("send_queue_bytes_max", c.p2p.limits.send_queue_bytes_max, 1 << 20, 1ull << 34)
                .integer("deliver_frames_max", c.p2p.limits.deliver_frames_max, 1, 1'000'000)
                .integer("deliver_bytes_max", c.p2p.limits.deliver_bytes_max, 1 << 16, 1ull << 34)
                .integer("pending_handshakes_per_ip_max", c.p2p.limits.pending_handshakes_per_ip_max, 1, 10'000)
                .integer("inbound_connections_max", c.p2p.limits.inbound_connections_max, 1, 65'536)
                .integer("sync_requests_per_second", c.p2p.sync_requests_per_second, 1, 10'000)
                .integer("sync_queue_bytes_max", c.p2p.sync_queue_bytes_max, 1 << 20, 1ull << 34)
                .strings("revoked_serials", c.p2p.revoked_serials)
                .strings("revoked_identities", c.p2p.revoked_identities)
                .addresses("peer_addresses", c.p2p.peer_addresses)
                .run();
        })
        .object("rpc", [&](const Value& v, const std::string& p) {
            return ObjectReader(v, p)
                .string("listen", c.rpc.listen)
                .integer("body_bytes_max", c.rpc.body_bytes_max, 1024, 64 << 20)
                .integer("batch_length_max", c.rpc.batch_length_max, 1, 10'000)
                .integer("connections_max", c.rpc.connections_max, 1, 100'000)
                .integer("wait_timeout_ms_default", c.rpc.wait_timeout_ms_default, 1, 600'000)
                .integer("wait_timeout_ms_max", c.rpc.wait_timeout_ms_max, 1, 600'000)
                .integer("ws_in_flight_max", c.rpc.ws_in_flight_max, 1, 100'000)
                .integer("reader_threads", c.rpc.reader_threads, 1, 64)
                .tokens("tokens", c.rpc.token_sha256_to_bank, c.rpc.auditor_token_sha256)
                .object("tls", [&](const Value& t, const std::string& tp) {
                    return ObjectReader(t, tp)
                        .string("cert", c.rpc.tls.cert, true)
                        .string("key", c.rpc.tls.key, true)
                        .string("client_ca", c.rpc.tls.client_ca)
                        .integer("handshake_timeout_ms", c.rpc.tls.handshake_timeout_ms, 100, 60'000)
                        .integer("handshakes_max", c.rpc.tls.handshakes_max, 1, 100'000)
                        .run();
                })
                .run();
        })
        .object("pool", [&](const Value& v, const std::string& p) {
            return ObjectReader(v, p)
                .integer("txs_max", c.pool.txs_max, 1, 10'000'000)
                .integer("bytes_max", c.pool.bytes_max, 1 << 16, 1ull << 36)
                .integer("gossip_batch_txs_max", c.pool.gossip_batch_txs_max, 1, 10'000)
                .integer("gossip_interval_ms", c.pool.gossip_interval_ms, 1, 10'000)
                .integer("verify_threads", c.pool.verify_threads, 1, 64)
                .integer("verify_backlog_txs_max", c.pool.verify_backlog_txs_max, 1, 10'000'000)
                .run();
        })
        .object("consensus", [&](const Value& v, const std::string& p) {
            return ObjectReader(v, p)
                .integer("tick_ms", c.consensus.tick_ms, 1, 10'000)
                .integer("view_change_timeout_ticks", c.consensus.view_change_timeout_ticks, 2, 1'000'000)
                .integer("view_change_timeout_ticks_max", c.consensus.view_change_timeout_ticks_max, 2, 10'000'000)
                .integer("window_heights", c.consensus.window_heights, 1, 64)
                .integer("block_txs_max", c.consensus.block_txs_max, 1, 10'000)
                .integer("block_interval_ms", c.consensus.block_interval_ms, 0, 60'000)
                .integer("blocks_ahead_max", c.consensus.blocks_ahead_max, 1, 64)
                .integer("timestamp_skew_ms_max", c.consensus.timestamp_skew_ms_max, 0, 3'600'000)
                .run();
        })
        .object("log", [&](const Value& v, const std::string& p) {
            return ObjectReader(v, p).string("format", c.log.format).string("level", c.log.level).run();
        });
    JC_TRY_STATUS(top.run());
    if (!doc->contains("p2p")) {
        return config_error("p2p", "missing (ca_cert, cert and key are required)");
    }
    c.validator_index = static_cast<std::uint32_t>(index);
    if (c.log.format != "text" && c.log.format != "json") {
        return config_error("log.format", "must be \"text\" or \"json\"");
    }
    if (c.log.level != "debug" && c.log.level != "info" && c.log.level != "warn" && c.log.level != "error") {
        return config_error("log.level", "must be one of debug, info, warn, error");
    }
    if (c.rpc.wait_timeout_ms_default > c.rpc.wait_timeout_ms_max) {
        return config_error("rpc.wait_timeout_ms_default", "must not exceed rpc.wait_timeout_ms_max");
    }
    if (c.consensus.view_change_timeout_ticks > c.consensus.view_change_timeout_ticks_max) {
        return config_error("consensus.view_change_timeout_ticks",
                            "must not exceed consensus.view_change_timeout_ticks_max");
    }
    if (c.pool.verify_backlog_txs_max < 4 * c.pool.gossip_batch_txs_max) {
        // A peer's batch may hold up to 4 × our batch size; a smaller backlog would shed it always.
        return config_error("pool.verify_backlog_txs_max",
                            "must be at least 4 * pool.gossip_batch_txs_max (" +
                                std::to_string(4 * c.pool.gossip_batch_txs_max) + ")");
    }
    if (c.node_name.empty() || c.node_name.size() > 64) {
        return config_error("node", "must be 1-64 characters");
    }
    for (char ch : c.node_name) {
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') {
            return config_error("node", "may contain only [A-Za-z0-9._-]");
        }
    }
    for (const auto& id : c.p2p.revoked_identities) {
        if (!Hash::from_hex(id).ok()) {
            return config_error("p2p.revoked_identities", "\"" + id + "\" is not 64 lowercase hex digits");
        }
    }
    for (const auto& serial : c.p2p.revoked_serials) {
        if (serial.empty() || serial.find_first_not_of("0123456789abcdef") != std::string::npos ||
            (serial.size() > 1 && serial[0] == '0')) {
            return config_error("p2p.revoked_serials", "\"" + serial + "\" is not lowercase hex without leading zeros");
        }
    }
    // A required path given as "" would resolve to the config's own directory and fail later
    // with an obscure file error; refuse it here with the key path (found by genesis_config_fuzz).
    for (const auto& [key, path] : {std::pair<const char*, const std::string*>{"genesis", &c.genesis},
                                    {"data_dir", &c.data_dir},
                                    {"consensus_key", &c.consensus_key},
                                    {"p2p.ca_cert", &c.p2p.ca_cert},
                                    {"p2p.cert", &c.p2p.cert},
                                    {"p2p.key", &c.p2p.key}}) {
        if (path->empty()) {
            return config_error(key, "must not be empty");
        }
    }
    c.genesis = resolve(base_dir, c.genesis);
    c.data_dir = resolve(base_dir, c.data_dir);
    c.consensus_key = resolve(base_dir, c.consensus_key);
    c.p2p.ca_cert = resolve(base_dir, c.p2p.ca_cert);
    c.p2p.cert = resolve(base_dir, c.p2p.cert);
    c.p2p.key = resolve(base_dir, c.p2p.key);
    if (doc->contains("rpc") && (*doc)["rpc"].contains("tls")) {
        for (const auto& [key, path] : {std::pair<const char*, std::string*>{"rpc.tls.cert", &c.rpc.tls.cert},
                                        {"rpc.tls.key", &c.rpc.tls.key}}) {
            if (path->empty()) {
                return config_error(key, "must not be empty");
            }
        }
        if ((*doc)["rpc"]["tls"].contains("client_ca") && c.rpc.tls.client_ca.empty()) {
            return config_error("rpc.tls.client_ca", "must not be empty (leave it out for no client certificates)");
        }
        c.rpc.tls.cert = resolve(base_dir, c.rpc.tls.cert);
        c.rpc.tls.key = resolve(base_dir, c.rpc.tls.key);
        c.rpc.tls.client_ca = resolve(base_dir, c.rpc.tls.client_ca);
    }
    return c;
}

Result<NodeConfig> load_config(const std::string& path) {
    JC_ASSIGN_OR_RETURN(const std::string text, file::read_all(path, 1 << 20));
    const auto parent = std::filesystem::path(path).parent_path().string();
    return parse_config(text, parent.empty() ? "." : parent);
}

}  // namespace jc::node
