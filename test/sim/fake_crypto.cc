#include "fake_crypto.h"

#include <jc/core/codec.h>

#include <algorithm>

namespace jc::sim {

Hash fake_secret(std::uint64_t seed, std::uint32_t validator) {
    codec::Writer w;
    w.str("jc-sim-secret").u64(seed).u32(validator);
    return sha256(w.data());
}

crypto::Signature fake_sign(const Hash& secret, const Hash& vote_hash) {
    crypto::Signature s;
    const Hash h = sha256_parts({secret.view(), vote_hash.view()});
    std::copy(h.bytes.begin(), h.bytes.end(), s.bytes.begin());
    return s;
}

crypto::Signature FakeSigner::sign(const Hash& vote_hash) { return fake_sign(secret_, vote_hash); }

bool FakeVerifier::verify(consensus::ValidatorIndex validator, const Hash& vote_hash,
                          const crypto::Signature& sig) const {
    if (validator >= secrets_.size()) {
        return false;
    }
    return fake_sign(secrets_[validator], vote_hash) == sig;
}

Hash sim_block_digest(std::uint64_t height, const Hash& parent, ByteView payload) {
    codec::Writer w;
    w.str("jc-sim-block").u64(height).hash(parent).bytes(payload);
    return sha256(w.data());
}

consensus::Proposal make_sim_proposal(std::uint64_t height, const Hash& parent, Bytes payload) {
    consensus::Proposal p;
    p.parent_digest = parent;
    p.digest = sim_block_digest(height, parent, payload);
    p.payload = std::move(payload);
    return p;
}

bool SimProposalValidator::valid(std::uint64_t height, const consensus::Proposal& p) const {
    return !p.payload.empty() && p.digest == sim_block_digest(height, p.parent_digest, p.payload);
}

}  // namespace jc::sim
