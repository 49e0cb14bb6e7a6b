// The deterministic cluster simulator (TigerBeetle VOPR / rippled CSF style).
//
// Runs n real consensus::Replica instances with simulated storage (crash = lose unacknowledged
// records), a simulated ledger and executor, a seeded network (loss, delay, duplication,
// reordering, partitions that heal), per-replica clock skew, crashes and restarts, and Byzantine
// validators. Time is simulated (milliseconds), events are processed one per step from a queue
// ordered by (time, insertion), and all randomness comes from one seeded generator, so a seed
// replays exactly. Checkers run after every step: S1 agreement, S2 no equivocation (on every
// message an honest replica sends, across restarts), S3 certificates, S4 results, S5 chain, and
// L1 liveness after the network heals (docs/spec/consensus.md §9).
//
// Thread-safety: none; one thread.
#pragma once

#include <jc/consensus/replica.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace jc::sim {

// splitmix64: tiny, fast, and the same on every platform and standard library.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next();
    // Uniform in [lo, hi]. REQUIRES: lo <= hi.
    std::uint64_t range(std::uint64_t lo, std::uint64_t hi);
    // True with probability per_mille / 1000.
    bool chance(std::uint64_t per_mille) { return range(0, 999) < per_mille; }

private:
    std::uint64_t state_;
};

enum class ByzantineMode : std::uint8_t {
    kSilent,          // sends nothing
    kEquivocate,      // different pre-prepares / votes to different peers
    kForge,           // messages with forged signatures or signers, garbage bytes, forged sync
    kReplay,          // re-sends old captured messages
    kFakeViewChange,  // view changes with fake prepared/commit certificates, bogus NewViews
    kFlood,           // floods of far-ahead and duplicate messages
    kMixed,           // a random behaviour per message and action
};
inline constexpr int kByzantineModes = 7;
std::string_view byzantine_mode_name(ByzantineMode m);
std::optional<ByzantineMode> parse_byzantine_mode(std::string_view name);

struct Options {
    std::uint64_t seed = 1;
    std::uint32_t validators = 4;
    std::uint32_t byzantine = 0;
    ByzantineMode byzantine_mode = ByzantineMode::kMixed;
    // Events processed under faults; then the network heals and the run continues until L1
    // holds or its bound passes, and at least `steps` more events have run.
    std::uint64_t steps = 20000;
    bool network_faults = true;
    bool partitions = true;
    bool crashes = true;
    bool clock_skew = true;
    bool idle_gaps = true;
    bool real_crypto = false;
    // Seeded validator weights in 1..3; Byzantine validators are then chosen (at most
    // `byzantine` of them) so that their total weight stays within f of the total.
    bool weighted = false;
    std::uint64_t drop_per_mille = 30;
    std::uint64_t duplicate_per_mille = 30;
    std::uint64_t long_delay_per_mille = 30;
    std::uint64_t tick_ms = 10;
    std::uint64_t request_interval_ms = 3;
    std::uint64_t liveness_heights = 3;
    // 0: derived from the configuration (enough for f faulty primaries at the capped timeout).
    std::uint64_t liveness_bound_ms = 0;
    consensus::Config base;  // limits and timers; validators, self, chain_id are filled in
};

struct RunResult {
    bool ok = true;
    std::string violation;  // "INV-… : detail"
    std::uint64_t steps = 0;
    std::uint64_t sim_time_ms = 0;
    std::uint64_t height_min = 0;  // over honest replicas at the end
    std::uint64_t height_max = 0;
    std::uint64_t view_max = 0;
    std::uint64_t crashes = 0;
    std::uint64_t messages = 0;
    std::uint64_t rejected = 0;
    std::array<std::uint64_t, consensus::kRejectionCount> rejections{};  // summed over live replicas
    std::uint32_t byzantine = 0;           // Byzantine validators actually placed
    std::uint64_t byzantine_weight = 0;
    std::uint64_t total_weight = 0;
};

class Cluster {
public:
    explicit Cluster(Options options);
    ~Cluster();
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    // The whole scenario: faults, heal, liveness. Stops at the first violation.
    RunResult run();

