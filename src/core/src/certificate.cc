#include <jc/core/certificate.h>

#include <jc/core/assert.h>
#include <jc/core/sha256.h>

#include <algorithm>

namespace jc {

Hash vote_hash(std::string_view chain_id, VoteKind kind, std::uint64_t view, std::uint64_t height,
               const Hash& digest) {
    codec::Writer w(128);
    w.str("jointclear/vote/v1").str(chain_id).u8(static_cast<std::uint8_t>(kind)).u64(view).u64(height).hash(digest);
    return sha256(w.data());
}

std::uint64_t fault_weight_max(std::uint64_t total_weight) {
    JC_ASSERT(total_weight >= 1, "core.quorum.total_weight_positive");
    return (total_weight - 1) / 3;
}

std::uint64_t quorum_weight(std::uint64_t total_weight) {
    const std::uint64_t q = total_weight - fault_weight_max(total_weight);
    // Two quorums intersect in more than f weight: 2Q - W > f.
    JC_ASSERT(2 * q > total_weight + fault_weight_max(total_weight), "core.quorum.intersection");
    return q;
}

void Certificate::encode(codec::Writer& w) const {
    JC_ASSERT(signatures.size() <= kSignaturesMax, "core.certificate.signatures_bounded");
    w.u8(static_cast<std::uint8_t>(kind)).u64(view).u64(height).hash(digest);
    w.varint(signatures.size());
    for (const auto& s : signatures) {
        w.u32(s.validator).fixed(s.sig.bytes);
    }
}

Bytes Certificate::encode() const {
    codec::Writer w(64 + signatures.size() * 69);
    encode(w);
    return w.take();
}

Result<Certificate> Certificate::decode(codec::Reader& r) {
    Certificate c;
    JC_ASSIGN_OR_RETURN(const std::uint8_t kind, r.u8());
    if (kind < static_cast<std::uint8_t>(VoteKind::kPrePrepare) ||
        kind > static_cast<std::uint8_t>(VoteKind::kCheckpoint)) {
        return Error(Errc::kParse, "certificate: unknown vote kind " + std::to_string(kind));
    }
    c.kind = static_cast<VoteKind>(kind);
    JC_ASSIGN_OR_RETURN(c.view, r.u64());
    JC_ASSIGN_OR_RETURN(c.height, r.u64());
    JC_ASSIGN_OR_RETURN(c.digest, r.hash());
    JC_ASSIGN_OR_RETURN(const std::uint64_t count, r.varint_max(kSignaturesMax, "certificate signature count"));
    c.signatures.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        VoteSignature s;
        JC_ASSIGN_OR_RETURN(s.validator, r.u32());
        JC_ASSIGN_OR_RETURN(const ByteView sig, r.fixed(crypto::Signature::kSize));
        std::copy(sig.begin(), sig.end(), s.sig.bytes.begin());
        if (!c.signatures.empty() && c.signatures.back().validator >= s.validator) {
            return Error(Errc::kParse, "certificate: validator indexes not strictly increasing");
        }
        c.signatures.push_back(s);
    }
    return c;
}

Result<Certificate> Certificate::decode(ByteView bytes) {
    codec::Reader r(bytes);
    JC_ASSIGN_OR_RETURN(Certificate c, decode(r));
    JC_TRY_STATUS(r.finish());
    return c;
}

Status verify_certificate(const Certificate& cert, std::string_view chain_id,
                          const std::vector<ValidatorKey>& validators) {
    std::uint64_t total = 0;
    for (const auto& v : validators) {
        total += v.weight;
    }
    if (total == 0) {
        return Error(Errc::kInvalidArgument, "empty validator set");
    }
    const Hash h = vote_hash(chain_id, cert.kind, cert.view, cert.height, cert.digest);
    std::uint64_t signed_weight = 0;
    std::uint32_t previous = 0;
    bool first = true;
    for (const auto& s : cert.signatures) {
        if (!first && s.validator <= previous) {
            return Error(Errc::kCrypto, "certificate: duplicate or unsorted validator " +
                                            std::to_string(s.validator));
        }
        first = false;
        previous = s.validator;
        const auto it = std::find_if(validators.begin(), validators.end(),
                                     [&](const ValidatorKey& v) { return v.index == s.validator; });
        if (it == validators.end()) {
            return Error(Errc::kCrypto, "certificate: unknown validator " + std::to_string(s.validator));
        }
        if (auto st = crypto::verify_status(it->key, h, s.sig); !st) {
            return Error(Errc::kCrypto, "certificate: bad signature from validator " +
                                            std::to_string(s.validator) + ": " + st.error().message());
        }
        signed_weight += it->weight;
    }
    const std::uint64_t q = quorum_weight(total);
    if (signed_weight < q) {
        return Error(Errc::kCrypto, "certificate: signed weight " + std::to_string(signed_weight) +
                                        " below quorum " + std::to_string(q));
    }
    return {};
}

}  // namespace jc
