#include "bench_driver.h"

#include "http_connection.h"
#include "money.h"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>

namespace jc::tools {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using State = TxOutcome::State;

class Driver {
public:
    Driver(const Consortium& c, const Workload& w, const BenchOptions& o, std::ostream& progress, bool in_place)
        : w_(w), o_(o), progress_(progress), in_place_(in_place), release_timer_(io_), progress_timer_(io_) {
        // Positions in c.nodes(), as the workload assigns requests (not validator indexes: a bench
        // may target a subset of the validators).
        for (std::size_t at = 0; at < c.nodes().size(); ++at) {
            for (std::size_t i = 0; i < o.connections_per_node; ++i) {
                connections_.push_back(std::make_shared<HttpConnection>(io_.get_executor(), c.nodes()[at].rpc));
                connection_node_.push_back(at);
            }
        }
        ready_.resize(c.nodes().size());
        total_ = w.requests.size();
        r_.outcomes.resize(total_);
        for (std::size_t k = 0; k < total_; ++k) {
            r_.outcomes[k].due_ns = o.rate > 0 ? static_cast<std::int64_t>(static_cast<double>(k) * 1e9 / o.rate) : 0;
        }
    }

    DriveResult run() {
        start_ = Clock::now();
        last_progress_done_ = 0;
        last_change_ = start_;
        pump();
        arm_progress();
        io_.run();
        // Let the handlers of requests cut off by stop() finish (sockets are closed: at once).
        io_.restart();
        io_.run();
        r_.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        if (in_place_) {
            progress_ << "\n";
        }
        return std::move(r_);
    }

private:
    std::int64_t now_ns() const {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
    }

    void release() {
        const std::int64_t now = now_ns();
        while (next_release_ < total_ && r_.outcomes[next_release_].due_ns <= now) {
            ready_[w_.node[next_release_]].push_back(next_release_);
            ++next_release_;
        }
    }

    void pump() {
        release();
        for (std::size_t i = 0; i < connections_.size(); ++i) {
            auto& queue = ready_[connection_node_[i]];
            if (connections_[i]->busy() || queue.empty()) {
                continue;
            }
            std::vector<std::size_t> batch;
            while (!queue.empty() && batch.size() < o_.batch) {
                batch.push_back(queue.front());
                queue.pop_front();
            }
            send(i, std::move(batch));
        }
        if (next_release_ < total_ && !release_armed_) {
            // Release at the next due time, at most once a millisecond.
            const std::int64_t wait_ns = std::max<std::int64_t>(r_.outcomes[next_release_].due_ns - now_ns(), 1'000'000);
            release_armed_ = true;
            release_timer_.expires_after(std::chrono::nanoseconds(wait_ns));
            release_timer_.async_wait([this](const boost::system::error_code& ec) {
                release_armed_ = false;
                if (!ec && !stopped_) {
                    pump();
                }
            });
        }
    }

