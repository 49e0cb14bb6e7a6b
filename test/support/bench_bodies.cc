#include "bench_bodies.h"

#include <jc/core/sha256.h>

namespace jc::testsupport {

json::Value bench_loan_body(const std::string& loan_id, const std::string& servicer_bank,
                            const std::string& partner_bank, const std::string& partnership_id,
                            std::int64_t principal_fen) {
    return json::Value{
        {"loan_id", loan_id},
        {"product_code", "CONSUMER"},
        {"borrower_ref", sha256("bench borrower " + loan_id).hex()},
        {"principal", std::to_string(principal_fen)},
        {"currency", "CNY"},
        {"value_date", "2024-01-15"},
        {"rate_ppb", "500000"},
        {"basis", "DAILY"},
        {"interest_method", "ACTUAL_DAYS"},
        {"penalty_rate_ppb", "750000"},
        {"penalty_mode", "REPLACE"},
        {"schedule", json::Value{{"type", "EQUAL_PRINCIPAL"}, {"n", 12}, {"first_due_date", "2024-02-15"}}},
        {"prepay_mode", "SHORTEN"},
        {"tranches", json::Value::array({json::Value{{"bank_id", servicer_bank}, {"share_bps", 3000}},
                                         json::Value{{"bank_id", partner_bank},
                                                     {"share_bps", 7000},
                                                     {"partnership_id", partnership_id}}})},
        {"disbursement", json::Value{{"channel_ref", "D-" + loan_id}, {"mode", "FRONTED"}}}};
}

json::Value bench_repay_body(const std::string& loan_id, std::int64_t amount_fen, const std::string& channel_ref) {
    return json::Value{{"loan_id", loan_id},
                       {"value_date", "2024-02-15"},
                       {"amount", std::to_string(amount_fen)},
                       {"channel_ref", channel_ref}};
}

}  // namespace jc::testsupport
