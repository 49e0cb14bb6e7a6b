#include <jc/consensus/signing.h>

#include <jc/core/assert.h>

namespace jc::consensus {

Secp256k1Verifier::Secp256k1Verifier(const std::vector<ValidatorKey>& validators) {
    keys_.reserve(validators.size());
    for (const auto& v : validators) {
        keys_.push_back(v.key);
    }
}

bool Secp256k1Verifier::verify(ValidatorIndex validator, const Hash& vote_hash,
                               const crypto::Signature& sig) const {
    JC_ASSERT(validator < keys_.size(), "consensus.verifier.known_validator");
    return crypto::verify(keys_[validator], vote_hash, sig);
}

Status verify_certificate_with(const Certificate& cert, VoteKind kind, std::string_view chain_id,
                               const std::vector<ValidatorKey>& validators, const Verifier& verifier) {
    if (cert.kind != kind) {
        return Error(Errc::kCrypto, "certificate: kind " + std::to_string(static_cast<int>(cert.kind)) +
                                        ", expected " + std::to_string(static_cast<int>(kind)));
    }
    std::uint64_t total = 0;
    for (const auto& v : validators) {
        total += v.weight;
    }
    if (total == 0) {
        return Error(Errc::kInvalidArgument, "empty validator set");
    }
    const Hash h = vote_hash(chain_id, cert.kind, cert.view, cert.height, cert.digest);
    std::uint64_t signed_weight = 0;
    for (std::size_t i = 0; i < cert.signatures.size(); ++i) {
        const auto& s = cert.signatures[i];
        if (i > 0 && s.validator <= cert.signatures[i - 1].validator) {
            return Error(Errc::kCrypto, "certificate: duplicate or unsorted validator " +
                                            std::to_string(s.validator));
        }
        if (s.validator >= validators.size()) {
            return Error(Errc::kCrypto, "certificate: unknown validator " + std::to_string(s.validator));
        }
        if (!verifier.verify(s.validator, h, s.sig)) {
            return Error(Errc::kCrypto, "certificate: bad signature from validator " +
                                            std::to_string(s.validator));
        }
        signed_weight += validators[s.validator].weight;
    }
    const std::uint64_t q = quorum_weight(total);
    if (signed_weight < q) {
        return Error(Errc::kCrypto, "certificate: signed weight " + std::to_string(signed_weight) +
                                        " below quorum " + std::to_string(q));
    }
    return {};
}

}  // namespace jc::consensus