    void send(std::size_t connection, std::vector<std::size_t> batch) {
        std::string body = "[";
        const std::int64_t now = now_ns();
        for (std::size_t j = 0; j < batch.size(); ++j) {
            body += (j == 0 ? "" : ",") + w_.requests[batch[j]];
            r_.outcomes[batch[j]].sent_ns = now;
        }
        body += "]";
        sent_ += batch.size();
        const auto timeout = std::chrono::milliseconds(o_.timeout_ms + 10'000);
        connections_[connection]->request("/", std::move(body), timeout,
                                          [this, batch = std::move(batch)](Result<HttpResult> r) { answered(batch, r); });
    }

    void fail(std::size_t k, const std::string& reason, const std::string& example) {
        r_.outcomes[k].state = State::kError;
        r_.errors[reason]++;
        if (r_.first_error.empty()) {
            r_.first_error = example;
        }
    }

    void answered(const std::vector<std::size_t>& batch, const Result<HttpResult>& r) {
        if (stopped_) {
            return;
        }
        const std::int64_t now = now_ns();
        for (std::size_t k : batch) {
            r_.outcomes[k].done_ns = now;
        }
        if (!r) {
            for (std::size_t k : batch) {
                fail(k, "TRANSPORT", r.error().message());
            }
        } else {
            json::Value doc = json::Value::parse(r->body, nullptr, /*allow_exceptions=*/false);
            std::vector<bool> seen(batch.size(), false);
            if (doc.is_array()) {
                for (const auto& item : doc) {
                    const auto id = item.value("id", json::Value());
                    if (!id.is_number_unsigned()) {
                        continue;
                    }
                    const auto k = id.get<std::size_t>();
                    std::size_t slot = batch.size();
                    for (std::size_t j = 0; j < batch.size(); ++j) {
                        slot = batch[j] == k ? j : slot;
                    }
                    if (slot == batch.size() || seen[slot]) {
                        continue;
                    }
                    seen[slot] = true;
                    auto reply = decode_rpc_reply(item);
                    if (!reply) {
                        fail(k, "BAD_RESPONSE", reply.error().message());
                    } else if (!reply->ok()) {
                        const std::string reason = reply->error->reason();
                        fail(k, reason.empty() ? std::to_string(reply->error->code) : reason, reply->error->to_string());
                    } else {
                        const std::string status = reply->result.value("status", "");
                        r_.outcomes[k].state = status == "OK"          ? State::kOk
                                               : status == "REJECTED"  ? State::kRejected
                                               : status == "DUPLICATE" ? State::kDuplicate
                                                                       : State::kError;
                        if (r_.outcomes[k].state == State::kRejected && r_.first_error.empty()) {
                            r_.first_error = item.dump().substr(0, 300);
                        }
                    }
                }
            }
            for (std::size_t j = 0; j < batch.size(); ++j) {
                if (!seen[j]) {
                    fail(batch[j], "BAD_RESPONSE", "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200));
                }
            }
        }
        done_ += batch.size();
        if (done_ == total_) {
            stop();
            return;
        }
        pump();
    }

    void arm_progress() {
        progress_timer_.expires_after(std::chrono::seconds(1));
        progress_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (ec || stopped_) {
                return;
            }
            const auto now = Clock::now();
            const double t = std::chrono::duration<double>(now - start_).count();
            char line[200];
            std::snprintf(line, sizeof line, "[%6.1f s] sent %s  committed %s  in flight %s  rate %s tx/s  errors %zu",
                          t, grouped(sent_).c_str(), grouped(done_).c_str(), grouped(sent_ - done_).c_str(),
                          grouped(done_ - last_progress_done_).c_str(), error_count());
            progress_ << (in_place_ ? "\r" : "") << line << (in_place_ ? "   " : "\n") << std::flush;
            if (done_ != last_progress_done_) {
                last_change_ = now;
            }
            last_progress_done_ = done_;
            // Nothing finished for longer than a receipt may take: the cluster is stuck.
            if (now - last_change_ > std::chrono::milliseconds(o_.timeout_ms + 15'000)) {
                r_.timed_out = true;
                stop();
                return;
            }
            arm_progress();
        });
    }

    std::size_t error_count() const {
        std::size_t n = 0;
        for (const auto& [reason, count] : r_.errors) {
            n += count;
        }
        return n;
    }

    void stop() {
        stopped_ = true;
        release_timer_.cancel();
        progress_timer_.cancel();
        for (auto& c : connections_) {
            c->close();
        }
        io_.stop();
    }

    const Workload& w_;
    const BenchOptions& o_;
    std::ostream& progress_;
    bool in_place_;
    asio::io_context io_;
    asio::steady_timer release_timer_;
    asio::steady_timer progress_timer_;
    std::vector<std::shared_ptr<HttpConnection>> connections_;
    std::vector<std::size_t> connection_node_;  // position in the targeted nodes, per connection
    std::vector<std::deque<std::size_t>> ready_;  // per node: released, not yet sent
    std::size_t total_ = 0;
    std::size_t next_release_ = 0;
    std::size_t sent_ = 0;
    std::size_t done_ = 0;
    std::size_t last_progress_done_ = 0;
    Clock::time_point start_;
    Clock::time_point last_change_;
    bool release_armed_ = false;
    bool stopped_ = false;
    DriveResult r_;
};

}  // namespace

DriveResult drive(const Consortium& c, const Workload& w, const BenchOptions& o, std::ostream& progress,
                  bool progress_in_place) {
    Driver d(c, w, o, progress, progress_in_place);
    return d.run();
}

}  // namespace jc::tools
