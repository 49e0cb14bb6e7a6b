#include "member_register.h"

#include <jc/contracts/records.h>

namespace jc::node {

Result<MemberRegister> MemberRegister::load(const ledger::StateReader& state, std::uint64_t height) {
    MemberRegister out;
    out.height = height;
    Status failure;
    JC_TRY_STATUS(state.scan(contracts::keys::kMemberPrefix, [&](std::string_view key, std::string_view value) {
        auto member = contracts::decode_member(value);
        if (!member) {
            failure = member.error().with_context("member record " + std::string(key));
            return false;
        }
        out.members[member->bank_id] = MemberEntry{std::move(member->keys), member->status};
        return true;
    }));
    JC_TRY_STATUS(failure);
    return out;
}

bool MemberRegister::touches_members(const ledger::StateWrites& writes) {
    for (const auto& w : writes) {
        if (w.key.rfind(contracts::keys::kMemberPrefix, 0) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace jc::node
