// Goal: the node's config loader accepts comments and defaults, resolves paths against the
// file's directory, and refuses every malformed or out-of-range value naming the key path.
#include <jc/node/config.h>

#include <catch2/catch.hpp>

#include <set>

using jc::node::parse_config;

namespace {
const char* kMinimal = R"({
  // a comment
  "node": "node0", /* another */ "genesis": "../genesis.json", "data_dir": "data",
  "consensus_key": "key.json",
  "p2p": {"ca_cert": "../ca.crt", "cert": "tls.crt", "key": "tls.key"}
})";

std::string error_of(const std::string& text) {
    auto c = parse_config(text, "/etc/jc/node0");
    REQUIRE_FALSE(c.ok());
    return c.error().message();
}
}  // namespace

TEST_CASE("minimal config with comments gets defaults and resolved paths", "[node][config]") {
    auto c = parse_config(kMinimal, "/etc/jc/node0");
    REQUIRE(c.ok());
    CHECK(c->genesis == "/etc/jc/genesis.json");
    CHECK(c->data_dir == "/etc/jc/node0/data");
    CHECK(c->p2p.ca_cert == "/etc/jc/ca.crt");
    CHECK(c->pool.txs_max == 200'000);
    CHECK(c->consensus.tick_ms == 50);
    CHECK(c->consensus.blocks_ahead_max == 2);
    CHECK(c->log.format == "text");
}

TEST_CASE("config errors name the key path", "[node][config]") {
    std::string base = kMinimal;
    auto with = [&](const std::string& extra) {
        std::string t = base;
        t.insert(t.rfind('}'), "," + extra);
        return t;
    };
    CHECK_THAT(error_of(with(R"("pool": {"txs_max": 0})")), Catch::Contains("pool.txs_max: must be an integer"));
    CHECK_THAT(error_of(with(R"("pool": {"txs_maxx": 5})")), Catch::Contains("pool.txs_maxx: unknown key"));
    CHECK_THAT(error_of(R"({"node": "n", "genesis": "g", "data_dir": "d", "consensus_key": "k",
                            "p2p": {"ca_cert": "c", "cert": "t", "key": "k", "inbound_connections_max": 0}})"),
               Catch::Contains("p2p.inbound_connections_max: must be an integer in [1, 65536]"));
    CHECK_THAT(error_of(with(R"("rpc": {"listen": 5})")), Catch::Contains("rpc.listen: must be a string"));
    CHECK_THAT(error_of(with(R"("consensus": {"blocks_ahead_max": 0})")),
               Catch::Contains("consensus.blocks_ahead_max: must be an integer in [1, 64]"));
    CHECK_THAT(error_of(with(R"("log": {"format": "xml"})")), Catch::Contains("log.format"));
    CHECK_THAT(error_of(with(R"("typo": 1)")), Catch::Contains("typo: unknown key"));
    CHECK_THAT(error_of(with(R"("rpc": {"wait_timeout_ms_default": 9000, "wait_timeout_ms_max": 10})")),
               Catch::Contains("wait_timeout_ms_default"));
    CHECK_THAT(error_of(R"({"node": "n", "genesis": "g", "data_dir": "d", "consensus_key": "k"})"),
               Catch::Contains("p2p: missing"));
    CHECK_THAT(error_of(R"({"node": "n"})"), Catch::Contains("missing"));
    CHECK_THAT(error_of("{/* unterminated"), Catch::Contains("unterminated"));
    CHECK_THAT(error_of("[1]"), Catch::Contains("must be a JSON object"));
    CHECK_THAT(error_of(with(R"("node": "bad name")")), Catch::Contains("duplicate key"));
}

