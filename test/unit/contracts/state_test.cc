// Goal: the state layer under the engine is exact and strict: every record round-trips through
// its binary encoding and a damaged encoding is corruption, never a guess; the overlay's
// savepoints undo exactly what they should; genesis refuses malformed members; a block that
// would break B1-B4 (or T1-T8) is refused with ERR_INVARIANT_VIOLATION naming the height; and
// a block replayed from the same parent on a second engine gives identical writes.
// Method: direct calls on records and the overlay; state deliberately damaged between blocks.
#include <jc/core/codec.h>

#include <array>
#include <catch2/catch.hpp>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../../../contracts/src/overlay.h"
#include "../../../contracts/src/record_ints.h"
#include "chain.h"

namespace jc::contracts::test {

namespace {

Params params_in(RecordVersion version) {
    Params p = test_params();
    p.record_version = version;
    return p;
}

}  // namespace

TEST_CASE("records round-trip and reject damaged encodings", "[contracts][state]") {
    for (const RecordVersion version : {RecordVersion::kFixed64, RecordVersion::kVarint64}) {
        CAPTURE(static_cast<int>(version));
        Chain c(params_in(version));
        c.partnership(PartnershipSpec{});
        REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})).status == TxStatus::kOk);
        REQUIRE(c.run("2024-02-20", "WEBANK", "loan.repay", repay_body("L-0001", "2024-02-20", "50000", "PAY-1"))
                    .status == TxStatus::kOk);
        const Loan loan = c.loan("L-0001");
        CHECK(decode_loan(encode(loan, version)).value() == loan);
        const LoanEvent ev = *c.event("L-0001", 2);
        CHECK(decode_loan_event(encode(ev, version)).value() == ev);
        std::size_t checked = 0;
        for (const auto& [key, value] : c.state().entries()) {
            // Every stored value is in the chain's version, decodes, and re-encoding reproduces
            // its bytes (one encoding per value and version).
            CAPTURE(key);
            REQUIRE_FALSE(value.empty());
            CHECK(static_cast<RecordVersion>(value[0]) == version);
            std::string again;
            if (key.rfind("ln/", 0) == 0) again = encode(decode_loan(value).value(), version);
            else if (key.rfind("ev/", 0) == 0) again = encode(decode_loan_event(value).value(), version);
            else if (key.rfind("mb/", 0) == 0) again = encode(decode_member(value).value(), version);
            else if (key.rfind("pt/", 0) == 0) again = encode(decode_partnership(value).value(), version);
            else if (key.rfind("ac/", 0) == 0) again = encode(decode_account(value).value(), version);
            else if (key.rfind("id/", 0) == 0) again = encode(decode_idempotency(value).value(), version);
            else if (key.rfind("ch/", 0) == 0) again = encode(decode_channel_ref(value).value(), version);
            else if (key.rfind("ob/", 0) == 0) again = encode(decode_obligation(value).value(), version);
            else if (key.rfind("ag/", 0) == 0) again = encode(decode_bank_aggregate(value).value(), version);
            else if (key.rfind("bw/", 0) == 0)
                again = encode_borrower_outstanding(decode_borrower_outstanding(value).value(), version);
            else if (key == "gv/params") again = encode(decode_params(value).value());
            else if (key == "cy/current") again = encode_current_cycle(decode_current_cycle(value).value(), version);
            else if (key.rfind("cy/id/", 0) == 0) again = encode(decode_cycle(value).value(), version);
            else FAIL("unexpected key " << key);
            CHECK(again == value);
            ++checked;
        }
        CHECK(checked > 20);
        const std::string bytes = encode(loan, version);
        CHECK_FALSE(decode_loan(bytes + "x").ok());                         // trailing byte
        CHECK_FALSE(decode_loan(bytes.substr(0, bytes.size() - 1)).ok());  // truncated
        for (const char unknown : {'\0', '\3', '\xff'}) {
            std::string wrong_version = bytes;
            wrong_version[0] = unknown;
            const auto refused = decode_loan(wrong_version);
            REQUIRE_FALSE(refused.ok());
            CHECK(refused.error().code() == Errc::kCorruption);
            CHECK_THAT(refused.error().message(), Catch::Contains("unknown record version"));
        }
        Account a;
        a.debits_posted = (static_cast<U128>(1) << 100) + 7;
        a.credits_posted = 3;
        CHECK(decode_account(encode(a, version)).value() == a);
        Cycle open_cycle;
        open_cycle.cycle_id = "20240101-01";
        std::string bad_enum = encode(open_cycle, version);
        bad_enum[1 + 1 + 11] = 9;  // version, length, 11 id bytes, then the status byte
        CHECK_FALSE(decode_cycle(bad_enum).ok());
        CHECK(decode_loan(bytes + "x").error().code() == Errc::kCorruption);
    }
}

