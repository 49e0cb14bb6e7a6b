#include <jc/contracts/records.h>
#include <jc/core/assert.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>

#include "record_ints.h"

namespace jc::contracts {

// ---------------------------------------------------------------- keys

namespace keys {
namespace {
// Writes the parts joined by '/' into `out`, reusing its capacity; a copy per part. Keys are
// built ~35 times per repayment (ADR 0140).
void join_into(std::string& out, std::initializer_list<std::string_view> parts) {
    std::size_t n = parts.size() - 1;  // the separators; every caller passes at least two parts
    for (auto p : parts) {
        n += p.size();
    }
    out.assign(n, '/');
    char* w = out.data();
    for (auto p : parts) {
        if (!p.empty()) {
            std::memcpy(w, p.data(), p.size());
        }
        w += p.size() + 1;  // over the separator already in place
    }
}

std::string join(std::initializer_list<std::string_view> parts) {
    std::string out;
    join_into(out, parts);
    return out;
}

// Four digits by construction (1100..5200).
std::array<char, 4> code_text(AccountCode code) {
    auto v = static_cast<unsigned>(code);
    std::array<char, 4> out{};
    for (int i = 3; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return out;
}
}  // namespace

std::string params() { return "gv/params"; }
std::string member(std::string_view bank_id) { return join({"mb", bank_id}); }
std::string partnership(std::string_view id) { return join({"pt", id}); }
std::string loan(std::string_view loan_id) { return join({"ln", loan_id}); }

std::string event(std::string_view loan_id, std::uint32_t event_seq) {
    // Ten digits, zero-padded (every uint32 fits): byte order = numeric order.
    std::array<char, 10> digits{};
    for (auto d = digits.rbegin(); d != digits.rend(); ++d) {
        *d = static_cast<char>('0' + event_seq % 10);
        event_seq /= 10;
    }
    return join({"ev", loan_id, std::string_view(digits.data(), digits.size())});
}
std::string event_prefix(std::string_view loan_id) { return join({"ev", loan_id, ""}); }

std::string account(std::string_view bank_id, AccountCode code, std::string_view counterparty) {
    std::string out;
    account_into(out, bank_id, code, counterparty);
    return out;
}
void account_into(std::string& out, std::string_view bank_id, AccountCode code,
                  std::string_view counterparty) {
    const std::array<char, 4> code_digits = code_text(code);
    join_into(out, {"ac", bank_id, std::string_view(code_digits.data(), code_digits.size()),
                    counterparty});
}
std::string account_prefix(std::string_view bank_id) { return join({"ac", bank_id, ""}); }

std::string idempotency(std::string_view bank_id, std::string_view client_ref) {
    return join({"id", bank_id, client_ref});
}
std::string channel_ref(std::string_view bank_id, std::string_view ref) { return join({"ch", bank_id, ref}); }
std::string borrower(std::string_view product_code, std::string_view borrower_ref) {
    return join({"bw", product_code, borrower_ref});
}
std::string current_cycle() { return "cy/current"; }
std::string cycle(std::string_view cycle_id) { return join({"cy", "id", cycle_id}); }
std::string obligation(std::string_view cycle_id, std::string_view debtor, std::string_view creditor,
                       Category category) {
    std::string out;
    obligation_into(out, cycle_id, debtor, creditor, category);
    return out;
}
void obligation_into(std::string& out, std::string_view cycle_id, std::string_view debtor,
                     std::string_view creditor, Category category) {
    join_into(out, {"ob", cycle_id, debtor, creditor, name(category)});
}
std::string obligation_prefix(std::string_view cycle_id) { return join({"ob", cycle_id, ""}); }
std::string aggregate(std::string_view bank_id) { return join({"ag", bank_id}); }
std::string proposal(std::string_view loan_id) { return join({"lp", loan_id}); }
std::string proposal_expiry(arith::Date expires_after, std::string_view loan_id) {
    const arith::Civil c = arith::civil_from_days(expires_after);
    char buf[48];  // room for any int/unsigned, though business dates give exactly 8 digits
    std::snprintf(buf, sizeof buf, "%04d%02u%02u", static_cast<int>(c.year), static_cast<unsigned>(c.month),
                  static_cast<unsigned>(c.day));  // years 0001-9999: byte order = date order
    return join({"lx", buf, loan_id});
}
std::string reserved_partnership(std::string_view partnership_id) { return join({"rs", "pt", partnership_id}); }
std::string reserved_pair(std::string_view servicer, std::string_view partner) {
    return join({"rs", "pr", servicer, partner});
}

std::optional<AccountKey> parse_account(std::string_view key) {
    if (key.substr(0, kAccountPrefix.size()) != kAccountPrefix) {
        return std::nullopt;
    }
    key.remove_prefix(kAccountPrefix.size());
    const auto slash1 = key.find('/');
    if (slash1 == std::string_view::npos) {
        return std::nullopt;
    }
    const auto rest = key.substr(slash1 + 1);
    if (rest.size() < 5 || rest[4] != '/') {
        return std::nullopt;
    }
    unsigned code = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        if (rest[i] < '0' || rest[i] > '9') {
            return std::nullopt;
        }
        code = code * 10 + static_cast<unsigned>(rest[i] - '0');
    }
    const auto parsed = parse_account_code(static_cast<std::uint16_t>(code));
    if (!parsed) {
        return std::nullopt;
    }
    return AccountKey{std::string(key.substr(0, slash1)), *parsed, std::string(rest.substr(5))};
}
}  // namespace keys

// ---------------------------------------------------------------- helpers on records

const ProductTerms& Params::product(std::string_view code) const {
    const auto it = std::lower_bound(products.begin(), products.end(), code,
                                     [](const ProductTerms& p, std::string_view c) { return p.product_code < c; });
    if (it != products.end() && it->product_code == code) {
        return *it;
    }
    return default_product;
}

std::string check_params(const Params& p) {
    if (p.max_rate_ppb < 0) {
        return "max_rate_ppb: must be non-negative";
    }
    if (p.npl_dpd_threshold < 1) {
        return "npl_dpd_threshold: must be positive";
    }
    // Settlement schedule: the rules of ADR 0051 (genesis checks the same).
    if (p.cycle_cutoffs_minutes.size() > kCycleCutoffsMax) {
        return "cycle_cutoffs: at most " + std::to_string(kCycleCutoffsMax) + " cutoffs";
    }
    for (std::size_t i = 0; i < p.cycle_cutoffs_minutes.size(); ++i) {
        const std::uint32_t m = p.cycle_cutoffs_minutes[i];
        if (m < 1 || m > 24 * 60 || (i > 0 && m <= p.cycle_cutoffs_minutes[i - 1])) {
            return "cycle_cutoffs: must be strictly increasing times in [00:01, 24:00] CST";
        }
    }
    for (const auto* list : {&p.holidays, &p.working_weekends}) {
        const char* what = list == &p.holidays ? "holidays" : "working_weekends";
        if (list->size() > kCalendarDatesMax) {
            return std::string(what) + ": at most " + std::to_string(kCalendarDatesMax) + " dates";
        }
        for (std::size_t i = 0; i < list->size(); ++i) {
            if ((*list)[i] < arith::kDateMin || (*list)[i] > arith::kDateMax) {
                return std::string(what) + ": date outside the calendar";
            }
            if (i > 0 && (*list)[i] <= (*list)[i - 1]) {
                return std::string(what) + ": must be sorted and unique";
            }
        }
    }
    if (p.rate_bases == 0 || (p.rate_bases & ~kAllRateBases) != 0) {
        return "rate_bases: at least one known basis";
    }
    if (p.governance_quorum_bps < 1 || p.governance_quorum_bps > 10000) {
        return "governance_quorum_bps: must be in [1, 10000]";
    }
    if (p.governance_ttl_days < 1 || p.governance_ttl_days > 366) {
        return "governance_ttl_days: must be in [1, 366]";
    }
    if (!known_record_version(static_cast<std::uint8_t>(p.record_version))) {
        return "record_version: must be 1 or 2";
    }
    // Whether the agent is an ACTIVE member is checked where the member register is at hand
    // (governance.set_params, genesis).
    if ((p.netting == NettingMode::kMultilateral) == p.settlement_agent.empty()) {
        return "settlement_agent: required with MULTILATERAL netting and only then";
    }
    if (p.settlement_agent.size() > kIdLengthMax) {
        return "settlement_agent: too long";
    }
    return "";
}

std::int64_t Loan::principal_out() const {
    std::int64_t sum = 0;
    for (const auto& t : tranches) {
        sum += t.principal_out;  // each <= principal <= kMaxAmount, at most 8: no overflow
    }
    return sum;
}

std::int64_t Loan::interest_unpaid() const {
    std::int64_t sum = 0;
    for (const auto& t : tranches) {
        sum += t.interest_unpaid;  // bounded by the accrual's int64 check on the loan total
    }
    return sum;
}

std::int64_t Loan::penalty_unpaid() const {
    std::int64_t sum = 0;
    for (const auto& t : tranches) {
        sum += t.penalty_unpaid;
    }
    return sum;
}

std::string LoanEvent::event_id() const { return tx_hash.hex() + "-" + std::to_string(item_index); }

// ---------------------------------------------------------------- encoding

namespace {

constexpr std::size_t kStringMax = 64 * 1024;
constexpr std::uint64_t kVectorMax = 100'000;

// The wire format is exactly jc/core/codec.h's (little-endian fixed-width integers, minimal
// LEB128 varints, varint-length-prefixed byte strings; strict decoding; a 64-bit integer is a
// codec u64/i64 in version 1 and a codec varint in version 2), implemented here
// without a Result per field: decoding a loan happens several times per repayment and the
// per-field Result (a variant holding an Error with a string) cost more than the decoding.
// state_test checks the two implementations produce and accept the same bytes.
//
// Both are templates on the record version (ADR 0175), so that a 64-bit field compiles to its
// version's code with no test per field; encode_record() and decode_record() below choose the
// instance once per record.
template <RecordVersion V>
class Enc {
public:
    // `capacity`: the caller's estimate of the record's size, so that the one buffer is the
    // string returned (a loan is ~600 bytes: 256 grew twice, ADR 0162). Never changes a byte.
    // The string is used as a plain buffer (its size is the capacity, n_ the bytes written), so
    // that a field is one bounds check and one store rather than a string append's several
    // (ADR 0173).
    explicit Enc(std::size_t capacity) : out_(std::max<std::size_t>(capacity, 16), '\0') {
        out_[0] = static_cast<char>(V);
    }
    Enc& u8(std::uint8_t v) {
        *room(1) = static_cast<char>(v);
        ++n_;
        return *this;
    }
    Enc& boolean(bool v) { return u8(v ? 1 : 0); }
    Enc& u16(std::uint16_t v) { return le<2>(v); }
    Enc& u32(std::uint32_t v) { return le<4>(v); }
    // 64-bit integers: eight bytes in version 1, varints in version 2 (record_ints.h, ADR 0175).
    Enc& u64(std::uint64_t v) {
        if constexpr (V == RecordVersion::kVarint64) {
            return varint(v);
        } else {
            return le<8>(v);
        }
    }
    Enc& i64(std::int64_t v) {
        if constexpr (V == RecordVersion::kVarint64) {
            return varint(zigzag(v));
        } else {
            return le<8>(static_cast<std::uint64_t>(v));
        }
    }
    Enc& i32(std::int32_t v) { return le<4>(static_cast<std::uint32_t>(v)); }
    Enc& u128(U128 v) {
        u64(static_cast<std::uint64_t>(v));
        return u64(static_cast<std::uint64_t>(v >> 64));
    }
    Enc& i128(I128 v) { return u128(static_cast<U128>(v)); }
    [[gnu::always_inline]] Enc& varint(std::uint64_t v) {
        char* p = room(10);  // a 64-bit varint is at most 10 bytes
        char* const start = p;
        while (v >= 0x80) {
            *p++ = static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        *p++ = static_cast<char>(v);
        n_ += static_cast<std::size_t>(p - start);
        return *this;
    }
    Enc& str(std::string_view s) {
        varint(s.size());
        return bytes(s.data(), s.size());
    }
    Enc& hash(const Hash& h) {
        return bytes(reinterpret_cast<const char*>(h.bytes.data()), h.bytes.size());
    }
    Enc& count(std::size_t n) { return varint(n); }
    template <typename E>
    Enc& e8(E v) {
        return u8(static_cast<std::uint8_t>(v));
    }
    std::string take() {
        out_.resize(n_);
        return std::move(out_);
    }

private:
    // Inline, with the growth out of line: as one function GCC kept it a call per field.
    char* room(std::size_t need) {
        if (n_ + need > out_.size()) [[unlikely]] {
            grow(need);
        }
        return out_.data() + n_;
    }
    [[gnu::noinline]] void grow(std::size_t need) {
        out_.resize(std::max(2 * out_.size(), n_ + need));
    }
    Enc& bytes(const char* data, std::size_t size) {
        if (size != 0) {
            std::memcpy(room(size), data, size);
            n_ += size;
        }
        return *this;
    }
    template <std::size_t N>
    Enc& le(std::uint64_t v) {
        static_assert(N >= 1 && N <= 8);
        char* p = room(N);
        if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(p, &v, N);  // the low N bytes, in order
        } else {
            for (std::size_t i = 0; i < N; ++i) {
                p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
            }
        }
        n_ += N;
        return *this;
    }