TEST_CASE("backpressure keys: defaults, values and their cross-checks", "[node][config]") {
    auto d = parse_config(kMinimal, "/etc/jc/node0");
    REQUIRE(d.ok());
    CHECK(d->p2p.limits.frame_bytes_max == 0);  // derived at start from the consensus bound (ADR 0071)
    CHECK(d->p2p.limits.deliver_frames_max == 1024);
    CHECK(d->p2p.sync_requests_per_second == 20);
    CHECK(d->pool.verify_backlog_txs_max == 20'000);
    CHECK(d->rpc.ws_in_flight_max == 64);
    CHECK(d->rpc.reader_threads == 2);
    std::string t = kMinimal;
    t.insert(t.rfind('}'), R"(, "rpc": {"ws_in_flight_max": 3, "reader_threads": 1},
        "pool": {"verify_backlog_txs_max": 4000, "gossip_batch_txs_max": 1000})");
    auto c = parse_config(t, "/x");
    REQUIRE(c.ok());
    CHECK(c->rpc.ws_in_flight_max == 3);
    CHECK(c->pool.verify_backlog_txs_max == 4000);
    std::string bad = kMinimal;
    bad.insert(bad.rfind('}'), R"(, "pool": {"verify_backlog_txs_max": 3999, "gossip_batch_txs_max": 1000})");
    CHECK_THAT(error_of(bad), Catch::Contains("pool.verify_backlog_txs_max: must be at least 4 * pool.gossip_batch_txs_max (4000)"));
    std::string zero = kMinimal;
    zero.insert(zero.rfind('}'), R"(, "p2p2": 1)");
    CHECK_THAT(error_of(zero), Catch::Contains("p2p2: unknown key"));
}

TEST_CASE("comment stripping leaves strings alone", "[node][config]") {
    auto s = jc::node::strip_json_comments(R"({"a": "http://x/*y*/ // z"} // tail)");
    REQUIRE(s.ok());
    CHECK(*s == "{\"a\": \"http://x/*y*/ // z\"} \n");
}

TEST_CASE("p2p.peer_addresses overrides routes by validator index and refuses bad entries", "[node][config]") {
    auto with_p2p = [](const std::string& extra) {
        return std::string(R"({"node": "n", "genesis": "g", "data_dir": "d", "consensus_key": "k",
            "p2p": {"ca_cert": "c", "cert": "t", "key": "k", )") + extra + "}}";
    };
    auto c = parse_config(with_p2p(R"("peer_addresses": {"2": "127.0.0.1:17002", "10": "node10.bank:7000"})"), "/");
    REQUIRE(c.ok());
    CHECK(c->p2p.peer_addresses.size() == 2);
    CHECK(c->p2p.peer_addresses.at(2) == "127.0.0.1:17002");
    CHECK(c->p2p.peer_addresses.at(10) == "node10.bank:7000");
    CHECK(parse_config(kMinimal, "/")->p2p.peer_addresses.empty());
    CHECK_THAT(error_of(with_p2p(R"("peer_addresses": {"x": "h:1"})")), Catch::Contains("p2p.peer_addresses.x: key"));
    CHECK_THAT(error_of(with_p2p(R"("peer_addresses": {"01": "h:1"})")), Catch::Contains("p2p.peer_addresses.01"));
    CHECK_THAT(error_of(with_p2p(R"("peer_addresses": {"256": "h:1"})")), Catch::Contains("[0, 255]"));
    CHECK_THAT(error_of(with_p2p(R"("peer_addresses": {"1": "nohost"})")), Catch::Contains("host:port"));
    CHECK_THAT(error_of(with_p2p(R"("peer_addresses": {"1": "h:"})")), Catch::Contains("host:port"));
    CHECK_THAT(error_of(with_p2p(R"("peer_addresses": {"1": "h:x1"})")), Catch::Contains("host:port"));
    CHECK_THAT(error_of(with_p2p(R"("peer_addresses": {"1": 7})")), Catch::Contains("host:port"));
    CHECK_THAT(error_of(with_p2p(R"("peer_addresses": ["h:1"])")), Catch::Contains("must be an object"));
}

TEST_CASE("required paths may not be empty (regression: genesis_config_fuzz)", "[node][config][regress]") {
    CHECK_THAT(error_of(R"({"node": "n", "genesis": "g", "data_dir": "d", "consensus_key": "k",
        "p2p": {"ca_cert": "c", "cert": "", "key": "k"}})"), Catch::Contains("p2p.cert: must not be empty"));
    CHECK_THAT(error_of(R"({"node": "n", "genesis": "", "data_dir": "d", "consensus_key": "k",
        "p2p": {"ca_cert": "c", "cert": "t", "key": "k"}})"), Catch::Contains("genesis: must not be empty"));
    CHECK_THAT(error_of(R"({"node": "n", "genesis": "g", "data_dir": "", "consensus_key": "k",
        "p2p": {"ca_cert": "c", "cert": "t", "key": "k"}})"), Catch::Contains("data_dir: must not be empty"));
}

TEST_CASE("rpc.tls: paths resolved, defaults, and malformed entries refused naming the key", "[node][config]") {
    auto with = [](const std::string& rpc) {
        std::string t = kMinimal;
        t.insert(t.rfind('}'), R"(, "rpc": )" + rpc);
        return t;
    };
    auto none = parse_config(kMinimal, "/etc/jc/node0");
    REQUIRE(none.ok());
    CHECK_FALSE(none->rpc.tls.enabled());
    auto c = parse_config(with(R"({"tls": {"cert": "rpc_tls.crt", "key": "/k/rpc.key"}})"), "/etc/jc/node0");
    REQUIRE(c.ok());
    CHECK(c->rpc.tls.enabled());
    CHECK(c->rpc.tls.cert == "/etc/jc/node0/rpc_tls.crt");
    CHECK(c->rpc.tls.key == "/k/rpc.key");
    CHECK(c->rpc.tls.client_ca.empty());
    CHECK(c->rpc.tls.handshake_timeout_ms == 5000);
    CHECK(c->rpc.tls.handshakes_max == 64);
    c = parse_config(with(R"({"tls": {"cert": "c", "key": "k", "client_ca": "../bank-ca.crt",
                                      "handshake_timeout_ms": 250, "handshakes_max": 3}})"),
                     "/etc/jc/node0");
    REQUIRE(c.ok());
    CHECK(c->rpc.tls.client_ca == "/etc/jc/bank-ca.crt");
    CHECK(c->rpc.tls.handshake_timeout_ms == 250);
    CHECK(c->rpc.tls.handshakes_max == 3);
    CHECK_THAT(error_of(with(R"({"tls": {"cert": "c"}})")), Catch::Contains("rpc.tls.key: missing"));
    CHECK_THAT(error_of(with(R"({"tls": {"cert": "", "key": "k"}})")), Catch::Contains("rpc.tls.cert: must not be empty"));
    CHECK_THAT(error_of(with(R"({"tls": {"cert": "c", "key": "k", "client_ca": ""}})")),
               Catch::Contains("rpc.tls.client_ca: must not be empty"));
    CHECK_THAT(error_of(with(R"({"tls": {"cert": "c", "key": "k", "handshake_timeout_ms": 0}})")),
               Catch::Contains("rpc.tls.handshake_timeout_ms: must be an integer"));
    CHECK_THAT(error_of(with(R"({"tls": {"cert": "c", "key": "k", "ciphers": "ALL"}})")),
               Catch::Contains("rpc.tls.ciphers: unknown key"));
    CHECK_THAT(error_of(with(R"({"tls": true})")), Catch::Contains("rpc.tls: must be an object"));
}

