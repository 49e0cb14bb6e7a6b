#include <jc/p2p/transport.h>

#include <jc/core/assert.h>
#include <jc/core/log.h>
#include <jc/core/sha256.h>
#include <jc/tls/context.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>

namespace jc::p2p {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

namespace {

enum class CloseReason {
    kPeerClosed,
    kStopped,
    kReplaced,
    kHandshakeFailed,
    kUnknownIdentity,
    kRevoked,
    kWrongPeer,
    kFrameTooLarge,
    kBadFrame,
    kSlowPeer,
    kIdle,
};

const char* reason_text(CloseReason r) {
    switch (r) {
        case CloseReason::kPeerClosed: return "peer closed the connection";
        case CloseReason::kStopped: return "transport stopped";
        case CloseReason::kReplaced: return "replaced by a newer connection";
        case CloseReason::kHandshakeFailed: return "TLS handshake failed";
        case CloseReason::kUnknownIdentity: return "certificate identity not in genesis";
        case CloseReason::kRevoked: return "certificate or identity revoked";
        case CloseReason::kWrongPeer: return "dialled peer presented another identity";
        case CloseReason::kFrameTooLarge: return "frame over the size limit";
        case CloseReason::kBadFrame: return "undecodable frame";
        case CloseReason::kSlowPeer: return "send queue overflow (peer too slow)";
        case CloseReason::kIdle: return "idle timeout";
    }
    return "unknown";
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Result<std::pair<std::string, std::string>> split_address(const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
        return Error(Errc::kInvalidArgument, "address \"" + address + "\" is not host:port");
    }
    return std::make_pair(address.substr(0, colon), address.substr(colon + 1));
}

struct AtomicCounters {
    std::atomic<std::uint64_t> connections_established{0}, connections_closed{0},
        refused_handshake{0}, refused_unknown_identity{0}, refused_revoked{0},
        refused_wrong_peer{0}, refused_inbound_limit{0}, refused_handshakes_per_ip{0}, frames_in{0}, frames_out{0},
        bytes_in{0}, bytes_out{0}, writes{0}, dropped_frame_too_large{0}, dropped_bad_frame{0},
        dropped_slow_peer{0}, dropped_idle{0}, dropped_not_connected{0}, read_pauses{0};
};

}  // namespace

class Session;

class Transport::Impl : public std::enable_shared_from_this<Transport::Impl> {
public:
    Impl(asio::io_context& io, Config config, asio::any_io_executor deliver, Handler handler)
        : io_(io),
          config_(std::move(config)),
          deliver_(std::move(deliver)),
          handler_(std::move(handler)),
          ssl_ctx_(ssl::context::tls),
          strand_(asio::make_strand(io)),
          acceptor_(strand_),
          log_(jc::log::get("p2p")),
          revocations_(config_.revocations),
          rng_(std::random_device{}()) {}

    Status start();
    void stop();

    void send(std::uint32_t peer, std::shared_ptr<const Bytes> frame);
    void broadcast(std::shared_ptr<const Bytes> frame);
    void set_revocations(Revocations revocations);
    std::vector<PeerStatus> peer_status() const;

    // Called by sessions.
    void admit(const std::shared_ptr<Session>& session, Hash identity, std::string serial);
    void session_closed(const std::shared_ptr<Session>& session, CloseReason reason,
                        bool was_established);
    // Hands a frame to the handler on the deliver executor.
    void deliver(Message message) {
        asio::post(deliver_, [handler = handler_, m = std::move(message)]() mutable { handler(std::move(m)); });
    }
    void log_refusal(const std::string& remote, CloseReason reason);

    asio::io_context& io_;
    Config config_;
    asio::any_io_executor deliver_;
    Handler handler_;
    ssl::context ssl_ctx_;
    Strand strand_;
    tcp::acceptor acceptor_;
    AtomicCounters counters_;
    std::atomic<bool> stopped_{false};
    std::atomic<std::uint16_t> listen_port_{0};
    std::shared_ptr<spdlog::logger> log_;

private:
    struct Dialer {
        PeerInfo peer;
        std::unique_ptr<asio::steady_timer> timer;
        unsigned attempts = 0;
        bool connecting = false;
    };

