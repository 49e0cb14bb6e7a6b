// The JSON-RPC methods of API.md, served from the node. Reads use one store snapshot per call,
// so a response never mixes two heights; writes go through admission to the consensus strand.
#include <jc/contracts/arith/date.h>
#include <jc/contracts/query.h>
#include <jc/ledger/merkle.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "bank_event.h"
#include "node_impl.h"
#include "receipt_json.h"

namespace jc::node {
namespace {

using json::Value;
using rpc::Reply;
using rpc::RpcError;

constexpr const char* kVersion = "0.1.0";

Value header_json(const ledger::BlockHeader& h) {
    return Value{{"height", h.height},
                 {"hash", h.hash().hex()},
                 {"parent_hash", h.parent_hash.hex()},
                 {"timestamp_ms", h.timestamp_ms},
                 {"proposer", h.proposer},
                 {"tx_count", h.tx_count},
                 {"tx_root", h.tx_root.hex()}};
}

Value certificate_json(const Certificate& c) {
    Value sigs = Value::array();
    for (const auto& s : c.signatures) {
        sigs.push_back(Value{{"validator", s.validator}, {"sig", s.sig.hex()}});
    }
    return Value{{"view", c.view}, {"height", c.height}, {"digest", c.digest.hex()}, {"signatures", sigs}};
}

// Param helpers: every failure is -32602 naming the parameter.
std::optional<std::string> string_param(const Value& p, const char* name, Reply& reply, bool required = true) {
    const auto it = p.find(name);
    if (it == p.end()) {
        if (required) {
            reply(RpcError::invalid_params(std::string("missing \"") + name + "\""));
        }
        return std::nullopt;
    }
    if (!it->is_string()) {
        reply(RpcError::invalid_params(std::string("\"") + name + "\" must be a string"));
        return std::nullopt;
    }
    return it->get<std::string>();
}

std::optional<Hash> hash_param(const Value& p, const char* name, Reply& reply) {
    auto s = string_param(p, name, reply);
    if (!s) {
        return std::nullopt;
    }
    auto h = Hash::from_hex(*s);
    if (!h) {
        reply(RpcError::invalid_params(std::string("\"") + name + "\": " + h.error().message()));
        return std::nullopt;
    }
    return *h;
}

std::optional<contracts::arith::Date> date_param(const Value& p, const char* name, Reply& reply) {
    auto s = string_param(p, name, reply);
    if (!s) {
        return std::nullopt;
    }
    auto d = contracts::arith::parse_date(*s);
    if (!d) {
        reply(RpcError::invalid_params(std::string("\"") + name + "\" must be a date YYYY-MM-DD"));
        return std::nullopt;
    }
    return d;
}

// An event_id as statements give it, "<tx_hash>-<item index>" (LoanEvent::event_id()).
struct EventId {
    Hash tx_hash;
    std::size_t item = 0;
};
std::optional<EventId> parse_event_id(std::string_view text) {
    const auto dash = text.find('-');
    if (dash != 64 || text.size() == 65 || text.size() > 65 + 4) {
        return std::nullopt;
    }
    auto h = Hash::from_hex(text.substr(0, 64));
    const std::string_view digits = text.substr(65);
    if (!h || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return EventId{*h, static_cast<std::size_t>(std::stoul(std::string(digits)))};
}

// The loan a committed transaction's event `item` is on: the body's loan_id, or for a batch the
// item's. Refused transactions are committed too, so the body may be anything: nullopt then.
std::optional<std::string> event_loan(const ledger::Transaction& tx, std::size_t item) {
    const Value* body = &tx.body();
    if (tx.type() == "batch") {
        const auto items = body->find("items");
        if (items == body->end() || !items->is_array() || item >= items->size() || !(*items)[item].is_object()) {
            return std::nullopt;
        }
        const auto inner = (*items)[item].find("body");
        if (inner == (*items)[item].end() || !inner->is_object()) {
            return std::nullopt;
        }
        body = &*inner;
    } else if (item != 0) {
        return std::nullopt;
    }
    const auto loan = body->find("loan_id");
    if (loan == body->end() || !loan->is_string()) {
        return std::nullopt;
    }
    return loan->get<std::string>();
}

// With a bank token (ADR 0095): a committed transaction is readable only by its sender's token
// (and the auditor's, ADR 0097). True when the call may go on; otherwise the reply is sent.
// Unknown hashes go on (the handler answers null): a transaction hash cannot be guessed, so
// "unknown" reveals nothing.
bool tx_readable(const ledger::StoreSnapshot& snapshot, const Hash& h, const rpc::CallContext& ctx, Reply& reply) {
    if (!ctx.restricted() || ctx.auditor) {
        return true;
    }
    auto t = snapshot.transaction(h);
    if (!t) {
        reply(RpcError::internal(t.error().message()));
        return false;
    }
    if (*t && (*t)->tx->sender() != ctx.bank) {
        reply(ctx.forbidden("transaction " + h.hex() + " (sent by another bank)"));
        return false;
    }
    return true;
}

// With a bank token: a loan or partnership is readable only by a party to it (and by the
// auditor). Unknown ids go on, and the handler answers null.
bool party_readable(const Result<std::optional<std::vector<std::string>>>& parties, const std::string& what,
                    const rpc::CallContext& ctx, Reply& reply) {
    if (!ctx.restricted() || ctx.auditor) {
        return true;
    }
    if (!parties) {
        reply(RpcError::internal(parties.error().message()));
        return false;
    }
    if (*parties && !std::binary_search((*parties)->begin(), (*parties)->end(), ctx.bank)) {
        reply(ctx.forbidden(what + " (" + ctx.bank + " is not a party to it)"));
        return false;
    }
    return true;
}

// A query's answer. The contracts' queries report a refusal by the ledger's rules (a payoff
// quote for a loan already paid off, a value date before its last event) as kInvalidArgument
// naming the DOMAIN.md code: that is the caller's to act on, not an internal error (ADR 0178).
void reply_result(Reply& reply, const Result<Value>& r) {
    if (!r) {
        if (r.error().code() == Errc::kInvalidArgument) {
            reply(RpcError::server(rpc::kQueryRefused, "QUERY_REFUSED", r.error().message()));
        } else {
            reply(RpcError::internal(r.error().message()));
        }
        return;
    }
    reply(*r);
}

// Maps an admission Status to the stable reason of API.md.
RpcError admission_error(const Error& e) {
    const std::string& m = e.message();
    for (const char* reason : {"WRONG_CHAIN", "UNKNOWN_SIGNER", "BAD_SIGNATURE", "POOL_FULL"}) {
        if (m.rfind(reason, 0) == 0) {
            const int code = std::string_view(reason) == "POOL_FULL" ? rpc::kPoolFull : rpc::kTxRefused;
            return RpcError::server(code, reason, m.substr(std::string_view(reason).size() + 2));
        }
    }
    return RpcError::server(rpc::kTxRefused, "BAD_TX", m);
}

}  // namespace

void Node::Impl::register_rpc_methods(rpc::Dispatcher& d) {
    // Store and engine reads run on the reader pool, never on an I/O thread: a slow query (a
    // long statement, a wide range) must not stall p2p sessions or other connections.
    auto on_reader = [this](rpc::Method method) -> rpc::Method {
        return [this, method = std::move(method)](const Value& params, const rpc::CallContext& ctx, Reply reply) {
            asio::post(*reader_pool_, [method, params, ctx, reply = std::move(reply)]() mutable {
                auto called = std::make_shared<std::atomic<bool>>(false);
                Reply once = [reply, called](rpc::Outcome outcome) {
                    called->store(true);
                    reply(std::move(outcome));
                };
                try {
                    method(params, ctx, once);
                } catch (const std::exception& e) {
                    if (!called->load()) {
                        reply(RpcError::internal(std::string("handler failed: ") + e.what()));
                    }
                }
            });
        };
    };
    // Parameter schemas (rpc::Param): the dispatcher checks each declared "type"; the handlers
    // check the rest (patterns, ranges, enums) with their own messages.
    using Params = std::vector<rpc::Param>;
    const Value hash_schema{{"type", "string"}, {"pattern", "^[0-9a-f]{64}$"}};
    const Value text_schema{{"type", "string"}};
    const Value date_schema{{"type", "string"}, {"pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}};
    const Value flag_schema{{"type", "boolean"}};
    auto one_of = [](std::initializer_list<const char*> values) {
        Value e = Value::array();
        for (const char* v : values) {
            e.push_back(v);
        }
        return Value{{"type", "string"}, {"enum", e}};
    };

    d.add("submitTransaction",
          {.summary =
               "Submit a signed transaction; with wait, answer with its receipt once committed",
           .access = rpc::Access::kChecked,
           .params = Params{{"tx", Value{{"type", "object"}}, true},
                            {"wait", flag_schema},
                            {"timeout_ms", Value{{"type", "integer"}, {"minimum", 1}}}}},
          [this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              if (halted()) {
                  reply(halt_error());  // a failed store takes no new work (ADR 0096)
                  return;
              }
              // Presence and JSON types were checked against .params; ranges are checked here.
              const auto tx_it = p.find("tx");
              const bool wait = p.value("wait", false);
              std::uint64_t timeout_ms = config_.rpc.wait_timeout_ms_default;
              if (auto t = p.find("timeout_ms"); t != p.end()) {
                  if (!t->is_number_integer() || t->get<std::int64_t>() < 1 ||
                      t->get<std::uint64_t>() > config_.rpc.wait_timeout_ms_max) {
                      reply(RpcError::invalid_params("\"timeout_ms\" must be an integer in [1, " +
                                                     std::to_string(config_.rpc.wait_timeout_ms_max) + "]"));
                      return;
                  }
                  timeout_ms = t->get<std::uint64_t>();
              }
              auto parsed = ledger::Transaction::from_value(*tx_it);
              if (!parsed) {
                  metrics_.txs_refused++;
                  reply(RpcError::server(rpc::kTxRefused, "BAD_TX", parsed.error().message()));
                  return;
              }
              // With RPC tokens on, a bank's token submits only that bank's transactions, and the
              // auditor's nothing (ADR 0097).
              if (ctx.auditor) {
                  metrics_.txs_refused++;
                  reply(RpcError::server(rpc::kForbidden, "FORBIDDEN",
                                         "the auditor's token reads and cannot submit (sender " + parsed->sender() + ")"));
                  return;
              }
              if (!ctx.bank.empty() && parsed->sender() != ctx.bank) {
                  metrics_.txs_refused++;
                  reply(RpcError::server(rpc::kForbidden, "FORBIDDEN",
                                         "this token belongs to " + ctx.bank + " and cannot submit as " +
                                             parsed->sender()));
                  return;
              }
              auto tx = std::make_shared<const ledger::Transaction>(std::move(*parsed));
              // Signature checks run on the crypto pool, never on an I/O thread. Client work
              // counts in the backlog (gossip yields to it) but is never shed.
              gossip_intake_->add_client();
              asio::post(*crypto_pool_, [this, tx, wait, timeout_ms, reply = std::move(reply)]() mutable {
                  auto admitted = admit_check(tx);
                  gossip_intake_->done_client();
                  if (auto& s = admitted; !s) {
                      metrics_.txs_refused++;
                      reply(admission_error(s.error()));
                      return;
                  }
                  const Hash h = tx->hash();
                  WaiterTable::Token done;
                  if (wait) {
                      // Register before submitting, so a fast commit cannot be missed.
                      auto shared_reply = std::make_shared<Reply>(reply);
                      // The timer is the table's: cancelled once anything else answers, so the
                      // reply (the client's connection) is released with the answer (waiters.h).
                      done = waiters_.add(
                          h, [shared_reply](const ledger::Receipt& r) { (*shared_reply)(receipt_text(r)); },
                          [shared_reply](const RpcError& e) { (*shared_reply)(e); }, io_.get_executor(),
                          std::chrono::milliseconds(timeout_ms), [shared_reply, h] {
                              (*shared_reply)(RpcError::server(rpc::kTimeout, "TIMEOUT",
                                                               "no receipt yet for " + h.hex() +
                                                                   "; it may still commit: poll getReceipt"));
                          });
                  }
                  // Completes a waiting call early: true when this answer is the one the caller
                  // gets (nothing answered it first). The waiter and its timer are gone after it,
                  // or they would pin the client's connection until the timeout.
                  auto claim_waiter = [this, h, done] { return !done || waiters_.claim(h, done); };
                  // fatal() answers the waiters it finds; one registered after it must not wait
                  // for a receipt that will never come from here.
                  if (halted()) {
                      if (claim_waiter()) {
                          reply(halt_error());
                      }
                      return;
                  }
                  // Already committed (an exact replay): answer from the ledger.
                  auto snapshot = store_->snapshot();
                  auto existing = snapshot->receipt(h);
                  if (!existing) {
                      // Unreadable is not "not committed": admitting it again would answer a
                      // replay as new (a read error is never taken for absence).
                      if (claim_waiter()) {
                          reply(RpcError::internal(existing.error().message()));
                      }
                      return;
                  }
                  if (*existing) {
                      if (claim_waiter()) {
                          if (wait) {
                              reply(receipt_text(**existing));
                          } else {
                              reply(Value{{"tx_hash", h.hex()}, {"status", "COMMITTED"}, {"receipt", receipt_json(**existing)}});
                          }
                      }
                      return;
                  }
                  submit(tx, [reply, h, done, claim_waiter](Status s, bool) mutable {
                      if (!s) {
                          if (claim_waiter()) {
                              reply(admission_error(s.error()));
                          }
                          return;
                      }
                      if (!done) {
                          reply(Value{{"tx_hash", h.hex()}, {"status", "PENDING"}});
                      }
                  });
              });
          });

    d.add("getReceipt",
          {.summary = "A transaction's receipt, or null while unknown or pending",
           .access = rpc::Access::kChecked,
           .params = Params{{"tx_hash", hash_schema, true}}},
          on_reader([this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto h = hash_param(p, "tx_hash", reply);
              if (!h) {
                  return;
              }
              auto snapshot = store_->snapshot();
              if (!tx_readable(*snapshot, *h, ctx, reply)) {
                  return;
              }
              auto r = snapshot->receipt(*h);
              if (!r) {
                  reply(RpcError::internal(r.error().message()));
                  return;
              }
              if (*r) {
                  reply(receipt_text(**r));
              } else {
                  reply(Value(nullptr));
              }
          }));

    d.add("getTransaction",
          {.summary = "A committed transaction with its location, or null",
           .access = rpc::Access::kChecked,
           .params = Params{{"tx_hash", hash_schema, true}}},
          on_reader([this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto h = hash_param(p, "tx_hash", reply);
              if (!h) {
                  return;
              }
              auto snapshot = store_->snapshot();
              if (!tx_readable(*snapshot, *h, ctx, reply)) {
                  return;
              }
              auto t = snapshot->transaction(*h);
              if (!t) {
                  reply(RpcError::internal(t.error().message()));
                  return;
              }
              if (!*t) {
                  reply(Value(nullptr));
                  return;
              }
              reply(Value{{"tx", (*t)->tx->to_value()}, {"height", (*t)->location.height}, {"index", (*t)->location.index}});
          }));

    d.add("getBlock",
          {.summary = "A block by height or hash, with its commit certificate",
           .access = rpc::Access::kChecked,
           .params = Params{{"height", Value{{"type", "integer"}, {"minimum", 1}}},
                            {"hash", hash_schema},
                            {"full", flag_schema}}},
          on_reader([this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto snapshot = store_->snapshot();
              std::uint64_t height = 0;
              if (auto it = p.find("height"); it != p.end()) {
                  if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
                      reply(RpcError::invalid_params("\"height\" must be a positive integer"));
                      return;
                  }
                  height = it->get<std::uint64_t>();
              } else if (p.contains("hash")) {
                  auto h = hash_param(p, "hash", reply);
                  if (!h) {
                      return;
                  }
                  auto found = snapshot->height_of(*h);
                  if (!found) {
                      reply(RpcError::internal(found.error().message()));
                      return;
                  }
                  if (!*found) {
                      reply(Value(nullptr));
                      return;
                  }
                  height = **found;
              } else {
                  reply(RpcError::invalid_params("give \"height\" or \"hash\""));
                  return;
              }
              const bool full = p.value("full", false);  // a boolean when present (.params)
              if (full && ctx.restricted()) {
                  // Headers and hashes are consortium-wide; the bodies are every bank's business
                  // at once, which no bank's token may read (nor, then, the auditor's).
                  reply(ctx.forbidden("full blocks (other banks' transactions); ask without \"full\""));
                  return;
              }
              auto block = snapshot->block(height);
              auto cert = snapshot->commit_certificate(height);
              if (!block || !cert) {
                  reply(RpcError::internal(!block ? block.error().message() : cert.error().message()));
                  return;
              }
              if (!*block) {
                  reply(Value(nullptr));
                  return;
              }
              Value v = header_json((*block)->header());
              Value hashes = Value::array();
              Value txs = Value::array();
              for (const auto& tx : (*block)->txs()) {
                  hashes.push_back(tx->hash().hex());
                  if (full) {
                      txs.push_back(tx->to_value());
                  }
              }
              v["tx_hashes"] = hashes;
              if (full) {
                  v["txs"] = txs;
              }
              if (*cert) {
                  v["certificate"] = certificate_json(**cert);
              }
              auto results = snapshot->results(height);
              if (!results) {
                  reply(RpcError::internal(results.error().message()));
                  return;
              }
              if (*results) {
                  v["state_root"] = (*results)->state_root.hex();
                  v["receipt_root"] = (*results)->receipt_root.hex();
              }
              reply(v);
          }));

    d.add("getHeight",
          {.summary = "The committed head", .access = rpc::Access::kConsortium, .params = Params{}},
          [this](const Value&, const rpc::CallContext&, Reply reply) {
              const auto head = store_->head();
              reply(Value{{"height", head.height},
                          {"hash", head.hash.hex()},
                          {"state_root", head.results.state_root.hex()}});
          });

    d.add("getProof",
          {.summary = "A Merkle inclusion proof with the block header and commit certificate",
           .access = rpc::Access::kChecked,
           .params = Params{{"tx_hash", hash_schema, true}}},
          on_reader([this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto h = hash_param(p, "tx_hash", reply);
              if (!h) {
                  return;
              }
              auto snapshot = store_->snapshot();
              if (!tx_readable(*snapshot, *h, ctx, reply)) {
                  return;
              }
              auto proof = snapshot->inclusion_proof(*h);
              if (!proof) {
                  reply(RpcError::internal(proof.error().message()));
                  return;
              }
              if (!*proof) {
                  reply(Value(nullptr));
                  return;
              }
              Value path = Value::array();
              for (const auto& node : (*proof)->audit_path) {
                  path.push_back(node.hex());
              }
              reply(Value{{"tx_hash", h->hex()},
                          {"height", (*proof)->location.height},
                          {"index", (*proof)->location.index},
                          {"leaf_count", (*proof)->header.tx_count},
                          {"audit_path", path},
                          {"tx_root", (*proof)->header.tx_root.hex()},
                          {"header", header_json((*proof)->header)},
                          {"certificate", certificate_json((*proof)->certificate)}});
          }));

    d.add("getNodeStatus",
          {.summary = "This node's view of the chain and its peers",
           .access = rpc::Access::kConsortium,
           .params = Params{}},
          [this](const Value&, const rpc::CallContext&, Reply reply) {
              Value peers = Value::array();
              for (const auto& s : transport_->peer_status()) {
                  peers.push_back(Value{{"validator", s.index}, {"address", s.address}, {"connected", s.connected}});
              }
              const auto view = metrics_.view.load();
              reply(Value{{"node", config_.node_name},
                          {"validator_index", config_.validator_index},
                          {"chain_id", genesis_->chain_id()},
                          {"genesis_hash", genesis_->hash().hex()},
                          {"height", metrics_.height.load()},
                          {"view", view},
                          {"primary", view % validator_keys_.size()},
                          {"validators", validator_keys_.size()},
                          {"peers", peers},
                          {"syncing", metrics_.syncing.load()},
                          {"pool", Value{{"count", metrics_.pool_txs.load()}, {"bytes", metrics_.pool_bytes.load()}}},
                          {"version", kVersion}});
          });

    d.add("getValidators",
          {.summary = "The validator set", .access = rpc::Access::kConsortium, .params = Params{}},
          [this](const Value&, const rpc::CallContext&, Reply reply) {
              Value out = Value::array();
              for (const auto& v : genesis_->validators()) {
                  out.push_back(Value{{"index", v.index},
                                      {"name", v.name},
                                      {"consensus_key", v.consensus_key.hex()},
                                      {"tls_key", v.tls_key.hex()},
                                      {"address", v.address},
                                      {"weight", v.weight}});
              }
              reply(Value{{"validators", out}});
          });

    d.add("getMembers",
          {.summary = "The member banks as the committed state holds them",
           .access = rpc::Access::kConsortium,
           .params = Params{}},
          on_reader([this](const Value&, const rpc::CallContext&, Reply reply) {
              reply_result(reply, contracts::query::list_members(*store_->snapshot()));
          }));

    d.add("getLoan",
          {.summary = "Loan terms, tranches, schedule, DPD and classification as of a date",
           .access = rpc::Access::kChecked,
           .params = Params{{"loan_id", text_schema, true}, {"as_of", date_schema}}},
          on_reader([this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto id = string_param(p, "loan_id", reply);
              if (!id) {
                  return;
              }
              auto snapshot = store_->snapshot();
              if (!party_readable(contracts::query::loan_parties(*snapshot, *id), "loan " + *id, ctx, reply)) {
                  return;
              }
              contracts::arith::Date as_of = contracts::BlockContext::at(1, snapshot->head().timestamp_ms).business_date;
              if (p.contains("as_of")) {
                  auto d2 = date_param(p, "as_of", reply);
                  if (!d2) {
                      return;
                  }
                  as_of = *d2;
              }
              reply_result(reply, contracts::query::get_loan(*snapshot, *id, as_of));
          }));

    d.add("getLoanStatement",
          {.summary = "A loan's events with allocations and postings, optionally those with "
                      "value_date in [from, to]",
           .access = rpc::Access::kChecked,
           .params = Params{{"loan_id", text_schema, true}, {"from", date_schema}, {"to", date_schema}}},
          on_reader([this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto id = string_param(p, "loan_id", reply);
              if (!id) {
                  return;
              }
              // DOMAIN.md B.9 getLoanStatement(loan_id, from?, to?): a bank told of one event
              // (bank_events) reads that day's events, not the loan's whole history.
              std::optional<contracts::arith::Date> from;
              std::optional<contracts::arith::Date> to;
              for (auto [name, bound] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
                  if (p.contains(name)) {
                      *bound = date_param(p, name, reply);
                      if (!*bound) {
                          return;
                      }
                  }
              }
              auto snapshot = store_->snapshot();
              if (!party_readable(contracts::query::loan_parties(*snapshot, *id), "loan " + *id, ctx, reply)) {
                  return;
              }
              reply_result(reply, contracts::query::get_loan_statement(*snapshot, *id, from, to));
          }));

    d.add("getEvent",
          {.summary = "One loan event by event_id (<tx_hash>-<item>), as getLoanStatement renders it, "
                      "or null",
           .access = rpc::Access::kChecked,
           .params = Params{
               {"event_id", Value{{"type", "string"}, {"pattern", "^[0-9a-f]{64}-[0-9]{1,4}$"}}, true}}},
          on_reader([this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto text = string_param(p, "event_id", reply);
              if (!text) {
                  return;
              }
              const auto id = parse_event_id(*text);
              if (!id) {
                  reply(RpcError::invalid_params("\"event_id\" must be <64 hex tx_hash>-<item index>"));
                  return;
              }
              auto snapshot = store_->snapshot();
              auto t = snapshot->transaction(id->tx_hash);
              if (!t) {
                  reply(RpcError::internal(t.error().message()));
                  return;
              }
              const auto loan = *t ? event_loan(*(*t)->tx, id->item) : std::nullopt;
              if (!loan) {
                  reply(Value(nullptr));
                  return;
              }
              // The event is the loan's: its parties read it, whoever sent the transaction.
              if (!party_readable(contracts::query::loan_parties(*snapshot, *loan), "loan " + *loan, ctx, reply)) {
                  return;
              }
              reply_result(reply, contracts::query::get_loan_event(*snapshot, *loan, *text));
          }));

    d.add("quotePayoff",
          {.summary = "Amount owed by bucket and tranche at a value date (same path as loan.repay)",
           .access = rpc::Access::kChecked,
           .params = Params{{"loan_id", text_schema, true}, {"value_date", date_schema, true}}},
          on_reader([this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto id = string_param(p, "loan_id", reply);
              if (!id) {
                  return;
              }
              auto date = date_param(p, "value_date", reply);
              if (!date) {
                  return;
              }
              auto snapshot = store_->snapshot();
              if (!party_readable(contracts::query::loan_parties(*snapshot, *id), "loan " + *id, ctx, reply)) {
                  return;
              }
              reply_result(reply, contracts::query::quote_payoff(*snapshot, *id, *date));
          }));

    d.add("getPartnership",
          {.summary = "Partnership terms, status and usage",
           .access = rpc::Access::kChecked,
           .params = Params{{"partnership_id", text_schema, true}}},
          on_reader([this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto id = string_param(p, "partnership_id", reply);
              if (!id) {
                  return;
              }
              auto snapshot = store_->snapshot();
              if (!party_readable(contracts::query::partnership_parties(*snapshot, *id), "partnership " + *id, ctx,
                                  reply)) {
                  return;
              }
              reply_result(reply, contracts::query::get_partnership(*snapshot, *id));
          }));

    d.add("getPositions",
          {.summary = "A bank's positions per counterparty and partnership",
           .access = rpc::Access::kOwnBank,
           .params = Params{{"bank_id", text_schema, true}}},
          on_reader([this](const Value& p, const rpc::CallContext&, Reply reply) {
              auto id = string_param(p, "bank_id", reply);
              if (!id) {
                  return;
              }
              reply_result(reply, contracts::query::get_positions(*store_->snapshot(), *id));
          }));

    d.add("getCycle",
          {.summary = "A settlement cycle (default: the open one): status, cutoff, settlement "
                      "date, totals by category",
           .access = rpc::Access::kConsortium,
           .params = Params{{"cycle_id", text_schema}}},
          [this](const Value& p, const rpc::CallContext&, Reply reply) {
              std::string id;
              if (p.contains("cycle_id")) {
                  auto s = string_param(p, "cycle_id", reply);
                  if (!s) {
                      return;
                  }
                  id = *s;
              }
              reply_result(reply, contracts::query::get_cycle(*store_->snapshot(), id));
          });

    d.add("getCycleReport",
          {.summary = "camt.053-like statement of a cycle for a bank: entries per counterparty, "
                      "NbOfTxs, CtrlSum, events digest",
           .access = rpc::Access::kOwnBank,
           .params = Params{{"cycle_id", text_schema, true}, {"bank_id", text_schema, true}}},
          [this](const Value& p, const rpc::CallContext&, Reply reply) {
              auto cycle = string_param(p, "cycle_id", reply);
              if (!cycle) {
                  return;
              }
              auto bank = string_param(p, "bank_id", reply);
              if (!bank) {
                  return;
              }
              reply_result(reply, contracts::query::get_cycle_report(*store_->snapshot(), *cycle, *bank));
          });

    d.add("listInstructions",
          {.summary = "Settlement instructions by instruction_id, cycle_id, status and/or bank_id",
           .access = rpc::Access::kOwnBank,
           .params = Params{{"instruction_id", text_schema},
                            {"cycle_id", text_schema},
                            {"status", one_of({"PENDING", "SENT", "SETTLED", "FAILED", "ROLLED"})},
                            {"bank_id", text_schema}}},
          [this](const Value& p, const rpc::CallContext&, Reply reply) {
              contracts::query::InstructionFilter f;
              for (auto [name, field] : {std::pair{"instruction_id", &f.instruction_id},
                                         std::pair{"cycle_id", &f.cycle_id}, std::pair{"status", &f.status},
                                         std::pair{"bank_id", &f.bank_id}}) {
                  if (p.contains(name)) {
                      auto s = string_param(p, name, reply);
                      if (!s) {
                          return;
                      }
                      *field = *s;
                  }
              }
              static constexpr std::array<std::string_view, 5> kStatuses = {"PENDING", "SENT", "SETTLED", "FAILED",
                                                                             "ROLLED"};
              if (!f.status.empty() && std::find(kStatuses.begin(), kStatuses.end(), f.status) == kStatuses.end()) {
                  reply(RpcError::invalid_params("\"status\" must be PENDING, SENT, SETTLED, FAILED or ROLLED"));
                  return;
              }
              reply_result(reply, contracts::query::list_instructions(*store_->snapshot(), f));
          });

    // Governance proposals are the consortium's business: every member votes on them, so any
    // member may read them. Expiry is judged on the head block's business date.
    d.add("getGovernanceProposal",
          {.summary =
               "A governance proposal: action body and digest, approvals, quorum, status (or null)",
           .access = rpc::Access::kConsortium,
           .params = Params{{"proposal_id", text_schema, true}}},
          on_reader([this](const Value& p, const rpc::CallContext&, Reply reply) {
              auto id = string_param(p, "proposal_id", reply);
              if (!id) {
                  return;
              }
              auto snapshot = store_->snapshot();
              const auto today = contracts::BlockContext::at(1, snapshot->head().timestamp_ms).business_date;
              reply_result(reply, contracts::query::get_governance_proposal(*snapshot, *id, today));
          }));

    d.add("listGovernanceProposals",
          {.summary = "Governance proposals, optionally only OPEN, EXECUTED or EXPIRED",
           .access = rpc::Access::kConsortium,
           .params = Params{{"status", one_of({"OPEN", "EXECUTED", "EXPIRED"})}}},
          on_reader([this](const Value& p, const rpc::CallContext&, Reply reply) {
              std::string status;
              if (p.contains("status")) {
                  auto s = string_param(p, "status", reply);
                  if (!s) {
                      return;
                  }
                  status = *s;
              }
              if (!status.empty() && status != "OPEN" && status != "EXECUTED" && status != "EXPIRED") {
                  reply(RpcError::invalid_params("\"status\" must be OPEN, EXECUTED or EXPIRED"));
                  return;
              }
              auto snapshot = store_->snapshot();
              const auto today = contracts::BlockContext::at(1, snapshot->head().timestamp_ms).business_date;
              reply_result(reply, contracts::query::list_governance_proposals(*snapshot, status, today));
          }));

    d.add("getEventByClientRef",
          {.summary = "The receipt of (bank_id, client_ref), or null",
           .access = rpc::Access::kOwnBank,
           .params = Params{{"bank_id", text_schema, true}, {"client_ref", text_schema, true}}},
          on_reader([this](const Value& p, const rpc::CallContext&, Reply reply) {
              auto bank = string_param(p, "bank_id", reply);
              if (!bank) {
                  return;
              }
              auto ref = string_param(p, "client_ref", reply);
              if (!ref) {
                  return;
              }
              auto r = store_->snapshot()->receipt_by_client_ref(*bank, *ref);
              if (!r) {
                  reply(RpcError::internal(r.error().message()));
                  return;
              }
              if (*r) {
                  reply(receipt_text(**r));
              } else {
                  reply(Value(nullptr));
              }
          }));

    d.add("getInvariantDigest",
          {.summary = "Ledger totals per bank and the state root",
           .access = rpc::Access::kTokenless,
           .params = Params{{"height", Value{{"type", "integer"}, {"minimum", 0}}}}},
          on_reader([this](const Value& p, const rpc::CallContext&, Reply reply) {
              auto snapshot = store_->snapshot();
              if (p.contains("height") && p["height"] != Value(snapshot->head().height)) {
                  reply(RpcError::invalid_params("only the current height is served (history is a later step)"));
                  return;
              }
              auto digest = contracts::query::get_invariant_digest(*snapshot);
              if (!digest) {
                  reply(RpcError::internal(digest.error().message()));
                  return;
              }
              Value v = *digest;
              v["height"] = snapshot->head().height;
              v["state_root"] = snapshot->head().results.state_root.hex();
              reply(v);
          }));

    d.add("subscribe",
          {.summary = "WebSocket only: notifications for topic blocks, receipts or bank_events "
                      "(with bank_id)",
           .access = rpc::Access::kChecked,
           .params = Params{{"topic", one_of({"blocks", "receipts", "bank_events"}), true},
                            {"bank_id", text_schema}}},
          [this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              if (!ctx.sink) {
                  reply(RpcError::server(rpc::kUnsupported, "UNSUPPORTED", "subscriptions need the WebSocket endpoint /ws"));
                  return;
              }
              auto topic = string_param(p, "topic", reply);
              if (!topic) {
                  return;
              }
              if (*topic != "blocks" && *topic != "receipts" && *topic != "bank_events") {
                  reply(RpcError::invalid_params("\"topic\" must be blocks, receipts or bank_events"));
                  return;
              }
              if (*topic == "receipts" && ctx.restricted()) {
                  reply(ctx.forbidden("every bank's receipts; subscribe to bank_events with its own bank_id"));
                  return;
              }
              std::string bank;
              if (*topic == "bank_events") {
                  auto b = string_param(p, "bank_id", reply);
                  if (!b) {
                      return;
                  }
                  if (!ctx.may_read_bank(*b)) {
                      reply(ctx.forbidden("the events of " + *b));
                      return;
                  }
                  // The members of committed state, not genesis: a bank registered on chain
                  // subscribes like a founding one (ADR 0072).
                  if (members_.current()->members.count(*b) == 0) {
                      reply(RpcError::invalid_params("unknown bank_id \"" + *b + "\""));
                      return;
                  }
                  bank = *b;
              }
              std::string id;
              {
                  std::lock_guard lock(subscriptions_mutex_);
                  if (subscriptions_.size() >= 10'000) {
                      reply(RpcError::server(rpc::kOverloaded, "OVERLOADED", "too many subscriptions"));
                      return;
                  }
                  id = "sub-" + std::to_string(next_subscription_++);
                  subscriptions_[id] = Subscription{ctx.sink, *topic, bank};
              }
              reply(Value{{"subscription", id}});
          });

    d.add("unsubscribe",
          {.summary = "Ends a subscription of this connection",
           .access = rpc::Access::kConsortium,
           .params = Params{{"subscription", text_schema, true}}},
          [this](const Value& p, const rpc::CallContext& ctx, Reply reply) {
              auto id = string_param(p, "subscription", reply);
              if (!id) {
                  return;
              }
              // Only the connection that subscribed may end it: ids are sequential, and one
              // client (or bank) must not be able to cut another's notifications.
              std::lock_guard lock(subscriptions_mutex_);
              const auto it = subscriptions_.find(*id);
              if (it == subscriptions_.end() || !ctx.sink || it->second.sink.lock() != ctx.sink) {
                  reply(Value(false));
                  return;
              }
              subscriptions_.erase(it);
              reply(Value(true));
          });

    d.add("rpc.discover",
          {.summary = "This OpenRPC document",
           .access = rpc::Access::kConsortium,
           .params = Params{}},
          [this](const Value&, const rpc::CallContext&, Reply reply) {
              reply(dispatcher_->openrpc("JointClear node", kVersion));
          });
}

void Node::Impl::publish(const ledger::Block& block, const std::vector<ledger::Receipt>& receipts,
                         const contracts::BlockOutput& executed) {
    std::lock_guard lock(subscriptions_mutex_);
    if (subscriptions_.empty()) {
        return;
    }
    using Entry = decltype(subscriptions_)::iterator;
    std::set<std::string> dead;  // subscriptions whose connection is gone or full
    auto push = [&dead](Entry it, const Value& result) {
        if (dead.count(it->first) != 0) {
            return;
        }
        auto sink = it->second.sink.lock();
        const std::string text =
            Value{{"jsonrpc", "2.0"},
                  {"method", "subscription"},
                  {"params", Value{{"subscription", it->first}, {"result", result}}}}
                .dump();
        if (!sink || !sink->push(text)) {
            dead.insert(it->first);
        }
    };
    // bank_events by bank: a bank's view of each transaction is rendered once, for all its
    // subscriptions, and only for the banks a transaction reaches.
    std::map<std::string, std::vector<Entry>, std::less<>> by_bank;
    for (auto it = subscriptions_.begin(); it != subscriptions_.end(); ++it) {
        if (it->second.topic == "blocks") {
            push(it, header_json(block.header()));
        } else if (it->second.topic == "receipts") {
            for (const auto& r : receipts) {
                push(it, receipt_json(r));
            }
        } else {
            by_bank[it->second.bank_id].push_back(it);
        }
    }
    auto deliver = [&](const std::string& bank, const std::optional<Value>& event) {
        if (event) {
            for (Entry it : by_bank.at(bank)) {
                push(it, *event);
            }
        }
    };
    if (!by_bank.empty()) {
        for (const auto& subscribed : by_bank) {
            deliver(subscribed.first,
                    bank_prologue_event(subscribed.first, block.height(), executed.prologue_concerns));
        }
        for (std::size_t i = 0; i < receipts.size(); ++i) {
            const ledger::Transaction& tx = *block.txs()[i];
            const auto& concerns = executed.receipts[i].concerns;
            const bool everyone =
                std::any_of(concerns.begin(), concerns.end(),
                            [](const contracts::Concern& c) { return c.bank.empty(); });
            for (const auto& subscribed : by_bank) {
                const std::string& bank = subscribed.first;  // a binding cannot be captured (clang 14)
                const bool named =
                    everyone || bank == tx.sender() ||
                    std::any_of(concerns.begin(), concerns.end(),
                                [&](const contracts::Concern& c) { return c.bank == bank; });
                if (named) {
                    deliver(bank, bank_event(bank, tx, receipts[i], concerns));
                }
            }
        }
    }
    for (const auto& id : dead) {
        subscriptions_.erase(id);
    }
}

}  // namespace jc::node
