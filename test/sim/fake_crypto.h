// Cheap deterministic stand-ins for secp256k1 used by the simulator and the consensus tests.
//
// A fake signature of hash h by validator i is SHA-256(secret_i ‖ h) in the first 32 bytes and
// zeros after. Only the verifier knows every secret; a Byzantine node in the simulator holds
// only its own FakeSigner, so within the simulation the scheme is unforgeable, while signing and
// verifying cost one SHA-256 instead of ~20-50 µs.
//
// Thread-safety: plain objects; one thread.
#pragma once

#include <jc/consensus/signing.h>
#include <jc/core/sha256.h>

#include <cstdint>
#include <vector>

namespace jc::sim {

Hash fake_secret(std::uint64_t seed, std::uint32_t validator);

class FakeSigner final : public consensus::Signer {
public:
    explicit FakeSigner(Hash secret) : secret_(secret) {}
    [[nodiscard]] crypto::Signature sign(const Hash& vote_hash) override;

private:
    Hash secret_;
};

class FakeVerifier final : public consensus::Verifier {
public:
    explicit FakeVerifier(std::vector<Hash> secrets) : secrets_(std::move(secrets)) {}
    [[nodiscard]] bool verify(consensus::ValidatorIndex validator, const Hash& vote_hash,
                              const crypto::Signature& sig) const override;

private:
    std::vector<Hash> secrets_;
};

crypto::Signature fake_sign(const Hash& secret, const Hash& vote_hash);

// The simulated block format: digest = SHA-256("jc-sim-block" ‖ height ‖ parent ‖ payload).
Hash sim_block_digest(std::uint64_t height, const Hash& parent, ByteView payload);
consensus::Proposal make_sim_proposal(std::uint64_t height, const Hash& parent, Bytes payload);

// Valid when the digest commits to height, parent and payload and the payload is non-empty.
class SimProposalValidator final : public consensus::ProposalValidator {
public:
    [[nodiscard]] bool valid(std::uint64_t height, const consensus::Proposal& proposal) const override;
};

}  // namespace jc::sim