TEST_CASE("record encoding is exactly the jc/core/codec wire format", "[contracts][state]") {
    // The records use a local encoder (no Result per field); these bytes must be what
    // codec::Writer produces and codec::Reader accepts for the same fields.
    const std::string id(200, 'x');  // a two-byte varint length
    Cycle cycle{id, CycleStatus::kClosed, 0x0102030405060708ULL, true, -5, 77, CloseTrigger::kCutoff, 19768,
                NettingMode::kMultilateral, "REGUL", 42};
    Account a{(static_cast<U128>(5) << 64) | 9, 3};
    {
        // Version 1: 64-bit integers are eight little-endian bytes.
        codec::Writer w;
        w.u8(1).str(id).u8(1).u64(0x0102030405060708ULL).boolean(true);
        w.i64(-5).u64(77).u8(2).u32(19768).u8(1).str("REGUL").u32(42);
        CHECK(encode(cycle, RecordVersion::kFixed64) == std::string(w.data().begin(), w.data().end()));
        codec::Writer wa;
        wa.u8(1).u64(9).u64(5).u64(3).u64(0);
        CHECK(encode(a, RecordVersion::kFixed64) == std::string(wa.data().begin(), wa.data().end()));
    }
    {
        // Version 2: varints, signed ones zigzag-mapped (ADR 0175).
        codec::Writer w;
        w.u8(2).str(id).u8(1).varint(0x0102030405060708ULL).boolean(true);
        w.varint(9).varint(77).u8(2).u32(19768).u8(1).str("REGUL").u32(42);  // -5 zigzag-maps to 9
        CHECK(encode(cycle, RecordVersion::kVarint64) == std::string(w.data().begin(), w.data().end()));
        codec::Writer wa;
        wa.u8(2).varint(9).varint(5).varint(3).varint(0);
        CHECK(encode(a, RecordVersion::kVarint64) == std::string(wa.data().begin(), wa.data().end()));
    }
    for (const RecordVersion version : {RecordVersion::kFixed64, RecordVersion::kVarint64}) {
        const auto v = static_cast<std::uint8_t>(version);
        const std::string bytes = encode(ChannelRefRecord{"L-1", 300}, version);
        codec::Reader r(as_bytes(bytes));
        CHECK(r.u8().value() == v);
        CHECK(r.str(64).value() == "L-1");
        CHECK(r.u32().value() == 300);
        CHECK(r.finish().ok());
        // Strictness matches: a non-minimal varint length (0x83 0x00 for 3) is refused.
        const std::string non_minimal =
            std::string(1, static_cast<char>(v)) + std::string("\x83\x00", 2) + "L-1" + std::string(4, '\0');
        CHECK_FALSE(decode_channel_ref(non_minimal).ok());
        codec::Reader rn(as_bytes(non_minimal));
        CHECK(rn.u8().value() == v);
        CHECK_FALSE(rn.str(64).ok());  // and so does the codec's reader
    }
}