    void accept_next();
    void dial(std::uint32_t index);
    void schedule_redial(std::uint32_t index);
    const PeerInfo* find_identity(const Hash& identity) const;
    bool revoked(const Hash& identity, const std::string& serial) const;

    // Owned by strand_.
    std::map<std::uint32_t, std::shared_ptr<Session>> sessions_;
    std::map<Session*, std::shared_ptr<Session>> pending_;
    std::map<std::uint32_t, Dialer> dialers_;
    Revocations revocations_;
    std::mt19937_64 rng_;
    std::set<std::string> logged_refusals_;

    mutable std::mutex status_mutex_;
    std::map<std::uint32_t, PeerStatus> status_;  // guarded by status_mutex_
    std::map<std::uint32_t, std::shared_ptr<Session>> live_;  // guarded by status_mutex_; for live figures
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(std::shared_ptr<Transport::Impl> impl, tcp::socket socket, bool outbound,
            std::uint32_t expected_peer)
        : impl_(std::move(impl)),
          stream_(std::move(socket), impl_->ssl_ctx_),
          outbound_(outbound),
          peer_(expected_peer),
          timer_(stream_.get_executor()),
          limits_(impl_->config_.limits) {
        boost::system::error_code ec;
        const auto ep = stream_.lowest_layer().remote_endpoint(ec);
        remote_ip_ = ec ? std::string("?") : ep.address().to_string();
        remote_ = ec ? std::string("?") : remote_ip_ + ":" + std::to_string(ep.port());
    }

    void start() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->handshake(); });
    }

    void enqueue(std::shared_ptr<const Bytes> frame) {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this(), f = std::move(frame)]() mutable {
            self->enqueue_now(std::move(f));
        });
    }

    void close(CloseReason reason) {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this(), reason] {
            self->close_now(reason);
        });
    }

    // After admission: start the read loop and timers.
    void activate(std::uint32_t peer) {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this(), peer] {
            if (self->closed_) {
                return;
            }
            self->peer_ = peer;
            self->established_ = true;
            self->last_receive_ms_ = now_ms();
            self->last_send_ms_ = now_ms();
            self->read_header();
            self->arm_timer();
            if (!self->queue_.empty() && !self->writing_) {
                self->write_next();
            }
        });
    }

    [[nodiscard]] bool outbound() const { return outbound_; }
    [[nodiscard]] std::uint32_t peer() const { return peer_; }
    [[nodiscard]] const std::string& remote() const { return remote_; }
    [[nodiscard]] const std::string& remote_ip() const { return remote_ip_; }
    [[nodiscard]] std::size_t queued_bytes() const { return queued_bytes_.load(); }
    [[nodiscard]] std::size_t deliver_frames() const { return deliver_frames_.load(); }
    [[nodiscard]] std::size_t deliver_bytes() const { return deliver_bytes_.load(); }
    [[nodiscard]] bool reading_paused() const { return paused_.load(); }
    // Set once at admission, on the transport strand; read there only.
    std::string admitted_serial;

