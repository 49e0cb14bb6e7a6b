// The node's configuration file (docs/config.md): JSON with // and /* */ comments allowed,
// every limit named and defaulted, relative paths resolved against the file's directory.
//
// Loading is strict: unknown keys, wrong types and out-of-range values are errors that name the
// key path ("limits.pool_txs_max: must be an integer in [1, 10000000]"), so an operator's typo
// never silently falls back to a default.
//
// Thread-safety: plain values.
#pragma once

#include <jc/core/error.h>
#include <jc/p2p/limits.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace jc::node {

struct P2pConfig {
    std::string listen = "127.0.0.1:7000";
    std::string ca_cert;  // consortium CA (PEM)
    std::string cert;     // this node's TLS certificate (PEM)
    std::string key;      // this node's TLS key (PEM, mode 0600)
    // What the node hands its transport, as is (ADR 0156). Configurable (docs/config.md):
    // frame_bytes_max and send_queue_bytes_max, where 0 = derived at start from the largest
    // consensus message (ADR 0071): at least 16 MiB and 64 MiB (or twice the frame limit), and
    // set values below what that message needs are refused; deliver_frames_max and
    // deliver_bytes_max (per peer, received and not yet handled); pending_handshakes_per_ip_max;
    // inbound_connections_max (accepted p2p sockets, sessions and pending handshakes together:
    // the open-file budget counts exactly this many, fd_budget.h). The rest keep the
    // transport's defaults.
    p2p::Limits limits{.frame_bytes_max = 0, .send_queue_bytes_max = 0};
    std::uint64_t sync_requests_per_second = 20;      // per peer
    std::uint64_t sync_queue_bytes_max = 64 << 20;    // no new sync response while the peer's queue is fuller
    std::vector<std::string> revoked_serials;     // certificate serials, lowercase hex
    std::vector<std::string> revoked_identities;  // SHA-256 of SubjectPublicKeyInfo, hex
    // Where to dial a validator instead of its genesis address (validator index → "host:port"):
    // for NAT, internal DNS names, or a test's fault-injecting proxy. Identity is still checked
    // against genesis, so an override can only change the route, never who answers.
    std::map<std::uint32_t, std::string> peer_addresses;
};

// rpc.tls (ADR 0094): absent = plain HTTP. Paths are resolved against the config's directory.
struct RpcTlsConfig {
    std::string cert;        // certificate chain (PEM, leaf first); required in rpc.tls
    std::string key;         // its private key (PEM, mode 0600); required in rpc.tls
    std::string client_ca;   // optional: require client certificates chaining to this CA (mTLS)
    std::uint64_t handshake_timeout_ms = 5'000;
    std::uint64_t handshakes_max = 64;
    [[nodiscard]] bool enabled() const { return !cert.empty(); }
};

struct RpcConfig {
    std::string listen = "127.0.0.1:8000";
    std::uint64_t body_bytes_max = 1 << 20;
    std::uint64_t batch_length_max = 100;
    std::uint64_t connections_max = 512;
    std::uint64_t wait_timeout_ms_default = 10'000;
    std::uint64_t wait_timeout_ms_max = 60'000;
    std::uint64_t ws_in_flight_max = 64;              // per WebSocket connection
    std::uint64_t reader_threads = 2;                 // store and engine reads
    // Per-bank bearer tokens (docs/config.md, ADR 0091): SHA-256 of the token (64 lowercase hex)
    // → bank id. Empty: no authentication. With tokens, a token submits only as its own bank.
    std::map<std::string, std::string> token_sha256_to_bank;
    // Auditor tokens (ADR 0097), SHA-256 as above: read what any bank's token may read, submit
    // nothing. Listed in rpc.tokens as {"role": "auditor", "sha256": ...}.
    std::set<std::string> auditor_token_sha256;
    RpcTlsConfig tls;
};

struct PoolConfig {
    std::uint64_t txs_max = 200'000;
    std::uint64_t bytes_max = 256ull << 20;
    std::uint64_t gossip_batch_txs_max = 500;
    std::uint64_t gossip_interval_ms = 10;
    std::uint64_t verify_threads = 2;
    std::uint64_t verify_backlog_txs_max = 20'000;    // gossip is shed beyond it
};

struct ConsensusConfig {
    std::uint64_t tick_ms = 50;
    std::uint64_t view_change_timeout_ticks = 40;
    std::uint64_t view_change_timeout_ticks_max = 640;
    std::uint64_t window_heights = 8;
    std::uint64_t block_txs_max = 1000;      // also bounded by genesis params
    std::uint64_t block_interval_ms = 20;    // how long the primary waits to fill a block
    // A block that is not full is cut only while fewer than this many heights lie between the
    // primary's executed head and the new block, or once its work has waited a quarter of the
    // view-change timeout (ADR 0155): under load the pool fills larger blocks instead of
    // queueing small ones at the storage thread.
    std::uint64_t blocks_ahead_max = 2;
    std::uint64_t timestamp_skew_ms_max = 10'000;
};

struct LogConfig {
    std::string format = "text";  // "text" | "json"
    std::string level = "info";
};

struct NodeConfig {
    std::string node_name;            // appears on every log line
    std::uint32_t validator_index = 0;
    std::string genesis;              // path of genesis.json
    std::string data_dir;             // LevelDB store lives in data_dir/ledger
    std::string consensus_key;        // key file (jointclear keygen format, mode 0600)
    P2pConfig p2p;
    RpcConfig rpc;
    PoolConfig pool;
    ConsensusConfig consensus;
    LogConfig log;
};

// Removes // and /* */ comments outside strings. Errors on an unterminated block comment.
Result<std::string> strip_json_comments(std::string_view text);

Result<NodeConfig> parse_config(std::string_view text, const std::string& base_dir);
Result<NodeConfig> load_config(const std::string& path);

}  // namespace jc::node
