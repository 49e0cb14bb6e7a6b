#include <jc/p2p/frame.h>

#include <jc/core/assert.h>

namespace jc::p2p {

std::shared_ptr<const Bytes> encode_frame(Channel channel, ByteView payload) {
    JC_ASSERT(payload.size() <= UINT32_MAX, "p2p.frame.payload_fits_u32");
    auto out = std::make_shared<Bytes>();
    out->reserve(kFrameHeaderSize + payload.size());
    const auto len = static_cast<std::uint32_t>(payload.size());
    for (int i = 0; i < 4; ++i) {
        out->push_back(static_cast<std::uint8_t>(len >> (8 * i)));
    }
    out->push_back(static_cast<std::uint8_t>(channel));
    out->insert(out->end(), payload.begin(), payload.end());
    return out;
}

Result<FrameHeader> decode_frame_header(const std::array<std::uint8_t, kFrameHeaderSize>& header,
                                        std::size_t payload_bytes_max) {
    std::uint32_t len = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        len |= static_cast<std::uint32_t>(header[i]) << (8 * i);
    }
    if (len > payload_bytes_max) {
        return Error(Errc::kLimit, "frame of " + std::to_string(len) + " bytes exceeds limit " +
                                       std::to_string(payload_bytes_max));
    }
    if (header[4] > kChannelMax) {
        return Error(Errc::kParse, "unknown channel " + std::to_string(header[4]));
    }
    FrameHeader h{len, static_cast<Channel>(header[4])};
    if (h.channel == Channel::kKeepalive && len != 0) {
        return Error(Errc::kParse, "keepalive frame with a payload");
    }
    return h;
}

}  // namespace jc::p2p
