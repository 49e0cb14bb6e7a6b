// Goal: the transport admits exactly the consortium's nodes over mutual TLS 1.3 and survives
// hostile or broken peers. Method: real sockets on 127.0.0.1 with certificates made by the test
// (a consortium CA, a foreign CA, an expired certificate, a certificate not in genesis, a revoked
// one), transports running on their own io threads, and raw TLS/TCP clients playing the bad
// peers. Waits poll a condition with a deadline; nothing sleeps and hopes.
#include <jc/core/codec.h>
#include <jc/p2p/tls_identity.h>
#include <jc/p2p/transport.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <catch2/catch.hpp>
#include "wait_until.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;
using namespace jc;
using namespace jc::p2p;

namespace {

// Mutual TLS handshakes between several transports: a longer deadline than the default.
bool wait_until(const std::function<bool()>& condition) {
    return jc::test::wait_until(condition, 10000);
}

struct Files {
    std::string cert;
    std::string key;
};

// A consortium PKI in a temp dir: CA + `n` node certificates, plus hostile extras.
struct Pki {
    fs::path dir;
    PemPair ca;
    std::vector<Files> nodes;
    std::vector<Hash> identities;
    std::vector<std::string> serials;

    explicit Pki(int n) {
        std::string tmpl = (fs::temp_directory_path() / "jc-p2p-XXXXXX").string();
        dir = mkdtemp(tmpl.data());
        ca = make_ca({.common_name = "consortium CA", .serial = 1}).value();
        write("ca.crt", ca.certificate_pem);
        for (int i = 0; i < n; ++i) {
            nodes.push_back(issue("node" + std::to_string(i), static_cast<std::uint64_t>(100 + i)));
            identities.push_back(certificate_identity(read(nodes.back().cert)).value());
            serials.push_back(certificate_serial_hex(read(nodes.back().cert)).value());
        }
    }
    ~Pki() { fs::remove_all(dir); }

    Files issue(const std::string& name, std::uint64_t serial, std::int64_t not_after_s = 3600,
                const PemPair* issuer = nullptr) {
        auto pair = issue_certificate(issuer ? *issuer : ca,
                                      {.common_name = name, .serial = serial, .not_after_offset_s = not_after_s})
                        .value();
        return {write(name + ".crt", pair.certificate_pem), write(name + ".key", pair.private_key_pem)};
    }
    std::string write(const std::string& name, const std::string& content) const {
        const auto path = (dir / name).string();
        std::ofstream(path) << content;
        return path;
    }
    static std::string read(const std::string& path) {
        std::ifstream in(path);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
    [[nodiscard]] std::string ca_file() const { return (dir / "ca.crt").string(); }
};

// A transport on its own io thread that records what it receives.
struct Node {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::unique_ptr<Transport> transport;
    std::thread thread;
    std::mutex mutex;
    std::vector<Message> received;

    // Delivery goes to `held` instead of `io` when hold_delivery is set: nothing handles the
    // frames until the test runs `held`, as with a busy consensus thread.
    asio::io_context held;

    Node(const Pki& pki, std::uint32_t index, std::vector<PeerInfo> peers, std::uint16_t port = 0,
         Limits limits = fast_limits(), Revocations revocations = {}, bool hold_delivery = false) {
        Config config;
        config.self_index = index;
        config.listen_address = "127.0.0.1:" + std::to_string(port);
        config.peers = std::move(peers);
        config.ca_cert_file = pki.ca_file();
        config.cert_file = pki.nodes[index].cert;
        config.key_file = pki.nodes[index].key;
        config.limits = limits;
        config.revocations = std::move(revocations);
        transport = std::make_unique<Transport>(io, config, hold_delivery ? held.get_executor() : io.get_executor(),
                                                [this](Message m) {
            m.credit.reset();  // handled: return the delivery credit
            std::lock_guard lock(mutex);
            received.push_back(std::move(m));
        });
        REQUIRE(transport->start().ok());
        thread = std::thread([this] { io.run(); });
    }
    ~Node() {
        transport->stop();
        guard.reset();
        io.stop();
        thread.join();
    }
    static Limits fast_limits() {
        Limits l;
        l.reconnect_backoff_min_ms = 10;
        l.reconnect_backoff_max_ms = 200;
        return l;
    }
    std::size_t count_from(std::uint32_t from) {
        std::lock_guard lock(mutex);
        return static_cast<std::size_t>(std::count_if(received.begin(), received.end(),
                                                      [&](const Message& m) { return m.from == from; }));
    }
    bool connected_to(std::uint32_t peer) { return status_of(peer).connected; }
    PeerStatus status_of(std::uint32_t peer) {
        for (const auto& s : transport->peer_status()) {
            if (s.index == peer) {
                return s;
            }
        }
        return {};
    }
};

std::vector<PeerInfo> peers_of(const Pki& pki, const std::vector<std::uint16_t>& ports) {
    std::vector<PeerInfo> peers;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        peers.push_back({static_cast<std::uint32_t>(i), pki.identities[i], "127.0.0.1:" + std::to_string(ports[i])});
    }
    return peers;
}

// A TLS client under the test's control, to play a hostile or broken peer.
struct RawClient {
    asio::io_context io;
    ssl::context ctx{ssl::context::tls_client};
    std::unique_ptr<ssl::stream<tcp::socket>> stream;

