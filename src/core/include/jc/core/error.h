// Error, Result<T> and Status: the project's way of returning expected failures.
//
// A fallible call returns Result<T> (a value or an Error) or Status (success or an Error).
// Both are [[nodiscard]]. Errors carry a coarse category (Errc) for programmatic handling and a
// precise human-readable message naming what is wrong and where (field, offset, height).
// Programmer errors are not Errors: they are JC_ASSERT failures (see assert.h).
//
// Thread-safety: plain values; safe to move between threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace jc {

// Coarse categories. Stable: callers switch on them.
enum class Errc : std::uint8_t {
    kInvalidArgument,  // input does not have the required form
    kParse,            // bytes or text could not be decoded
    kLimit,            // a named limit was exceeded (size, depth, count)
    kCrypto,           // a key, signature or hash does not check out
    kNotFound,         // the thing asked for does not exist
    kAlreadyExists,    // refusing to overwrite
    kCorruption,       // stored data is inconsistent
    kIo,               // the operating system refused (disk full, permission, ...)
    kPermission,       // file mode or authorisation refused
    kUnavailable,      // try again later (not ready, busy)
    kInternal,         // should not happen; reported rather than asserted
};

std::string_view errc_name(Errc errc);

class Error {
public:
    Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

    [[nodiscard]] Errc code() const { return code_; }
    [[nodiscard]] const std::string& message() const { return message_; }
    // "category: message", for logs and CLI output.
    [[nodiscard]] std::string to_string() const;

    // Returns a copy whose message is prefixed with `context: `, for errors passed up a layer.
    [[nodiscard]] Error with_context(std::string_view context) const;

private:
    Errc code_;
    std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    // REQUIRES: ok().
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    // REQUIRES: !ok().
    [[nodiscard]] const Error& error() const& { return std::get<1>(v_); }
    [[nodiscard]] Error&& error() && { return std::get<1>(std::move(v_)); }

private:
    std::variant<T, Error> v_;
};

// Success or an Error.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

    static Status ok_status() { return {}; }

    [[nodiscard]] bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    // REQUIRES: !ok().
    [[nodiscard]] const Error& error() const { return error_; }

private:
    Error error_{Errc::kInternal, ""};
    bool failed_ = false;
};

inline Error make_error(Errc code, std::string message) { return {code, std::move(message)}; }

}  // namespace jc

// Propagates a failed Result/Status out of the enclosing function.
#define JC_TRY_STATUS(expr)                      \
    do {                                         \
        if (auto jc_try_s_ = (expr); !jc_try_s_) \
            return jc_try_s_.error();            \
    } while (false)

// Assigns the value of a Result expression to `lhs` or returns its error.
#define JC_ASSIGN_OR_RETURN(lhs, expr)      \
    auto JC_CONCAT_(jc_r_, __LINE__) = (expr); \
    if (!JC_CONCAT_(jc_r_, __LINE__))          \
        return std::move(JC_CONCAT_(jc_r_, __LINE__)).error(); \
    lhs = std::move(JC_CONCAT_(jc_r_, __LINE__)).value()
#define JC_CONCAT_INNER_(a, b) a##b
#define JC_CONCAT_(a, b) JC_CONCAT_INNER_(a, b)
