#include "form.h"

#include <jc/contracts/arith/checked.h>
#include <jc/ledger/transaction.h>

#include <algorithm>

namespace jc::contracts {

namespace {
bool is_id_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == ':' || c == '-';
}
}  // namespace

std::string Form::join(const std::string& path, std::string_view key) {
    if (path.empty()) {
        return std::string(key);
    }
    return path + "." + std::string(key);
}

void Form::error(Code code, std::string path, std::string reason) {
    // Lowest code wins; among equal codes the first recorded.
    if (!best_ || code_number(code) < code_number(best_->code)) {
        best_ = Entry{code, std::move(path), std::move(reason)};
    }
}

Failure Form::failure() const {
    return reject(best_->code, json::Value{{"field", best_->path}, {"reason", best_->reason}});
}

bool Form::object(const json::Value& value, const std::string& path, std::initializer_list<std::string_view> allowed) {
    if (!value.is_object()) {
        error(Code::kBadEnvelope, path.empty() ? "body" : path, "must be an object");
        return false;
    }
    bool ok = true;
    for (const auto& [k, v] : value.items()) {
        if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) == allowed.end()) {
            error(Code::kBadEnvelope, join(path, k), "unknown field");
            ok = false;
        }
    }
    return ok;
}

const json::Value* Form::field(const json::Value& obj, std::string_view key, const std::string& path, bool required) {
    if (!obj.is_object()) {
        return nullptr;
    }
    const auto it = obj.find(key);
    if (it == obj.end()) {
        if (required) {
            error(Code::kBadEnvelope, join(path, key), "missing");
        }
        return nullptr;
    }
    return &*it;
}

std::optional<std::string> Form::string(const json::Value& obj, std::string_view key, const std::string& path,
                                        bool required) {
    const json::Value* v = field(obj, key, path, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        error(Code::kBadEnvelope, join(path, key), "must be a string");
        return std::nullopt;
    }
    return v->get<std::string>();
}

std::optional<std::string> Form::id(const json::Value& obj, std::string_view key, const std::string& path,
                                    std::size_t max_len, bool required) {
    auto s = string(obj, key, path, required);
    if (!s) {
        return std::nullopt;
    }
    if (s->empty() || s->size() > max_len || !std::all_of(s->begin(), s->end(), is_id_char)) {
        error(Code::kBadEnvelope, join(path, key),
              "must be 1-" + std::to_string(max_len) + " characters of [A-Za-z0-9_.:-]");
        return std::nullopt;
    }
    return s;
}

std::optional<std::string> Form::bank_id(const json::Value& obj, std::string_view key, const std::string& path,
                                         bool required) {
    auto s = string(obj, key, path, required);
    if (!s) {
        return std::nullopt;
    }
    if (!ledger::check_bank_id(*s)) {
        error(Code::kBadEnvelope, join(path, key), "bank id must be 1-16 characters of [A-Z0-9_]");
        return std::nullopt;
    }
    return s;
}

std::optional<std::string> Form::hex64(const json::Value& obj, std::string_view key, const std::string& path,
                                       bool required) {
    auto s = string(obj, key, path, required);
    if (!s) {
        return std::nullopt;
    }
    const bool ok = s->size() == 64 && std::all_of(s->begin(), s->end(), [](char c) {
                        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                    });
    if (!ok) {
        error(Code::kBadEnvelope, join(path, key), "must be 64 lowercase hex digits");
        return std::nullopt;
    }
    return s;
}

std::optional<std::int64_t> Form::integer(const json::Value& obj, std::string_view key, const std::string& path,
                                          std::int64_t min, std::int64_t max, bool required) {
    const json::Value* v = field(obj, key, path, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_number_integer()) {
        error(Code::kBadEnvelope, join(path, key), "must be a JSON integer");
        return std::nullopt;
    }
    const auto n = v->get<std::int64_t>();
    if (n < min || n > max) {
        error(Code::kBadEnvelope, join(path, key),
              "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
        return std::nullopt;
    }
    return n;
}

std::optional<bool> Form::boolean(const json::Value& obj, std::string_view key, const std::string& path,
                                  bool required) {
    const json::Value* v = field(obj, key, path, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_boolean()) {
        error(Code::kBadEnvelope, join(path, key), "must be true or false");
        return std::nullopt;
    }
    return v->get<bool>();
}

std::optional<std::int64_t> Form::amount(const json::Value& obj, std::string_view key, const std::string& path,
                                         bool positive, bool required) {
    const json::Value* v = field(obj, key, path, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        error(Code::kBadAmount, join(path, key), "amounts are strings of integer fen, never JSON numbers");
        return std::nullopt;
    }
    const auto a = arith::parse_amount(v->get_ref<const std::string&>());
    if (!a) {
        error(Code::kBadAmount, join(path, key),
              "must match ^(0|[1-9][0-9]{0,15})$ and be at most 1000000000000000 fen");
        return std::nullopt;
    }
    if (positive && *a == 0) {
        error(Code::kBadAmount, join(path, key), "must be positive");
        return std::nullopt;
    }
    return a;
}

void Form::currency(const json::Value& obj, std::string_view key, const std::string& path) {
    const json::Value* v = field(obj, key, path, true);
    if (v == nullptr) {
        return;
    }
    if (!v->is_string() || v->get_ref<const std::string&>() != "CNY") {
        error(Code::kBadCurrency, join(path, key), "only \"CNY\" is supported");
    }
}

std::optional<arith::Date> Form::date(const json::Value& obj, std::string_view key, const std::string& path,
                                      bool required) {
    const json::Value* v = field(obj, key, path, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    std::optional<arith::Date> d;
    if (v->is_string()) {
        d = arith::parse_date(v->get_ref<const std::string&>());
    }
    if (!d) {
        error(Code::kBadDate, join(path, key), "must be a calendar date \"YYYY-MM-DD\"");
    }
    return d;
}

std::optional<std::int64_t> Form::rate(const json::Value& obj, std::string_view key, const std::string& path,
                                       std::int64_t rate_max, bool required) {
    const json::Value* v = field(obj, key, path, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    std::optional<std::int64_t> r;
    if (v->is_string()) {
        r = arith::parse_uint_string(v->get_ref<const std::string&>(), 18);
    }
    if (!r) {
        error(Code::kBadRate, join(path, key), "rates are canonical non-negative integer strings in ppb");
        return std::nullopt;
    }
    if (*r > rate_max) {
        error(Code::kBadRate, join(path, key), "above the maximum rate of " + std::to_string(rate_max) + " ppb");
        return std::nullopt;
    }
    return r;
}

std::optional<arith::Basis> Form::basis(const json::Value& obj, std::string_view key, const std::string& path,
                                        bool required) {
    const json::Value* v = field(obj, key, path, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    std::optional<arith::Basis> b;
    if (v->is_string()) {
        b = arith::parse_basis(v->get_ref<const std::string&>());
    }
    if (!b) {
        error(Code::kBadRate, join(path, key), "basis must be \"DAILY\", \"ACT/360\" or \"ACT/365F\"");
    }
    return b;
}

}  // namespace jc::contracts
