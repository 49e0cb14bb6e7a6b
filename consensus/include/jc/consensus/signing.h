// What the replica needs from the outside world to sign, verify and judge proposals.
//
// The replica never holds a key or knows a block format: a Signer signs vote hashes with this
// validator's consensus key, a Verifier checks a validator's signature, and a ProposalValidator
// (the node) decides whether a proposal may be voted on at a height. Production uses the
// secp256k1 implementations below; the simulator injects cheaper fakes.
//
// Ownership: the replica keeps references; the caller keeps them alive for the replica's life.
// Thread-safety: the replica calls these from its one thread; the secp256k1 implementations are
// safe to share.
#pragma once

#include <jc/consensus/types.h>
#include <jc/core/certificate.h>
#include <jc/core/secp256k1.h>

#include <string_view>
#include <vector>

namespace jc::consensus {

class Signer {
public:
    virtual ~Signer() = default;
    [[nodiscard]] virtual crypto::Signature sign(const Hash& vote_hash) = 0;
};

class Verifier {
public:
    virtual ~Verifier() = default;
    // True when `sig` is `validator`'s signature of `vote_hash`. REQUIRES: validator < n.
    [[nodiscard]] virtual bool verify(ValidatorIndex validator, const Hash& vote_hash,
                                      const crypto::Signature& sig) const = 0;
};

class ProposalValidator {
public:
    virtual ~ProposalValidator() = default;
    // True when the proposal may be voted on at `height`: its digest commits to its parent,
    // height and payload, and the payload is a valid block (the node's rules).
    [[nodiscard]] virtual bool valid(std::uint64_t height, const Proposal& proposal) const = 0;
};

class Secp256k1Signer final : public Signer {
public:
    explicit Secp256k1Signer(crypto::SecretKey key) : key_(std::move(key)) {}
    [[nodiscard]] crypto::Signature sign(const Hash& vote_hash) override { return key_.sign(vote_hash); }

private:
    crypto::SecretKey key_;
};

class Secp256k1Verifier final : public Verifier {
public:
    explicit Secp256k1Verifier(const std::vector<ValidatorKey>& validators);
    [[nodiscard]] bool verify(ValidatorIndex validator, const Hash& vote_hash,
                              const crypto::Signature& sig) const override;

private:
    std::vector<crypto::PublicKey> keys_;
};

// Checks that `cert` is of `kind`, that its signers are sorted, distinct and known, that every
// signature verifies (one by one) and that their weight reaches the quorum. The error names the
// offending validator.
Status verify_certificate_with(const Certificate& cert, VoteKind kind, std::string_view chain_id,
                               const std::vector<ValidatorKey>& validators, const Verifier& verifier);

}  // namespace jc::consensus
