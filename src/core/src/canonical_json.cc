#include <jc/core/canonical_json.h>

#include <jc/core/assert.h>

#include <limits>
#include <optional>

namespace jc::json {
namespace {

bool is_printable_ascii(unsigned char c) { return c >= 0x20 && c <= 0x7e; }

class Parser {
public:
    Parser(std::string_view text, const ParseLimits& limits) : text_(text), limits_(limits) {}

    Result<Value> parse_document() {
        skip_ws();
        Value v;
        if (!parse_value(v, 1)) {
            return std::move(*error_);
        }
        skip_ws();
        if (pos_ != text_.size()) {
            return fail("unexpected content after the JSON value");
        }
        return v;
    }

private:
    Error fail(std::string_view what) {
        return fail_at(pos_, what);
    }
    Error fail_at(std::size_t at, std::string_view what) {
        Error e(Errc::kParse, "JSON offset " + std::to_string(at) + ": " + std::string(what));
        if (!error_) {
            error_.emplace(e);
        }
        return e;
    }
    bool set_fail(std::string_view what) {
        fail(what);
        return false;
    }
    bool set_fail_limit(std::string_view what) {
        error_.emplace(Errc::kLimit, "JSON offset " + std::to_string(pos_) + ": " + std::string(what));
        return false;
    }

