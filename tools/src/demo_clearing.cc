// Steps 7-9 of the demo: real-time clearing positions, the settlement cycle, and every node
// agreeing on the ledger (demo_story.h).
#include "demo_story.h"

#include "money.h"
#include "table.h"

#include <chrono>
#include <set>

namespace jc::tools {
namespace {

using model::Fen;
using A = Table::Align;

const char* const kCategories[] = {"FUNDING", "PRINCIPAL", "INTEREST", "PENALTY", "SERVICE_FEE"};
const char* const kBanks[] = {kWebank, kHuarui, kBankc};

// The getPositions entry for `counterparty`, or an empty object.
json::Value counterparty(const json::Value& positions, const std::string& cp) {
    for (const auto& c : positions.value("counterparties", json::Value::array())) {
        if (c.value("bank_id", "") == cp) {
            return c;
        }
    }
    return json::Value::object();
}

Fen net_of(const json::Value& positions, const std::string& cp) {
    const json::Value c = counterparty(positions, cp);
    return c.contains("interbank_net") ? fen_of(c, "interbank_net") : 0;
}

// What `positions`' bank sees in one direction and category: "owed_by_counterparty" (cp owes
// the bank) or "owed_to_counterparty" (the bank owes cp).
Fen owed(const json::Value& positions, const std::string& cp, const char* direction, const char* category) {
    const json::Value c = counterparty(positions, cp);
    if (!c.contains(direction) || !c[direction].contains(category)) {
        return 0;
    }
    return fen_of(c[direction][category], "amount");
}

std::string business_date_today() {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    return model::format_date((ms / 1000 + 8 * 3600) / 86400);
}

}  // namespace

void step_positions(Story& s) {
    section(s.out, 7, "Clearing in real time: what the banks owe each other now");
    std::map<std::string, json::Value> after;
    for (const char* bank : kBanks) {
        after[bank] = s.net.query("getPositions", json::Value{{"bank_id", bank}});
    }
    s.out << "  Obligations this run added to the open cycle " << after[kWebank].value("cycle_id", "") << ":\n";
    Table t({{"DEBTOR"}, {"CREDITOR"}, {"CATEGORY"}, {"AMOUNT (CNY)", A::kRight}});
    for (const char* debtor : kBanks) {
        for (const char* creditor : kBanks) {
            if (std::string(debtor) == creditor) {
                continue;
            }
            for (const char* cat : kCategories) {
                // The creditor's books and the debtor's books must both say it.
                const Fen in_creditor = owed(after[creditor], debtor, "owed_by_counterparty", cat) -
                                        owed(s.positions_before[creditor], debtor, "owed_by_counterparty", cat);
                const Fen in_debtor = owed(after[debtor], creditor, "owed_to_counterparty", cat) -
                                      owed(s.positions_before[debtor], creditor, "owed_to_counterparty", cat);
                const Fen expected = s.obligations.get(debtor, creditor, cat);
                const std::string what = std::string(debtor) + " -> " + creditor + " " + cat;
                s.check.integer(what + " (creditor's view, fen)", in_creditor, expected);
                s.check.integer(what + " (debtor's view, fen)", in_debtor, expected);
                if (in_creditor != 0 || expected != 0) {
                    t.row({debtor, creditor, cat, yuan(in_creditor)});
                }
            }
        }
    }
    t.print(s.out, "    ");

    s.out << "\n  Net per pair (each bank's INTERBANK account mirrors the other's) and the instruction a cycle\n"
          << "  close will create for it:\n";
    Table n({{"PAIR"}, {"NET CHANGE (CNY)", A::kRight}, {"INSTRUCTION"}});
    for (std::size_t i = 0; i < 3; ++i) {
        for (std::size_t j = i + 1; j < 3; ++j) {
            const std::string a = kBanks[i];
            const std::string b = kBanks[j];
            const Fen delta = net_of(after[a], b) - net_of(s.positions_before[a], b);  // what b owes a
            s.check.integer(a + " INTERBANK[" + b + "] change (fen)", delta, s.obligations.interbank_net(a, b));
            s.check.integer(a + "/" + b + " mirror (fen)", net_of(after[a], b), -net_of(after[b], a));
            const std::string instruction = delta == 0 ? "none"
                                            : delta > 0 ? b + " pays " + a + " " + cny(delta)
                                                        : a + " pays " + b + " " + cny(-delta);
            n.row({a + " / " + b, yuan(delta), instruction});
        }
    }
    n.print(s.out, "    ");
    s.out << "  Every origination and repayment moved these positions the moment it committed: no T+1\n"
          << "  reconciliation, both banks read the same numbers from their own node.\n";
    s.check.step_done();
}

void step_settlement(Story& s) {
    section(s.out, 8, "Settlement: close the cycle, confirm the instructions, positions back to zero");
    std::set<std::string> methods;
    for (const auto& m : s.net.query("rpc.discover", json::Value::object()).value("methods", json::Value::array())) {
        methods.insert(m.value("name", ""));
    }
    if (methods.count("listInstructions") == 0) {
        const std::string why =
            "settlement cycle close and instruction confirmation: this build's contract engine has no "
            "settlement.close_cycle / confirm_sent / confirm_received and its node no listInstructions";
        s.out << "  NOT AVAILABLE in this build: the contract engine has no settlement transactions yet\n"
              << "  (settlement.close_cycle, settlement.confirm_sent, settlement.confirm_received) and the node\n"
              << "  serves no listInstructions. The cycle stays OPEN; the instructions it would create are the\n"
              << "  nets in step 7. Nothing was submitted for this step.\n";
        s.unavailable.push_back(why);
        return;
    }
    std::map<std::string, json::Value> before;
    for (const char* bank : kBanks) {
        before[bank] = s.net.query("getPositions", json::Value{{"bank_id", bank}});
    }
    const std::string cycle = before[kWebank].value("cycle_id", "");
    const json::Value closed = s.net.submit(kWebank, "settlement.close_cycle", json::Value{{"expected_cycle_id", cycle}},
                                            std::string(kWebank) + "-CLOSE-" + cycle + s.suffix);
    s.last_height = std::max<std::uint64_t>(s.last_height, closed.value("height", 0u));
    json::Value listed = s.net.query("listInstructions", json::Value{{"cycle_id", cycle}});
    const json::Value instructions = listed.is_array() ? listed : listed.value("instructions", json::Value::array());
    Table t({{"INSTRUCTION"}, {"DEBTOR"}, {"CREDITOR"}, {"AMOUNT (CNY)", A::kRight}, {"STATUS"}});
    const std::string today = business_date_today();
    for (const auto& ins : instructions) {
        const std::string id = ins.value("instruction_id", "");
        const std::string debtor = ins.value("debtor", "");
        const std::string creditor = ins.value("creditor", "");
        // The instruction is the pair's whole net at close: the debtor's INTERBANK credit balance.
        s.check.integer(id + " amount (fen)", fen_of(ins, "amount"), net_of(before[creditor], debtor));
        s.net.submit(debtor, "settlement.confirm_sent",
                     json::Value{{"instruction_id", id}, {"amount", ins["amount"]}, {"payer_ref", "HVPS-" + id},
                                 {"value_date", today}},
                     debtor + "-SENT-" + id);
        const json::Value received = s.net.submit(creditor, "settlement.confirm_received",
                                                  json::Value{{"instruction_id", id}}, creditor + "-RECEIVED-" + id);
        s.last_height = std::max<std::uint64_t>(s.last_height, received.value("height", 0u));
        t.row({id, debtor, creditor, yuan(fen_of(ins, "amount")), "SETTLED"});
    }
    t.print(s.out, "    ");
    for (std::size_t i = 0; i < 3; ++i) {
        for (std::size_t j = i + 1; j < 3; ++j) {
            const json::Value p = s.net.query("getPositions", json::Value{{"bank_id", kBanks[i]}});
            s.check.integer(std::string(kBanks[i]) + " / " + kBanks[j] + " net after settlement (fen)", net_of(p, kBanks[j]), 0);
        }
    }
    s.check.step_done();
}

void step_agreement(Story& s) {
    section(s.out, 9, "Every validator holds the same ledger");
    const std::uint64_t h = s.last_height;
    Table t({{"VALIDATOR"}, {"HEIGHT", A::kRight}, {"BLOCK HASH"}, {"STATE ROOT"}, {"BALANCED"}, {"INTERBANK SUM", A::kRight}});
    std::string hash0;
    std::string root0;
    for (std::size_t i = 0; i < s.net.node_count(); ++i) {
        // query() first waits until this node has committed every block the demo saw.
        const json::Value block = s.net.query("getBlock", json::Value{{"height", h}}, i);
        const json::Value digest = s.net.query("getInvariantDigest", json::Value::object(), i);
        const std::string hash = block.value("hash", "");
        const std::string root = block.value("state_root", "");
        if (i == 0) {
            hash0 = hash;
            root0 = root;
        }
        const std::string name = s.net.consortium().nodes()[i].name;
        s.check.text(name + " block " + std::to_string(h) + " hash", hash, hash0);
        s.check.text(name + " state root at " + std::to_string(h), root, root0);
        s.check.truth(name + " ledger balanced (debits = credits)", digest["ledger"].value("balanced", false));
        s.check.amount(name + " interbank nets sum to zero", digest["ledger"]["interbank_net_sum"], 0);
        for (const auto& b : digest.value("banks", json::Value::array())) {
            s.check.truth(name + " " + b.value("bank_id", "") + " aggregates equal loan state", b.value("consistent", false));
        }
        t.row({name, std::to_string(h), hash.substr(0, 16) + "...", root.substr(0, 16) + "...",
               digest["ledger"].value("balanced", false) ? "yes" : "NO",
               yuan(fen_of(digest["ledger"], "interbank_net_sum"))});
    }
    t.print(s.out);
    s.out << "  One certified block history, one state root: each bank's node can prove every number above.\n";
    s.check.step_done();
}

}  // namespace jc::tools