TEST_CASE("64-bit record integers: zigzag varints in version 2, fixed in version 1, strict", "[contracts][state]") {
    // The mapping keeps small magnitudes small in both signs and covers the whole range.
    static_assert(zigzag(0) == 0 && zigzag(-1) == 1 && zigzag(1) == 2 && zigzag(-2) == 3);
    static_assert(zigzag(std::numeric_limits<std::int64_t>::max()) == ~std::uint64_t{1});
    static_assert(zigzag(std::numeric_limits<std::int64_t>::min()) == ~std::uint64_t{0});
    for (const RecordVersion version : {RecordVersion::kFixed64, RecordVersion::kVarint64}) {
        for (const std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{63}, std::int64_t{-64},
                                     std::int64_t{64}, std::int64_t{79067}, std::int64_t{-1000000000000},
                                     std::numeric_limits<std::int64_t>::max(),
                                     std::numeric_limits<std::int64_t>::min()}) {
            CAPTURE(static_cast<int>(version), v);
            CHECK(unzigzag(zigzag(v)) == v);
            const std::string bytes = encode_borrower_outstanding(v, version);
            CHECK(decode_borrower_outstanding(bytes).value() == v);
            // The records written with codec::Writer (record_ints.h) give the same bytes.
            codec::Writer w;
            put_version(w, version);
            put_i64(w, version, v);
            CHECK(bytes == std::string(w.data().begin(), w.data().end()));
            codec::Reader r(as_bytes(bytes));
            CHECK(read_version(r, "test").value() == version);
            CHECK(read_i64(r, version).value() == v);
            CHECK(r.finish().ok());
        }
    }
    // Inside a record (eight bytes or more still to read) a field takes the decoder's word path:
    // every width from one to ten bytes, in both signs, round-trips there too.
    for (const RecordVersion version : {RecordVersion::kFixed64, RecordVersion::kVarint64}) {
        for (int bits = 0; bits <= 64; ++bits) {
            CAPTURE(static_cast<int>(version), bits);
            const std::uint64_t magnitude = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
            Loan loan;
            loan.loan_id = "L-WIDTH";
            loan.principal = static_cast<std::int64_t>(magnitude >> 1);
            loan.rate_ppb = -static_cast<std::int64_t>(magnitude >> 1) - 1;
            loan.originated_height = magnitude;
            Tranche& t = loan.tranches.emplace_back();
            t.principal_orig = static_cast<std::int64_t>(magnitude >> 2);
            t.principal_out = -static_cast<std::int64_t>(magnitude >> 3);
            loan.installments.push_back(Installment{19768, static_cast<std::int64_t>(magnitude >> 1), 0});
            CHECK(decode_loan(encode(loan, version)).value() == loan);
        }
    }
    {
        // A non-minimal value followed by more fields is refused on the word path as well: a
        // cycle whose opened_at_height 5 is written as 0x85 0x00.
        codec::Writer w;
        w.u8(2).str("20240101-01").u8(0);
        w.u8(0x85).u8(0x00);
        w.u8(0).varint(0).varint(0).u8(0).u32(0).u8(0).str("").u32(0);
        const auto refused = decode_cycle(std::string(w.data().begin(), w.data().end()));
        REQUIRE_FALSE(refused.ok());
        CHECK_THAT(refused.error().message(), Catch::Contains("non-minimal varint"));
    }
    // A zero amount is one byte, a day's repayment three: the point of version 2.
    CHECK(encode_borrower_outstanding(0, RecordVersion::kVarint64).size() == 2);
    CHECK(encode_borrower_outstanding(79067, RecordVersion::kVarint64).size() == 4);
    CHECK(encode_borrower_outstanding(79067, RecordVersion::kFixed64).size() == 9);
    // 0 written as two bytes (0x80 0x00) is not the canonical encoding: refused.
    const std::string padded = std::string("\x02\x80\x00", 3);
    const auto refused = decode_borrower_outstanding(padded);
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().message(), Catch::Contains("non-minimal varint"));
    // Version 1 needs all eight bytes; a varint where they should be is truncated input.
    CHECK(decode_borrower_outstanding(std::string("\x01", 1) + std::string(8, '\0')).value() == 0);
    CHECK_FALSE(decode_borrower_outstanding(std::string("\x01\x00", 2)).ok());
    CHECK_FALSE(decode_borrower_outstanding(std::string("\x02", 1) + std::string(8, '\0')).ok());  // trailing
    // The Writer-based records refuse an unknown version the same way.
    const std::string v3 = std::string("\x03", 1);
    codec::Reader r3(as_bytes(v3));
    const auto unknown = read_version(r3, "reserve");
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code() == Errc::kCorruption);
    CHECK_THAT(unknown.error().message(), Catch::Contains("reserve: unknown record version 3"));
}

TEST_CASE("account keys parse back", "[contracts][state]") {
    const auto k = keys::parse_account(keys::account("WEBANK", AccountCode::kInterbank, "HUARUI"));
    REQUIRE(k.has_value());
    CHECK(k->bank_id == "WEBANK");
    CHECK(k->code == AccountCode::kInterbank);
    CHECK(k->counterparty == "HUARUI");
    CHECK_FALSE(keys::parse_account("ac/WEBANK/9999/").has_value());
    CHECK_FALSE(keys::parse_account("ln/L-1").has_value());
    CHECK(keys::event("L-1", 2) < keys::event("L-1", 10));  // fixed-width: byte order is numeric order
    CHECK(keys::event("L-1", 2) == "ev/L-1/0000000002");
    CHECK(keys::event("L-1", 0) == "ev/L-1/0000000000");
    CHECK(keys::event("L-1", 4294967295U) == "ev/L-1/4294967295");
}

TEST_CASE("overlay savepoints roll back exactly; scans merge with the parent", "[contracts][state]") {
    ledger::MemoryState parent;
    parent.apply({{"a", "1"}, {"b", "2"}, {"c", "3"}});
    Overlay ov(parent, kRecordVersionLatest);
    ov.put("b", "20");
    const auto sp1 = ov.savepoint();
    ov.put("d", "4");
    ov.erase("a");
    const auto sp2 = ov.savepoint();
    ov.put("b", "200");
    ov.put("e", "5");
    CHECK(*ov.get("b").value() == "200");
    CHECK(ov.buffers("e"));
    ov.rollback(sp2);
    CHECK(*ov.get("b").value() == "20");
    CHECK_FALSE(ov.get("e").value().has_value());
    CHECK_FALSE(ov.get("a").value().has_value());
    // What buffers() tells: a write or a delete since the overlay began, not undone; the
    // parent's keys alone are not buffered.
    CHECK(ov.buffers("a"));
    CHECK(ov.buffers("b"));
    CHECK_FALSE(ov.buffers("c"));
    CHECK_FALSE(ov.buffers("e"));
    std::vector<std::pair<std::string, std::string>> seen;
    REQUIRE(ov.scan("", [&](std::string_view k, std::string_view v) {
        seen.emplace_back(std::string(k), std::string(v));
        return true;
    }).ok());
    CHECK(seen == std::vector<std::pair<std::string, std::string>>{{"b", "20"}, {"c", "3"}, {"d", "4"}});
    ov.rollback(sp1);
    CHECK_FALSE(ov.buffers("a"));
    CHECK(*ov.get("a").value() == "1");
    CHECK_FALSE(ov.get("d").value().has_value());
    const auto sorted = ov.sorted();
    REQUIRE(sorted.size() == 1);
    const auto writes = ov.take_writes();
    REQUIRE(writes.size() == 1);
    CHECK(writes[0] == ledger::StateWrite{"b", std::string("20")});
    CHECK(ov.sorted().empty());
}

