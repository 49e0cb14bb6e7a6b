// Goal: ParentLoans, the block pass's record of the parent's tranche principals (ADR 0162's
// addendum), keeps the first note of a loan, tells a noted absent loan from one never noted,
// and is what the block pass compares against: a wrong note makes B3 fail, a right one or none
// passes.
// Method: direct calls; then invariants::check_block over an overlay that rewrites a committed
// loan unchanged, with no note, the true note, a note one fen off and a note a tranche short.
#include "../../../contracts/src/parent_loans.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "../../../contracts/src/invariants.h"
#include "../../../contracts/src/overlay.h"
#include "chain.h"

namespace jc::contracts::test {

namespace {

// A chain with one originated loan, L-0001, of two tranches.
struct OneLoanChain {
    Chain c{test_params()};
    Loan loan;
    OneLoanChain() {
        c.partnership(PartnershipSpec{});
        REQUIRE(
            c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})).status ==
            TxStatus::kOk);
        loan = c.loan("L-0001");
    }
};

}  // namespace

TEST_CASE("parent loans: principals in tranche order, first note kept, absent told from unnoted",
          "[contracts][state]") {
    const OneLoanChain chain;
    const Loan& loan = chain.loan;
    REQUIRE(loan.tranches.size() >= 2);

    const auto principals = ParentLoans::principals_of(loan);
    REQUIRE(principals.has_value());
    REQUIRE(principals->size() == loan.tranches.size());
    for (std::size_t i = 0; i < loan.tranches.size(); ++i) {
        CHECK((*principals)[i] == loan.tranches[i].principal_out);
    }
    CHECK_FALSE(ParentLoans::principals_of(std::nullopt).has_value());

    ParentLoans noted;
    CHECK(noted.find(keys::loan("L-0001")) == nullptr);
    noted.note(keys::loan("L-0001"), loan);
    Loan later = loan;
    later.tranches[0].principal_out -= 100;
    noted.note(keys::loan("L-0001"), later);  // a second note of the same key changes nothing
    const auto* found = noted.find(keys::loan("L-0001"));
    REQUIRE(found != nullptr);
    REQUIRE(found->has_value());
    CHECK(**found == *principals);

    noted.note(keys::loan("L-0002"), std::nullopt);  // the parent has no such loan
    const auto* absent = noted.find(keys::loan("L-0002"));
    REQUIRE(absent != nullptr);
    CHECK_FALSE(absent->has_value());
    CHECK(noted.find(keys::loan("L-0003")) == nullptr);
}

TEST_CASE("the block pass compares a rewritten loan with the noted parent principals",
          "[contracts][state]") {
    const OneLoanChain chain;
    const Chain& c = chain.c;
    const Loan& loan = chain.loan;
    const std::string key = keys::loan("L-0001");
    const auto block = BlockContext::at(c.height() + 1, noon_cst_ms("2024-01-16"));
    // The loan rewritten unchanged: no principal moved, so B3 and B4 hold against the parent.
    auto check = [&](const ParentLoans& parent_loans) {
        Overlay ov(c.state(), kRecordVersionLatest);
        ov.put(key, encode(loan, kRecordVersionLatest));
        return invariants::check_block(ov, block, parent_loans);
    };

    CHECK(check(ParentLoans{}).ok());  // not noted: the pass reads the parent itself
    ParentLoans right;
    right.note(key, loan);
    CHECK(check(right).ok());

    Loan off = loan;
    off.tranches[0].principal_out -= 1;  // a note one fen below the parent's record
    ParentLoans wrong;
    wrong.note(key, off);
    const auto refused = check(wrong);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message(), Catch::Contains("B3"));

    // A note with fewer tranches than the written loan (a damaged parent record, or an engine
    // bug): refused with the counts, not read past the end of the note.
    Loan shorter = loan;
    shorter.tranches.pop_back();
    ParentLoans truncated;
    truncated.note(key, shorter);
    const auto counted = check(truncated);
    REQUIRE_FALSE(counted.ok());
    CHECK_THAT(counted.error().message(),
               Catch::Contains("has " + std::to_string(loan.tranches.size()) + " tranches, its parent " +
                               std::to_string(shorter.tranches.size())));
}

}  // namespace jc::contracts::test