    std::string out_;
    std::size_t n_ = 1;  // the version byte
};

// A strict reader with a sticky error: fields read after a failure are zero and the first error
// is reported by finish().
template <RecordVersion V>
class Dec {
public:
    Dec(std::string_view bytes, const char* what) : in_(bytes), what_(what) {
        std::uint8_t version = 0;
        u8(version);
        if (ok_ && version != static_cast<std::uint8_t>(V)) {
            fail("unknown record version " + std::to_string(version));
        }
    }
    // The version the record was written in (when ok()).
    [[nodiscard]] static constexpr RecordVersion version() { return V; }
    void u8(std::uint8_t& v) { v = static_cast<std::uint8_t>(le<1>("u8")); }
    void boolean(bool& v) {
        const std::uint64_t b = le<1>("bool");
        if (b > 1) {
            fail("bool must be 0 or 1");
        }
        v = b == 1;
    }
    void u16(std::uint16_t& v) { v = static_cast<std::uint16_t>(le<2>("u16")); }
    void u32(std::uint32_t& v) { v = static_cast<std::uint32_t>(le<4>("u32")); }
    // Inlined: a loan has ~30 of these, and as calls they cost more than their work.
    [[gnu::always_inline]] void u64(std::uint64_t& v) {
        if constexpr (V == RecordVersion::kVarint64) {
            v = varint64("u64");
        } else {
            v = le<8>("u64");
        }
    }
    [[gnu::always_inline]] void i64(std::int64_t& v) {
        if constexpr (V == RecordVersion::kVarint64) {
            v = unzigzag(varint64("i64"));
        } else {
            v = static_cast<std::int64_t>(le<8>("i64"));
        }
    }
    void i32(std::int32_t& v) { v = static_cast<std::int32_t>(static_cast<std::uint32_t>(le<4>("i32"))); }
    void u128(U128& v) {
        std::uint64_t lo = 0;
        std::uint64_t hi = 0;
        u64(lo);
        u64(hi);
        v = (static_cast<U128>(hi) << 64) | lo;
    }
    void i128(I128& v) {
        U128 u = 0;
        u128(u);
        v = static_cast<I128>(u);
    }
    void str(std::string& v) {
        const std::string_view view = bytes(kStringMax);
        v.assign(view.data(), view.size());
    }
    void hash(Hash& v) {
        if (!need(Hash::kSize, "hash")) {
            v = Hash{};
            return;
        }
        std::memcpy(v.bytes.data(), in_.data() + pos_, Hash::kSize);
        pos_ += Hash::kSize;
    }
    std::size_t count() { return static_cast<std::size_t>(varint_max(kVectorMax, "element count")); }
    // How many of `count` elements of at least `min_bytes` each the unread input can hold: a
    // capacity to reserve that a corrupt count cannot inflate past the record's own size.
    [[nodiscard]] std::size_t fits(std::size_t count, std::size_t min_bytes) const {
        return std::min(count, (in_.size() - pos_) / min_bytes);
    }
    // Reads an enum byte and checks it is below `limit`.
    template <typename E>
    void e8(E& v, unsigned limit) {
        std::uint8_t b = 0;
        u8(b);
        if (ok_ && b >= limit) {
            fail("enum value " + std::to_string(b) + " out of range");
        }
        v = static_cast<E>(ok_ ? b : 0);
    }
    void account_code(AccountCode& v) {
        std::uint16_t c = 0;
        u16(c);
        if (!ok_) {
            return;
        }
        const auto parsed = parse_account_code(c);
        if (!parsed) {
            fail("unknown account code " + std::to_string(c));
            return;
        }
        v = *parsed;
    }
    void fail(std::string message) {
        if (ok_) {
            ok_ = false;
            error_ = std::move(message) + " at offset " + std::to_string(pos_);
        }
    }
    [[nodiscard]] bool ok() const { return ok_; }
    template <typename T>
    Result<T> finish(T value) {
        if (ok_ && pos_ != in_.size()) {
            fail(std::to_string(in_.size() - pos_) + " trailing bytes");
        }
        if (!ok_) {
            return Error(Errc::kCorruption, std::string("cannot decode ") + what_ + " record: " + error_);
        }
        return value;
    }

private:
    // Inline, with the failure out of line: as one function GCC kept it a call per field.
    bool need(std::size_t n, const char* what) {
        if (ok_ && in_.size() - pos_ >= n) [[likely]] {
            return true;
        }
        truncated(what);
        return false;
    }
    [[gnu::noinline]] void truncated(const char* what) {
        if (ok_) {
            fail(std::string("truncated input reading ") + what);
        }
    }
    // The width is a template argument so that the copy compiles to one load (a run-time width
    // made it a memcpy call: ADR 0101).
    template <std::size_t N>
    std::uint64_t le(const char* what) {
        static_assert(N >= 1 && N <= 8);
        if (!need(N, what)) {
            return 0;
        }
        std::uint64_t v = 0;
        if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(&v, in_.data() + pos_, N);  // fills the low N bytes
        } else {
            for (std::size_t i = 0; i < N; ++i) {
                v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
            }
        }
        pos_ += N;
        return v;
    }
    // A 64-bit field (ADR 0175). A one-byte value (most counters are zero) is one test; one of up
    // to eight bytes is read as a word while eight bytes remain, without a branch per byte: the
    // first byte with its top bit clear ends it, and its 7-bit groups are packed in three steps.
    // A longer value, a non-minimal one, the record's last bytes and every error take the
    // general loop, which re-reads from the same place.
    [[gnu::always_inline]] std::uint64_t varint64(const char* what) {
        if (ok_ && in_.size() - pos_ >= 8) [[likely]] {
            const char* p = in_.data() + pos_;
            const auto first = static_cast<unsigned char>(*p);
            if (first < 0x80) {
                ++pos_;
                return first;
            }
            std::uint64_t w = 0;
            std::memcpy(&w, p, 8);
            if constexpr (std::endian::native == std::endian::little) {
                const std::uint64_t stops = ~w & 0x8080808080808080ULL;
                const auto bits = static_cast<unsigned>(std::countr_zero(stops)) + 1;  // 8 x length; 65: none
                if (bits <= 64 && ((w >> (bits - 8)) & 0xff) != 0) {                   // else non-minimal
                    std::uint64_t x = (bits == 64 ? w : w & ((std::uint64_t{1} << bits) - 1)) & 0x7f7f7f7f7f7f7f7fULL;
                    x = (x & 0x007f007f007f007fULL) | ((x & 0x7f007f007f007f00ULL) >> 1);
                    x = (x & 0x00003fff00003fffULL) | ((x & 0x3fff00003fff0000ULL) >> 2);
                    x = (x & 0x000000000fffffffULL) | ((x & 0x0fffffff00000000ULL) >> 4);
                    pos_ += bits / 8;
                    return x;
                }
            }
        }
        return varint_max(~std::uint64_t{0}, what);
    }
    std::uint64_t varint_max(std::uint64_t max, const char* what) {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!need(1, "varint")) {
                return 0;
            }
            const auto b = static_cast<unsigned char>(in_[pos_++]);
            const std::uint64_t payload = b & 0x7f;
            if (shift == 63 && payload > 1) {
                fail("varint overflows 64 bits");
                return 0;
            }
            v |= payload << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && shift > 0) {
                    fail("non-minimal varint");
                    return 0;
                }
                if (v > max) {
                    fail(std::string(what) + " " + std::to_string(v) + " exceeds limit " + std::to_string(max));
                    return 0;
                }
                return v;
            }
        }
        fail("varint longer than 10 bytes");
        return 0;
    }
    std::string_view bytes(std::size_t size_max) {
        const auto n = static_cast<std::size_t>(varint_max(size_max, "byte string length"));
        if (!need(n, "byte string")) {
            return {};
        }
        const std::string_view out = in_.substr(pos_, n);
        pos_ += n;
        return out;
    }

    std::string_view in_;
    std::size_t pos_ = 0;
    const char* what_;
    bool ok_ = true;
    std::string error_;
};

