// ParentLoans: the tranche principals of loan records as the block's parent state holds them,
// noted by the handlers that read a loan the block has not written yet.
//
// Why: the block pass (invariants::check_block) compares each written loan's tranche
// principal_out with the parent's record to check B3 and B4. The handler that updated the loan
// has already read and decoded that same parent record, so the pass takes the principals from
// here instead of reading and decoding the bytes a second time (issue 11: a repayment decoded
// its loan three times). Only the principals are kept, not the Loan: ADR 0140 measured typed
// loans held until block end as a loss in CPU time (scattered heap walked cold).
//
// Sound because the parent does not change during a block: an entry stays true whatever the
// block later writes or rolls back. A loan nobody noted (one the prologue wrote, or one a
// handler read after an earlier write in the block) is read from the parent as before.
//
// Private to jc_contracts. Thread-safety: not synchronised; one per block execution.
#pragma once

#include <jc/contracts/records.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jc::contracts {

class ParentLoans {
public:
    // principal_out of each tranche, in the record's tranche order.
    using Principals = std::vector<std::int64_t>;

    static std::optional<Principals> principals_of(const std::optional<Loan>& loan) {
        if (!loan) {
            return std::nullopt;
        }
        Principals out;
        out.reserve(loan->tranches.size());
        for (const Tranche& t : loan->tranches) {
            out.push_back(t.principal_out);
        }
        return out;
    }

    // Notes the parent's record at `loan_key` (nullopt: the parent has none). A key noted
    // before keeps its entry: both came from the same parent record.
    // REQUIRES: `loan` is the parent's record, i.e. it was read through the block's overlay
    // while the overlay buffered nothing at `loan_key`.
    void note(std::string loan_key, const std::optional<Loan>& loan) {
        const auto at = noted_.lower_bound(loan_key);  // one descent for the lookup and the insert
        if (at == noted_.end() || at->first != loan_key) {
            noted_.emplace_hint(at, std::move(loan_key), principals_of(loan));
        }
    }

    // The noted record (holding nullopt when the parent has none), or nullptr when not noted.
    [[nodiscard]] const std::optional<Principals>* find(std::string_view loan_key) const {
        const auto it = noted_.find(loan_key);
        return it == noted_.end() ? nullptr : &it->second;
    }

private:
    // Ordered, as everything in the engine is (scripts/check_layering.sh); only find() reads it.
    std::map<std::string, std::optional<Principals>, std::less<>> noted_;
};

}  // namespace jc::contracts
