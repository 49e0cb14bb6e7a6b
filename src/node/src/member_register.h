// Private: the member register admission checks signers against (issue 8 item 4, ADR 0072).
//
// Built from the latest committed state (the contracts' member records under keys::kMemberPrefix,
// written at genesis by contracts/genesis and later by member transactions), not from
// genesis.json, so member changes on chain take effect at admission. The storage thread
// rebuilds it after a committed block that wrote a member record and publishes it; admission on
// any thread reads the current one.
//
// Thread-safety: `load` and `touches_members` are pure; MemberRegisterCache's methods may be
// called from any thread (a mutex guards the pointer; the register itself is immutable).
#pragma once

#include <jc/contracts/types.h>
#include <jc/core/error.h>
#include <jc/core/secp256k1.h>
#include <jc/ledger/state.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace jc::node {

struct MemberEntry {
    std::vector<crypto::PublicKey> keys;
    contracts::MemberStatus status = contracts::MemberStatus::kActive;
};

struct MemberRegister {
    std::uint64_t height = 0;  // the committed height it was read at
    std::map<std::string, MemberEntry, std::less<>> members;

    // Every member record in `state`; an undecodable record is an error naming its key.
    static Result<MemberRegister> load(const ledger::StateReader& state, std::uint64_t height);
    // True if `writes` put or delete a member record.
    static bool touches_members(const ledger::StateWrites& writes);
};

class MemberRegisterCache {
public:
    [[nodiscard]] std::shared_ptr<const MemberRegister> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    void publish(MemberRegister reg) {
        auto next = std::make_shared<const MemberRegister>(std::move(reg));
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const MemberRegister> current_ = std::make_shared<const MemberRegister>();
};

}  // namespace jc::node
