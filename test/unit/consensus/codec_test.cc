// Goal: every consensus message and record round-trips through the binary codec with one
// canonical encoding, and the strict decoder refuses truncation at every byte, trailing bytes,
// unknown versions/types, counts and lengths over the limits, out-of-range views and malformed
// certificates. Method: build one instance of every type (with nested certificates), encode,
// decode, re-encode, compare; then mutate the encodings.
#include "fake_crypto.h"

#include <jc/consensus/events.h>
#include <jc/consensus/messages.h>
#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

using namespace jc;
using namespace jc::consensus;

namespace {

Hash h(std::string_view s) { return sha256(s); }

crypto::Signature sig(std::uint8_t b) {
    crypto::Signature s;
    s.bytes.fill(b);
    return s;
}

Certificate cert(VoteKind kind, std::uint64_t view, std::uint64_t height, const Hash& d) {
    return Certificate{kind, view, height, d, {{0, sig(1)}, {2, sig(2)}, {3, sig(3)}}};
}

Proposal proposal(std::uint64_t height) { return sim::make_sim_proposal(height, h("parent"), Bytes{1, 2, 3, 4}); }

ViewChange view_change() {
    ViewChange vc;
    vc.new_view = 7;
    vc.signer = 2;
    vc.committed = {5, h("five"), cert(VoteKind::kCommit, 3, 5, h("five"))};
    vc.prepared.push_back({proposal(6), cert(VoteKind::kPrepare, 4, 6, proposal(6).digest)});
    vc.sig = sig(9);
    return vc;
}

std::vector<Message> samples() {
    std::vector<Message> out;
    out.emplace_back(PrePrepare{3, 9, proposal(9), 1, sig(4)});
    out.emplace_back(Vote{VoteKind::kPrepare, 3, 9, h("d"), 2, sig(5)});
    out.emplace_back(Vote{VoteKind::kCommit, 3, 9, h("d"), 2, sig(6)});
    out.emplace_back(Checkpoint{9, h("results"), 3, sig(7)});
    out.emplace_back(view_change());
    NewView nv;
    nv.view = 7;
    nv.signer = 3;
    nv.view_changes = {view_change()};
    nv.selected = {{6, proposal(6).digest}};
    nv.sig = sig(8);
    out.emplace_back(nv);
    ViewChange genesis_claim;
    genesis_claim.new_view = 1;
    genesis_claim.committed = {0, h("genesis"), std::nullopt};
    out.emplace_back(genesis_claim);
    return out;
}

CodecLimits limits() {
    CodecLimits l;
    l.proposal_bytes_max = 64;
    l.prepared_entries_max = 4;
    l.view_changes_max = 4;
    l.selected_max = 4;
    l.certificate_signatures_max = 4;
    return l;
}

}  // namespace

TEST_CASE("every message round-trips canonically", "[consensus][codec]") {
    for (const Message& m : samples()) {
        const Bytes b = encode(m);
        auto back = decode(b, limits());
        REQUIRE(back.ok());
        CHECK(*back == m);
        CHECK(encode(*back) == b);
        CHECK(signer_of(*back) == signer_of(m));
        CHECK(signed_hash("c", *back) == signed_hash("c", m));
    }
}

TEST_CASE("decoding refuses every truncation and any trailing byte", "[consensus][codec]") {
    for (const Message& m : samples()) {
        const Bytes b = encode(m);
        for (std::size_t len = 0; len < b.size(); ++len) {
            CHECK_FALSE(decode(ByteView(b.data(), len), limits()).ok());
        }
        Bytes longer = b;
        longer.push_back(0);
        CHECK_FALSE(decode(longer, limits()).ok());
    }
}

TEST_CASE("decoding refuses unknown versions and types and out-of-range views", "[consensus][codec]") {
    Bytes b = encode(samples()[1]);
    Bytes bad_version = b;
    bad_version[0] = 2;
    CHECK_FALSE(decode(bad_version, limits()).ok());
    for (const std::uint8_t type : {std::uint8_t{0}, std::uint8_t{7}, std::uint8_t{255}}) {
        Bytes bad_type = b;
        bad_type[1] = type;
        CHECK_FALSE(decode(bad_type, limits()).ok());
    }
    Vote v{VoteKind::kPrepare, kViewMax + 1, 1, h("d"), 0, sig(1)};
    CHECK_FALSE(decode(encode(v), limits()).ok());
    v.view = kViewMax;
    CHECK(decode(encode(v), limits()).ok());
}

TEST_CASE("decoding enforces the configured limits", "[consensus][codec]") {
    CodecLimits tight = limits();
    PrePrepare pp{1, 1, proposal(1), 0, sig(1)};
    pp.proposal.payload.assign(65, 7);
    CHECK_FALSE(decode(encode(pp), tight).ok());
    pp.proposal.payload.assign(64, 7);
    CHECK(decode(encode(pp), tight).ok());

    ViewChange vc = view_change();
    while (vc.prepared.size() < 5) {
        vc.prepared.push_back(vc.prepared.front());
    }
    CHECK_FALSE(decode(encode(vc), tight).ok());

    ViewChange many_sigs = view_change();
    for (std::uint32_t v = 4; v < 9; ++v) {
        many_sigs.committed.certificate->signatures.push_back({v, sig(1)});
    }
    CHECK_FALSE(decode(encode(many_sigs), tight).ok());
}

TEST_CASE("decoding refuses unsorted certificate signers and bad optional flags", "[consensus][codec]") {
    ViewChange vc = view_change();
    std::swap(vc.committed.certificate->signatures[0], vc.committed.certificate->signatures[1]);
    CHECK_FALSE(decode(encode(vc), limits()).ok());

    // The "has certificate" flag is a strict bool: find it after new_view, signer, height, digest.
    Bytes b = encode(view_change());
    const std::size_t flag = 2 + 8 + 4 + 8 + 32;
    REQUIRE(b[flag] == 1);
    b[flag] = 2;
    CHECK_FALSE(decode(b, limits()).ok());
}

TEST_CASE("records round-trip and are refused when malformed", "[consensus][codec]") {
    const std::vector<Record> records = {
        VoteRecord{VoteKind::kPrePrepare, 2, 5, proposal(5).digest, proposal(5)},
        VoteRecord{VoteKind::kCommit, 2, 5, h("x"), std::nullopt},
        PreparedRecord{{proposal(5), cert(VoteKind::kPrepare, 2, 5, proposal(5).digest)}},
        ViewRecord{9, ViewStatus::kViewChange, 0, 0},
        ViewRecord{9, ViewStatus::kNormal, 4, 6},
    };
    for (const Record& r : records) {
        const Bytes b = encode_record(r);
        auto back = decode_record(b, limits());
        REQUIRE(back.ok());
        CHECK(*back == r);
        CHECK(encode_record(*back) == b);
        for (std::size_t len = 0; len < b.size(); ++len) {
            CHECK_FALSE(decode_record(ByteView(b.data(), len), limits()).ok());
        }
    }
    CHECK(record_height(records[0]) == 5);
    CHECK(record_height(records[2]) == 5);
    CHECK(record_height(records[3]) == 0);
    Bytes bad_status = encode_record(records[3]);
    bad_status[2 + 8] = 3;
    CHECK_FALSE(decode_record(bad_status, limits()).ok());
    Bytes bad_kind = encode_record(records[1]);
    bad_kind[2] = 6;  // a checkpoint is never a recorded vote
    CHECK_FALSE(decode_record(bad_kind, limits()).ok());
}