    void skip_ws() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                break;
            }
            ++pos_;
        }
    }

    bool at_end() const { return pos_ >= text_.size(); }

    bool parse_value(Value& out, std::size_t depth) {
        if (at_end()) {
            return set_fail("unexpected end of input, expected a value");
        }
        const char c = text_[pos_];
        switch (c) {
            case '{':
                return parse_object(out, depth);
            case '[':
                return parse_array(out, depth);
            case '"': {
                std::string s;
                if (!parse_string(s)) {
                    return false;
                }
                out = std::move(s);
                return true;
            }
            case 't':
                return parse_literal("true", out, Value(true));
            case 'f':
                return parse_literal("false", out, Value(false));
            case 'n':
                return parse_literal("null", out, Value(nullptr));
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return parse_number(out);
                }
                if (static_cast<unsigned char>(c) >= 0x80) {
                    return set_fail("non-ASCII byte outside a string");
                }
                return set_fail(std::string("unexpected character '") + c + "'");
        }
    }

    bool parse_literal(std::string_view word, Value& out, Value value) {
        if (text_.substr(pos_, word.size()) != word) {
            return set_fail("invalid literal");
        }
        pos_ += word.size();
        out = std::move(value);
        return true;
    }

    bool parse_number(Value& out) {
        const std::size_t start = pos_;
        bool negative = false;
        if (text_[pos_] == '-') {
            negative = true;
            ++pos_;
        }
        if (at_end() || text_[pos_] < '0' || text_[pos_] > '9') {
            return set_fail("invalid number: expected a digit");
        }
        if (text_[pos_] == '0' && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' &&
            text_[pos_ + 1] <= '9') {
            return set_fail("invalid number: leading zero");
        }
        std::uint64_t magnitude = 0;
        bool too_large = false;
        while (!at_end() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
            if (magnitude > (static_cast<std::uint64_t>(kIntegerMax) - digit) / 10) {
                too_large = true;
            } else {
                magnitude = magnitude * 10 + digit;
            }
            ++pos_;
        }
        if (!at_end() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) {
            return fail_at(start, "only integers are allowed (no fraction or exponent)"), false;
        }
        if (too_large) {
            return fail_at(start, "integer outside +/-(2^53 - 1)"), false;
        }
        if (negative && magnitude == 0) {
            return fail_at(start, "-0 is not allowed"), false;
        }
        const auto v = static_cast<std::int64_t>(magnitude);
        out = negative ? -v : v;
        return true;
    }

    static int hex_digit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    bool parse_string(std::string& out) {
        JC_ASSERT(text_[pos_] == '"', "core.json.string_starts_with_quote");
        ++pos_;
        while (true) {
            if (at_end()) {
                return set_fail("unterminated string");
            }
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (out.size() >= limits_.string_bytes_max) {
                return set_fail_limit("string longer than " +
                                      std::to_string(limits_.string_bytes_max) + " bytes");
            }
            if (c == '\\') {
                if (!parse_escape(out)) {
                    return false;
                }
                continue;
            }
            if (c >= 0x80) {
                return set_fail("non-ASCII byte in string (only printable ASCII is allowed)");
            }
            if (!is_printable_ascii(c)) {
                return set_fail("control character in string");
            }
            out.push_back(static_cast<char>(c));
            ++pos_;
        }
    }

    bool parse_escape(std::string& out) {
        ++pos_;  // backslash
        if (at_end()) {
            return set_fail("unterminated escape");
        }
        const char e = text_[pos_];
        char decoded = 0;
        switch (e) {
            case '"': decoded = '"'; break;
            case '\\': decoded = '\\'; break;
            case '/': decoded = '/'; break;
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                return set_fail("escaped control character in string");
            case 'u': {
                if (pos_ + 4 >= text_.size()) {
                    return set_fail("truncated \\u escape");
                }
                int code = 0;
                for (std::size_t i = 1; i <= 4; ++i) {
                    const int d = hex_digit(text_[pos_ + i]);
                    if (d < 0) {
                        return set_fail("invalid \\u escape");
                    }
                    code = code * 16 + d;
                }
                if (code >= 0x80) {
                    return set_fail("\\u escape of a non-ASCII character");
                }
                if (!is_printable_ascii(static_cast<unsigned char>(code))) {
                    return set_fail("escaped control character in string");
                }
                decoded = static_cast<char>(code);
                pos_ += 4;
                break;
            }
            default:
                return set_fail("invalid escape sequence");
        }
        ++pos_;
        out.push_back(decoded);
        return true;
    }

    bool enter(std::size_t depth) {
        if (depth > limits_.depth_max) {
            return set_fail_limit("nesting deeper than " + std::to_string(limits_.depth_max));
        }
        return true;
    }

    bool parse_array(Value& out, std::size_t depth) {
        if (!enter(depth)) {
            return false;
        }
        ++pos_;
        out = Value::array();
        skip_ws();
        if (!at_end() && text_[pos_] == ']') {
            ++pos_;
            return true;
        }
        while (true) {
            if (out.size() >= limits_.container_elements_max) {
                return set_fail_limit("array has more than " +
                                      std::to_string(limits_.container_elements_max) + " elements");
            }
            skip_ws();
            Value element;
            if (!parse_value(element, depth + 1)) {
                return false;
            }
            out.push_back(std::move(element));
            skip_ws();
            if (at_end()) {
                return set_fail("unterminated array");
            }
            if (text_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (text_[pos_] == ']') {
                ++pos_;
                return true;
            }
            return set_fail("expected ',' or ']' in array");
        }
    }

    bool parse_object(Value& out, std::size_t depth) {
        if (!enter(depth)) {
            return false;
        }
        ++pos_;
        out = Value::object();
        skip_ws();
        if (!at_end() && text_[pos_] == '}') {
            ++pos_;
            return true;
        }
        while (true) {
            if (out.size() >= limits_.container_elements_max) {
                return set_fail_limit("object has more than " +
                                      std::to_string(limits_.container_elements_max) + " members");
            }
            skip_ws();
            if (at_end() || text_[pos_] != '"') {
                return set_fail("expected a string key in object");
            }
            const std::size_t key_at = pos_;
            std::string key;
            if (!parse_string(key)) {
                return false;
            }
            if (out.contains(key)) {
                return fail_at(key_at, "duplicate key \"" + key + "\""), false;
            }
            skip_ws();
            if (at_end() || text_[pos_] != ':') {
                return set_fail("expected ':' after object key");
            }
            ++pos_;
            skip_ws();
            Value member;
            if (!parse_value(member, depth + 1)) {
                return false;
            }
            out.emplace(std::move(key), std::move(member));
            skip_ws();
            if (at_end()) {
                return set_fail("unterminated object");
            }
            if (text_[pos_] == ',') {
                ++pos_;
                continue;
            }
            if (text_[pos_] == '}') {
                ++pos_;
                return true;
            }
            return set_fail("expected ',' or '}' in object");
        }
    }

    std::string_view text_;
    const ParseLimits& limits_;
    std::size_t pos_ = 0;
    std::optional<Error> error_;
};