namespace {

// A model of the overlay's buffer (key -> value, nullopt a delete), and savepoints with the
// model as it was at each.
using BufferModel = std::map<std::string, std::optional<std::string>>;
using SavedModels = std::vector<std::pair<Overlay::Savepoint, BufferModel>>;

// Rolls the overlay and the model back to saved point `back`, dropping it and every later one.
void rollback_both(Overlay& ov, BufferModel& model, SavedModels& saved, std::size_t back) {
    ov.rollback(saved[back].first);
    model = saved[back].second;
    saved.resize(back);
}

// Requires ov.sorted(prefix) to be exactly the model's entries under `prefix`, in key order.
void require_walk_matches(const Overlay& ov, const BufferModel& model, const std::string& prefix) {
    const auto got = ov.sorted(prefix);
    std::vector<std::pair<std::string, std::optional<std::string>>> want;
    for (const auto& [k, v] : model) {
        if (k.compare(0, prefix.size(), prefix) == 0) {
            want.emplace_back(k, v);
        }
    }
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        REQUIRE(*got[i].key == want[i].first);
        REQUIRE(*got[i].value == want[i].second);
    }
}

// Requires the block's writes to be exactly the model's entries, in key order.
void require_writes_match(const ledger::StateWrites& writes, const BufferModel& model) {
    REQUIRE(writes.size() == model.size());
    std::size_t i = 0;
    for (const auto& [k, v] : model) {
        REQUIRE(writes[i] == ledger::StateWrite{k, v});
        ++i;
    }
}

}  // namespace

TEST_CASE("the overlay's kept key order matches a fresh sort through writes, rollbacks and prefix walks",
          "[contracts][state]") {
    // ADR 0162: sorted() keeps its key order between calls and merges later keys into it. A
    // deterministic pseudo-random mix of new keys, overwrites, tombstones, nested rollbacks and
    // prefix walks is checked after every step against a std::map model of the buffer.
    ledger::MemoryState parent;
    Overlay ov(parent, kRecordVersionLatest);
    BufferModel model;
    SavedModels saved;
    std::uint64_t x = 88172645463325252ULL;  // xorshift64: a fixed sequence, the same on every run
    auto next = [&x](std::uint64_t n) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x % n;
    };
    // The sort compares keys' first 24 bytes as zero-padded words and falls back to the keys
    // when those tie (ADR 0173). The long prefixes make keys that tie in their first 24 bytes
    // (one with a NUL just past them), and the keys written first below tie within them: a
    // key and the same key with trailing NUL bytes, which the padding cannot tell apart.
    const std::array<std::string, 6> prefixes = {"ac/",
                                                 "ln/",
                                                 "ob/",
                                                 "ac/W",
                                                 "ev/A-LOAN-ID-OF-24-BYTES/",
                                                 std::string("ev/A-LOAN-ID-OF-24-BYTES\0/", 26)};
    for (const std::string& key :
         {std::string("ac/W7", 5), std::string("ac/W7\0", 6), std::string("ac/W7\0\0", 7)}) {
        ov.put(key, "nul");
        model[key] = "nul";
    }
    for (int step = 0; step < 3000; ++step) {
        const auto op = next(10);
        std::string key = prefixes[next(prefixes.size())] + std::to_string(next(300));
        if (op < 4) {
            ov.put(key, std::to_string(step));
            model[key] = std::to_string(step);
        } else if (op == 4) {
            ov.erase(key);
            model[key] = std::nullopt;
        } else if (op == 5) {
            saved.emplace_back(ov.savepoint(), model);
        } else if (op == 6 && !saved.empty()) {
            rollback_both(ov, model, saved, next(saved.size()));
        } else {
            require_walk_matches(ov, model,
                                 op == 9 ? std::string() : prefixes[next(prefixes.size())]);
        }
    }
    require_writes_match(ov.take_writes(), model);
    CHECK(ov.sorted().empty());
    ov.put("z", "1");
    CHECK(ov.take_writes() == ledger::StateWrites{ledger::StateWrite{"z", std::string("1")}});
}