private:
    void handshake() {
        timer_.expires_after(std::chrono::milliseconds(limits_.handshake_timeout_ms));
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (!ec && !self->handshaken_) {
                self->close_now(CloseReason::kHandshakeFailed);
            }
        });
        stream_.async_handshake(outbound_ ? ssl::stream_base::client : ssl::stream_base::server,
                                [self = shared_from_this()](const boost::system::error_code& ec) {
                                    self->handshake_done(ec);
                                });
    }

    void handshake_done(const boost::system::error_code& ec) {
        if (closed_) {
            return;
        }
        handshaken_ = true;
        timer_.cancel();
        if (ec) {
            close_now(CloseReason::kHandshakeFailed);
            return;
        }
        // Only TLS 1.3 is configured, but refuse anything else explicitly as well.
        if (SSL_version(stream_.native_handle()) != TLS1_3_VERSION) {
            close_now(CloseReason::kHandshakeFailed);
            return;
        }
        X509* cert = SSL_get1_peer_certificate(stream_.native_handle());
        if (cert == nullptr) {
            close_now(CloseReason::kHandshakeFailed);
            return;
        }
        unsigned char* der = nullptr;
        const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
        Hash identity;
        if (len > 0) {
            identity = sha256(ByteView(der, static_cast<std::size_t>(len)));
        }
        OPENSSL_free(der);
        std::string serial = "0";
        if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
            char* hex = BN_bn2hex(bn);
            serial = hex;
            OPENSSL_free(hex);
            BN_free(bn);
        }
        X509_free(cert);
        for (char& c : serial) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        serial.erase(0, std::min(serial.find_first_not_of('0'), serial.size() - 1));
        if (len <= 0) {
            close_now(CloseReason::kHandshakeFailed);
            return;
        }
        asio::post(impl_->strand_, [impl = impl_, self = shared_from_this(), identity, serial] {
            impl->admit(self, identity, serial);
        });
    }

    void read_header() {
        asio::async_read(stream_, asio::buffer(header_),
                         [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                             self->header_done(ec);
                         });
    }

    void header_done(const boost::system::error_code& ec) {
        if (closed_) {
            return;
        }
        if (ec) {
            close_now(CloseReason::kPeerClosed);
            return;
        }
        auto header = decode_frame_header(header_, limits_.frame_bytes_max);
        if (!header) {
            close_now(header.error().code() == Errc::kLimit ? CloseReason::kFrameTooLarge
                                                              : CloseReason::kBadFrame);
            return;
        }
        last_receive_ms_ = now_ms();
        channel_ = header->channel;
        if (header->payload_bytes == 0) {
            frame_received(Bytes{});
            return;
        }
        body_.assign(header->payload_bytes, 0);
        asio::async_read(stream_, asio::buffer(body_),
                         [self = shared_from_this()](const boost::system::error_code& e, std::size_t) {
                             if (self->closed_) {
                                 return;
                             }
                             if (e) {
                                 self->close_now(CloseReason::kPeerClosed);
                                 return;
                             }
                             self->frame_received(std::move(self->body_));
                         });
    }

    void frame_received(Bytes payload) {
        last_receive_ms_ = now_ms();
        impl_->counters_.frames_in++;
        impl_->counters_.bytes_in += kFrameHeaderSize + payload.size();
        if (channel_ != Channel::kKeepalive) {
            const std::size_t size = payload.size();
            deliver_frames_ += 1;
            deliver_bytes_ += size;
            // The credit comes back when the handler (and whatever it hands the token to) is done.
            std::shared_ptr<void> credit(nullptr, [self = shared_from_this(), size](void*) { self->handled(size); });
            impl_->deliver(Message{peer_, channel_, std::move(payload), std::move(credit)});
            if (over_credit()) {
                // Set the flag before re-checking: handled() either sees it and posts resume(),
                // or has already returned the credit and the re-check below sees that.
                paused_ = true;
                if (over_credit()) {
                    impl_->counters_.read_pauses++;
                    const std::int64_t now = now_ms();
                    if (now - last_pause_log_ms_ >= 10'000) {
                        last_pause_log_ms_ = now;
                        impl_->log_->warn("validator {} ({}): {} frames / {} bytes not yet handled; pausing reads "
                                          "until they are (logged once per 10 s)",
                                          peer_, remote_, deliver_frames_.load(), deliver_bytes_.load());
                    }
                    return;
                }
                paused_ = false;
            }
        }
        read_header();
    }

    [[nodiscard]] bool over_credit() const {
        return deliver_frames_.load() >= limits_.deliver_frames_max || deliver_bytes_.load() >= limits_.deliver_bytes_max;
    }

    // Wherever the last copy of a frame's credit token is dropped.
    void handled(std::size_t size) {
        deliver_frames_ -= 1;
        deliver_bytes_ -= size;
        if (paused_.load()) {
            asio::post(stream_.get_executor(), [self = shared_from_this()] { self->resume(); });
        }
    }

    void resume() {
        if (closed_ || !paused_.load() || over_credit()) {
            return;
        }
        paused_ = false;
        last_receive_ms_ = now_ms();  // the silence was ours
        read_header();
    }

    void enqueue_now(std::shared_ptr<const Bytes> frame) {
        if (closed_) {
            return;
        }
        if (queued_bytes_ + frame->size() > limits_.send_queue_bytes_max) {
            close_now(CloseReason::kSlowPeer);
            return;
        }
        queued_bytes_ += frame->size();
        queue_.push_back(std::move(frame));
        if (established_ && !writing_) {
            write_next();
        }
    }

    void write_next() {
        JC_ASSERT(!writing_, "p2p.session.one_write_in_flight");
        in_flight_.clear();
        std::vector<asio::const_buffer> buffers;
        std::size_t batch_bytes = 0;
        // Gather queued frames into one write, up to the batch limit (at least one frame).
        while (!queue_.empty() &&
               (in_flight_.empty() || batch_bytes + queue_.front()->size() <= limits_.write_batch_bytes_max)) {
            batch_bytes += queue_.front()->size();
            buffers.emplace_back(asio::buffer(*queue_.front()));
            in_flight_.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        if (in_flight_.empty()) {
            return;
        }
        writing_ = true;
        asio::async_write(stream_, buffers,
                          [self = shared_from_this(), batch_bytes](const boost::system::error_code& ec,
                                                                   std::size_t) {
                              self->write_done(ec, batch_bytes);
                          });
    }

    void write_done(const boost::system::error_code& ec, std::size_t batch_bytes) {
        writing_ = false;
        if (closed_) {
            return;
        }
        if (ec) {
            close_now(CloseReason::kPeerClosed);
            return;
        }
        impl_->counters_.writes++;
        impl_->counters_.frames_out += in_flight_.size();
        impl_->counters_.bytes_out += batch_bytes;
        queued_bytes_ -= batch_bytes;
        in_flight_.clear();
        last_send_ms_ = now_ms();
        if (!queue_.empty()) {
            write_next();
        }
    }

    void arm_timer() {
        timer_.expires_after(std::chrono::milliseconds(limits_.keepalive_interval_ms / 2 + 1));
        timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec || self->closed_) {
                return;
            }
            const std::int64_t now = now_ms();
            // While reads are paused the peer's frames wait unread in our socket: not idle.
            if (self->paused_.load()) {
                self->last_receive_ms_ = now;
            }
            if (now - self->last_receive_ms_ > self->limits_.idle_timeout_ms) {
                self->close_now(CloseReason::kIdle);
                return;
            }
            if (now - self->last_send_ms_ >= self->limits_.keepalive_interval_ms && self->queue_.empty() &&
                !self->writing_) {
                self->enqueue_now(encode_frame(Channel::kKeepalive, {}));
            }
            self->arm_timer();
        });
    }

    void close_now(CloseReason reason) {
        if (closed_) {
            return;
        }
        closed_ = true;
        timer_.cancel();
        boost::system::error_code ignored;
        stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.lowest_layer().close(ignored);
        queue_.clear();
        queued_bytes_ = 0;
        asio::post(impl_->strand_, [impl = impl_, self = shared_from_this(), reason, est = established_] {
            impl->session_closed(self, reason, est);
        });
    }

    std::shared_ptr<Transport::Impl> impl_;
    ssl::stream<tcp::socket> stream_;
    bool outbound_;
    std::uint32_t peer_;
    asio::steady_timer timer_;
    Limits limits_;
    std::string remote_;
    std::string remote_ip_;

    // Delivery credit: written on the strand (taken) and on the deliver executor (returned).
    std::atomic<std::size_t> deliver_frames_{0};
    std::atomic<std::size_t> deliver_bytes_{0};
    std::atomic<bool> paused_{false};
    std::int64_t last_pause_log_ms_ = -1'000'000;

    // Owned by the session's strand.
    bool handshaken_ = false;
    bool established_ = false;
    bool closed_ = false;
    bool writing_ = false;
    std::array<std::uint8_t, kFrameHeaderSize> header_{};
    Channel channel_ = Channel::kKeepalive;
    Bytes body_;
    std::deque<std::shared_ptr<const Bytes>> queue_;
    std::vector<std::shared_ptr<const Bytes>> in_flight_;
    std::atomic<std::size_t> queued_bytes_{0};
    std::int64_t last_receive_ms_ = 0;
    std::int64_t last_send_ms_ = 0;
};