// ADR 0091 and 0097: rpc.tokens holds bank tokens and auditor tokens, by SHA-256 only.
TEST_CASE("rpc.tokens: bank and auditor entries, malformed ones refused naming the entry", "[node][config]") {
    auto with = [](const std::string& tokens) {
        std::string t = kMinimal;
        t.insert(t.rfind('}'), R"(, "rpc": {"tokens": )" + tokens + "}");
        return t;
    };
    const std::string h1(64, 'a');
    const std::string h2(64, 'b');
    const std::string h3(64, 'c');
    auto c = parse_config(with(R"([{"bank": "WEBANK", "sha256": ")" + h1 + R"("}, {"role": "auditor", "sha256": ")" + h2 +
                               R"("}, {"role": "auditor", "sha256": ")" + h3 + R"("}])"),
                          "/etc/jc/node0");
    REQUIRE(c.ok());
    CHECK(c->rpc.token_sha256_to_bank.size() == 1);
    CHECK(c->rpc.token_sha256_to_bank.at(h1) == "WEBANK");
    CHECK(c->rpc.auditor_token_sha256 == std::set<std::string>{h2, h3});
    auto error_of = [](const std::string& text) {
        auto r = parse_config(text, "/etc/jc/node0");
        return r.ok() ? std::string("accepted") : r.error().message();
    };
    CHECK_THAT(error_of(with(R"([{"role": "admin", "sha256": ")" + h1 + R"("}])")),
               Catch::Contains("rpc.tokens[0].role: must be \"auditor\""));
    CHECK_THAT(error_of(with(R"([{"role": "auditor", "bank": "WEBANK", "sha256": ")" + h1 + R"("}])")),
               Catch::Contains("rpc.tokens[0]: must be {\"bank\": string"));
    CHECK_THAT(error_of(with(R"([{"role": "auditor", "sha256": "AB"}])")),
               Catch::Contains("rpc.tokens[0].sha256: must be 64 lowercase hex"));
    CHECK_THAT(error_of(with(R"([{"bank": "WEBANK", "sha256": ")" + h1 + R"("}, {"role": "auditor", "sha256": ")" + h1 +
                             R"("}])")),
               Catch::Contains("rpc.tokens[1].sha256: is listed twice"));
}