TEST_CASE(
    "typed accounts and obligations read, walk, roll back and write as the bytes they stand for",
    "[contracts][state]") {
    // ADR 0173: accounts and obligation aggregates are held decoded and reach the byte map only
    // when a walk, a point read of bytes or take_writes() needs them. A deterministic
    // pseudo-random mix of typed writes (both APIs), raw writes of typed keys while the overlay
    // allows them, writes to other records, nested rollbacks, releases, walks (some flushing
    // mid-way, then rolled back across) and reads is checked after every step against a
    // std::map model holding every write as bytes. Two blocks: the overlay is reused after
    // take_writes() over the parent the first block's writes produced.
    ledger::MemoryState parent;
    const std::array<std::string, 3> banks = {"HUARUI", "WEBANK", "ZBANK"};
    auto account_key = [&](std::uint64_t n) {
        return keys::account(banks[n % 3],
                             n % 2 == 0 ? AccountCode::kInterbank : AccountCode::kLoanPrincipal,
                             n % 2 == 0 ? banks[(n / 3) % 3] : std::string());
    };
    auto obligation_key = [&](std::uint64_t n) {
        return keys::obligation("20240215-01", banks[n % 3], banks[(n / 3) % 3],
                                Category::kPrincipal);
    };
    // The parent holds some records of each kind already.
    for (std::uint64_t n = 0; n < 12; n += 3) {
        parent.apply({{account_key(n), encode(Account{1000 + n, 7}, kRecordVersionLatest)},
                      {obligation_key(n), encode(ObligationAggregate{50 + n, 1}, kRecordVersionLatest)},
                      {"ln/" + std::to_string(n), "parent"}});
    }
    Overlay ov(parent, kRecordVersionLatest);
    std::uint64_t x = 0x9E3779B97F4A7C15ULL;  // xorshift64, a fixed sequence
    auto next = [&x](std::uint64_t n) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x % n;
    };
    const std::array<std::string, 6> walks = {"", "a", "ac/", "ac/WEBANK/", "ob/", "ln/"};
    for (int round = 0; round < 2; ++round) {
        BufferModel model;  // every write as bytes, as a byte overlay buffers it
        SavedModels saved;
        std::set<std::string> typed_touched;  // keys the overlay may hold a slot for: no raw writes
        auto bytes_of = [&](const std::string& key) -> std::optional<std::string> {
            const auto it = model.find(key);
            return it != model.end() ? it->second : parent.get(key).value();
        };
        auto expect_account = [&](const std::string& key) {
            const auto b = bytes_of(key);
            return b ? decode_account(*b).value() : Account{};
        };
        for (int step = 0; step < 4000; ++step) {
            const auto op = next(13);
            const std::uint64_t n = next(18);
            if (op < 2) {
                const std::string key = account_key(n);
                typed_touched.insert(key);
                Account a = ov.account(key).value();
                CHECK(a == expect_account(key));
                a.debits_posted += static_cast<U128>(step);
                a.credits_posted += 1;
                REQUIRE(ov.put_account(key, a).ok());
                model[key] = encode(a, kRecordVersionLatest);
            } else if (op == 2) {
                // Booking's path: one lookup, and a change that declines writes nothing.
                const std::string key = account_key(n);
                typed_touched.insert(key);
                const Account before = expect_account(key);
                const bool write = next(4) != 0;
                Account seen;
                const auto wrote = ov.update_account(key, [&](Account& a) {
                    seen = a;
                    a.credits_posted += 5;
                    return write;
                });
                REQUIRE(wrote.value() == write);
                CHECK(seen == before);
                if (write) {
                    Account after = before;
                    after.credits_posted += 5;
                    model[key] = encode(after, kRecordVersionLatest);
                }
            } else if (op == 3) {
                const std::string key = obligation_key(n);
                typed_touched.insert(key);
                const auto b = bytes_of(key);
                ObligationAggregate want =
                    b ? decode_obligation(*b).value() : ObligationAggregate{};
                REQUIRE(ov.update_obligation(key, [](ObligationAggregate& o) {
                              o.amount += 3;
                              o.count += 1;
                              return true;
                          }).value());
                want.amount += 3;
                want.count += 1;
                model[key] = encode(want, kRecordVersionLatest);
            } else if (op == 4) {
                // A raw write: of a typed key the overlay has not touched typed, else of a loan.
                const std::string typed_key = n % 2 == 0 ? account_key(n) : obligation_key(n);
                const std::string key =
                    typed_touched.count(typed_key) == 0 ? typed_key : "ln/" + std::to_string(n);
                const std::string value =
                    key == typed_key ? (n % 2 == 0 ? encode(Account{static_cast<U128>(step), 1}, kRecordVersionLatest)
                                                   : encode(ObligationAggregate{9, 9}, kRecordVersionLatest))
                                     : std::to_string(step);
                ov.put(key, value);
                model[key] = value;
            } else if (op == 5) {
                if (next(30) == 0) {
                    ov.release_undo();  // what is buffered is final; no savepoint is open any more
                    saved.clear();
                } else {
                    saved.emplace_back(ov.savepoint(), model);
                }
            } else if (op == 6 && !saved.empty()) {
                rollback_both(ov, model, saved, next(saved.size()));
            } else if (op == 7) {
                // Point reads: get(), read(), buffers() and the typed reads see the same record.
                for (const std::string& key : {account_key(n), obligation_key(n)}) {
                    CHECK(ov.get(key).value() == bytes_of(key));
                    CHECK(ov.buffers(key) == (model.count(key) != 0));
                    const auto via_read = ov.read(
                        key,
                        [](std::optional<std::string_view> v)
                            -> Result<std::optional<std::string>> {
                            return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
                        });
                    CHECK(via_read.value() == bytes_of(key));
                }
                typed_touched.insert(account_key(n));
                CHECK(ov.account(account_key(n)).value() == expect_account(account_key(n)));
            } else if (op < 12) {
                require_walk_matches(ov, model, walks[next(walks.size())]);
            } else {
                std::vector<std::pair<std::string, std::string>> seen;
                REQUIRE(ov.scan("ac/", [&](std::string_view k, std::string_view v) {
                              seen.emplace_back(std::string(k), std::string(v));
                              return true;
                          }).ok());
                std::map<std::string, std::string> want;
                REQUIRE(parent
                            .scan("ac/",
                                  [&](std::string_view k, std::string_view v) {
                                      want.emplace(std::string(k), std::string(v));
                                      return true;
                                  })
                            .ok());
                for (const auto& [k, v] : model) {
                    if (k.rfind("ac/", 0) == 0) {
                        want[k] = *v;
                    }
                }
                CHECK(seen ==
                      std::vector<std::pair<std::string, std::string>>(want.begin(), want.end()));
            }
        }
        const auto writes = ov.take_writes();
        require_writes_match(writes, model);
        CHECK(ov.take_writes().empty());
        parent.apply(writes);  // the next round is the next block, on this one's state
    }
}