Status Transport::Impl::start() {
    // TLS 1.3 only, and both sides must present a certificate that chains to the consortium
    // CA (jc::tls holds the rules shared with the RPC server). The outbound side verifies too:
    // a client context is the same context here, since each node both dials and accepts.
    JC_TRY_STATUS(tls::configure(ssl_ctx_, tls::Role::kServer,
                                 tls::ContextOptions{.what = "p2p",
                                                     .cert_chain_file = config_.cert_file,
                                                     .cert_label = "cert",
                                                     .key_file = config_.key_file,
                                                     .key_label = "key",
                                                     .verify_file = config_.ca_cert_file,
                                                     .verify_label = "ca_cert",
                                                     .require_peer_certificate = true}));
    boost::system::error_code ec;

    JC_ASSIGN_OR_RETURN(auto host_port, split_address(config_.listen_address));
    const auto address = asio::ip::make_address(host_port.first, ec);
    if (ec) {
        return Error(Errc::kInvalidArgument, "listen address " + config_.listen_address + ": " + ec.message());
    }
    const auto port = static_cast<std::uint16_t>(std::stoul(host_port.second));
    const tcp::endpoint endpoint(address, port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return Error(Errc::kIo, "cannot listen on " + config_.listen_address + ": " + ec.message());
    }
    listen_port_ = acceptor_.local_endpoint().port();

    for (const auto& peer : config_.peers) {
        if (peer.index == config_.self_index) {
            continue;
        }
        {
            std::lock_guard lock(status_mutex_);
            status_[peer.index] = PeerStatus{peer.index, peer.address, false, 0};
        }
        if (peer.index > config_.self_index) {
            dialers_[peer.index] = Dialer{peer, std::make_unique<asio::steady_timer>(strand_), 0, false};
        }
    }
    auto self = shared_from_this();
    asio::post(strand_, [self] {
        self->accept_next();
        for (auto& [index, dialer] : self->dialers_) {
            self->dial(index);
        }
    });
    return {};
}