    // ---- scripted control, for scenario tests ----
    // Process one event; false when none is left.
    bool step();
    // Steps until `done()` or `steps_max` steps; true when done() held.
    bool run_until(const std::function<bool()>& done, std::uint64_t steps_max);
    void heal();  // stop network faults and partitions, restart crashed nodes
    void crash(std::uint32_t node);
    void restart(std::uint32_t node);
    void isolate(std::uint32_t node);  // partitions it from everyone until heal()
    void submit_requests(std::uint64_t count);
    [[nodiscard]] std::uint64_t committed_height_min_honest() const;
    [[nodiscard]] std::uint64_t committed_height_max_honest() const;
    [[nodiscard]] consensus::ReplicaStatus status(std::uint32_t node) const;
    [[nodiscard]] bool is_byzantine(std::uint32_t node) const;
    [[nodiscard]] bool ok() const { return violation_.empty(); }
    [[nodiscard]] const std::string& violation() const { return violation_; }
    [[nodiscard]] std::uint64_t now_ms() const { return now_; }
    [[nodiscard]] std::uint64_t steps_done() const { return steps_; }
    [[nodiscard]] std::uint64_t rejected_total() const;
    // Rejections of one reason summed over honest replicas.
    [[nodiscard]] std::uint64_t rejected_honest(consensus::Rejection reason) const;

    struct Node;
    enum class EventKind : std::uint8_t {
        kDeliver, kTick, kPersisted, kSyncRequest, kSyncResponse, kRestart, kClient, kFault,
        kByzantine, kHealPartition,
    };
    struct Event {
        EventKind kind = EventKind::kTick;
        std::uint32_t node = 0;
        std::uint32_t from = 0;
        std::uint64_t epoch = 0;
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        Bytes bytes;
    };

private:
    void schedule(std::uint64_t at, Event event);
    void handle(const Event& e);
    void deliver(std::uint32_t to, std::uint32_t from, const Bytes& bytes);
    void drive(std::uint32_t node, const consensus::Input& input);
    void process_ready(std::uint32_t node);
    void after_step(std::uint32_t node);
    void send_bytes(std::uint32_t from, std::uint32_t to, Bytes bytes);
    void send_message(std::uint32_t from, const consensus::Outbound& out);
    void honest_send(std::uint32_t from, const consensus::Outbound& out);
    void byzantine_send(std::uint32_t from, const consensus::Outbound& out);
    void byzantine_act(std::uint32_t node);
    void commit_block(std::uint32_t node, std::uint64_t height, const consensus::Proposal& p,
                      const Certificate& cert, bool synced);
    void on_sync_request(std::uint32_t at, std::uint32_t requester, std::uint64_t from_h, std::uint64_t to_h);
    void on_sync_response(std::uint32_t at, const Bytes& blob);
    void start_node(std::uint32_t node);
    void fail(const std::string& invariant, const std::string& detail);
    void check_s2(std::uint32_t node, const consensus::Message& m);
    void check_liveness();
    [[nodiscard]] std::string describe_nodes() const;
    [[nodiscard]] bool partitioned(std::uint32_t a, std::uint32_t b) const;
    [[nodiscard]] std::uint64_t node_max_request(std::uint32_t node) const;
    [[nodiscard]] consensus::Config config_for(std::uint32_t node) const;
    void maybe_inject_faults();

    Options opt_;
    Rng rng_;
    std::vector<ValidatorKey> validators_;
    std::vector<Hash> secrets_;
    std::unique_ptr<consensus::Verifier> verifier_;
    std::vector<std::unique_ptr<Node>> nodes_;

    std::uint64_t now_ = 0;
    std::uint64_t steps_ = 0;
    std::uint64_t event_seq_ = 0;
    std::map<std::pair<std::uint64_t, std::uint64_t>, Event> queue_;  // (time, insertion) -> event

    bool faults_on_ = true;
    std::vector<std::uint32_t> partition_group_;  // group id per node; one group = no partition
    std::uint64_t requests_submitted_ = 0;
    bool requests_paused_ = false;

    // Checker state.
    std::map<std::uint64_t, Hash> committed_;        // S1: first honest digest per height
    std::map<std::uint64_t, Hash> results_;          // S4: first honest results digest per height
    std::string violation_;
    std::uint64_t crashes_ = 0;
    std::uint64_t messages_ = 0;
    std::optional<std::uint64_t> heal_time_;
    std::uint64_t heal_height_ = 0;
    std::optional<std::uint64_t> live_at_;
};

}  // namespace jc::sim
