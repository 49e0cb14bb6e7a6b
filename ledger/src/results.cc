#include <jc/ledger/results.h>

#include <jc/core/assert.h>
#include <jc/core/sha256.h>

#include <string>

namespace jc::ledger {
namespace {

constexpr std::string_view kStateDomain = "jointclear/state/v1";
constexpr std::string_view kResultsDomain = "jointclear/results/v1";
constexpr std::uint8_t kTagDelete = 0;
constexpr std::uint8_t kTagPut = 1;

// Appends one write's encoding to `w`.
void encode_write(codec::Writer& w, const StateWrite& write) {
    w.str(write.key);
    if (write.value) {
        w.u8(kTagPut).str(*write.value);
    } else {
        w.u8(kTagDelete);
    }
}

}  // namespace

Status check_state_writes(const StateWrites& writes) {
    if (writes.size() > kStateWritesMax) {
        return Error(Errc::kLimit, "state writes: count " + std::to_string(writes.size()) +
                                       " exceeds limit " + std::to_string(kStateWritesMax));
    }
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < writes.size(); ++i) {
        const StateWrite& w = writes[i];
        if (w.key.empty() || w.key.size() > kStateKeyBytesMax) {
            return Error(Errc::kLimit, "state write " + std::to_string(i) + ": key of " +
                                           std::to_string(w.key.size()) + " bytes, must be 1-" +
                                           std::to_string(kStateKeyBytesMax));
        }
        if (w.value && w.value->size() > kStateValueBytesMax) {
            return Error(Errc::kLimit, "state write " + std::to_string(i) + ": value of " +
                                           std::to_string(w.value->size()) +
                                           " bytes exceeds limit " +
                                           std::to_string(kStateValueBytesMax));
        }
        bytes += w.key.size() + (w.value ? w.value->size() : 0);
        if (bytes > kStateWriteBytesMax) {
            return Error(Errc::kLimit, "state writes: total key and value bytes exceed limit " +
                                           std::to_string(kStateWriteBytesMax));
        }
    }
    return {};
}

void encode_state_writes(codec::Writer& w, const StateWrites& writes) {
    JC_ASSERT(writes.size() <= kStateWritesMax, "ledger.state_writes.count_bounded");
    w.varint(writes.size());
    for (const auto& write : writes) {
        encode_write(w, write);
    }
}

Result<StateWrites> decode_state_writes(codec::Reader& r) {
    JC_ASSIGN_OR_RETURN(const std::uint64_t count, r.varint_max(kStateWritesMax, "state write count"));
    // Every write takes at least 3 bytes, so a hostile count cannot reserve more than the input.
    if (count > r.remaining() / 3) {
        return Error(Errc::kParse, "state writes: count " + std::to_string(count) +
                                       " exceeds what the remaining " +
                                       std::to_string(r.remaining()) + " bytes can hold");
    }
    StateWrites writes;
    writes.reserve(static_cast<std::size_t>(count));
    std::size_t bytes = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        StateWrite write;
        JC_ASSIGN_OR_RETURN(write.key, r.str(kStateKeyBytesMax));
        if (write.key.empty()) {
            return Error(Errc::kParse, "state write " + std::to_string(i) + ": empty key");
        }
        JC_ASSIGN_OR_RETURN(const std::uint8_t tag, r.u8());
        if (tag == kTagPut) {
            JC_ASSIGN_OR_RETURN(std::string value, r.str(kStateValueBytesMax));
            write.value = std::move(value);
        } else if (tag != kTagDelete) {
            return Error(Errc::kParse, "state write " + std::to_string(i) + ": unknown tag " +
                                           std::to_string(tag));
        }
        bytes += write.key.size() + (write.value ? write.value->size() : 0);
        if (bytes > kStateWriteBytesMax) {
            return Error(Errc::kLimit, "state writes: total key and value bytes exceed limit " +
                                           std::to_string(kStateWriteBytesMax));
        }
        writes.push_back(std::move(write));
    }
    return writes;
}

Hash state_writes_hash(const StateWrites& writes) {
    JC_ASSERT(writes.size() <= kStateWritesMax, "ledger.state_writes.count_bounded");
    Sha256 hasher;
    codec::Writer chunk(4096);
    chunk.varint(writes.size());
    for (const auto& write : writes) {
        encode_write(chunk, write);
        if (chunk.size() >= 4096) {
            hasher.update(chunk.data());
            chunk = codec::Writer(4096);
        }
    }
    hasher.update(chunk.data());
    return hasher.finish();
}

Hash next_state_root(const Hash& parent_state_root, const Hash& writes_hash) {
    codec::Writer w(96);
    w.str(kStateDomain).hash(parent_state_root).hash(writes_hash);
    return sha256(w.data());
}

Hash next_state_root(const Hash& parent_state_root, const StateWrites& writes) {
    return next_state_root(parent_state_root, state_writes_hash(writes));
}

Hash genesis_state_root(const StateWrites& genesis_writes) {
    return next_state_root(Hash{}, genesis_writes);
}

void ExecutionResults::encode(codec::Writer& w) const {
    w.u64(height).hash(state_root).hash(receipt_root);
}

Bytes ExecutionResults::encode() const {
    codec::Writer w(kEncodedSize);
    encode(w);
    JC_ASSERT(w.size() == kEncodedSize, "ledger.results.encoded_size");
    return w.take();
}

Result<ExecutionResults> ExecutionResults::decode(codec::Reader& r) {
    ExecutionResults out;
    JC_ASSIGN_OR_RETURN(out.height, r.u64());
    JC_ASSIGN_OR_RETURN(out.state_root, r.hash());
    JC_ASSIGN_OR_RETURN(out.receipt_root, r.hash());
    return out;
}

Result<ExecutionResults> ExecutionResults::decode(ByteView bytes) {
    codec::Reader r(bytes);
    JC_ASSIGN_OR_RETURN(ExecutionResults out, decode(r));
    JC_TRY_STATUS(r.finish());
    return out;
}

Hash ExecutionResults::digest() const {
    codec::Writer w(128);
    w.str(kResultsDomain).u64(height).hash(state_root).hash(receipt_root);
    return sha256(w.data());
}

}  // namespace jc::ledger
