#include <jc/consensus/types.h>

#include <string>

namespace jc::consensus {

Status validate_config(const Config& c) {
    const auto bad = [](const std::string& what) { return Error(Errc::kInvalidArgument, "consensus config: " + what); };
    if (c.validators.empty() || c.validators.size() > kValidatorsMax) {
        return bad("validator count must be 1.." + std::to_string(kValidatorsMax));
    }
    for (std::size_t i = 0; i < c.validators.size(); ++i) {
        if (c.validators[i].index != i) {
            return bad("validator " + std::to_string(i) + " has index " + std::to_string(c.validators[i].index));
        }
        if (c.validators[i].weight == 0 || c.validators[i].weight > (std::uint64_t{1} << 32)) {
            return bad("validator " + std::to_string(i) + " weight must be 1..2^32");
        }
    }
    if (c.self >= c.validators.size()) {
        return bad("self index out of range");
    }
    if (c.window_heights == 0 || c.window_heights > kWindowHeightsMax) {
        return bad("window_heights must be 1.." + std::to_string(kWindowHeightsMax));
    }
    if (c.results_lag_heights_max < c.window_heights) {
        return bad("results_lag_heights_max must be >= window_heights");
    }
    if (c.checkpoint_horizon_heights < c.results_lag_heights_max) {
        return bad("checkpoint_horizon_heights must be >= results_lag_heights_max");
    }
    if (c.future_heights_max < c.window_heights) {
        return bad("future_heights_max must be >= window_heights");
    }
    if (c.view_change_timeout_ticks == 0 || c.view_change_timeout_ticks_max < c.view_change_timeout_ticks) {
        return bad("view_change_timeout_ticks must be >= 1 and <= view_change_timeout_ticks_max");
    }
    if (c.retransmit_ticks == 0 || c.fetch_retry_ticks == 0 || c.fetch_heights_max == 0) {
        return bad("retransmit_ticks, fetch_retry_ticks and fetch_heights_max must be >= 1");
    }
    if (c.future_messages_per_peer_max == 0 || c.future_messages_per_peer_max > 4096) {
        return bad("future_messages_per_peer_max must be 1..4096");
    }
    if (c.proposal_bytes_max == 0 || c.proposal_bytes_max > (std::size_t{64} << 20)) {
        return bad("proposal_bytes_max must be 1..64 MiB");
    }
    return {};
}

CodecLimits codec_limits(const Config& config) {
    CodecLimits l;
    l.proposal_bytes_max = config.proposal_bytes_max;
    l.prepared_entries_max = 2 * config.window_heights;
    l.view_changes_max = config.validators.size();
    l.selected_max = 2 * config.window_heights;
    l.certificate_signatures_max = config.validators.size();
    return l;
}

}  // namespace jc::consensus