// Runs `body(e)` on the encoder of `version` and returns the record.
template <typename Body>
std::string encode_record(RecordVersion version, std::size_t capacity, Body&& body) {
    if (version == RecordVersion::kVarint64) {
        Enc<RecordVersion::kVarint64> e(capacity);
        body(e);
        return e.take();
    }
    JC_ASSERT(version == RecordVersion::kFixed64, "contracts.records.version_known");
    Enc<RecordVersion::kFixed64> e(capacity);
    body(e);
    return e.take();
}

// Runs `body(d)` on the decoder of the version the record's first byte names; any other first
// byte (or none) is reported by the version-1 decoder as an unknown version.
template <typename Body>
auto decode_record(std::string_view bytes, const char* what, Body&& body) {
    if (!bytes.empty() && bytes[0] == static_cast<char>(RecordVersion::kVarint64)) {
        Dec<RecordVersion::kVarint64> d(bytes, what);
        return body(d);
    }
    Dec<RecordVersion::kFixed64> d(bytes, what);
    return body(d);
}

template <typename E>
void encode_terms(E& e, const PartnershipTerms& t) {
    e.str(t.agreement_ref).e8(t.funding_mode).u16(t.min_tranche_share_bps).i64(t.max_outstanding_principal)
        .i64(t.fronting_limit).i64(t.collection_limit).u16(t.service_fee_bps).e8(t.fee_base)
        .boolean(t.require_partner_acceptance).u32(t.accept_timeout_days).u32(t.writeoff_preauth_dpd)
        .e8(t.settlement_mode);
}

