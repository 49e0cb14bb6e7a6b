// Fuzz target: the strict codec decoder never crashes or over-reads, and anything it decodes
// re-encodes to exactly the bytes it consumed (one encoding per value).
#include <jc/core/assert.h>
#include <jc/core/certificate.h>
#include <jc/core/codec.h>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const jc::ByteView input(data, size);
    // A script of reads driven by the input itself.
    jc::codec::Reader r(input);
    jc::codec::Writer w;
    for (int step = 0; step < 64 && r.remaining() > 0; ++step) {
        auto op = r.u8();
        if (!op) {
            break;
        }
        w.u8(*op);
        bool ok = true;
        switch (*op % 6) {
            case 0: if (auto v = r.varint()) { w.varint(*v); } else { ok = false; } break;
            case 1: if (auto v = r.u64()) { w.u64(*v); } else { ok = false; } break;
            case 2: if (auto v = r.bytes(256)) { w.bytes(*v); } else { ok = false; } break;
            case 3: if (auto v = r.boolean()) { w.boolean(*v); } else { ok = false; } break;
            case 4: if (auto v = r.u32()) { w.u32(*v); } else { ok = false; } break;
            default: if (auto v = r.hash()) { w.hash(*v); } else { ok = false; } break;
        }
        if (!ok) {
            return 0;
        }
    }
    JC_ASSERT(w.data().size() == r.position(), "fuzz.codec.consumed_equals_reencoded_size");
    JC_ASSERT(std::equal(w.data().begin(), w.data().end(), input.begin()), "fuzz.codec.canonical");

    // Certificates: decode then re-encode must reproduce the input exactly.
    auto cert = jc::Certificate::decode(input);
    if (cert) {
        const jc::Bytes again = cert->encode();
        JC_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), input.begin()),
                  "fuzz.certificate.canonical");
    }
    return 0;
}