Status check_string(const std::string& s, std::string_view where) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (!is_printable_ascii(c)) {
            return Error(Errc::kInvalidArgument, std::string(where) + ": byte " + std::to_string(i) +
                                                     " of a string is not printable ASCII");
        }
    }
    return {};
}

Status check_value(const Value& v, std::size_t depth, std::size_t depth_max) {
    switch (v.type()) {
        case Value::value_t::null:
        case Value::value_t::boolean:
            return {};
        case Value::value_t::number_integer: {
            const auto n = v.get<std::int64_t>();
            if (n > kIntegerMax || n < -kIntegerMax) {
                return Error(Errc::kInvalidArgument, "integer outside +/-(2^53 - 1)");
            }
            return {};
        }
        case Value::value_t::number_unsigned:
            if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(kIntegerMax)) {
                return Error(Errc::kInvalidArgument, "integer outside +/-(2^53 - 1)");
            }
            return {};
        case Value::value_t::number_float:
            return Error(Errc::kInvalidArgument, "floating-point numbers are not allowed");
        case Value::value_t::string:
            return check_string(v.get_ref<const std::string&>(), "string");
        case Value::value_t::array:
        case Value::value_t::object: {
            if (depth > depth_max) {
                return Error(Errc::kLimit, "nesting deeper than " + std::to_string(depth_max));
            }
            for (auto it = v.begin(); it != v.end(); ++it) {
                if (v.is_object()) {
                    JC_TRY_STATUS(check_string(it.key(), "key"));
                }
                JC_TRY_STATUS(check_value(*it, depth + 1, depth_max));
            }
            return {};
        }
        case Value::value_t::binary:
        case Value::value_t::discarded:
            return Error(Errc::kInvalidArgument, "value type outside the JSON subset");
    }
    return Error(Errc::kInvalidArgument, "unknown JSON value type");
}

void write_string(const std::string& s, std::string& out) {
    out.push_back('"');
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    out.push_back('"');
}

void write_canonical(const Value& v, std::string& out) {
    switch (v.type()) {
        case Value::value_t::null:
            out += "null";
            return;
        case Value::value_t::boolean:
            out += v.get<bool>() ? "true" : "false";
            return;
        case Value::value_t::number_integer:
            out += std::to_string(v.get<std::int64_t>());
            return;
        case Value::value_t::number_unsigned:
            out += std::to_string(v.get<std::uint64_t>());
            return;
        case Value::value_t::string:
            write_string(v.get_ref<const std::string&>(), out);
            return;
        case Value::value_t::array: {
            out.push_back('[');
            bool first = true;
            for (const auto& element : v) {
                if (!first) {
                    out.push_back(',');
                }
                first = false;
                write_canonical(element, out);
            }
            out.push_back(']');
            return;
        }
        case Value::value_t::object: {
            // nlohmann::json's object_t is a std::map, so iteration is in key-byte order, which
            // for ASCII keys is RFC 8785's UTF-16 code-unit order.
            out.push_back('{');
            bool first = true;
            for (auto it = v.begin(); it != v.end(); ++it) {
                if (!first) {
                    out.push_back(',');
                }
                first = false;
                write_string(it.key(), out);
                out.push_back(':');
                write_canonical(*it, out);
            }
            out.push_back('}');
            return;
        }
        case Value::value_t::number_float:
        case Value::value_t::binary:
        case Value::value_t::discarded:
            break;
    }
    JC_UNREACHABLE("core.json.canonicalize_requires_subset");
}


// A scanner that says whether `text` is already the canonical form of a value inside the subset,
// without building the value (ADR 0130). It is sound, not complete: whenever it is unsure (a
// limit reached, any byte the canonical form would not have) it answers false, and the caller
// runs parse_strict + canonicalize for the verdict and the precise error.
class CanonicalScanner {
public:
    CanonicalScanner(std::string_view text, const ParseLimits& limits) : text_(text), limits_(limits) {}

    bool document() { return value(1) && pos_ == text_.size(); }

private:
    bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

