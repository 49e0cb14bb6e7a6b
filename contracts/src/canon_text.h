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

#include <algorithm>
#include <charconv>
#include <cstring>
#include <cstdint>
#include <string>
#include <string_view>

namespace jc::contracts::canon {

// The text under construction: a std::string used as a plain buffer (its size is the capacity,
// n_ the length written), so that each piece is one bounds check and one copy rather than a
// growth check per character; a repayment's receipt has ~45 keys and ~30 values.
class Buffer {
protected:
    Buffer(std::size_t reserve_bytes, char open) : s_(reserve_bytes < 16 ? 16 : reserve_bytes, '\0') {
        s_[0] = open;
    }

    // Inline, with the growth out of line: as one function GCC kept it a call per piece.
    char* room(std::size_t need) {
        if (n_ + need > s_.size()) [[unlikely]] {
            grow(need);
        }
        return s_.data() + n_;
    }
    [[gnu::noinline]] void grow(std::size_t need) { s_.resize(std::max(2 * s_.size(), n_ + need)); }
    void put(char c) {
        *room(1) = c;
        ++n_;
    }
    void put_raw(std::string_view v) {
        std::memcpy(room(v.size()), v.data(), v.size());
        n_ += v.size();
    }
    // A JSON string: only '"' and '\' escaped (json::canonicalize's rule for the subset).
    void put_string(std::string_view v) {
        std::size_t escapes = 0;
        for (const char c : v) {
            escapes += (c == '"' || c == '\\') ? 1 : 0;
        }
        char* p = room(v.size() + escapes + 2);
        *p++ = '"';
        if (escapes == 0) {
            std::memcpy(p, v.data(), v.size());
            p += v.size();
        } else {
            for (const char c : v) {
                if (c == '"' || c == '\\') {
                    *p++ = '\\';
                }
                *p++ = c;
            }
        }
        *p++ = '"';
        n_ = static_cast<std::size_t>(p - s_.data());
    }
    void put_int(std::int64_t v) {
        char* p = room(20);  // "-9223372036854775808" is 20 characters
        const auto r = std::to_chars(p, p + 20, v);
        n_ = static_cast<std::size_t>(r.ptr - s_.data());
    }
    // The integer as a JSON string: one bounds check for the quotes and the digits.
    void put_quoted_int(std::int64_t v) {
        char* p = room(22);
        *p++ = '"';
        p = std::to_chars(p, p + 20, v).ptr;
        *p++ = '"';
        n_ = static_cast<std::size_t>(p - s_.data());
    }
    // `"text":`, after a comma unless `first`. `text` needs no escaping (Key checks).
    void put_key(std::string_view text, bool first) {
        char* p = room(text.size() + 4);
        if (!first) {
            *p++ = ',';
        }
        *p++ = '"';
        std::memcpy(p, text.data(), text.size());
        p += text.size();
        *p++ = '"';
        *p++ = ':';
        n_ = static_cast<std::size_t>(p - s_.data());
    }
    std::string finish(char close) {
        put(close);
        s_.resize(n_);
        return std::move(s_);
    }

private:
    std::string s_;
    std::size_t n_ = 1;
};

// An object key: a string literal checked at compile time to need no escaping (printable ASCII
// other than '"' and '\'), so writing it is one copy.
struct Key {
    template <std::size_t N>
    consteval Key(const char (&k)[N]) : text(k, N - 1) {  // NOLINT: implicit from literals by design
        for (const char c : text) {
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                throw "an object key must be printable ASCII without '\"' or '\\'";
            }
        }
    }
    std::string_view text;
};

// An object under construction. Keys are string literals (Key).
class Obj : private Buffer {
public:
    // `reserve_bytes`: the expected text size, so that building it does not reallocate.
    explicit Obj(std::size_t reserve_bytes = 128) : Buffer(reserve_bytes, '{') {}

    Obj& str(Key k, std::string_view v) {
        key(k);
        put_string(v);
        return *this;
    }
    Obj& num(Key k, std::int64_t v) {
        key(k);
        put_int(v);
        return *this;
    }
    // An amount: an integer as a JSON string (API.md: amounts are strings of integer fen).
    Obj& amt(Key k, std::int64_t v) {
        key(k);
        put_quoted_int(v);
        return *this;
    }
    Obj& boolean(Key k, bool v) {
        key(k);
        put_raw(v ? std::string_view("true") : std::string_view("false"));
        return *this;
    }
    // `canonical` must itself be canonical JSON text (an Obj's or Arr's take()).
    Obj& raw(Key k, std::string_view canonical) {
        key(k);
        put_raw(canonical);
        return *this;
    }

    std::string take() { return finish('}'); }

private:
    void key(Key k) {
        JC_ASSERT(first_ || ascending(last_, k.text), "contracts.canon.object_keys_ascending");
        put_key(k.text, first_);
        first_ = false;
        last_ = k.text;
    }

    // last < next in byte order; most neighbouring keys differ in their first byte, which is
    // compared inline (a string_view comparison is a memcmp call per key).
    static bool ascending(std::string_view last, std::string_view next) {
        if (!last.empty() && !next.empty() && last[0] != next[0]) {
            return static_cast<unsigned char>(last[0]) < static_cast<unsigned char>(next[0]);
        }
        return last < next;
    }

    std::string_view last_;
    bool first_ = true;
};

// An array under construction; elements in the order given.
class Arr : private Buffer {
public:
    explicit Arr(std::size_t reserve_bytes = 128) : Buffer(reserve_bytes, '[') {}

    Arr& raw(std::string_view canonical) {
        sep();
        put_raw(canonical);
        return *this;
    }
    Arr& str(std::string_view v) {
        sep();
        put_string(v);
        return *this;
    }

    std::string take() { return finish(']'); }

private:
    void sep() {
        if (!first_) {
            put(',');
        }
        first_ = false;
    }

    bool first_ = true;
};

}  // namespace jc::contracts::canon