    explicit RawClient(const Files* identity) {
        ctx.set_verify_mode(ssl::verify_none);
        if (identity != nullptr) {
            ctx.use_certificate_chain_file(identity->cert);
            ctx.use_private_key_file(identity->key, ssl::context::pem);
        }
        stream = std::make_unique<ssl::stream<tcp::socket>>(io, ctx);
    }
    void connect(std::uint16_t port) {
        stream->lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    }
    bool handshake() {
        boost::system::error_code ec;
        stream->handshake(ssl::stream_base::client, ec);
        return !ec;
    }
    void write(const Bytes& bytes) {
        boost::system::error_code ec;
        asio::write(*stream, asio::buffer(bytes), ec);
    }
    // True if the server closes the connection within the deadline.
    bool closed_by_server(int deadline_ms = 5000) {
        std::array<std::uint8_t, 4096> buf{};
        bool closed = false;
        std::function<void()> read_more = [&] {
            stream->async_read_some(asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t) {
                if (ec) {
                    closed = true;
                } else {
                    read_more();
                }
            });
        };
        read_more();
        io.run_for(std::chrono::milliseconds(deadline_ms));
        return closed;
    }
};

// Whether the server closed a TCP-only client's connection (EOF within 300 ms).
bool tcp_closed(RawClient& c) {
    std::array<std::uint8_t, 64> buf{};
    bool closed = false;
    c.stream->next_layer().async_read_some(asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t) {
        closed = static_cast<bool>(ec);
    });
    c.io.run_for(std::chrono::milliseconds(300));
    const bool result = closed;
    boost::system::error_code ignored;
    c.stream->next_layer().cancel(ignored);  // let a pending read finish before buf goes away
    c.io.restart();
    c.io.run();
    return result;
}

}  // namespace

TEST_CASE("three validators connect and exchange messages both ways", "[p2p][integration]") {
    Pki pki(3);
    Node n2(pki, 2, peers_of(pki, {0, 0, 0}));
    Node n1(pki, 1, peers_of(pki, {0, 0, n2.transport->listen_port()}));
    Node n0(pki, 0, peers_of(pki, {0, n1.transport->listen_port(), n2.transport->listen_port()}));
    REQUIRE(wait_until([&] { return n0.connected_to(1) && n0.connected_to(2) && n1.connected_to(2) &&
                                    n1.connected_to(0) && n2.connected_to(0) && n2.connected_to(1); }));

    const std::string hello = "hello from 0";
    n0.transport->send(1, Channel::kConsensus, as_bytes(hello));
    REQUIRE(wait_until([&] { return n1.count_from(0) == 1; }));
    {
        std::lock_guard lock(n1.mutex);
        CHECK(n1.received[0].channel == Channel::kConsensus);
        CHECK(to_string(n1.received[0].payload) == hello);
    }
    n2.transport->broadcast(Channel::kTxGossip, as_bytes(std::string("batch")));
    REQUIRE(wait_until([&] { return n0.count_from(2) == 1 && n1.count_from(2) == 1; }));

    // Many small frames arrive complete and in order, in fewer socket writes than frames.
    for (std::uint32_t i = 0; i < 2000; ++i) {
        codec::Writer w;
        w.u32(i);
        n1.transport->send(0, Channel::kConsensus, w.data());
    }
    REQUIRE(wait_until([&] { return n0.count_from(1) == 2000; }));
    {
        std::lock_guard lock(n0.mutex);
        std::uint32_t expected = 0;
        for (const auto& m : n0.received) {
            if (m.from == 1) {
                codec::Reader r(m.payload);
                CHECK(*r.u32() == expected++);
            }
        }
    }
    const auto c = n1.transport->counters();
    CHECK(c.writes < c.frames_out);
}

