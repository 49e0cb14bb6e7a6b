// Micro-benchmark: messages per second between two transports over mutual TLS 1.3 on
// 127.0.0.1, for frame sizes typical of consensus votes (~200 B) and gossip batches (16 KiB).
// PERFORMANCE.md: TLS 1.3 one-way 204-byte frames ~210,000/s with one write each, ~9 M/s with
// batched 64 KiB writes. Usage: jc_p2p_bench [messages]
#include <jc/p2p/tls_identity.h>
#include <jc/p2p/transport.h>

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using namespace jc;
using namespace jc::p2p;

namespace {

std::string write_file(const fs::path& dir, const std::string& name, const std::string& content) {
    const auto path = (dir / name).string();
    std::ofstream(path) << content;
    return path;
}

}  // namespace

int main(int argc, char** argv) {
    const long messages = argc > 1 ? std::atol(argv[1]) : 400000;
    std::string tmpl = (fs::temp_directory_path() / "jc-p2p-bench-XXXXXX").string();
    const fs::path dir = mkdtemp(tmpl.data());
    const auto ca = make_ca({.common_name = "bench CA"}).value();
    const auto ca_file = write_file(dir, "ca.crt", ca.certificate_pem);
    std::vector<PeerInfo> peers;
    std::vector<std::pair<std::string, std::string>> files;
    for (std::uint32_t i = 0; i < 2; ++i) {
        const auto pair = issue_certificate(ca, {.common_name = "n" + std::to_string(i), .serial = 10 + i}).value();
        files.emplace_back(write_file(dir, "n" + std::to_string(i) + ".crt", pair.certificate_pem),
                           write_file(dir, "n" + std::to_string(i) + ".key", pair.private_key_pem));
        peers.push_back({i, certificate_identity(pair.certificate_pem).value(), "127.0.0.1:0"});
    }
    boost::asio::io_context io0;
    boost::asio::io_context io1;
    std::atomic<long> received{0};
    auto make = [&](boost::asio::io_context& io, std::uint32_t index) {
        Config c;
        c.self_index = index;
        c.listen_address = "127.0.0.1:0";
        c.peers = peers;
        c.ca_cert_file = ca_file;
        c.cert_file = files[index].first;
        c.key_file = files[index].second;
        return std::make_unique<Transport>(io, c, io.get_executor(), [&](Message) { received++; });
    };
    auto t1 = make(io1, 1);
    if (!t1->start().ok()) {
        return 1;
    }
    peers[1].address = "127.0.0.1:" + std::to_string(t1->listen_port());
    auto t0 = make(io0, 0);
    if (!t0->start().ok()) {
        return 1;
    }
    auto g0 = boost::asio::make_work_guard(io0);
    auto g1 = boost::asio::make_work_guard(io1);
    std::thread th0([&] { io0.run(); });
    std::thread th1([&] { io1.run(); });
    while (t0->counters().connections_established == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    for (const std::size_t size : {std::size_t{200}, std::size_t{16384}}) {
        const long count = size > 1000 ? messages / 20 : messages;
        const Bytes payload(size, 0x5a);
        received = 0;
        const auto start = std::chrono::steady_clock::now();
        // Keep at most 8 MiB in flight, well under the send-queue limit: the bench measures
        // throughput, not overflow handling.
        const long in_flight_max = static_cast<long>((std::size_t{8} << 20) / size);
        const auto deadline = start + std::chrono::seconds(60);
        for (long i = 0; i < count; ++i) {
            t0->send(1, Channel::kConsensus, payload);
            while (i - received.load() > in_flight_max) {
                std::this_thread::yield();
            }
        }
        while (received.load() < count) {
            if (std::chrono::steady_clock::now() > deadline || t0->counters().dropped_slow_peer > 0) {
                std::fprintf(stderr, "bench: messages lost (%ld of %ld received)\n", received.load(), count);
                return 1;
            }
            std::this_thread::yield();
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("p2p %6zu-byte frames: %10.0f msgs/s  %8.1f MB/s  (%ld msgs)\n", size, count / s,
                    count * static_cast<double>(size) / s / 1e6, count);
    }
    const auto c = t0->counters();
    std::printf("frames_out %lu in %lu writes (%.1f frames/write)\n", static_cast<unsigned long>(c.frames_out),
                static_cast<unsigned long>(c.writes), static_cast<double>(c.frames_out) / static_cast<double>(c.writes));
    t0->stop();
    t1->stop();
    g0.reset();
    g1.reset();
    io0.stop();
    io1.stop();
    th0.join();
    th1.join();
    fs::remove_all(dir);
    return 0;
}