template <typename D>
void decode_terms(D& d, PartnershipTerms& t) {
    d.str(t.agreement_ref);
    d.e8(t.funding_mode, 3);
    d.u16(t.min_tranche_share_bps);
    d.i64(t.max_outstanding_principal);
    d.i64(t.fronting_limit);
    d.i64(t.collection_limit);
    d.u16(t.service_fee_bps);
    d.e8(t.fee_base, 2);
    d.boolean(t.require_partner_acceptance);
    d.u32(t.accept_timeout_days);
    d.u32(t.writeoff_preauth_dpd);
    d.e8(t.settlement_mode, 2);
}

template <typename E>
void encode_product(E& e, const ProductTerms& p) {
    e.str(p.product_code).i64(p.max_principal).i32(p.max_bullet_term_days);
    for (const auto cap : p.max_rate_ppb) {
        e.i64(cap);
    }
    e.u8(p.schedule_types);
}

template <typename D>
void decode_product(D& d, ProductTerms& p) {
    d.str(p.product_code);
    d.i64(p.max_principal);
    d.i32(p.max_bullet_term_days);
    for (auto& cap : p.max_rate_ppb) {
        d.i64(cap);
    }
    d.u8(p.schedule_types);
}

}  // namespace

std::string encode(const Member& v, RecordVersion version) {
    return encode_record(version, 256, [&](auto& e) {
        e.str(v.bank_id).str(v.name).str(v.cnaps_code).str(v.bic).str(v.lei).count(v.keys.size());
        for (const auto& k : v.keys) {
            e.str(std::string_view(reinterpret_cast<const char*>(k.bytes.data()), k.bytes.size()));
        }
        e.u8(v.roles).e8(v.status);
    });
}