TEST_CASE("hostile or broken peers are refused and counted; the node keeps serving", "[p2p][integration]") {
    Pki pki(2);
    Revocations revocations;
    Node server(pki, 1, peers_of(pki, {0, 0}), 0, Node::fast_limits(), revocations);
    const auto port = server.transport->listen_port();

    SECTION("certificate from another CA") {
        const auto other_ca = make_ca({.common_name = "rogue CA", .serial = 7}).value();
        const Files rogue = pki.issue("rogue", 200, 3600, &other_ca);
        RawClient c(&rogue);
        c.connect(port);
        c.handshake();
        CHECK(c.closed_by_server());
        CHECK(wait_until([&] { return server.transport->counters().refused_handshake == 1; }));
    }
    SECTION("expired certificate from the consortium CA") {
        const Files expired = pki.issue("expired", 201, -60);
        RawClient c(&expired);
        c.connect(port);
        c.handshake();
        CHECK(c.closed_by_server());
        CHECK(wait_until([&] { return server.transport->counters().refused_handshake == 1; }));
    }
    SECTION("no client certificate") {
        RawClient c(nullptr);
        c.connect(port);
        c.handshake();
        CHECK(c.closed_by_server());
        CHECK(wait_until([&] { return server.transport->counters().refused_handshake == 1; }));
    }
    SECTION("valid certificate whose key is not in genesis") {
        const Files stranger = pki.issue("stranger", 202);
        RawClient c(&stranger);
        c.connect(port);
        REQUIRE(c.handshake());
        CHECK(c.closed_by_server());
        CHECK(wait_until([&] { return server.transport->counters().refused_unknown_identity == 1; }));
    }
    SECTION("plain TCP without TLS") {
        asio::io_context io;
        tcp::socket s(io);
        s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        const std::string junk = "GET / HTTP/1.0\r\n\r\n";
        asio::write(s, asio::buffer(junk));
        std::array<char, 64> buf{};
        boost::system::error_code ec;
        while (!ec) {
            s.read_some(asio::buffer(buf), ec);
        }
        CHECK(wait_until([&] { return server.transport->counters().refused_handshake == 1; }));
    }
    SECTION("oversize frame from an admitted peer") {
        RawClient c(&pki.nodes[0]);
        c.connect(port);
        REQUIRE(c.handshake());
        REQUIRE(wait_until([&] { return server.connected_to(0); }));
        const auto limit = static_cast<std::uint32_t>(Limits{}.frame_bytes_max + 1);
        c.write(Bytes{static_cast<std::uint8_t>(limit), static_cast<std::uint8_t>(limit >> 8),
                      static_cast<std::uint8_t>(limit >> 16), static_cast<std::uint8_t>(limit >> 24), 1});
        CHECK(c.closed_by_server());
        CHECK(wait_until([&] { return server.transport->counters().dropped_frame_too_large == 1; }));
    }
    SECTION("frame on an unknown channel") {
        RawClient c(&pki.nodes[0]);
        c.connect(port);
        REQUIRE(c.handshake());
        REQUIRE(wait_until([&] { return server.connected_to(0); }));
        c.write(Bytes{1, 0, 0, 0, 99, 0});
        CHECK(c.closed_by_server());
        CHECK(wait_until([&] { return server.transport->counters().dropped_bad_frame == 1; }));
    }
    // In every case the real peer still gets in afterwards.
    Node good(pki, 0, peers_of(pki, {0, port}));
    CHECK(wait_until([&] { return server.connected_to(0) && good.connected_to(1); }));
}

TEST_CASE("a revoked certificate is refused at handshake", "[p2p][integration]") {
    Pki pki(2);
    Revocations revocations;
    revocations.certificate_serials.insert(pki.serials[0]);
    Node server(pki, 1, peers_of(pki, {0, 0}), 0, Node::fast_limits(), revocations);
    RawClient c(&pki.nodes[0]);
    c.connect(server.transport->listen_port());
    REQUIRE(c.handshake());
    CHECK(c.closed_by_server());
    CHECK(wait_until([&] { return server.transport->counters().refused_revoked == 1; }));
}

