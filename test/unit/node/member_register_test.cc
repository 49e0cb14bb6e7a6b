// Goal: admission's member register is read from committed state in the contracts' record
// format, so members and keys written on chain after genesis (registration, key change,
// suspension, removal) are what admission sees; only writes to member records trigger a
// rebuild; a corrupt record is an error naming its key. Method: genesis writes from
// contracts/genesis applied to an in-memory state, then member records written as a member
// transaction would write them (contracts::encode(Member) under keys::member).
#include "member_register.h"

#include <jc/contracts/genesis.h>
#include <jc/contracts/records.h>

#include <catch2/catch.hpp>

using namespace jc;
using namespace jc::node;
using namespace jc::contracts;

namespace {

crypto::PublicKey key(char fill) {
    return crypto::SecretKey::from_hex(std::string(63, fill) + "1").value().public_key();
}

}  // namespace

TEST_CASE("the member register follows member records in committed state", "[node][unit]") {
    GenesisMember wb{"WEBANK", "WeBank", "313100000013", "", "", {key('1')}, {Role::kServicer}, MemberStatus::kActive};
    GenesisMember hr{"HUARUI", "Huarui", "323100000017", "", "", {key('2')}, {Role::kFunder}, MemberStatus::kActive};
    GenesisParams gp;
    gp.genesis_time_ms = 1'700'000'000'000;
    auto genesis = genesis_writes(GenesisMembers{{wb, hr}}, gp);
    REQUIRE(genesis.ok());
    CHECK(MemberRegister::touches_members(*genesis));
    ledger::MemoryState state;
    state.apply(*genesis);

    auto reg = MemberRegister::load(state, 0);
    REQUIRE(reg.ok());
    REQUIRE(reg->members.size() == 2);
    CHECK(reg->members.at("WEBANK").keys == std::vector<crypto::PublicKey>{key('1')});
    CHECK(reg->members.at("HUARUI").status == MemberStatus::kActive);

    // A new member, a rotated key and a suspension, as member transactions write them.
    auto webank = decode_member(*state.get(keys::member("WEBANK")).value()).value();
    webank.keys = {key('3')};
    auto huarui = decode_member(*state.get(keys::member("HUARUI")).value()).value();
    huarui.status = MemberStatus::kSuspended;
    Member newbank = webank;
    newbank.bank_id = "NEWBANK";
    newbank.cnaps_code = "313100000099";
    newbank.keys = {key('4')};
    const ledger::StateWrites changes{{keys::member("WEBANK"), encode(webank, contracts::kRecordVersionLatest)},
                                      {keys::member("HUARUI"), encode(huarui, contracts::kRecordVersionLatest)},
                                      {keys::member("NEWBANK"), encode(newbank, contracts::kRecordVersionLatest)}};
    CHECK(MemberRegister::touches_members(changes));
    state.apply(changes);
    reg = MemberRegister::load(state, 7);
    REQUIRE(reg.ok());
    CHECK(reg->height == 7);
    CHECK(reg->members.size() == 3);
    CHECK(reg->members.at("WEBANK").keys == std::vector<crypto::PublicKey>{key('3')});
    CHECK(reg->members.at("HUARUI").status == MemberStatus::kSuspended);
    CHECK(reg->members.at("NEWBANK").keys == std::vector<crypto::PublicKey>{key('4')});

    // The cache hands out the published register.
    MemberRegisterCache cache;
    CHECK(cache.current()->members.empty());
    cache.publish(*reg);
    CHECK(cache.current()->members.count("NEWBANK") == 1);

    // Removal and unrelated writes.
    state.apply({{keys::member("NEWBANK"), std::nullopt}});
    CHECK(MemberRegister::load(state, 8).value().members.count("NEWBANK") == 0);
    CHECK_FALSE(MemberRegister::touches_members({{keys::loan("L1"), std::string("x")}, {keys::params(), std::string("y")}}));

    // A corrupt record is an error that names it, never a silently smaller register.
    state.apply({{keys::member("BROKEN"), std::string("not a record")}});
    auto broken = MemberRegister::load(state, 9);
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().message().find(keys::member("BROKEN")) != std::string::npos);
}