Result<Member> decode_member(std::string_view bytes) {
    return decode_record(bytes, "member", [&](auto& d) {
        Member v;
        d.str(v.bank_id);
        d.str(v.name);
        d.str(v.cnaps_code);
        d.str(v.bic);
        d.str(v.lei);
        const std::size_t n = d.count();
        for (std::size_t i = 0; i < n && d.ok(); ++i) {
            std::string raw;
            d.str(raw);
            // Keys were checked to be valid curve points when genesis (or governance) wrote them;
            // re-parsing the point on every read would cost more than the rest of the member.
            if (raw.size() != crypto::PublicKey::kSize) {
                d.fail("member key of " + std::to_string(raw.size()) + " bytes");
                break;
            }
            crypto::PublicKey key;
            std::copy(raw.begin(), raw.end(), key.bytes.begin());
            v.keys.push_back(key);
        }
        d.u8(v.roles);
        d.e8(v.status, 2);
        return d.finish(std::move(v));
    });
}

std::string encode(const Params& v) {
    return encode_record(v.record_version, 256, [&](auto& e) {
        e.e8(v.rounding).i64(v.max_rate_ppb).i32(v.npl_dpd_threshold);
        encode_product(e, v.default_product);
        e.count(v.products.size());
        for (const auto& p : v.products) {
            encode_product(e, p);
        }
        e.count(v.cycle_cutoffs_minutes.size());
        for (const auto m : v.cycle_cutoffs_minutes) {
            e.u32(m);
        }
        e.count(v.holidays.size());
        for (const auto d : v.holidays) {
            e.i32(d);
        }
        e.count(v.working_weekends.size());
        for (const auto d : v.working_weekends) {
            e.i32(d);
        }
        e.u8(v.rate_bases).u16(v.governance_quorum_bps).u32(v.governance_ttl_days);
        e.e8(v.netting).str(v.settlement_agent);
    });
}

Result<Params> decode_params(std::string_view bytes) {
    return decode_record(bytes, "params", [&](auto& d) {
        Params v;
        d.e8(v.rounding, 2);
        d.i64(v.max_rate_ppb);
        d.i32(v.npl_dpd_threshold);
        decode_product(d, v.default_product);
        const std::size_t n = d.count();
        for (std::size_t i = 0; i < n && d.ok(); ++i) {
            decode_product(d, v.products.emplace_back());
        }
        const std::size_t nc = d.count();
        for (std::size_t i = 0; i < nc && d.ok(); ++i) {
            d.u32(v.cycle_cutoffs_minutes.emplace_back());
        }
        const std::size_t nh = d.count();
        for (std::size_t i = 0; i < nh && d.ok(); ++i) {
            d.i32(v.holidays.emplace_back());
        }
        const std::size_t nw = d.count();
        for (std::size_t i = 0; i < nw && d.ok(); ++i) {
            d.i32(v.working_weekends.emplace_back());
        }
        d.u8(v.rate_bases);
        d.u16(v.governance_quorum_bps);
        d.u32(v.governance_ttl_days);
        d.e8(v.netting, 2);
        d.str(v.settlement_agent);
        v.record_version = d.version();
        return d.finish(std::move(v));
    });
}

std::string encode(const Partnership& v, RecordVersion version) {
    return encode_record(version, 256, [&](auto& e) {
        e.str(v.partnership_id).str(v.servicer_bank).str(v.partner_bank);
        encode_terms(e, v.terms);
        e.e8(v.status).i64(v.used).u32(v.loan_count).boolean(v.has_pending_amendment);
        if (v.has_pending_amendment) {
            encode_terms(e, v.pending_amendment);
            e.str(v.amendment_proposer);
        }
        e.u64(v.created_height).u64(v.updated_height);
    });
}