void Transport::Impl::stop() {
    if (stopped_.exchange(true)) {
        return;
    }
    auto work = [self = shared_from_this()] {
        boost::system::error_code ignored;
        self->acceptor_.close(ignored);
        for (auto& [index, dialer] : self->dialers_) {
            dialer.timer->cancel();
        }
        for (auto& [index, session] : self->sessions_) {
            session->close(CloseReason::kStopped);
        }
        for (auto& [ptr, session] : self->pending_) {
            session->close(CloseReason::kStopped);
        }
        // Sessions hold the Impl alive; drop our references so the cycle is broken even if the
        // io_context stops before the close notifications run.
        self->sessions_.clear();
        self->pending_.clear();
        {
            std::lock_guard lock(self->status_mutex_);
            self->live_.clear();
        }
        self->dialers_.clear();
    };
    if (io_.stopped()) {
        work();
        return;
    }
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    asio::post(strand_, [work, done] {
        work();
        done->set_value();
    });
    // Do not wait forever if nobody is running the io_context any more.
    (void)future.wait_for(std::chrono::seconds(5));
}

void Transport::Impl::accept_next() {
    if (stopped_) {
        return;
    }
    acceptor_.async_accept(asio::make_strand(io_), asio::bind_executor(strand_, [self = shared_from_this()](
                                                                                  const boost::system::error_code& ec,
                                                                                  tcp::socket socket) {
        if (self->stopped_) {
            return;
        }
        if (!ec) {
            boost::system::error_code ep_ec;
            const auto ep = socket.remote_endpoint(ep_ec);
            const std::string ip = ep_ec ? std::string("?") : ep.address().to_string();
            // The limit is on accepted connections: this node's own dials (one per higher-indexed
            // peer) do not take the slots lower-indexed validators need to reach it.
            std::size_t pending_from_ip = 0;
            std::size_t inbound = 0;
            for (const auto& [ptr, pending] : self->pending_) {
                inbound += pending->outbound() ? 0U : 1U;
                pending_from_ip += !pending->outbound() && pending->remote_ip() == ip ? 1U : 0U;
            }
            for (const auto& [index, session] : self->sessions_) {
                inbound += session->outbound() ? 0U : 1U;
            }
            if (inbound >= self->config_.limits.inbound_connections_max) {
                self->counters_.refused_inbound_limit++;
                boost::system::error_code ignored;
                socket.close(ignored);
            } else if (pending_from_ip >= self->config_.limits.pending_handshakes_per_ip_max) {
                // One address may hold only a few handshakes open at once, so unknown dialers
                // cannot take the slots a restarting validator needs to get back in.
                self->counters_.refused_handshakes_per_ip++;
                boost::system::error_code ignored;
                socket.close(ignored);
            } else {
                boost::system::error_code ignored;
                socket.set_option(tcp::no_delay(true), ignored);
                auto session = std::make_shared<Session>(self, std::move(socket), /*outbound=*/false, 0);
                self->pending_[session.get()] = session;
                session->start();
            }
        }
        if (ec && ec != asio::error::operation_aborted) {
            // e.g. EMFILE: back off instead of spinning on the error.
            auto timer = std::make_shared<asio::steady_timer>(self->strand_, std::chrono::milliseconds(50));
            timer->async_wait([self, timer](const boost::system::error_code&) { self->accept_next(); });
            return;
        }
        self->accept_next();
    }));
}

