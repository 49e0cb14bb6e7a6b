// The replica's inputs and outputs (docs/spec/consensus.md), in the etcd-raft shape: the driver
// feeds one Input at a time to Replica::step() and then drains Ready, handling its parts in
// order: persist (write + fsync, then acknowledge with Persisted), send, commit to the ledger,
// fetch missing blocks, store stable checkpoints, halt on divergence.
//
// Records are what the replica needs back after a restart (ADR 0012); encode_record() and
// decode_record() are their on-disk form.
//
// Thread-safety: plain values.
#pragma once

#include <jc/consensus/messages.h>
#include <jc/consensus/types.h>
#include <jc/core/certificate.h>

#include <array>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace jc::consensus {

// ---- inputs ----
struct Tick {};
// `from` is the transport's peer identity; it only selects the peer's buffer quota.
struct Received {
    ValidatorIndex from = 0;
    Message message;
};
// The node's block for the slot proposal_slot() offered.
struct Propose {
    std::uint64_t height = 0;
    Proposal proposal;
};
// Every record with seq <= seq_durable is durable.
struct Persisted {
    std::uint64_t seq_durable = 0;
};
// The node executed committed height `height` (heights in order).
struct Executed {
    std::uint64_t height = 0;
    Hash results_digest;
};
// A committed block the node fetched and verified (heights in order, from head + 1).
struct Synced {
    std::uint64_t height = 0;
    Hash digest;
    Hash parent_digest;
    Certificate certificate;
};
// Whether the node holds requests waiting to be ordered (runs the view-change timer).
struct WorkPending {
    bool pending = false;
};

using Input = std::variant<Tick, Received, Propose, Persisted, Executed, Synced, WorkPending>;

// ---- records ----
enum class ViewStatus : std::uint8_t { kNormal = 1, kViewChange = 2 };

// A vote about to be signed and sent: PrePrepare (with its proposal), Prepare or Commit.
struct VoteRecord {
    VoteKind kind = VoteKind::kPrepare;
    std::uint64_t view = 0;
    std::uint64_t height = 0;
    Hash digest;
    std::optional<Proposal> proposal;  // present exactly for kPrePrepare
    friend bool operator==(const VoteRecord&, const VoteRecord&) = default;
};

// A prepared certificate with its proposal (reported in later ViewChanges).
struct PreparedRecord {
    PreparedEntry entry;
    friend bool operator==(const PreparedRecord&, const PreparedRecord&) = default;
};

// Entered `view` with `status`. For kNormal, (nv_low, nv_high] is the NewView's range.
struct ViewRecord {
    std::uint64_t view = 0;
    ViewStatus status = ViewStatus::kNormal;
    std::uint64_t nv_low = 0;
    std::uint64_t nv_high = 0;
    friend bool operator==(const ViewRecord&, const ViewRecord&) = default;
};

using Record = std::variant<VoteRecord, PreparedRecord, ViewRecord>;

struct PersistRecord {
    std::uint64_t seq = 0;
    Record record;
};

[[nodiscard]] Bytes encode_record(const Record& record);
Result<Record> decode_record(ByteView bytes, const CodecLimits& limits);
// The height a record is about (0 for ViewRecord): the driver may drop records at or below its
// durable ledger head.
[[nodiscard]] std::uint64_t record_height(const Record& record);

// ---- outputs ----
struct Outbound {
    std::optional<ValidatorIndex> to;  // nullopt: every other validator
    Message message;
};

struct CommittedBlock {
    std::uint64_t height = 0;
    Proposal proposal;
    Certificate certificate;
};

struct FetchRequest {
    std::uint64_t from_height = 0;
    std::uint64_t to_height = 0;
};

struct ResultsDiverged {
    std::uint64_t height = 0;
    Hash ours;
    Hash quorum;
};

struct Ready {
    std::vector<PersistRecord> to_persist;
    std::vector<Outbound> to_send;
    std::vector<CommittedBlock> to_commit;
    std::vector<FetchRequest> fetch_requests;
    std::vector<Certificate> stable_checkpoints;
    std::optional<ResultsDiverged> diverged;

    [[nodiscard]] bool empty() const {
        return to_persist.empty() && to_send.empty() && to_commit.empty() &&
               fetch_requests.empty() && stable_checkpoints.empty() && !diverged;
    }
};

// ---- step outcome ----
// Stable numbers (metrics and logs key on them). Never renumber.
enum class Rejection : std::uint8_t {
    kNone = 0,
    kHalted = 1,
    kUnknownSender = 2,
    kMalformed = 3,
    kBadSignature = 4,
    kStaleView = 5,
    kStaleHeight = 6,
    kOutOfWindow = 7,
    kNotPrimary = 8,
    kDuplicate = 9,
    kEquivocation = 10,
    kInvalidProposal = 11,
    kParentMismatch = 12,
    kBadCertificate = 13,
    kBadViewChange = 14,
    kBadNewView = 15,
    kBufferFull = 16,
    kWrongHeight = 17,
    kNotReady = 18,
    kBadInput = 19,
};
inline constexpr std::size_t kRejectionCount = 20;
std::string_view rejection_name(Rejection r);

struct StepOutcome {
    enum class Kind : std::uint8_t { kAccepted, kBuffered, kRejected };
    Kind kind = Kind::kAccepted;
    Rejection reason = Rejection::kNone;

    static StepOutcome accepted() { return {}; }
    static StepOutcome buffered() { return {Kind::kBuffered, Rejection::kNone}; }
    static StepOutcome rejected(Rejection r) { return {Kind::kRejected, r}; }
    [[nodiscard]] bool ok() const { return kind != Kind::kRejected; }
};

// What a restarted replica is built from.
struct Recovered {
    // The ledger's durable head (height 0 = genesis, no certificate).
    std::uint64_t committed_height = 0;
    Hash committed_digest;
    std::optional<Certificate> committed_certificate;
    // The last executed height (<= committed_height) and its results digest.
    std::uint64_t executed_height = 0;
    Hash executed_results_digest;
    std::optional<Certificate> stable_checkpoint;
    std::vector<Record> records;  // the durable records, any order
};

}  // namespace jc::consensus