Result<Partnership> decode_partnership(std::string_view bytes) {
    return decode_record(bytes, "partnership", [&](auto& d) {
        Partnership v;
        d.str(v.partnership_id);
        d.str(v.servicer_bank);
        d.str(v.partner_bank);
        decode_terms(d, v.terms);
        d.e8(v.status, 4);
        d.i64(v.used);
        d.u32(v.loan_count);
        d.boolean(v.has_pending_amendment);
        if (v.has_pending_amendment) {
            decode_terms(d, v.pending_amendment);
            d.str(v.amendment_proposer);
        }
        d.u64(v.created_height);
        d.u64(v.updated_height);
        return d.finish(std::move(v));
    });
}

std::string encode(const Loan& v, RecordVersion version) {
    // At most ~120 bytes of fixed fields plus the strings, a tranche ~100 bytes plus its ids, an
    // instalment 20; varints (ADR 0175) make most of them smaller (ADR 0162: one allocation per
    // encode).
    const std::size_t capacity = 160 + v.loan_id.size() + v.servicer.size() + v.borrower_ref.size() +
                                 v.product_code.size() + v.disbursement_channel_ref.size() + v.tranches.size() * 128 +
                                 v.installments.size() * 20;
    return encode_record(version, capacity, [&](auto& e) {
        e.str(v.loan_id).str(v.servicer).str(v.borrower_ref).str(v.product_code).i64(v.principal).i32(v.value_date)
            .i64(v.rate_ppb).e8(v.basis).e8(v.interest_method).i64(v.penalty_rate_ppb).e8(v.penalty_mode)
            .e8(v.schedule_type).e8(v.prepay_mode).e8(v.rounding).e8(v.status).i32(v.last_accrual_date)
            .i32(v.last_event_date).u32(v.event_seq).i64(v.fees_unpaid).str(v.disbursement_channel_ref)
            .u64(v.originated_height);
        e.count(v.tranches.size());
        for (const auto& t : v.tranches) {
            e.str(t.bank_id).u16(t.share_bps).str(t.partnership_id).e8(t.funding_mode).u16(t.fee_bps).e8(t.fee_base)
                .i64(t.principal_orig).i64(t.principal_out).i64(t.interest_unpaid).i64(t.penalty_unpaid)
                .i64(t.principal_paid).i64(t.interest_paid).i64(t.penalty_paid).i64(t.fee_base_cum).i64(t.fee_cum)
                .i64(t.written_off).i64(t.recovered).u32(t.writeoff_preauth_dpd);
        }
        e.count(v.installments.size());
        for (const auto& i : v.installments) {
            e.i32(i.due_date).i64(i.principal_due).i64(i.principal_paid);
        }
    });
}

Result<Loan> decode_loan(std::string_view bytes) {
    return decode_record(bytes, "loan", [&](auto& d) {
        Loan v;
        d.str(v.loan_id);
        d.str(v.servicer);
        d.str(v.borrower_ref);
        d.str(v.product_code);
        d.i64(v.principal);
        d.i32(v.value_date);
        d.i64(v.rate_ppb);
        d.e8(v.basis, 3);
        d.e8(v.interest_method, 1);
        d.i64(v.penalty_rate_ppb);
        d.e8(v.penalty_mode, 2);
        d.e8(v.schedule_type, 3);
        d.e8(v.prepay_mode, 1);
        d.e8(v.rounding, 2);
        d.e8(v.status, 6);
        d.i32(v.last_accrual_date);
        d.i32(v.last_event_date);
        d.u32(v.event_seq);
        d.i64(v.fees_unpaid);
        d.str(v.disbursement_channel_ref);
        d.u64(v.originated_height);
        const std::size_t nt = d.count();
        // A tranche is at least 22 bytes (two 1-byte string lengths, 2+1+2+1, 11 one-byte varints, 4).
        v.tranches.reserve(d.fits(nt, 22));
        for (std::size_t i = 0; i < nt && d.ok(); ++i) {
            Tranche& t = v.tranches.emplace_back();
            d.str(t.bank_id);
            d.u16(t.share_bps);
            d.str(t.partnership_id);
            d.e8(t.funding_mode, 3);
            d.u16(t.fee_bps);
            d.e8(t.fee_base, 2);
            d.i64(t.principal_orig);
            d.i64(t.principal_out);
            d.i64(t.interest_unpaid);
            d.i64(t.penalty_unpaid);
            d.i64(t.principal_paid);
            d.i64(t.interest_paid);
            d.i64(t.penalty_paid);
            d.i64(t.fee_base_cum);
            d.i64(t.fee_cum);
            d.i64(t.written_off);
            d.i64(t.recovered);
            d.u32(t.writeoff_preauth_dpd);
        }
        const std::size_t ni = d.count();
        v.installments.reserve(d.fits(ni, 6));  // 4 + two varints of at least 1 byte each
        for (std::size_t i = 0; i < ni && d.ok(); ++i) {
            Installment& inst = v.installments.emplace_back();
            d.i32(inst.due_date);
            d.i64(inst.principal_due);
            d.i64(inst.principal_paid);
        }
        return d.finish(std::move(v));
    });
}

