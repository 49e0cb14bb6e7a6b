#include "demo_support.h"

#include "money.h"

#include <jc/ledger/transaction.h>

#include <algorithm>
#include <thread>

namespace jc::tools {

DemoNet::DemoNet(const Consortium& consortium) : consortium_(consortium) {
    for (const auto& n : consortium.nodes()) {
        clients_.push_back(std::make_unique<RpcClient>(n.rpc, std::chrono::seconds(30)));
    }
    node_height_.assign(clients_.size(), 0);
    std::size_t i = 0;
    for (const auto& bank : consortium.bank_ids()) {
        auto key = consortium.bank_key(bank);
        if (!key) {
            throw DemoAbort(key.error().message());
        }
        keys_.emplace(bank, std::move(*key));
        bank_index_[bank] = i++;
    }
}

std::size_t DemoNet::node_of(const std::string& bank_id) const {
    const auto it = bank_index_.find(bank_id);
    return it == bank_index_.end() ? 0 : it->second % clients_.size();
}

json::Value DemoNet::submit(const std::string& bank_id, const std::string& type, const json::Value& body,
                            const std::string& client_ref) {
    json::Value receipt = submit_receipt(bank_id, type, body, client_ref);
    const std::string status = receipt.value("status", "");
    if (status != "OK") {
        throw DemoAbort(type + " by " + bank_id + " (" + client_ref + ") was " + status + ": " +
                        receipt.value("code", json::Value()).dump() + " " + receipt.value("error", "") + " " +
                        receipt.value("detail", json::Value()).dump());
    }
    return receipt;
}

json::Value DemoNet::submit_receipt(const std::string& bank_id, const std::string& type, const json::Value& body,
                                    const std::string& client_ref) {
    const auto key = keys_.find(bank_id);
    if (key == keys_.end()) {
        throw DemoAbort("no signing key for " + bank_id + " in " + consortium_.dir() + "/banks");
    }
    ledger::UnsignedTx u;
    u.chain_id = consortium_.chain_id();
    u.type = type;
    u.sender = bank_id;
    u.client_ref = client_ref;
    u.body = body;
    auto tx = ledger::Transaction::sign(u, key->second.secret_key);
    if (!tx) {
        throw DemoAbort(type + ": cannot sign: " + tx.error().message());
    }
    const std::size_t node = node_of(bank_id);
    json::Value receipt =
        call("submitTransaction", json::Value{{"tx", tx->to_value()}, {"wait", true}, {"timeout_ms", 20000}}, node);
    if (receipt.contains("height") && receipt["height"].is_number_unsigned()) {
        height_seen_ = std::max(height_seen_, receipt["height"].get<std::uint64_t>());
        node_height_[node] = std::max(node_height_[node], height_seen_);
    }
    return receipt;
}

void DemoNet::catch_up(std::size_t node) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (node_height_.at(node) < height_seen_) {
        node_height_[node] = call("getHeight", json::Value::object(), node).value("height", std::uint64_t{0});
        if (node_height_[node] >= height_seen_) {
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            throw DemoAbort(consortium_.nodes()[node].name + " is stuck below height " + std::to_string(height_seen_));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling interval
    }
}

json::Value DemoNet::query(const std::string& method, const json::Value& params, std::size_t node) {
    catch_up(node);
    return call(method, params, node);
}

json::Value DemoNet::call(const std::string& method, const json::Value& params, std::size_t node) {
    auto& client = *clients_.at(node);
    auto reply = client.call(method, params);
    if (!reply) {
        throw DemoAbort(method + ": " + reply.error().message());
    }
    if (!reply->ok()) {
        throw DemoAbort(method + " at " + client.endpoint().url() + ": " + reply->error->to_string());
    }
    return std::move(reply->result);
}

void Checker::record(bool ok, const std::string& what, const std::string& got, const std::string& expected) {
    if (ok) {
        ++passed_;
        ++step_passed_;
        return;
    }
    ++failed_;
    ++step_failed_;
    out_ << "  MISMATCH " << what << ": chain says " << got << ", DOMAIN.md's rules give " << expected << "\n";
}

void Checker::amount(const std::string& what, const json::Value& got, std::int64_t expected) {
    auto fen = parse_fen(got, what);
    if (!fen) {
        record(false, what, got.dump(), std::to_string(expected) + " fen");
        return;
    }
    record(*fen == expected, what, cny(*fen) + " (" + std::to_string(*fen) + " fen)",
           cny(expected) + " (" + std::to_string(expected) + " fen)");
}

void Checker::integer(const std::string& what, std::int64_t got, std::int64_t expected) {
    record(got == expected, what, std::to_string(got), std::to_string(expected));
}

void Checker::text(const std::string& what, const std::string& got, const std::string& expected) {
    record(got == expected, what, "\"" + got + "\"", "\"" + expected + "\"");
}

void Checker::truth(const std::string& what, bool ok) { record(ok, what, "false", "true"); }

void Checker::step_done() {
    if (step_failed_ == 0) {
        out_ << "  ok: " << step_passed_ << " checks, every number as DOMAIN.md's rules give it\n";
    } else {
        out_ << "  FAILED: " << step_failed_ << " of " << step_passed_ + step_failed_ << " checks do not match\n";
    }
    step_passed_ = 0;
    step_failed_ = 0;
}

std::int64_t fen_of(const json::Value& object, const std::string& key) {
    if (!object.is_object() || !object.contains(key)) {
        throw DemoAbort("answer has no \"" + key + "\": " + object.dump().substr(0, 200));
    }
    auto fen = parse_fen(object[key], key);
    if (!fen) {
        throw DemoAbort(fen.error().message());
    }
    return *fen;
}

void section(std::ostream& out, int number, const std::string& title) {
    out << "\n== " << number << ". " << title << " ==\n";
}

}  // namespace jc::tools
