// Plumbing for `jointclear demo`: a client that signs as each bank and talks to that bank's own
// node, and a checker that compares the chain's numbers with the model's and keeps score.
//
// Thread-safety: single-threaded; one DemoNet and one Checker per demo run.
#pragma once

#include "consortium.h"
#include "http_client.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace jc::tools {

// Thrown when the story cannot go on (a transaction was not OK, a node failed to answer).
struct DemoAbort : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class DemoNet {
public:
    explicit DemoNet(const Consortium& consortium);

    // Bank i submits through node i mod N, as each bank would use its own validator's RPC.
    [[nodiscard]] std::size_t node_of(const std::string& bank_id) const;
    // Signs `body` as `bank_id`, submits with wait, and returns the receipt. DemoAbort unless
    // the node answers with a receipt whose status is OK.
    json::Value submit(const std::string& bank_id, const std::string& type, const json::Value& body,
                       const std::string& client_ref);
    // Same, but any committed receipt (OK, DUPLICATE or REJECTED) is returned, not thrown.
    json::Value submit_receipt(const std::string& bank_id, const std::string& type, const json::Value& body,
                               const std::string& client_ref);
    // A read on node `node`, once that node has committed every block this demo saw a receipt
    // from (read-your-writes across nodes); DemoAbort on a transport or JSON-RPC error.
    json::Value query(const std::string& method, const json::Value& params, std::size_t node = 0);
    [[nodiscard]] std::size_t node_count() const { return clients_.size(); }
    [[nodiscard]] const Consortium& consortium() const { return consortium_; }

private:
    const Consortium& consortium_;
    std::vector<std::unique_ptr<RpcClient>> clients_;
    std::map<std::string, crypto::KeyFile> keys_;
    std::map<std::string, std::size_t> bank_index_;
    std::uint64_t height_seen_ = 0;          // highest height of a receipt this demo got
    std::vector<std::uint64_t> node_height_; // last height each node reported
    void catch_up(std::size_t node);
    json::Value call(const std::string& method, const json::Value& params, std::size_t node);
};

// Counts and prints checks: every mismatch is printed with what was expected and why.
class Checker {
public:
    explicit Checker(std::ostream& out) : out_(out) {}

    void amount(const std::string& what, const json::Value& got, std::int64_t expected);
    void integer(const std::string& what, std::int64_t got, std::int64_t expected);
    void text(const std::string& what, const std::string& got, const std::string& expected);
    void truth(const std::string& what, bool ok);

    // Prints "  ok: N checks" or the count of mismatches for the checks since the last call.
    void step_done();
    [[nodiscard]] int passed() const { return passed_; }
    [[nodiscard]] int failed() const { return failed_; }

private:
    void record(bool ok, const std::string& what, const std::string& got, const std::string& expected);

    std::ostream& out_;
    int passed_ = 0;
    int failed_ = 0;
    int step_passed_ = 0;
    int step_failed_ = 0;
};

// Amount field of a JSON object as fen, or DemoAbort naming the field.
std::int64_t fen_of(const json::Value& object, const std::string& key);
// "  == title ==" section header.
void section(std::ostream& out, int number, const std::string& title);

}  // namespace jc::tools
