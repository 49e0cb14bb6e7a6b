// Form checks of transaction bodies: strict field-by-field validation that reports the error
// with the LOWEST code among those found (1001 structure < 1003 amount < 1004 currency <
// 1005 date < 1006 rate), and among equal codes the first in field order. That implements
// B.5's "checked in the order listed" for the 1xxx range in a single pass over the body.
//
// Private to jc_contracts.
#pragma once

#include "exec.h"

#include <jc/contracts/arith/date.h>
#include <jc/contracts/arith/day_count.h>
#include <jc/contracts/records.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace jc::contracts {

class Form {
public:
    // Records `code` for `path` unless an error with the same code was already recorded.
    void error(Code code, std::string path, std::string reason);
    [[nodiscard]] bool has_error() const { return best_.has_value(); }
    // The winning error as a Failure. REQUIRES: has_error().
    [[nodiscard]] Failure failure() const;

    // 1001 unless `value` is an object whose keys are all in `allowed`.
    bool object(const json::Value& value, const std::string& path, std::initializer_list<std::string_view> allowed);

    // Field accessors: nullptr/nullopt when absent (an error when required) or malformed.
    const json::Value* field(const json::Value& obj, std::string_view key, const std::string& path, bool required);
    std::optional<std::string> string(const json::Value& obj, std::string_view key, const std::string& path,
                                      bool required);
    // [A-Za-z0-9_.:-]{1,max_len}
    std::optional<std::string> id(const json::Value& obj, std::string_view key, const std::string& path,
                                  std::size_t max_len, bool required);
    std::optional<std::string> bank_id(const json::Value& obj, std::string_view key, const std::string& path,
                                       bool required);
    // 64 lowercase hex digits (a SHA-256 / salted hash).
    std::optional<std::string> hex64(const json::Value& obj, std::string_view key, const std::string& path,
                                     bool required);
    std::optional<std::int64_t> integer(const json::Value& obj, std::string_view key, const std::string& path,
                                        std::int64_t min, std::int64_t max, bool required);
    std::optional<bool> boolean(const json::Value& obj, std::string_view key, const std::string& path,
                                bool required);
    // 1003: a canonical amount string; `positive` additionally rejects "0".
    std::optional<std::int64_t> amount(const json::Value& obj, std::string_view key, const std::string& path,
                                       bool positive, bool required);
    // 1004: exactly "CNY".
    void currency(const json::Value& obj, std::string_view key, const std::string& path);
    // 1005
    std::optional<arith::Date> date(const json::Value& obj, std::string_view key, const std::string& path,
                                    bool required);
    // 1006: a canonical integer string in ppb, <= rate_max.
    std::optional<std::int64_t> rate(const json::Value& obj, std::string_view key, const std::string& path,
                                     std::int64_t rate_max, bool required);
    std::optional<arith::Basis> basis(const json::Value& obj, std::string_view key, const std::string& path,
                                      bool required);
    // 1001 enum by name: parse(string) -> optional<E>.
    template <typename Parse>
    auto enumeration(const json::Value& obj, std::string_view key, const std::string& path, Parse parse,
                     bool required) -> decltype(parse(std::string_view{})) {
        const auto s = string(obj, key, path, required);
        if (!s) {
            return std::nullopt;
        }
        auto v = parse(*s);
        if (!v) {
            error(Code::kBadEnvelope, join(path, key), "unknown value \"" + *s + "\"");
        }
        return v;
    }

    static std::string join(const std::string& path, std::string_view key);

private:
    struct Entry {
        Code code;
        std::string path;
        std::string reason;
    };
    std::optional<Entry> best_;
};

}  // namespace jc::contracts
