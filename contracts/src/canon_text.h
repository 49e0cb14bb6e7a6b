// Canonical JSON text written directly, without an nlohmann tree: the bytes json::canonicalize
// (src/core canonical_json.h, RFC 8785 within the protocol's subset) would give for the same
// value. Receipt results are produced for every transaction and stored as this text; building a
// tree and canonicalising it afterwards was about a fifth of a repayment's cost (ADR 0120).
//
// Rules, the same as json::canonicalize's: members in ascending key byte order (a misordered or
// repeated key is a programming error and trips JC_ASSERT, so a renderer cannot emit a
// non-canonical object), no whitespace, integers in shortest decimal form, strings with only
// '"' and '\' escaped. As with canonicalize, strings are expected to be printable ASCII already
// (validated transaction fields, stored records written from them, or the engine's constants).
//
// Usage: canon::Obj().str("a", x).num("b", 1).raw("c", canon::Arr().raw(t).take()).take().
// Value types; not thread-safe (one writer per object being built). Private to jc_contracts.
#pragma once

#include <jc/core/assert.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace jc::contracts::canon {

inline void append_string(std::string& out, std::string_view s) {
    out.push_back('"');
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    out.push_back('"');
}

inline void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// An object under construction. Keys are expected to be string literals or otherwise outlive
// the Obj (the last one is kept as a view for the ordering check).
class Obj {
public:
    Obj() {
        s_.reserve(128);
        s_.push_back('{');
    }

    Obj& str(std::string_view k, std::string_view v) {
        key(k);
        append_string(s_, v);
        return *this;
    }
    Obj& num(std::string_view k, std::int64_t v) {
        key(k);
        append_int(s_, v);
        return *this;
    }
    // An amount: an integer as a JSON string (API.md: amounts are strings of integer fen).
    Obj& amt(std::string_view k, std::int64_t v) {
        key(k);
        s_.push_back('"');
        append_int(s_, v);
        s_.push_back('"');
        return *this;
    }
    Obj& boolean(std::string_view k, bool v) {
        key(k);
        s_ += v ? "true" : "false";
        return *this;
    }
    // `canonical` must itself be canonical JSON text (an Obj's or Arr's take()).
    Obj& raw(std::string_view k, std::string_view canonical) {
        key(k);
        s_ += canonical;
        return *this;
    }

    std::string take() {
        s_.push_back('}');
        return std::move(s_);
    }

private:
    void key(std::string_view k) {
        JC_ASSERT(first_ || last_ < k, "contracts.canon.object_keys_ascending");
        if (!first_) {
            s_.push_back(',');
        }
        first_ = false;
        last_ = k;
        append_string(s_, k);
        s_.push_back(':');
    }

    std::string s_;
    std::string_view last_;
    bool first_ = true;
};

// An array under construction; elements in the order given.
class Arr {
public:
    Arr() { s_.push_back('['); }

    Arr& raw(std::string_view canonical) {
        sep();
        s_ += canonical;
        return *this;
    }
    Arr& str(std::string_view v) {
        sep();
        append_string(s_, v);
        return *this;
    }

    std::string take() {
        s_.push_back(']');
        return std::move(s_);
    }

private:
    void sep() {
        if (s_.size() > 1) {
            s_.push_back(',');
        }
    }

    std::string s_;
};

}  // namespace jc::contracts::canon