TEST_CASE(
    "a typed record loaded from a raw write that is rolled back reads the bytes beneath again",
    "[contracts][state]") {
    // Found in review (ADR 0173): the slot decoded from a raw write must not outlive the write.
    ledger::MemoryState parent;
    const std::string key = keys::account("WEBANK", AccountCode::kInterbank, "HUARUI");
    parent.apply({{key, encode(Account{100, 0}, kRecordVersionLatest)}});
    Overlay ov(parent, kRecordVersionLatest);
    const auto sp = ov.savepoint();
    ov.put(key, encode(Account{5, 0}, kRecordVersionLatest));  // allowed: the overlay has not touched it typed
    CHECK(ov.account(key).value() == Account{5, 0});
    ov.rollback(sp);
    CHECK(ov.account(key).value() == Account{100, 0});
    CHECK(*ov.get(key).value() == encode(Account{100, 0}, kRecordVersionLatest));
    REQUIRE(ov.update_account(key, [](Account& a) {
                  a.debits_posted += 1;
                  return true;
              }).value());
    CHECK(ov.take_writes() ==
          ledger::StateWrites{ledger::StateWrite{key, encode(Account{101, 0}, kRecordVersionLatest)}});
}

TEST_CASE("a typed record that does not decode is corruption, with its key", "[contracts][state]") {
    ledger::MemoryState parent;
    const std::string key = keys::account("WEBANK", AccountCode::kInterbank, "HUARUI");
    parent.apply({{key, "\x01short"}});
    Overlay ov(parent, kRecordVersionLatest);
    const auto read = ov.account(key);
    REQUIRE_FALSE(read.ok());
    CHECK(read.error().code() == Errc::kCorruption);
    CHECK_THAT(read.error().message(), Catch::Contains(key));
    const auto written = ov.put_account(key, Account{1, 1});
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().code() == Errc::kCorruption);
    CHECK(ov.take_writes().empty());
}

TEST_CASE("genesis validates members and opens the first cycle", "[contracts][state]") {
    auto key = [](char fill) { return crypto::SecretKey::from_hex(std::string(63, fill) + "1").value().public_key(); };
    GenesisMember wb{"WEBANK", "WeBank", "313100000013", "", "", {key('1')}, {Role::kServicer}, MemberStatus::kActive};
    GenesisMember hr{"HUARUI", "Huarui", "323100000017", "", "", {key('2')}, {Role::kFunder}, MemberStatus::kActive};
    GenesisParams gp;
    gp.genesis_time_ms = noon_cst_ms("2024-02-15");
    auto ok = genesis_writes(GenesisMembers{{wb, hr}}, gp);
    REQUIRE(ok.ok());
    ledger::MemoryState s;
    s.apply(*ok);
    CHECK(decode_current_cycle(*s.get(keys::current_cycle()).value()).value() == "20240215-01");
    CHECK(decode_member(*s.get(keys::member("WEBANK")).value()).value().has_role(Role::kServicer));
    CHECK(genesis_writes(GenesisMembers{{wb, hr}}, gp).value() == *ok);  // deterministic

    auto refuse = [&](std::vector<GenesisMember> members, GenesisParams params = GenesisParams{}) {
        const auto r = genesis_writes(GenesisMembers{std::move(members)}, params);
        CHECK_FALSE(r.ok());
        return r.ok() ? std::string() : r.error().message();
    };
    CHECK(refuse({wb, wb}).find("duplicate bank_id") != std::string::npos);
    GenesisMember bad = hr;
    bad.cnaps_code = "12345";
    CHECK(refuse({wb, bad}).find("cnaps_code") != std::string::npos);
    bad = hr;
    bad.keys = {key('1')};  // WEBANK's key
    CHECK(refuse({wb, bad}).find("key") != std::string::npos);
    bad = hr;
    bad.keys.clear();
    refuse({wb, bad});
    bad = hr;
    bad.roles.clear();
    refuse({wb, bad});
    bad = hr;
    bad.bank_id = "huarui";
    refuse({wb, bad});
    refuse({});
    GenesisParams unsorted;
    unsorted.params.products = {ProductTerms{"B"}, ProductTerms{"A"}};
    refuse({wb}, unsorted);
}