TEST_CASE("revoking a connected peer's identity closes the link and keeps it out", "[p2p][integration]") {
    Pki pki(2);
    Node n1(pki, 1, peers_of(pki, {0, 0}));
    Node n0(pki, 0, peers_of(pki, {0, n1.transport->listen_port()}));
    REQUIRE(wait_until([&] { return n0.connected_to(1) && n1.connected_to(0); }));
    Revocations r;
    r.identities.insert(pki.identities[0]);
    n1.transport->set_revocations(r);
    CHECK(wait_until([&] { return !n1.connected_to(0); }));
    // n0 keeps redialling with backoff; every attempt is refused.
    CHECK(wait_until([&] { return n1.transport->counters().refused_revoked >= 2; }));
    CHECK_FALSE(n1.connected_to(0));
}

TEST_CASE("revoking a connected peer's certificate serial closes the link", "[p2p][integration]") {
    Pki pki(2);
    Node n1(pki, 1, peers_of(pki, {0, 0}));
    Node n0(pki, 0, peers_of(pki, {0, n1.transport->listen_port()}));
    REQUIRE(wait_until([&] { return n0.connected_to(1) && n1.connected_to(0); }));
    Revocations r;
    r.certificate_serials.insert(pki.serials[0]);
    n1.transport->set_revocations(r);
    CHECK(wait_until([&] { return !n1.connected_to(0); }));
    CHECK(wait_until([&] { return n1.transport->counters().refused_revoked >= 2; }));
}

TEST_CASE("a peer that stops reading is disconnected instead of growing memory", "[p2p][integration]") {
    Pki pki(2);
    Limits limits = Node::fast_limits();
    limits.send_queue_bytes_max = 1 << 20;
    Node server(pki, 1, peers_of(pki, {0, 0}), 0, limits);
    RawClient c(&pki.nodes[0]);  // handshakes, then never reads
    c.connect(server.transport->listen_port());
    REQUIRE(c.handshake());
    REQUIRE(wait_until([&] { return server.connected_to(0); }));
    const Bytes chunk(256 << 10, 0xab);
    CHECK(wait_until([&] {
        server.transport->send(0, Channel::kSyncResponse, chunk);
        return server.transport->counters().dropped_slow_peer == 1;
    }));
    CHECK(wait_until([&] { return !server.connected_to(0); }));
}

TEST_CASE("a silent peer is closed after the idle timeout", "[p2p][integration]") {
    Pki pki(2);
    Limits limits = Node::fast_limits();
    limits.keepalive_interval_ms = 50;
    limits.idle_timeout_ms = 300;
    Node server(pki, 1, peers_of(pki, {0, 0}), 0, limits);
    RawClient c(&pki.nodes[0]);
    c.connect(server.transport->listen_port());
    REQUIRE(c.handshake());
    CHECK(c.closed_by_server());
    CHECK(wait_until([&] { return server.transport->counters().dropped_idle == 1; }));
}

TEST_CASE("a restarted peer is reconnected with backoff", "[p2p][integration]") {
    Pki pki(2);
    auto n1 = std::make_unique<Node>(pki, 1, peers_of(pki, {0, 0}));
    const auto port = n1->transport->listen_port();
    Node n0(pki, 0, peers_of(pki, {0, port}));
    REQUIRE(wait_until([&] { return n0.connected_to(1); }));
    n1.reset();
    REQUIRE(wait_until([&] { return !n0.connected_to(1); }));
    n1 = std::make_unique<Node>(pki, 1, peers_of(pki, {0, 0}), port);
    REQUIRE(wait_until([&] { return n0.connected_to(1) && n1->connected_to(0); }));
    n0.transport->send(1, Channel::kConsensus, as_bytes(std::string("after restart")));
    CHECK(wait_until([&] { return n1->count_from(0) == 1; }));
    CHECK(n0.transport->counters().connections_established == 2);
}

