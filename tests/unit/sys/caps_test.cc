#include "sys/caps.h"

#include <linux/capability.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "base/strings.h"

namespace berth::sys {
namespace {

// A host where every capability up to CAP_CHECKPOINT_RESTORE exists and is held.
CapabilityHost full_host() {
  CapabilityHost h;
  h.last_cap = 40;
  h.available = (CapMask{1} << 41) - 1;
  return h;
}

TEST(Caps, NamesAreAcceptedWithOrWithoutPrefixInAnyCase) {
  EXPECT_EQ(capability_from_name("CAP_NET_ADMIN"), CAP_NET_ADMIN);
  EXPECT_EQ(capability_from_name("NET_ADMIN"), CAP_NET_ADMIN);
  EXPECT_EQ(capability_from_name("net_admin"), CAP_NET_ADMIN);
  EXPECT_EQ(capability_from_name("cap_Net_Admin"), CAP_NET_ADMIN);
  EXPECT_EQ(capability_from_name("chown"), CAP_CHOWN);
  EXPECT_EQ(capability_from_name("CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(capability_from_name("ALL"), std::nullopt);
  EXPECT_EQ(capability_from_name("CAP_FOO"), std::nullopt);
  EXPECT_EQ(capability_from_name(""), std::nullopt);
}

TEST(Caps, NumbersHaveDockerNames) {
  EXPECT_EQ(capability_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
  EXPECT_EQ(capability_name(CAP_AUDIT_WRITE), "CAP_AUDIT_WRITE");
  EXPECT_EQ(capability_name(CAP_BPF), "CAP_BPF");
  EXPECT_EQ(capability_name(63), "CAP_63");
  EXPECT_EQ(capability_names(cap_bit(CAP_KILL) | cap_bit(CAP_CHOWN)),
            (std::vector<std::string>{"CAP_CHOWN", "CAP_KILL"}));
}

TEST(Caps, DefaultSetIsDockersFourteen) {
  EXPECT_EQ(default_capabilities(), CapMask{0xa80425fb});
  EXPECT_EQ(capability_names(default_capabilities()),
            (std::vector<std::string>{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
                                      "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
                                      "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT",
                                      "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"}));
}

TEST(Caps, LastCapComesFromTheKernel) {
  auto last = read_last_cap();
  ASSERT_TRUE(last) << last.error().str();
  auto text = read_file("/proc/sys/kernel/cap_last_cap");
  ASSERT_TRUE(text);
  EXPECT_EQ(std::to_string(*last), std::string(trim(*text)));
  EXPECT_GE(*last, CAP_AUDIT_READ);
}

TEST(Caps, NoFlagsGiveTheDefaultSet) {
  auto caps = resolve_capabilities({}, {}, false, full_host());
  ASSERT_TRUE(caps) << caps.error().str();
  EXPECT_EQ(*caps, default_capabilities());
}

TEST(Caps, DropThenAddOnTopOfTheDefaults) {
  auto caps = resolve_capabilities({"sys_admin", "CAP_NET_ADMIN"}, {"NET_RAW", "cap_mknod"}, false,
                                   full_host());
  ASSERT_TRUE(caps) << caps.error().str();
  CapMask want = (default_capabilities() & ~cap_bit(CAP_NET_RAW) & ~cap_bit(CAP_MKNOD)) |
                 cap_bit(CAP_SYS_ADMIN) | cap_bit(CAP_NET_ADMIN);
  EXPECT_EQ(*caps, want);
}

TEST(Caps, AddAllGivesEverythingButTheDrops) {
  auto caps = resolve_capabilities({"all"}, {"CHOWN"}, false, full_host());
  ASSERT_TRUE(caps) << caps.error().str();
  EXPECT_EQ(*caps, full_host().available & ~cap_bit(CAP_CHOWN));
}

TEST(Caps, DropAllKeepsOnlyTheAdds) {
  auto caps = resolve_capabilities({"NET_BIND_SERVICE"}, {"ALL"}, false, full_host());
  ASSERT_TRUE(caps) << caps.error().str();
  EXPECT_EQ(*caps, cap_bit(CAP_NET_BIND_SERVICE));
  auto none = resolve_capabilities({}, {"all"}, false, full_host());
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, CapMask{0});
}

TEST(Caps, AddAllWinsOverDropAll) {
  auto caps = resolve_capabilities({"ALL"}, {"ALL"}, false, full_host());
  ASSERT_TRUE(caps) << caps.error().str();
  EXPECT_EQ(*caps, full_host().available);
}

TEST(Caps, PrivilegedGetsWhatTheHostHasAndIgnoresTheFlags) {
  CapabilityHost host = full_host();
  host.available &= ~cap_bit(CAP_SYS_RESOURCE);
  auto caps = resolve_capabilities({"FOO"}, {"ALL"}, true, host);
  ASSERT_TRUE(caps) << caps.error().str();
  EXPECT_EQ(*caps, host.available);
}

TEST(Caps, UnknownNameIsAnInvalidArgumentNamingIt) {
  auto caps = resolve_capabilities({"foo"}, {}, false, full_host());
  ASSERT_FALSE(caps);
  EXPECT_EQ(caps.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(caps.error().str(), "unknown capability: \"CAP_FOO\"");
  auto dropped = resolve_capabilities({}, {"CAP_NOPE"}, false, full_host());
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().str(), "unknown capability: \"CAP_NOPE\"");
}

TEST(Caps, CapabilityTheHostLacksIsRefusedAsDockerDoes) {
  CapabilityHost host = full_host();
  host.available &= ~cap_bit(CAP_SYS_RESOURCE);
  auto caps = resolve_capabilities({"SYS_RESOURCE"}, {}, false, host);
  ASSERT_FALSE(caps);
  EXPECT_EQ(caps.error().str(),
            "capability not supported by your kernel or not available in the current "
            "environment: \"CAP_SYS_RESOURCE\"");
  host.last_cap = CAP_AUDIT_READ;  // a 5.4 kernel: no PERFMON, BPF, CHECKPOINT_RESTORE
  auto bpf = resolve_capabilities({"CAP_BPF"}, {}, false, host);
  ASSERT_FALSE(bpf);
  EXPECT_NE(bpf.error().str().find("\"CAP_BPF\""), std::string::npos);
}

TEST(Caps, PreparedSetIsRuncsForAnyUser) {
  CapabilitySet set = prepare_capabilities(default_capabilities(), 40);
  EXPECT_EQ(set.bounding, default_capabilities());
  EXPECT_EQ(set.permitted, default_capabilities());
  EXPECT_EQ(set.effective, default_capabilities());
  EXPECT_EQ(set.inheritable, CapMask{0});
  EXPECT_EQ(set.ambient, CapMask{0});
  EXPECT_EQ(set.last_cap, 40);
}

TEST(Caps, CurrentHostReportsTheEffectiveSet) {
  auto host = current_capability_host();
  ASSERT_TRUE(host) << host.error().str();
  auto status = read_file("/proc/self/status");
  ASSERT_TRUE(status);
  auto pos = status->find("CapEff:");
  ASSERT_NE(pos, std::string::npos);
  CapMask eff = std::stoull(status->substr(pos + 7, 24), nullptr, 16);
  EXPECT_EQ(host->available, eff);
}

}  // namespace
}  // namespace berth::sys