void Transport::Impl::dial(std::uint32_t index) {
    auto it = dialers_.find(index);
    if (stopped_ || it == dialers_.end() || it->second.connecting || sessions_.count(index) != 0) {
        return;
    }
    Dialer& dialer = it->second;
    dialer.connecting = true;
    auto host_port = split_address(dialer.peer.address);
    if (!host_port) {
        log_->error("peer {}: {}", index, host_port.error().message());
        return;
    }
    auto resolver = std::make_shared<tcp::resolver>(strand_);
    resolver->async_resolve(
        host_port->first, host_port->second,
        asio::bind_executor(strand_, [self = shared_from_this(), index, resolver](
                                         const boost::system::error_code& ec, tcp::resolver::results_type results) {
            if (ec || self->stopped_) {
                self->schedule_redial(index);
                return;
            }
            auto socket = std::make_shared<tcp::socket>(asio::make_strand(self->io_));
            asio::async_connect(*socket, results,
                                asio::bind_executor(self->strand_, [self, index, socket](
                                                                       const boost::system::error_code& e,
                                                                       const tcp::endpoint&) {
                                    if (e || self->stopped_) {
                                        self->schedule_redial(index);
                                        return;
                                    }
                                    socket->set_option(tcp::no_delay(true));
                                    auto session = std::make_shared<Session>(self, std::move(*socket),
                                                                             /*outbound=*/true, index);
                                    self->pending_[session.get()] = session;
                                    session->start();
                                }));
        }));
}

void Transport::Impl::schedule_redial(std::uint32_t index) {
    auto it = dialers_.find(index);
    if (stopped_ || it == dialers_.end()) {
        return;
    }
    Dialer& dialer = it->second;
    dialer.connecting = false;
    const auto& limits = config_.limits;
    const unsigned shift = std::min(dialer.attempts, 20u);
    const std::int64_t base = std::min(limits.reconnect_backoff_max_ms,
                                       limits.reconnect_backoff_min_ms * (std::int64_t{1} << shift));
    // Full jitter in [base/2, base], so restarted consortia do not reconnect in lockstep.
    const auto jitter = static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(base / 2 + 1));
    const std::int64_t delay_ms = base / 2 + jitter;
    ++dialer.attempts;
    dialer.timer->expires_after(std::chrono::milliseconds(delay_ms));
    dialer.timer->async_wait([self = shared_from_this(), index](const boost::system::error_code& ec) {
        if (!ec) {
            self->dial(index);
        }
    });
}

