// The joint-loan story `jointclear demo` tells, step by step, against a running consortium.
//
// Each step submits what a bank's operator would submit, prints what the chain answered the way
// that operator wants to read it (yuan with fen, tables), and checks every number against the
// independent model of DOMAIN.md's rules (demo_model.h). Steps share the Story: the loans'
// models, the obligations this run created, and the positions before it started, so a demo on
// a chain that already carries traffic checks its own deltas.
//
// Thread-safety: single-threaded.
#pragma once

#include "demo_model.h"
#include "demo_support.h"

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace jc::tools {

struct Story {
    DemoNet& net;
    Checker& check;
    std::ostream& out;
    std::string suffix;  // appended to every id; "" on a chain that has not run the demo before
    std::map<std::string, model::Loan> loans;  // by id without suffix
    model::Obligations obligations;            // what this run added to the open cycle
    std::map<std::string, json::Value> positions_before;  // getPositions per bank at the start
    std::vector<std::string> unavailable;      // steps this build cannot run, said plainly
    std::uint64_t last_height = 0;             // height of the latest receipt

    [[nodiscard]] std::string id(const std::string& base) const { return base + suffix; }
};

inline const char* const kWebank = "WEBANK";
inline const char* const kHuarui = "HUARUI";
inline const char* const kBankc = "BANKC";

// demo_story.cc
void step_setup(Story& s);
void step_consortium(Story& s);
void step_partnerships(Story& s);
void step_originations(Story& s);
void step_repayments(Story& s);
void step_overdue(Story& s);
void step_prepayment(Story& s);
// demo_clearing.cc
void step_positions(Story& s);
void step_settlement(Story& s);
void step_agreement(Story& s);

// Shared by both files: submits a repayment and checks its receipt against the model.
void repay_and_check(Story& s, const std::string& loan, const std::string& label, const std::string& value_date,
                     model::Fen amount, bool payoff);

}  // namespace jc::tools
