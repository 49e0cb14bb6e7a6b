#include <jc/contracts/engine.h>

#include "exec.h"
#include "form.h"
#include "invariants.h"
#include "origination.h"
#include "overlay.h"
#include "render.h"
#include "settle.h"
#include "store.h"
#include "tx_env.h"

#include <jc/contracts/arith/date.h>
#include <jc/core/assert.h>
#include <jc/core/sha256.h>

#include <algorithm>
#include <array>

namespace jc::contracts {

BlockContext BlockContext::at(std::uint64_t height, std::int64_t timestamp_ms) {
    return BlockContext{height, timestamp_ms,
                        static_cast<std::int32_t>(arith::business_date_from_ms(timestamp_ms))};
}

namespace {
json::Value parse_own(const std::string& text) {
    auto parsed = json::parse_strict(text);
    JC_ASSERT(parsed.ok(), "contracts.receipt.text_parses");
    return std::move(parsed).value();
}
}  // namespace

json::Value TxReceipt::detail_json() const { return detail.empty() ? json::Value(nullptr) : parse_own(detail); }
json::Value TxReceipt::result_json() const { return parse_own(result); }

std::string_view tx_status_name(TxStatus status) {
    switch (status) {
        case TxStatus::kOk: return "OK";
        case TxStatus::kDuplicate: return "DUPLICATE";
        case TxStatus::kRejected: return "REJECTED";
    }
    return "?";
}

std::string_view concern_id_field(Concern::Record record) {
    switch (record) {
        case Concern::Record::kLoan: return "loan_id";
        case Concern::Record::kPartnership: return "partnership_id";
        case Concern::Record::kInstruction: return "instruction_id";
        case Concern::Record::kProposal: return "proposal_id";
        case Concern::Record::kCycle: return "cycle_id";
    }
    return "?";
}

namespace {

using Handler = Exec<TxEffect> (*)(TxEnv&, const json::Value&);

struct Route {
    std::string_view type;
    Handler handler;
};

// Sorted by type name; looked up by binary search (no unordered containers).
constexpr std::array<Route, 28> kRoutes = {{
    {"governance.approve", apply_governance_approve},
    {"governance.set_params", apply_governance_set_params},
    {"loan.accept_tranche", apply_loan_accept_tranche},
    {"loan.approve_correction", apply_loan_approve_correction},
    {"loan.approve_write_off", apply_loan_approve_write_off},
    {"loan.correct", apply_loan_correct},
    {"loan.disburse", apply_loan_disburse},
    {"loan.originate", apply_loan_originate},
    {"loan.propose", apply_loan_propose},
    {"loan.recover", apply_loan_recover},
    {"loan.reject_tranche", apply_loan_reject_tranche},
    {"loan.repay", apply_loan_repay},
    {"loan.write_off", apply_loan_write_off},
    {"member.register", apply_member_register},
    {"member.suspend", apply_member_suspend},
    {"member.update", apply_member_update},
    {"partnership.accept", apply_partnership_accept},
    {"partnership.amend", apply_partnership_amend},
    {"partnership.propose", apply_partnership_propose},
    {"partnership.reject", apply_partnership_reject},
    {"partnership.suspend", apply_partnership_suspend},
    {"reserve.topup", apply_reserve_topup},
    {"reserve.withdraw", apply_reserve_withdraw},
    {"settlement.close_cycle", apply_settlement_close_cycle},
    {"settlement.confirm_received", apply_settlement_confirm_received},
    {"settlement.confirm_sent", apply_settlement_confirm_sent},
    {"settlement.report_failure", apply_settlement_report_failure},
    {"settlement.roll", apply_settlement_roll},
}};
static_assert(std::is_sorted(kRoutes.begin(), kRoutes.end(),
                             [](const Route& a, const Route& b) { return a.type < b.type; }),
              "kRoutes must stay sorted by type for the binary search");
constexpr std::string_view kBatchType = "batch";

Handler find_handler(std::string_view type) {
    const auto it = std::lower_bound(kRoutes.begin(), kRoutes.end(), type,
                                     [](const Route& r, std::string_view t) { return r.type < t; });
    return (it != kRoutes.end() && it->type == type) ? it->handler : nullptr;
}

TxReceipt rejected(const Reject& r) {
    TxReceipt out;
    out.status = TxStatus::kRejected;
    out.code = code_number(r.code);
    out.error = std::string(code_name(r.code));
    out.detail = r.detail.is_null() ? std::string() : json::canonicalize(r.detail);
    out.result = "null";
    return out;
}

Hash request_digest(const ledger::Transaction& tx) {
    // The type is part of the request: the same body under another type is another request.
    // sha256_parts reuses a per-thread context; the body is json::canonicalize(tx.body()), kept
    // by the transaction.
    return sha256_parts(
        {as_bytes(tx.type()), as_bytes(std::string_view("\n", 1)), as_bytes(tx.canonical_body())});
}

// The original result of an idempotency record, as canonical text.
Exec<std::string> original_result(const ledger::StateReader& r, const IdempotencyRecord& rec) {
    if (!rec.loan_id.empty()) {
        JC_EXEC_ASSIGN(auto loan, load(store::loan(r, rec.loan_id)));
        JC_EXEC_ASSIGN(auto ev, load(store::event(r, rec.loan_id, rec.event_seq)));
        if (!loan || !ev) {
            return fail(Error(Errc::kCorruption, "idempotency record points at missing event " + rec.loan_id + "/" +
                                                     std::to_string(rec.event_seq)));
        }
        return render::event_result_text(*loan, *ev);
    }
    auto parsed = json::parse_strict(rec.result_json);
    if (!parsed) {
        return fail(Error(Errc::kCorruption, "stored result does not parse: " + parsed.error().message()));
    }
    return json::canonicalize(*parsed);
}

struct BatchItem {
    Handler handler = nullptr;
    const json::Value* body = nullptr;
};

// `batch`: {"atomic": bool, "items": [{"type", "body"}, ...]} (DOMAIN.md B.3, E8.6).
Exec<TxEffect> apply_batch(TxEnv& t, const json::Value& body) {
    Form f;
    f.object(body, "", {"atomic", "items"});
    const auto atomic = f.boolean(body, "atomic", "", true);
    std::vector<BatchItem> items;
    if (const json::Value* list = f.field(body, "items", "", true)) {
        if (!list->is_array() || list->empty() || list->size() > kBatchItemsMax) {
            f.error(Code::kBadEnvelope, "items", "must be an array of 1 to " + std::to_string(kBatchItemsMax) + " items");
        } else {
            for (std::size_t i = 0; i < list->size(); ++i) {
                const std::string path = "items[" + std::to_string(i) + "]";
                const json::Value& item = (*list)[i];
                BatchItem bi;
                if (f.object(item, path, {"type", "body"})) {
                    if (auto type = f.string(item, "type", path, true)) {
                        bi.handler = find_handler(*type);
                        if (bi.handler == nullptr) {
                            f.error(Code::kBadEnvelope, path + ".type", "unknown or unsupported item type");
                        }
                    }
                    bi.body = f.field(item, "body", path, true);
                    if (bi.body != nullptr && !bi.body->is_object()) {
                        f.error(Code::kBadEnvelope, path + ".body", "must be an object");
                    }
                }
                items.push_back(bi);
            }
        }
    }
    if (f.has_error()) {
        return f.failure();
    }
    json::Value results = json::Value::array();
    const Overlay::Savepoint batch_sp = t.ov.savepoint();
    for (std::size_t i = 0; i < items.size(); ++i) {
        TxEnv item_env{t.ov, t.env, t.tx, t.tx_index, static_cast<std::uint32_t>(i), t.sender};
        const Overlay::Savepoint sp = t.ov.savepoint();
        auto r = items[i].handler(item_env, *items[i].body);
        if (r.failed()) {
            return std::move(r).failure();
        }
        if (r.rejected()) {
            t.ov.rollback(sp);
            const Reject& rj = r.rejection();
            if (*atomic) {
                // Linked events: the whole batch fails; the failing item carries its own code and
                // every other item ERR_LINKED_EVENT_FAILED.
                t.ov.rollback(batch_sp);
                json::Value per_item = json::Value::array();
                for (std::size_t j = 0; j < items.size(); ++j) {
                    if (j == i) {
                        per_item.push_back(json::Value{{"index", j},
                                                       {"code", code_number(rj.code)},
                                                       {"error", std::string(code_name(rj.code))},
                                                       {"detail", rj.detail}});
                    } else {
                        per_item.push_back(json::Value{{"index", j},
                                                       {"code", code_number(Code::kLinkedEventFailed)},
                                                       {"error", std::string(code_name(Code::kLinkedEventFailed))}});
                    }
                }
                return reject(rj.code, json::Value{{"failed_item", i}, {"items", std::move(per_item)}});
            }
            results.push_back(json::Value{{"index", i},
                                          {"status", "REJECTED"},
                                          {"code", code_number(rj.code)},
                                          {"error", std::string(code_name(rj.code))},
                                          {"detail", rj.detail}});
            continue;
        }
        // Parsed back into the batch's tree: batches are rare, and the text is canonicalised once
        // more with the whole result below.
        auto item_result = json::parse_strict(std::move(r).value().result);
        JC_ASSERT(item_result.ok(), "contracts.batch.item_result_parses");
        results.push_back(json::Value{{"index", i}, {"status", "OK"}, {"result", std::move(item_result).value()}});
    }
    return TxEffect(json::Value{{"atomic", *atomic}, {"items", std::move(results)}}, "", 0);
}

Exec<TxReceipt> execute_tx(Overlay& ov, const BlockEnv& env, const ledger::Transaction& tx, std::uint32_t index) {
    // 1. Envelope: a known type and a well-formed client_ref.
    const bool is_batch = tx.type() == kBatchType;
    const Handler handler = is_batch ? nullptr : find_handler(tx.type());
    if (!is_batch && handler == nullptr) {
        return rejected(Reject{Code::kBadEnvelope, json::Value{{"field", "type"},
                                                               {"reason", "unknown or unsupported type \"" + tx.type() + "\""}}});
    }
    if (!ledger::check_client_ref(tx.client_ref())) {
        return rejected(Reject{Code::kBadClientRef, json::Value{{"field", "client_ref"},
                                                                {"reason", "must be 1-64 characters of [A-Za-z0-9_.:-]"}}});
    }
    // 2. Sender: a member, the signer one of its keys, and ACTIVE.
    auto cached = env.members.find(tx.sender());
    if (cached == env.members.end()) {
        JC_EXEC_ASSIGN(auto loaded, load(store::member(ov, tx.sender())));
        cached = env.members.emplace(tx.sender(), std::move(loaded)).first;
    }
    const std::optional<Member>& sender = cached->second;
    if (!sender) {
        return rejected(Reject{Code::kUnknownMember, json::Value{{"bank_id", tx.sender()}}});
    }
    if (std::find(sender->keys.begin(), sender->keys.end(), tx.signer()) == sender->keys.end()) {
        return rejected(Reject{Code::kBadEnvelope, json::Value{{"field", "signer"},
                                                               {"reason", "not a registered key of " + tx.sender()}}});
    }
    if (sender->status != MemberStatus::kActive) {
        return rejected(Reject{Code::kMemberSuspended, json::Value{{"bank_id", tx.sender()}}});
    }
    // 3. Idempotency (B.7): the same (sender, client_ref) is either a replay or a conflict.
    const Hash digest = request_digest(tx);
    JC_EXEC_ASSIGN(auto prior, load(store::idempotency(ov, tx.sender(), tx.client_ref())));
    if (prior) {
        if (prior->request_digest != digest) {
            return rejected(Reject{Code::kIdempotencyConflict,
                                   json::Value{{"client_ref", tx.client_ref()},
                                               {"original_tx_hash", prior->tx_hash.hex()},
                                               {"original_height", prior->height},
                                               {"reason", "this client_ref was used for a different request"}}});
        }
        JC_EXEC_ASSIGN(std::string original, original_result(ov, *prior));
        TxReceipt dup;
        dup.status = TxStatus::kDuplicate;
        dup.detail = json::canonicalize(json::Value{{"original_tx_hash", prior->tx_hash.hex()},
                                                    {"original_height", prior->height},
                                                    {"original_tx_index", prior->tx_index}});
        dup.result = std::move(original);
        return dup;
    }
    // 4. The transaction itself.
    TxEnv t{ov, env, tx, index, 0, *sender};
    auto effect = is_batch ? apply_batch(t, tx.body()) : handler(t, tx.body());
    if (effect.failed()) {
        return std::move(effect).failure();
    }
    if (effect.rejected()) {
        return rejected(effect.rejection());
    }
    TxEffect e = std::move(effect).value();
    IdempotencyRecord rec;
    rec.request_digest = digest;
    rec.tx_hash = tx.hash();
    rec.height = env.block.height;
    rec.tx_index = index;
    rec.loan_id = e.loan_id;
    rec.event_seq = e.event_seq;
    if (e.loan_id.empty()) {
        rec.result_json = e.result;
    }
    ov.put(keys::idempotency(tx.sender(), tx.client_ref()), encode(rec, ov.record_version()));
    TxReceipt ok;
    ok.status = TxStatus::kOk;
    ok.result = std::move(e.result);
    return ok;
}

}  // namespace

Result<BlockOutput> Engine::execute_block(const ledger::StateReader& parent, const BlockContext& ctx,
                                          std::span<const std::shared_ptr<const ledger::Transaction>> txs) const {
    if (ctx.business_date != arith::business_date_from_ms(ctx.timestamp_ms)) {
        return Error(Errc::kInvalidArgument, "block context business date does not match its timestamp");
    }
    auto where = [&](std::size_t i) {
        return "height " + std::to_string(ctx.height) + " tx " + std::to_string(i);
    };
    auto params = store::params(parent);
    if (!params) {
        return params.error().with_context("height " + std::to_string(ctx.height));
    }
    // The block writes every record in the version its parent's params name (ADR 0175): a
    // set_params that raises it takes effect from the next block, like every parameter.
    Overlay ov(parent, params->record_version);
    // Block prologue (DOMAIN.md B.8): the automatic close at the cutoff, before any transaction.
    if (auto s = settle::prologue(ov, ctx, *params); !s) {
        return s.error().with_context("height " + std::to_string(ctx.height) + " prologue");
    }
    // Then loan proposals past their acceptance window are cancelled (ADR 0062), so every
    // transaction of the block sees them CANCELLED and their capacity free.
    if (auto s = expire_proposals(ov, ctx); !s) {
        return s.error().with_context("height " + std::to_string(ctx.height) + " prologue");
    }
    auto cycle = store::current_cycle(ov);
    if (!cycle) {
        return cycle.error().with_context("height " + std::to_string(ctx.height));
    }
    const BlockEnv env{ctx, std::move(params).value(), std::move(cycle).value(), options_, {}, {}};
    BlockOutput out;
    // Whom the automatic close and the expiries concern: the block's, not a transaction's.
    out.prologue_concerns = ov.take_concerns();
    out.receipts.reserve(txs.size());
    for (std::size_t i = 0; i < txs.size(); ++i) {
        if (!txs[i]) {
            return Error(Errc::kInvalidArgument, where(i) + ": null transaction");
        }
        const Overlay::Savepoint sp = ov.savepoint();
        // Each transaction's concerns start empty: taken after an OK one, rolled back otherwise.
        JC_ASSERT(sp.concerns == 0, "contracts.engine.concerns_per_tx");
        auto r = execute_tx(ov, env, *txs[i], static_cast<std::uint32_t>(i));
        if (r.failed()) {
            return r.error().with_context(where(i));
        }
        if (r.rejected()) {
            // A rejection that escaped a handler (should not happen: handlers return receipts).
            ov.rollback(sp);
            out.receipts.push_back(rejected(r.rejection()));
        } else {
            if (r.value().status != TxStatus::kOk) {
                ov.rollback(sp);
            }
            out.receipts.push_back(std::move(r).value());
            if (out.receipts.back().status == TxStatus::kOk) {
                out.receipts.back().concerns = ov.take_concerns();
            }
        }
        ov.release_undo();
    }
    if (auto s = invariants::check_block(ov, ctx, env.parent_loans); !s) {
        return s.error();
    }
    out.writes = ov.take_writes();
    if (options_.check_replay) {
        EngineOptions once = options_;
        once.check_replay = false;
        auto again = Engine(once).execute_block(parent, ctx, txs);
        if (!again) {
            return invariants::violation(ctx.height, "B7 the replay failed: " + again.error().message());
        }
        if (auto s = invariants::check_replay(out, *again, ctx.height); !s) {
            return s.error();
        }
    }
    return out;
}

}  // namespace jc::contracts