TEST_CASE("a flooding peer is held to its delivery credit; reads resume and nothing is lost", "[p2p][integration]") {
    // The receiver's handler does not run (a stalled consensus thread) while a validator's
    // certificate floods it: frames waiting for the handler never exceed the credit, reads pause,
    // and once the handler runs every frame arrives in order.
    Pki pki(2);
    Limits limits = Node::fast_limits();
    limits.deliver_frames_max = 16;
    limits.deliver_bytes_max = 1 << 20;
    Node server(pki, 1, peers_of(pki, {0, 0}), 0, limits, {}, /*hold_delivery=*/true);
    RawClient c(&pki.nodes[0]);
    c.connect(server.transport->listen_port());
    REQUIRE(c.handshake());
    REQUIRE(wait_until([&] { return server.connected_to(0); }));
    constexpr std::uint32_t kFrames = 1000;
    Bytes all;
    for (std::uint32_t i = 0; i < kFrames; ++i) {
        codec::Writer w;
        w.u32(i);
        const Bytes frame = *encode_frame(Channel::kConsensus, Bytes(w.data().begin(), w.data().end()));
        all.insert(all.end(), frame.begin(), frame.end());
    }
    c.write(all);
    REQUIRE(wait_until([&] { return server.transport->counters().read_pauses >= 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a flood keeps arriving meanwhile
    const auto status = server.status_of(0);
    CHECK(status.reading_paused);
    CHECK(status.deliver_queued_frames <= limits.deliver_frames_max);
    CHECK(server.transport->counters().frames_in <= limits.deliver_frames_max + 1);

    std::thread handler([&] {
        auto guard = asio::make_work_guard(server.held);
        server.held.run_for(std::chrono::seconds(10));
    });
    CHECK(wait_until([&] { return server.count_from(0) == kFrames; }));
    server.held.stop();
    handler.join();
    std::lock_guard lock(server.mutex);
    for (std::uint32_t i = 0; i < server.received.size(); ++i) {
        codec::Reader r(server.received[i].payload);
        CHECK(r.u32().value() == i);
    }
    CHECK(server.connected_to(0));
}

TEST_CASE("one address cannot hold more than its share of pending handshakes", "[p2p][integration]") {
    // Unknown dialers that open TCP connections and never finish TLS take handshake slots; from
    // one address they get at most pending_handshakes_per_ip_max, the rest are closed at once.
    Pki pki(2);
    Limits limits = Node::fast_limits();
    limits.pending_handshakes_per_ip_max = 3;
    limits.handshake_timeout_ms = 5000;
    Node server(pki, 1, peers_of(pki, {0, 0}), 0, limits);
    std::vector<std::unique_ptr<RawClient>> idle;
    for (int i = 0; i < 6; ++i) {
        idle.push_back(std::make_unique<RawClient>(nullptr));
        idle.back()->connect(server.transport->listen_port());  // TCP only, no handshake
    }
    CHECK(wait_until([&] { return server.transport->counters().refused_handshakes_per_ip == 3; }));
    // The refused ones see EOF on the TCP layer at once; the admitted ones are still open.
    CHECK(tcp_closed(*idle[5]));
    CHECK_FALSE(tcp_closed(*idle[0]));
    CHECK(server.transport->counters().refused_handshakes_per_ip == 3);
    CHECK(server.transport->counters().refused_inbound_limit == 0);
}

TEST_CASE("the inbound limit counts accepted connections, not this node's own dials", "[p2p][integration][regress]") {
    // Regression: the accept check counted every session and handshake, so a validator that
    // dialled its higher-indexed peers had that many fewer slots for the lower-indexed ones
    // (with 65 validators and the default 64, some could never connect).
    Pki pki(3);
    Node n2(pki, 2, peers_of(pki, {0, 0, 0}));
    Node n1(pki, 1, peers_of(pki, {0, 0, n2.transport->listen_port()}));
    Limits limits = Node::fast_limits();
    limits.inbound_connections_max = 1;
    limits.handshake_timeout_ms = 5000;
    Node n0(pki, 0, peers_of(pki, {0, n1.transport->listen_port(), n2.transport->listen_port()}), 0, limits);
    REQUIRE(wait_until([&] { return n0.connected_to(1) && n0.connected_to(2); }));  // two outbound sessions
    RawClient first(nullptr);
    first.connect(n0.transport->listen_port());  // TCP only: a pending inbound handshake
    RawClient second(nullptr);
    second.connect(n0.transport->listen_port());
    CHECK(wait_until([&] { return n0.transport->counters().refused_inbound_limit >= 1; }));
    // The first took the one inbound slot beside the two outbound sessions; only the second was refused.
    CHECK(tcp_closed(second));
    CHECK_FALSE(tcp_closed(first));
    CHECK(n0.transport->counters().refused_inbound_limit == 1);
    CHECK(n0.connected_to(1));
    CHECK(n0.connected_to(2));
}
