// Goal: quorum arithmetic matches PBFT.md for every total weight, and certificates verify only
// with enough distinct, valid signatures for the exact (chain, kind, view, height, digest);
// their encoding is canonical and strictly decoded.
#include <jc/core/certificate.h>
#include <jc/core/sha256.h>

#include <catch2/catch.hpp>

using namespace jc;

TEST_CASE("quorum arithmetic against the naive definition", "[core][quorum]") {
    CHECK(quorum_weight(1) == 1);
    CHECK(quorum_weight(4) == 3);
    CHECK(quorum_weight(7) == 5);
    for (std::uint64_t w = 1; w <= 1000; ++w) {
        // Naive: the largest f with 3f < W; quorum is W - f.
        std::uint64_t f = 0;
        while (3 * (f + 1) < w) {
            ++f;
        }
        CHECK(fault_weight_max(w) == f);
        CHECK(quorum_weight(w) == w - f);
        // Any two quorums intersect in at least f + 1 weight.
        CHECK(2 * quorum_weight(w) >= w + f + 1);
    }
}

namespace {
struct Fixture {
    std::vector<crypto::SecretKey> keys;
    std::vector<ValidatorKey> validators;
    Fixture() {
        for (std::uint32_t i = 0; i < 4; ++i) {
            keys.push_back(crypto::SecretKey::generate().value());
            validators.push_back({.index = i, .key = keys.back().public_key(), .weight = 1});
        }
    }
    Certificate make(std::vector<std::uint32_t> signers, VoteKind kind = VoteKind::kCommit) const {
        Certificate c{.kind = kind, .view = 2, .height = 10, .digest = sha256(std::string_view("block")), .signatures = {}};
        const Hash h = vote_hash("chain", kind, c.view, c.height, c.digest);
        for (auto i : signers) {
            c.signatures.push_back({i, keys[i].sign(h)});
        }
        return c;
    }
};
}  // namespace

TEST_CASE("certificate verification", "[core][certificate]") {
    Fixture fx;
    CHECK(verify_certificate(fx.make({0, 1, 2}), "chain", fx.validators).ok());
    CHECK(verify_certificate(fx.make({0, 1, 2, 3}), "chain", fx.validators).ok());
    CHECK_THAT(verify_certificate(fx.make({0, 1}), "chain", fx.validators).error().message(),
               Catch::Contains("below quorum"));
    CHECK_FALSE(verify_certificate(fx.make({0, 1, 2}), "other-chain", fx.validators).ok());

    auto wrong_height = fx.make({0, 1, 2});
    wrong_height.height = 11;
    CHECK_THAT(verify_certificate(wrong_height, "chain", fx.validators).error().message(),
               Catch::Contains("bad signature from validator 0"));

    // A prepare signature cannot stand in for a commit signature.
    auto prepare = fx.make({0, 1, 2}, VoteKind::kPrepare);
    prepare.kind = VoteKind::kCommit;
    CHECK_FALSE(verify_certificate(prepare, "chain", fx.validators).ok());

    auto duplicated = fx.make({0, 1, 2});
    duplicated.signatures[2] = duplicated.signatures[1];
    CHECK_THAT(verify_certificate(duplicated, "chain", fx.validators).error().message(),
               Catch::Contains("duplicate"));

    auto unknown = fx.make({0, 1, 2});
    unknown.signatures[2].validator = 9;
    CHECK_THAT(verify_certificate(unknown, "chain", fx.validators).error().message(),
               Catch::Contains("unknown validator 9"));
}

TEST_CASE("certificate encoding is canonical and strict", "[core][certificate]") {
    Fixture fx;
    const Certificate c = fx.make({0, 2, 3});
    const Bytes bytes = c.encode();
    auto back = Certificate::decode(bytes);
    REQUIRE(back.ok());
    CHECK(*back == c);

    Bytes trailing = bytes;
    trailing.push_back(0);
    CHECK_FALSE(Certificate::decode(trailing).ok());
    for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
        CHECK_FALSE(Certificate::decode(ByteView(bytes.data(), cut)).ok());
    }
    Bytes bad_kind = bytes;
    bad_kind[0] = 99;
    CHECK_THAT(Certificate::decode(bad_kind).error().message(), Catch::Contains("unknown vote kind"));

    Certificate unsorted = c;
    std::swap(unsorted.signatures[0], unsorted.signatures[1]);
    CHECK_THAT(Certificate::decode(unsorted.encode()).error().message(),
               Catch::Contains("strictly increasing"));
}