std::string encode(const LoanEvent& v, RecordVersion version) {
    // Fixed fields ~170 bytes plus the strings; 88 per tranche, ~40 per posting, ~30 per
    // obligation, 12 per applied instalment (ADR 0162: one allocation per encode).
    const std::size_t capacity = 192 + v.client_ref.size() + v.channel_ref.size() + v.cycle_id.size() +
                                 v.tranches.size() * 88 + v.postings.size() * 48 + v.obligations.size() * 40 +
                                 v.applied.size() * 12;
    return encode_record(version, capacity, [&](auto& e) {
        e.e8(v.type).u32(v.event_seq).hash(v.tx_hash).u32(v.item_index).u64(v.height).u32(v.tx_index)
            .str(v.client_ref).str(v.channel_ref).i32(v.value_date).i64(v.amount).e8(v.intent).str(v.cycle_id)
            .i64(v.accrual_days).i64(v.interest_accrued).i64(v.penalty_accrued).i64(v.fees).i64(v.penalty)
            .i64(v.interest).i64(v.principal_due).i64(v.principal_prepaid).i64(v.principal_out_before)
            .i64(v.principal_out_after).e8(v.status_after).boolean(v.early_close_flag);
        e.count(v.tranches.size());
        for (const auto& t : v.tranches) {
            e.i64(t.funded).i64(t.interest_accrued).i64(t.penalty_accrued).i64(t.penalty).i64(t.interest)
                .i64(t.principal_due).i64(t.principal_prepaid).i64(t.fee).i64(t.fee_base_cum).i64(t.fee_cum)
                .i64(t.principal_out_after);
        }
        e.count(v.postings.size());
        for (const auto& p : v.postings) {
            e.str(p.bank_id).u16(static_cast<std::uint16_t>(p.debit)).str(p.debit_counterparty)
                .u16(static_cast<std::uint16_t>(p.credit)).str(p.credit_counterparty).i64(p.amount);
        }
        e.count(v.obligations.size());
        for (const auto& o : v.obligations) {
            e.str(o.debtor).str(o.creditor).e8(o.category).i64(o.amount);
        }
        e.count(v.applied.size());
        for (const auto& a : v.applied) {
            e.u32(a.index).i64(a.amount);
        }
        if (v.is_credit_event()) {
            e.str(v.reason).u32(v.corrects_seq);
            for (const auto& t : v.tranches) {
                e.i64(t.written_off).i64(t.recovered).i64(t.interest_written_off).i64(t.penalty_written_off);
            }
        }
    });
}

Result<LoanEvent> decode_loan_event(std::string_view bytes) {
    return decode_record(bytes, "loan event", [&](auto& d) {
        LoanEvent v;
        d.e8(v.type, kEventTypeCount);
        d.u32(v.event_seq);
        d.hash(v.tx_hash);
        d.u32(v.item_index);
        d.u64(v.height);
        d.u32(v.tx_index);
        d.str(v.client_ref);
        d.str(v.channel_ref);
        d.i32(v.value_date);
        d.i64(v.amount);
        d.e8(v.intent, 2);
        d.str(v.cycle_id);
        d.i64(v.accrual_days);
        d.i64(v.interest_accrued);
        d.i64(v.penalty_accrued);
        d.i64(v.fees);
        d.i64(v.penalty);
        d.i64(v.interest);
        d.i64(v.principal_due);
        d.i64(v.principal_prepaid);
        d.i64(v.principal_out_before);
        d.i64(v.principal_out_after);
        d.e8(v.status_after, 6);
        d.boolean(v.early_close_flag);
        const std::size_t nt = d.count();
        for (std::size_t i = 0; i < nt && d.ok(); ++i) {
            TrancheAllocation& t = v.tranches.emplace_back();
            d.i64(t.funded);
            d.i64(t.interest_accrued);
            d.i64(t.penalty_accrued);
            d.i64(t.penalty);
            d.i64(t.interest);
            d.i64(t.principal_due);
            d.i64(t.principal_prepaid);
            d.i64(t.fee);
            d.i64(t.fee_base_cum);
            d.i64(t.fee_cum);
            d.i64(t.principal_out_after);
        }
        const std::size_t np = d.count();
        for (std::size_t i = 0; i < np && d.ok(); ++i) {
            Posting& p = v.postings.emplace_back();
            d.str(p.bank_id);
            d.account_code(p.debit);
            d.str(p.debit_counterparty);
            d.account_code(p.credit);
            d.str(p.credit_counterparty);
            d.i64(p.amount);
        }
        const std::size_t no = d.count();
        for (std::size_t i = 0; i < no && d.ok(); ++i) {
            ObligationLine& o = v.obligations.emplace_back();
            d.str(o.debtor);
            d.str(o.creditor);
            d.e8(o.category, 9);
            d.i64(o.amount);
        }
        const std::size_t na = d.count();
        for (std::size_t i = 0; i < na && d.ok(); ++i) {
            InstallmentApplication& a = v.applied.emplace_back();
            d.u32(a.index);
            d.i64(a.amount);
        }
        if (d.ok() && v.is_credit_event()) {
            d.str(v.reason);
            d.u32(v.corrects_seq);
            for (auto& t : v.tranches) {
                d.i64(t.written_off);
                d.i64(t.recovered);
                d.i64(t.interest_written_off);
                d.i64(t.penalty_written_off);
            }
        }
        return d.finish(std::move(v));
    });
}

std::string encode(const Account& v, RecordVersion version) {
    return encode_record(version, 1 + 2 * 16, [&](auto& e) {
        e.u128(v.debits_posted).u128(v.credits_posted);
    });
}

Result<Account> decode_account(std::string_view bytes) {
    return decode_record(bytes, "account", [&](auto& d) {
        Account v;
        d.u128(v.debits_posted);
        d.u128(v.credits_posted);
        return d.finish(v);
    });
}

std::string encode(const IdempotencyRecord& v, RecordVersion version) {
    const std::size_t capacity = 1 + 2 * 32 + 8 + 4 + 4 + 2 * 10 + v.loan_id.size() + v.result_json.size();
    return encode_record(version, capacity, [&](auto& e) {
        e.hash(v.request_digest).hash(v.tx_hash).u64(v.height).u32(v.tx_index).str(v.loan_id).u32(v.event_seq)
            .str(v.result_json);
    });
}

Result<IdempotencyRecord> decode_idempotency(std::string_view bytes) {
    return decode_record(bytes, "idempotency", [&](auto& d) {
        IdempotencyRecord v;
        d.hash(v.request_digest);
        d.hash(v.tx_hash);
        d.u64(v.height);
        d.u32(v.tx_index);
        d.str(v.loan_id);
        d.u32(v.event_seq);
        d.str(v.result_json);
        return d.finish(std::move(v));
    });
}