TEST_CASE("governance parameters: encoding and validation", "[contracts][state]") {
    Params p;
    CHECK(check_params(p).empty());
    p.holidays = {day("2024-02-12")};
    p.working_weekends = {day("2024-02-04")};
    p.cycle_cutoffs_minutes = {9 * 60, 13 * 60 + 15, 24 * 60};
    p.rate_bases = 0b011;
    p.governance_quorum_bps = 6667;
    p.governance_ttl_days = 3;
    CHECK(check_params(p).empty());
    CHECK(decode_params(encode(p)).value() == p);
    CHECK(encode(decode_params(encode(p)).value()) == encode(p));
    // The record version is the params record's own version byte, not a field (ADR 0175).
    CHECK(encode(p)[0] == '\x01');
    Params p2 = p;
    p2.record_version = RecordVersion::kVarint64;
    CHECK(encode(p2)[0] == '\x02');
    CHECK(encode(p2).size() < encode(p).size());
    CHECK(decode_params(encode(p2)).value() == p2);
    CHECK(p.basis_allowed(arith::Basis::kDaily));
    CHECK(p.basis_allowed(arith::Basis::kAct360));
    CHECK_FALSE(p.basis_allowed(arith::Basis::kAct365F));

    auto problem = [](auto mutate) {
        Params q;
        mutate(q);
        return check_params(q);
    };
    CHECK(problem([](Params& q) { q.cycle_cutoffs_minutes = {600, 600}; }).find("cycle_cutoffs") == 0);
    CHECK(problem([](Params& q) { q.cycle_cutoffs_minutes = {1441}; }).find("cycle_cutoffs") == 0);
    CHECK(problem([](Params& q) { q.cycle_cutoffs_minutes = {0}; }).find("cycle_cutoffs") == 0);
    CHECK(problem([](Params& q) { q.rate_bases = 0; }).find("rate_bases") == 0);
    CHECK(problem([](Params& q) { q.rate_bases = 0b1000; }).find("rate_bases") == 0);
    CHECK(problem([](Params& q) { q.holidays = {day("2024-02-13"), day("2024-02-12")}; }).find("sorted") !=
          std::string::npos);
    CHECK(problem([](Params& q) { q.governance_quorum_bps = 0; }).find("quorum") != std::string::npos);
    CHECK(problem([](Params& q) { q.governance_quorum_bps = 10001; }).find("quorum") != std::string::npos);
    CHECK(problem([](Params& q) { q.governance_ttl_days = 0; }).find("ttl") != std::string::npos);
    CHECK(problem([](Params& q) { q.record_version = static_cast<RecordVersion>(3); }) ==
          "record_version: must be 1 or 2");
    // genesis refuses what check_params refuses
    GenesisParams gp;
    gp.genesis_time_ms = noon_cst_ms("2024-02-15");
    gp.params.governance_quorum_bps = 0;
    const auto key = crypto::SecretKey::from_hex(std::string(63, '1') + "1").value().public_key();
    GenesisMember wb{"WEBANK", "WeBank", "313100000013", "", "", {key}, {Role::kServicer}, MemberStatus::kActive};
    const auto r = genesis_writes(GenesisMembers{{wb}}, gp);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("params.governance_quorum_bps") != std::string::npos);
}