    bool value(std::size_t depth) {
        if (pos_ >= text_.size()) {
            return false;
        }
        switch (text_[pos_]) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string(nullptr);
            case 't':
                return literal("true");
            case 'f':
                return literal("false");
            case 'n':
                return literal("null");
            default:
                return integer();
        }
    }

    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) {
            return false;
        }
        pos_ += word.size();
        return true;
    }

    // Shortest decimal form of an integer in [-(2^53 - 1), 2^53 - 1]: no '+', no leading zero,
    // no "-0".
    bool integer() {
        const bool negative = at('-');
        pos_ += negative ? 1 : 0;
        if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') {
            return false;
        }
        if (text_[pos_] == '0') {
            ++pos_;
            return !negative;  // "0" alone; "-0" and a digit after "0" are never canonical
        }
        std::uint64_t magnitude = 0;
        std::size_t digits = 0;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            if (++digits > 16) {
                return false;  // 2^53 - 1 has 16 digits
            }
            magnitude = magnitude * 10 + static_cast<std::uint64_t>(text_[pos_] - '0');
            ++pos_;
        }
        return magnitude <= static_cast<std::uint64_t>(kIntegerMax);
    }

    // Canonical strings escape exactly '"' and '\' and hold printable ASCII otherwise. With `key`,
    // the unescaped bytes are stored there (for the key order check).
    bool string(std::string* key) {
        ++pos_;  // opening quote
        const std::size_t start = pos_;
        if (key != nullptr) {
            key->clear();
        }
        while (pos_ < text_.size()) {
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                // Raw length bounds the unescaped length from above, so this is conservative.
                if (pos_ - start > limits_.string_bytes_max) {
                    return false;
                }
                ++pos_;
                return true;
            }
            if (c == '\\') {
                if (pos_ + 1 >= text_.size() || (text_[pos_ + 1] != '"' && text_[pos_ + 1] != '\\')) {
                    return false;
                }
                ++pos_;
            } else if (!is_printable_ascii(c)) {
                return false;
            }
            if (key != nullptr) {
                key->push_back(text_[pos_]);
            }
            ++pos_;
        }
        return false;
    }

    bool array(std::size_t depth) {
        if (depth > limits_.depth_max) {
            return false;
        }
        ++pos_;
        if (at(']')) {
            ++pos_;
            return true;
        }
        for (std::size_t n = 1;; ++n) {
            if (n > limits_.container_elements_max || !value(depth + 1)) {
                return false;
            }
            if (at(']')) {
                ++pos_;
                return true;
            }
            if (!at(',')) {
                return false;
            }
            ++pos_;
        }
    }

    // Members in strictly increasing key-byte order: sorted (RFC 8785 order for ASCII keys) and
    // without duplicates.
    bool object(std::size_t depth) {
        if (depth > limits_.depth_max) {
            return false;
        }
        ++pos_;
        if (at('}')) {
            ++pos_;
            return true;
        }
        std::string previous;
        std::string key;
        for (std::size_t n = 1;; ++n) {
            if (n > limits_.container_elements_max || !at('"') || !string(&key)) {
                return false;
            }
            if (n > 1 && !(previous < key)) {
                return false;
            }
            if (!at(':')) {
                return false;
            }
            ++pos_;
            if (!value(depth + 1)) {
                return false;
            }
            if (at('}')) {
                ++pos_;
                return true;
            }
            if (!at(',')) {
                return false;
            }
            ++pos_;
            previous.swap(key);
        }
    }

    std::string_view text_;
    const ParseLimits& limits_;
    std::size_t pos_ = 0;
};

}  // namespace

bool is_canonical(std::string_view text, const ParseLimits& limits) {
    if (text.size() > limits.document_bytes_max) {
        return false;
    }
    CanonicalScanner scanner(text, limits);
    return scanner.document();
}

Result<Value> parse_strict(std::string_view text, const ParseLimits& limits) {
    if (text.size() > limits.document_bytes_max) {
        return Error(Errc::kLimit, "JSON document of " + std::to_string(text.size()) +
                                       " bytes exceeds limit " +
                                       std::to_string(limits.document_bytes_max));
    }
    Parser parser(text, limits);
    return parser.parse_document();
}

Status check_subset(const Value& value, std::size_t depth_max) {
    return check_value(value, 1, depth_max);
}

std::string canonicalize(const Value& value) {
    std::string out;
    out.reserve(256);
    write_canonical(value, out);
    return out;
}

}  // namespace jc::json