const PeerInfo* Transport::Impl::find_identity(const Hash& identity) const {
    for (const auto& p : config_.peers) {
        if (p.identity == identity && p.index != config_.self_index) {
            return &p;
        }
    }
    return nullptr;
}

bool Transport::Impl::revoked(const Hash& identity, const std::string& serial) const {
    return revocations_.identities.count(identity) != 0 ||
           revocations_.certificate_serials.count(serial) != 0;
}

void Transport::Impl::admit(const std::shared_ptr<Session>& session, Hash identity, std::string serial) {
    if (stopped_) {
        session->close(CloseReason::kStopped);
        return;
    }
    const PeerInfo* peer = find_identity(identity);
    CloseReason refusal{};
    bool refused = true;
    if (peer == nullptr) {
        refusal = CloseReason::kUnknownIdentity;
    } else if (revoked(identity, serial)) {
        refusal = CloseReason::kRevoked;
    } else if (session->outbound() && peer->index != session->peer()) {
        refusal = CloseReason::kWrongPeer;
    } else if (!session->outbound() && peer->index > config_.self_index) {
        // We dial larger indexes ourselves; an inbound connection from one means a confused or
        // hostile peer, and accepting it would let two connections race.
        refusal = CloseReason::kWrongPeer;
    } else {
        refused = false;
    }
    if (refused) {
        session->close(refusal);
        return;
    }
    pending_.erase(session.get());
    if (auto old = sessions_.find(peer->index); old != sessions_.end()) {
        old->second->close(CloseReason::kReplaced);
    }
    session->admitted_serial = serial;
    sessions_[peer->index] = session;
    {
        std::lock_guard lock(status_mutex_);
        live_[peer->index] = session;
    }
    counters_.connections_established++;
    if (auto d = dialers_.find(peer->index); d != dialers_.end()) {
        d->second.attempts = 0;
        d->second.connecting = false;
    }
    {
        std::lock_guard lock(status_mutex_);
        status_[peer->index].connected = true;
    }
    log_->info("connected to validator {} ({}, {})", peer->index, session->remote(),
               session->outbound() ? "outbound" : "inbound");
    session->activate(peer->index);
}

void Transport::Impl::session_closed(const std::shared_ptr<Session>& session, CloseReason reason,
                                     bool was_established) {
    pending_.erase(session.get());
    switch (reason) {
        case CloseReason::kHandshakeFailed: counters_.refused_handshake++; break;
        case CloseReason::kUnknownIdentity: counters_.refused_unknown_identity++; break;
        case CloseReason::kRevoked: counters_.refused_revoked++; break;
        case CloseReason::kWrongPeer: counters_.refused_wrong_peer++; break;
        case CloseReason::kFrameTooLarge: counters_.dropped_frame_too_large++; break;
        case CloseReason::kBadFrame: counters_.dropped_bad_frame++; break;
        case CloseReason::kSlowPeer: counters_.dropped_slow_peer++; break;
        case CloseReason::kIdle: counters_.dropped_idle++; break;
        case CloseReason::kPeerClosed:
        case CloseReason::kStopped:
        case CloseReason::kReplaced:
            break;
    }
    if (!was_established) {
        log_refusal(session->remote(), reason);
    } else {
        counters_.connections_closed++;
        auto it = sessions_.find(session->peer());
        if (it != sessions_.end() && it->second == session) {
            sessions_.erase(it);
            std::lock_guard lock(status_mutex_);
            status_[session->peer()].connected = false;
            live_.erase(session->peer());
        }
        if (reason != CloseReason::kStopped) {
            log_->warn("disconnected from validator {} ({}): {}", session->peer(), session->remote(),
                       reason_text(reason));
        }
    }
    if (session->outbound() && !stopped_ && reason != CloseReason::kReplaced) {
        schedule_redial(session->peer());
    }
}

void Transport::Impl::log_refusal(const std::string& remote, CloseReason reason) {
    if (reason == CloseReason::kStopped) {
        return;
    }
    // Log each (address, reason) once; a hostile peer retrying cannot flood the log.
    const std::string host = remote.substr(0, remote.rfind(':'));
    const std::string key = host + "|" + reason_text(reason);
    if (logged_refusals_.size() < 4096 && logged_refusals_.insert(key).second) {
        log_->warn("refused connection from {}: {}", remote, reason_text(reason));
    }
}