std::string encode(const ChannelRefRecord& v, RecordVersion version) {
    return encode_record(version, 1 + 10 + 4 + v.loan_id.size(), [&](auto& e) {
        e.str(v.loan_id).u32(v.event_seq);
    });
}

Result<ChannelRefRecord> decode_channel_ref(std::string_view bytes) {
    return decode_record(bytes, "channel ref", [&](auto& d) {
        ChannelRefRecord v;
        d.str(v.loan_id);
        d.u32(v.event_seq);
        return d.finish(std::move(v));
    });
}

std::string encode(const Cycle& v, RecordVersion version) {
    return encode_record(version, 256, [&](auto& e) {
        e.str(v.cycle_id).e8(v.status).u64(v.opened_at_height).boolean(v.early_close_requested);
        e.i64(v.cutoff_ms).u64(v.closed_at_height).e8(v.close_trigger).i32(v.settlement_date);
        e.e8(v.netting).str(v.settlement_agent).u32(v.gross_seq);
    });
}

Result<Cycle> decode_cycle(std::string_view bytes) {
    return decode_record(bytes, "cycle", [&](auto& d) {
        Cycle v;
        d.str(v.cycle_id);
        d.e8(v.status, 3);
        d.u64(v.opened_at_height);
        d.boolean(v.early_close_requested);
        d.i64(v.cutoff_ms);
        d.u64(v.closed_at_height);
        d.e8(v.close_trigger, 4);
        d.i32(v.settlement_date);
        d.e8(v.netting, 2);
        d.str(v.settlement_agent);
        d.u32(v.gross_seq);
        return d.finish(std::move(v));
    });
}

std::string encode(const ObligationAggregate& v, RecordVersion version) {
    return encode_record(version, 1 + 16 + 8, [&](auto& e) {
        e.u128(v.amount).u64(v.count);
    });
}

Result<ObligationAggregate> decode_obligation(std::string_view bytes) {
    return decode_record(bytes, "obligation", [&](auto& d) {
        ObligationAggregate v;
        d.u128(v.amount);
        d.u64(v.count);
        return d.finish(v);
    });
}

std::string encode(const BankAggregate& v, RecordVersion version) {
    return encode_record(version, 1 + 3 * 16, [&](auto& e) {
        e.u128(v.debits_total).u128(v.credits_total).i128(v.principal_out_total);
    });
}

Result<BankAggregate> decode_bank_aggregate(std::string_view bytes) {
    return decode_record(bytes, "bank aggregate", [&](auto& d) {
        BankAggregate v;
        d.u128(v.debits_total);
        d.u128(v.credits_total);
        d.i128(v.principal_out_total);
        return d.finish(v);
    });
}

bool LoanProposal::all_accepted() const {
    return std::all_of(tranches.begin(), tranches.end(), [](const TrancheAcceptance& t) {
        return t.acceptance == Acceptance::kNotRequired || t.acceptance == Acceptance::kAccepted;
    });
}

std::string_view name(Acceptance v) {
    switch (v) {
        case Acceptance::kNotRequired: return "NOT_REQUIRED";
        case Acceptance::kPending: return "PENDING";
        case Acceptance::kAccepted: return "ACCEPTED";
        case Acceptance::kRejected: return "REJECTED";
    }
    return "?";
}

std::string_view name(ProposalOutcome v) {
    switch (v) {
        case ProposalOutcome::kOpen: return "OPEN";
        case ProposalOutcome::kDisbursed: return "DISBURSED";
        case ProposalOutcome::kRejected: return "REJECTED";
        case ProposalOutcome::kExpired: return "EXPIRED";
    }
    return "?";
}

std::string encode(const LoanProposal& v, RecordVersion version) {
    return encode_record(version, 256, [&](auto& e) {
        e.u64(v.proposed_height).i32(v.proposed_date).i32(v.expires_after).e8(v.outcome).u64(v.closed_height);
        e.str(v.rejected_by).str(v.reason).count(v.tranches.size());
        for (const auto& t : v.tranches) {
            e.e8(t.acceptance).i64(t.principal).u64(t.decided_height);
        }
    });
}

Result<LoanProposal> decode_loan_proposal(std::string_view bytes) {
    return decode_record(bytes, "loan proposal", [&](auto& d) {
        LoanProposal v;
        d.u64(v.proposed_height);
        d.i32(v.proposed_date);
        d.i32(v.expires_after);
        d.e8(v.outcome, 4);
        d.u64(v.closed_height);
        d.str(v.rejected_by);
        d.str(v.reason);
        const std::size_t n = d.count();
        for (std::size_t i = 0; i < n && d.ok(); ++i) {
            TrancheAcceptance t;
            d.e8(t.acceptance, 4);
            d.i64(t.principal);
            d.u64(t.decided_height);
            v.tranches.push_back(t);
        }
        return d.finish(std::move(v));
    });
}

std::string encode_borrower_outstanding(std::int64_t v, RecordVersion version) {
    return encode_record(version, 1 + 8, [&](auto& e) {
        e.i64(v);
    });
}

Result<std::int64_t> decode_borrower_outstanding(std::string_view bytes) {
    return decode_record(bytes, "borrower outstanding", [&](auto& d) {
        std::int64_t v = 0;
        d.i64(v);
        return d.finish(v);
    });
}

std::string encode_current_cycle(std::string_view cycle_id, RecordVersion version) {
    return encode_record(version, 256, [&](auto& e) {
        e.str(cycle_id);
    });
}

Result<std::string> decode_current_cycle(std::string_view bytes) {
    return decode_record(bytes, "current cycle", [&](auto& d) {
        std::string v;
        d.str(v);
        return d.finish(std::move(v));
    });
}

}  // namespace jc::contracts