TEST_CASE("each p2p limit key lands in its own field of the transport's limits", "[node][config]") {
    // The node's config holds p2p::Limits itself (ADR 0156): a parser line writing into the
    // wrong field would pass every test that checks one key. Six distinct values, six fields;
    // the fields the file cannot set keep the transport's own defaults.
    std::string t = kMinimal;
    t.replace(t.find(R"("key": "tls.key"})"), std::string(R"("key": "tls.key"})").size(),
              R"("key": "tls.key", "frame_bytes_max": 70000, "send_queue_bytes_max": 2000000,
                 "deliver_frames_max": 33, "deliver_bytes_max": 80000,
                 "pending_handshakes_per_ip_max": 5, "inbound_connections_max": 77})");
    auto c = parse_config(t, "/x");
    REQUIRE(c.ok());
    const auto& l = c->p2p.limits;
    CHECK(l.frame_bytes_max == 70000);
    CHECK(l.send_queue_bytes_max == 2000000);
    CHECK(l.deliver_frames_max == 33);
    CHECK(l.deliver_bytes_max == 80000);
    CHECK(l.pending_handshakes_per_ip_max == 5);
    CHECK(l.inbound_connections_max == 77);
    const jc::p2p::Limits defaults;
    CHECK(l.write_batch_bytes_max == defaults.write_batch_bytes_max);
    CHECK(l.keepalive_interval_ms == defaults.keepalive_interval_ms);
    CHECK(l.idle_timeout_ms == defaults.idle_timeout_ms);
    CHECK(l.handshake_timeout_ms == defaults.handshake_timeout_ms);
    CHECK(l.reconnect_backoff_min_ms == defaults.reconnect_backoff_min_ms);
    CHECK(l.reconnect_backoff_max_ms == defaults.reconnect_backoff_max_ms);
    // Unset, the send queue's bound is derived at start (0 here), as the frame bound is.
    auto d = parse_config(kMinimal, "/x");
    REQUIRE(d.ok());
    CHECK(d->p2p.limits.send_queue_bytes_max == 0);
}
