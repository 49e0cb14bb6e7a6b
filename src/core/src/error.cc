#include <jc/core/error.h>

namespace jc {

std::string_view errc_name(Errc errc) {
    switch (errc) {
        case Errc::kInvalidArgument: return "invalid argument";
        case Errc::kParse: return "parse error";
        case Errc::kLimit: return "limit exceeded";
        case Errc::kCrypto: return "crypto error";
        case Errc::kNotFound: return "not found";
        case Errc::kAlreadyExists: return "already exists";
        case Errc::kCorruption: return "corruption";
        case Errc::kIo: return "i/o error";
        case Errc::kPermission: return "permission denied";
        case Errc::kUnavailable: return "unavailable";
        case Errc::kInternal: return "internal error";
    }
    return "unknown error";
}

std::string Error::to_string() const {
    std::string out(errc_name(code_));
    out += ": ";
    out += message_;
    return out;
}

Error Error::with_context(std::string_view context) const {
    std::string message(context);
    message += ": ";
    message += message_;
    return {code_, std::move(message)};
}

}  // namespace jc