void Transport::Impl::send(std::uint32_t peer, std::shared_ptr<const Bytes> frame) {
    asio::dispatch(strand_, [self = shared_from_this(), peer, f = std::move(frame)]() mutable {
        auto it = self->sessions_.find(peer);
        if (it == self->sessions_.end()) {
            self->counters_.dropped_not_connected++;
            return;
        }
        it->second->enqueue(std::move(f));
    });
}

void Transport::Impl::broadcast(std::shared_ptr<const Bytes> frame) {
    asio::dispatch(strand_, [self = shared_from_this(), f = std::move(frame)] {
        for (auto& [index, session] : self->sessions_) {
            session->enqueue(f);
        }
    });
}

void Transport::Impl::set_revocations(Revocations revocations) {
    asio::dispatch(strand_, [self = shared_from_this(), r = std::move(revocations)]() mutable {
        self->revocations_ = std::move(r);
        for (const auto& peer : self->config_.peers) {
            auto it = self->sessions_.find(peer.index);
            // Revocation takes effect for live links too, by identity or by certificate serial.
            if (it != self->sessions_.end() && self->revoked(peer.identity, it->second->admitted_serial)) {
                it->second->close(CloseReason::kRevoked);
            }
        }
    });
}

std::vector<PeerStatus> Transport::Impl::peer_status() const {
    std::lock_guard lock(status_mutex_);
    std::vector<PeerStatus> out;
    for (const auto& [index, status] : status_) {
        out.push_back(status);
        if (auto it = live_.find(index); it != live_.end() && status.connected) {
            out.back().send_queue_bytes = it->second->queued_bytes();
            out.back().deliver_queued_frames = it->second->deliver_frames();
            out.back().deliver_queued_bytes = it->second->deliver_bytes();
            out.back().reading_paused = it->second->reading_paused();
        }
    }
    return out;
}

Transport::Transport(asio::io_context& io, Config config, asio::any_io_executor deliver, Handler handler)
    : impl_(std::make_shared<Impl>(io, std::move(config), std::move(deliver), std::move(handler))) {}

Transport::~Transport() { stop(); }

Status Transport::start() { return impl_->start(); }
void Transport::stop() { impl_->stop(); }
std::uint16_t Transport::listen_port() const { return impl_->listen_port_.load(); }

void Transport::send(std::uint32_t peer, Channel channel, ByteView payload) {
    impl_->send(peer, encode_frame(channel, payload));
}

void Transport::broadcast(Channel channel, ByteView payload) {
    impl_->broadcast(encode_frame(channel, payload));
}

void Transport::set_revocations(Revocations revocations) { impl_->set_revocations(std::move(revocations)); }

Counters Transport::counters() const {
    const auto& c = impl_->counters_;
    Counters out;
    out.connections_established = c.connections_established;
    out.connections_closed = c.connections_closed;
    out.refused_handshake = c.refused_handshake;
    out.refused_unknown_identity = c.refused_unknown_identity;
    out.refused_revoked = c.refused_revoked;
    out.refused_wrong_peer = c.refused_wrong_peer;
    out.refused_inbound_limit = c.refused_inbound_limit;
    out.refused_handshakes_per_ip = c.refused_handshakes_per_ip;
    out.frames_in = c.frames_in;
    out.frames_out = c.frames_out;
    out.bytes_in = c.bytes_in;
    out.bytes_out = c.bytes_out;
    out.writes = c.writes;
    out.dropped_frame_too_large = c.dropped_frame_too_large;
    out.dropped_bad_frame = c.dropped_bad_frame;
    out.dropped_slow_peer = c.dropped_slow_peer;
    out.dropped_idle = c.dropped_idle;
    out.dropped_not_connected = c.dropped_not_connected;
    out.read_pauses = c.read_pauses;
    return out;
}

std::vector<PeerStatus> Transport::peer_status() const { return impl_->peer_status(); }

}  // namespace jc::p2p
