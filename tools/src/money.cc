#include "money.h"

#include <cstdio>

namespace jc::tools {

std::string yuan(std::int64_t fen) {
    const bool negative = fen < 0;
    // Work in unsigned so INT64_MIN has a magnitude.
    const std::uint64_t magnitude = negative ? ~static_cast<std::uint64_t>(fen) + 1 : static_cast<std::uint64_t>(fen);
    const std::uint64_t cents = magnitude % 100;
    return (negative ? "-" : "") + grouped(magnitude / 100) + "." + (cents < 10 ? "0" : "") + std::to_string(cents);
}

std::string grouped(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out.push_back(',');
        }
        out.push_back(digits[i]);
    }
    return out;
}

std::string fixed(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string cny(std::int64_t fen) { return yuan(fen) + " CNY"; }

Result<std::int64_t> parse_fen(const json::Value& v, const std::string& what) {
    if (!v.is_string()) {
        return Error(Errc::kParse, what + ": expected an amount string, got " + v.dump());
    }
    const std::string& s = v.get_ref<const std::string&>();
    const std::size_t digits_at = !s.empty() && s[0] == '-' ? 1 : 0;
    const std::string digits = s.substr(digits_at);
    if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos ||
        (digits.size() > 1 && digits[0] == '0') || (digits_at == 1 && digits == "0")) {
        return Error(Errc::kParse, what + ": \"" + s + "\" is not a canonical integer amount of fen");
    }
    const std::int64_t magnitude = std::stoll(digits);
    return digits_at == 1 ? -magnitude : magnitude;
}

}  // namespace jc::tools