TEST_CASE("a block that breaks B1-B4 is refused with ERR_INVARIANT_VIOLATION", "[contracts][state]") {
    auto damaged_chain = [] {
        Chain c(test_params(), EngineOptions{.check_tx_invariants = false});
        c.partnership(PartnershipSpec{});
        REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})).status == TxStatus::kOk);
        return c;
    };
    auto repay_block = [](Chain& c) {
        return c.try_block("2024-02-15", {c.tx("WEBANK", "loan.repay", repay_body("L-0001", "2024-02-15", "79067", "PAY-1"))});
    };
    SECTION("B3: LOAN_PRINCIPAL no longer equals the bank's tranche principal") {
        Chain c = damaged_chain();
        Account lp = c.account("WEBANK", AccountCode::kLoanPrincipal);
        lp.debits_posted += 1;
        c.mutable_state().apply({{keys::account("WEBANK", AccountCode::kLoanPrincipal, ""), encode(lp, kRecordVersionLatest)}});
        const auto out = repay_block(c);
        REQUIRE_FALSE(out.ok());
        CHECK(out.error().message().find("ERR_INVARIANT_VIOLATION (9900) at height 4") != std::string::npos);
        CHECK(out.error().message().find("B3 bank WEBANK") != std::string::npos);
    }
    SECTION("B1: a bank's debits no longer equal its credits") {
        Chain c = damaged_chain();
        BankAggregate agg = decode_bank_aggregate(*c.state().get(keys::aggregate("HUARUI")).value()).value();
        agg.debits_total += 1;
        c.mutable_state().apply({{keys::aggregate("HUARUI"), encode(agg, kRecordVersionLatest)}});
        const auto out = repay_block(c);
        REQUIRE_FALSE(out.ok());
        CHECK(out.error().message().find("B1 bank HUARUI") != std::string::npos);
    }
    SECTION("B2: interbank accounts no longer mirror") {
        Chain c = damaged_chain();
        Account ib = c.account("HUARUI", AccountCode::kInterbank, "WEBANK");
        ib.credits_posted += 1;
        Account cash = c.account("HUARUI", AccountCode::kSettlementCash);
        cash.debits_posted += 1;  // keep HUARUI's own books balanced so only B2 breaks
        c.mutable_state().apply({{keys::account("HUARUI", AccountCode::kInterbank, "WEBANK"), encode(ib, kRecordVersionLatest)},
                                 {keys::account("HUARUI", AccountCode::kSettlementCash, ""), encode(cash, kRecordVersionLatest)}});
        BankAggregate agg = decode_bank_aggregate(*c.state().get(keys::aggregate("HUARUI")).value()).value();
        agg.debits_total += 1;
        agg.credits_total += 1;
        c.mutable_state().apply({{keys::aggregate("HUARUI"), encode(agg, kRecordVersionLatest)}});
        const auto out = repay_block(c);
        REQUIRE_FALSE(out.ok());
        CHECK(out.error().message().find("B2 ") != std::string::npos);
    }
    SECTION("B4: partnership usage drifted from its tranches") {
        Chain c = damaged_chain();
        Partnership p = decode_partnership(*c.state().get(keys::partnership("P-WB-HR")).value()).value();
        p.used += 1;
        c.mutable_state().apply({{keys::partnership("P-WB-HR"), encode(p, kRecordVersionLatest)}});
        // The repayment moves usage by exactly the partner's principal; the drift itself is in
        // the parent, so B4's delta check passes; the check at the next origination does not.
        REQUIRE(repay_block(c).ok());
        Partnership q = p;
        q.used = -5;
        c.mutable_state().apply({{keys::partnership("P-WB-HR"), encode(q, kRecordVersionLatest)}});
        const auto out = repay_block(c);
        REQUIRE_FALSE(out.ok());
        CHECK(out.error().message().find("B4 partnership P-WB-HR") != std::string::npos);
    }
    SECTION("a loan that breaks T4-T6 in state is refused, not used") {
        Chain c(test_params(), EngineOptions{.check_tx_invariants = false});
        c.partnership(PartnershipSpec{});
        REQUIRE(c.run("2024-01-15", "WEBANK", "loan.originate", originate_body(LoanSpec{})).status == TxStatus::kOk);
        Loan loan = c.loan("L-0001");
        loan.tranches[1].fee_cum = 5;  // T6: fee not equal to round(fee_base_cum x bps)
        c.mutable_state().apply({{keys::loan("L-0001"), encode(loan, kRecordVersionLatest)}});
        const auto out = repay_block(c);
        REQUIRE_FALSE(out.ok());
        CHECK(out.error().message().find("T6 loan L-0001") != std::string::npos);
    }
}

TEST_CASE("replay on a second engine from the same parent gives identical writes", "[contracts][state]") {
    Chain c(test_params());
    c.partnership(PartnershipSpec{});
    const auto txs = std::vector{c.tx("WEBANK", "loan.originate", originate_body(LoanSpec{})),
                                 c.tx("WEBANK", "loan.repay", repay_body("L-0001", "2024-01-20", "1000", "PAY-1")),
                                 c.tx("HUARUI", "loan.repay", repay_body("L-0001", "2024-01-20", "1000", "PAY-2"))};
    const Engine production;  // T-checks off: must not change the outcome
    const Engine checked(EngineOptions{.check_tx_invariants = true});
    const auto ctx = BlockContext::at(c.height() + 1, noon_cst_ms("2024-01-20"));
    const auto a = production.execute_block(c.state(), ctx, txs);
    const auto b = checked.execute_block(c.state(), ctx, txs);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->writes == b->writes);
    REQUIRE(a->receipts.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(a->receipts[i].code == b->receipts[i].code);
        CHECK(a->receipts[i].result == b->receipts[i].result);
    }
    CHECK(a->receipts[2].code == 2003);
    // Writes are sorted by key and unique.
    for (std::size_t i = 1; i < a->writes.size(); ++i) {
        CHECK(a->writes[i - 1].key < a->writes[i].key);
    }
    // A context whose business date contradicts its timestamp is refused.
    BlockContext wrong = ctx;
    wrong.business_date += 1;
    CHECK_FALSE(production.execute_block(c.state(), wrong, txs).ok());
}

}  // namespace jc::contracts::test
