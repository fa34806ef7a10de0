#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "sys/mounts.h"

namespace berth::sys {
namespace {

using Kinds = std::vector<std::pair<StepKind, std::string>>;

Kinds kinds_and_targets(const MountPlan& plan) {
  Kinds out;
  for (const auto& s : plan.steps()) {
    out.emplace_back(s.kind, s.target);
  }
  return out;
}

ContainerFsSpec basic_spec() {
  ContainerFsSpec spec;
  spec.rootfs = "/var/lib/berth/containers/abc/merged";
  spec.overlay = OverlayLayers{{"/layers/top", "/layers/base"}, "/c/abc/upper", "/c/abc/work", {}};
  return spec;
}

const MountStep* find_step(const MountPlan& plan, StepKind kind, const std::string& target) {
  for (const auto& s : plan.steps()) {
    if (s.kind == kind && s.target == target) {
      return &s;
    }
  }
  return nullptr;
}

size_t index_of(const MountPlan& plan, StepKind kind, const std::string& target) {
  for (size_t i = 0; i < plan.steps().size(); ++i) {
    if (plan.steps()[i].kind == kind && plan.steps()[i].target == target) {
      return i;
    }
  }
  return SIZE_MAX;
}

bool has_param(const MountStep& s, const std::string& key, const std::string& value) {
  return std::any_of(s.params.begin(), s.params.end(), [&](const FsParam& p) {
    return p.key == key && p.value == value && p.flag == value.empty();
  });
}

TEST(MountPlan, DefaultContainerHasDockersStepsInRuncsOrder) {
  auto plan = default_container_mounts(basic_spec());
  ASSERT_TRUE(plan) << plan.error().str();
  const std::string root = "/var/lib/berth/containers/abc/merged";
  Kinds want = {
      {StepKind::kPropagation, "/"},          {StepKind::kOverlay, root},
      {StepKind::kFilesystem, "/proc"},       {StepKind::kFilesystem, "/dev"},
      {StepKind::kFilesystem, "/dev/pts"},    {StepKind::kFilesystem, "/sys"},
      {StepKind::kFilesystem, "/dev/mqueue"}, {StepKind::kFilesystem, "/dev/shm"},
      {StepKind::kDevice, "/dev/null"},       {StepKind::kDevice, "/dev/zero"},
      {StepKind::kDevice, "/dev/full"},       {StepKind::kDevice, "/dev/random"},
      {StepKind::kDevice, "/dev/urandom"},    {StepKind::kDevice, "/dev/tty"},
      {StepKind::kSymlink, "/dev/ptmx"},      {StepKind::kSymlink, "/dev/fd"},
      {StepKind::kSymlink, "/dev/stdin"},     {StepKind::kSymlink, "/dev/stdout"},
      {StepKind::kSymlink, "/dev/stderr"},
  };
  if (::access("/proc/kcore", F_OK) == 0) {
    want.emplace_back(StepKind::kSymlink, "/dev/core");
  }
  want.emplace_back(StepKind::kPivotRoot, "/");
  for (const auto& p : default_readonly_paths()) {
    want.emplace_back(StepKind::kReadonlyPath, p);
  }
  for (const auto& p : default_masked_paths()) {
    want.emplace_back(StepKind::kMask, p);
  }
  EXPECT_EQ(kinds_and_targets(*plan), want);
  EXPECT_EQ(plan->rootfs(), root);
  EXPECT_EQ(plan->steps()[0].propagation, static_cast<unsigned long>(MS_SLAVE));
}

TEST(MountPlan, DefaultFilesystemsCarryDockersOptions) {
  auto plan = default_container_mounts(basic_spec());
  ASSERT_TRUE(plan) << plan.error().str();
  const MountStep* proc = find_step(*plan, StepKind::kFilesystem, "/proc");
  ASSERT_NE(proc, nullptr);
  EXPECT_EQ(proc->fstype, "proc");
  EXPECT_EQ(proc->attr_set, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV);

  const MountStep* dev = find_step(*plan, StepKind::kFilesystem, "/dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(dev->fstype, "tmpfs");
  EXPECT_TRUE(has_param(*dev, "mode", "755"));
  EXPECT_TRUE(has_param(*dev, "size", "65536k"));
  EXPECT_EQ(dev->attr_set, MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME);

  const MountStep* pts = find_step(*plan, StepKind::kFilesystem, "/dev/pts");
  ASSERT_NE(pts, nullptr);
  EXPECT_EQ(pts->fstype, "devpts");
  EXPECT_TRUE(has_param(*pts, "newinstance", ""));
  EXPECT_TRUE(has_param(*pts, "ptmxmode", "0666"));
  EXPECT_TRUE(has_param(*pts, "mode", "0620"));
  EXPECT_TRUE(has_param(*pts, "gid", "5"));

  const MountStep* sys = find_step(*plan, StepKind::kFilesystem, "/sys");
  ASSERT_NE(sys, nullptr);
  EXPECT_EQ(sys->fstype, "sysfs");
  EXPECT_TRUE(sys->attr_set & MOUNT_ATTR_RDONLY);

  const MountStep* shm = find_step(*plan, StepKind::kFilesystem, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_TRUE(has_param(*shm, "source", "shm"));
  EXPECT_TRUE(has_param(*shm, "mode", "1777"));
  EXPECT_TRUE(has_param(*shm, "size", "67108864"));

  const MountStep* null = find_step(*plan, StepKind::kDevice, "/dev/null");
  ASSERT_NE(null, nullptr);
  EXPECT_EQ(null->mode, static_cast<mode_t>(S_IFCHR | 0666));
  EXPECT_EQ(null->dev, makedev(1, 3));
  EXPECT_EQ(null->source, "/dev/null");
  const MountStep* ptmx = find_step(*plan, StepKind::kSymlink, "/dev/ptmx");
  ASSERT_NE(ptmx, nullptr);
  EXPECT_EQ(ptmx->link_text, "pts/ptmx");
  EXPECT_TRUE(ptmx->replace);
}

TEST(MountPlan, OverlayKeepsLayersTopFirstWithALegacyFallback) {
  auto plan = default_container_mounts(basic_spec());
  ASSERT_TRUE(plan) << plan.error().str();
  const MountStep& ov = plan->steps()[1];
  ASSERT_EQ(ov.kind, StepKind::kOverlay);
  EXPECT_FALSE(ov.in_root);
  EXPECT_EQ(ov.lowerdirs, (std::vector<std::string>{"/layers/top", "/layers/base"}));
  EXPECT_TRUE(has_param(ov, "upperdir", "/c/abc/upper"));
  EXPECT_TRUE(has_param(ov, "workdir", "/c/abc/work"));
  EXPECT_EQ(ov.legacy_data,
            "lowerdir=/layers/top:/layers/base,upperdir=/c/abc/upper,workdir=/c/abc/work");
}

TEST(MountPlan, LegacyOverlayDataEscapesAndIsLeftOutWhenTooLong) {
  MountPlan plan("/r");
  ASSERT_TRUE(plan.overlay("/r", {"/a:b", "/c,d"}, "", "", {"index=off"}));
  EXPECT_EQ(plan.back().legacy_data, "lowerdir=/a\\:b:/c\\,d,index=off");
  EXPECT_TRUE(has_param(plan.back(), "index", "off"));

  std::vector<std::string> many;
  for (int i = 0; i < 200; ++i) {
    many.push_back("/var/lib/berth/layers/sha256/" + std::string(40, 'a') + std::to_string(i));
  }
  ASSERT_TRUE(plan.overlay("/r", many, "/u", "/w", {}));
  EXPECT_EQ(plan.back().lowerdirs.size(), 200u);
  EXPECT_TRUE(plan.back().legacy_data.empty());

  EXPECT_FALSE(plan.overlay("/r", {}, "", "", {}));
  EXPECT_FALSE(plan.overlay("/r", {"/a"}, "/u", "", {}));
}

TEST(MountPlan, WithoutAnOverlayTheRootfsIsBoundOntoItself) {
  ContainerFsSpec spec = basic_spec();
  spec.overlay.reset();
  spec.rootfs = "/srv/rootfs/";
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  const MountStep& b = plan->steps()[1];
  EXPECT_EQ(b.kind, StepKind::kBind);
  EXPECT_EQ(b.source, "/srv/rootfs");
  EXPECT_EQ(b.target, "/srv/rootfs");
  EXPECT_FALSE(b.in_root);
  EXPECT_TRUE(b.recursive);
}

TEST(MountPlan, PrivilegedHasNoMasksAndAWritableSys) {
  ContainerFsSpec spec = basic_spec();
  spec.privileged = true;
  spec.cgroups = {{"/sys/fs/cgroup/berth/abc", "", true}};
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  for (const auto& s : plan->steps()) {
    EXPECT_NE(s.kind, StepKind::kMask) << s.target;
    EXPECT_NE(s.kind, StepKind::kReadonlyPath) << s.target;
  }
  const MountStep* sys = find_step(*plan, StepKind::kFilesystem, "/sys");
  ASSERT_NE(sys, nullptr);
  EXPECT_FALSE(sys->attr_set & MOUNT_ATTR_RDONLY);
  const MountStep* cg = find_step(*plan, StepKind::kFilesystem, "/sys/fs/cgroup");
  ASSERT_NE(cg, nullptr);
  EXPECT_FALSE(cg->attr_set & MOUNT_ATTR_RDONLY);
}

TEST(MountPlan, ReadOnlyRootRemountsRootLastAndOnlyThen) {
  auto plain = default_container_mounts(basic_spec());
  ASSERT_TRUE(plain);
  EXPECT_EQ(find_step(*plain, StepKind::kRemountReadonly, "/"), nullptr);

  ContainerFsSpec spec = basic_spec();
  spec.readonly_root = true;
  spec.etc_files = {{"/run/berth/abc/hosts", "/etc/hosts"}};
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  const MountStep& last = plan->steps().back();
  EXPECT_EQ(last.kind, StepKind::kRemountReadonly);
  EXPECT_EQ(last.target, "/");
  const MountStep* hosts = find_step(*plan, StepKind::kBind, "/etc/hosts");
  ASSERT_NE(hosts, nullptr);
  EXPECT_EQ(hosts->attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_LT(index_of(*plan, StepKind::kBind, "/etc/hosts"),
            index_of(*plan, StepKind::kPivotRoot, "/"));
}

TEST(MountPlan, UserMountsSortByDepthAndReplaceDefaults) {
  ContainerFsSpec spec = basic_spec();
  spec.etc_files = {{"/run/berth/abc/hosts", "/etc/hosts"},
                    {"/run/berth/abc/resolv.conf", "/etc/resolv.conf"}};
  UserMount deep{UserMount::Type::kBind, "/srv/a", "/data/deep/er", true, true, ""};
  UserMount shallow{UserMount::Type::kVolume, "/vol/x/_data", "/data", false, true, ""};
  UserMount shm{UserMount::Type::kBind, "/run/berth/abc/shm", "/dev/shm", false, false, ""};
  UserMount hosts{UserMount::Type::kBind, "/my/hosts", "/etc/hosts/", true, false, ""};
  spec.mounts = {deep, shallow, shm, hosts};
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  EXPECT_EQ(find_step(*plan, StepKind::kFilesystem, "/dev/shm"), nullptr);
  const MountStep* shm_bind = find_step(*plan, StepKind::kBind, "/dev/shm");
  ASSERT_NE(shm_bind, nullptr);
  EXPECT_FALSE(shm_bind->recursive);
  const MountStep* h = find_step(*plan, StepKind::kBind, "/etc/hosts");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->source, "/my/hosts");  // the user's, not berth's
  size_t data = index_of(*plan, StepKind::kBind, "/data");
  size_t deeper = index_of(*plan, StepKind::kBind, "/data/deep/er");
  size_t resolv = index_of(*plan, StepKind::kBind, "/etc/resolv.conf");
  ASSERT_NE(deeper, SIZE_MAX);
  EXPECT_LT(data, deeper);
  EXPECT_LT(resolv, deeper);
  EXPECT_LT(index_of(*plan, StepKind::kFilesystem, "/dev/mqueue"), data);
  EXPECT_EQ(plan->steps()[deeper].attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
  EXPECT_TRUE(plan->steps()[deeper].recursive);
}

TEST(MountPlan, AUserDevDropsEverythingDockerMountsUnderDev) {
  ContainerFsSpec spec = basic_spec();
  spec.mounts = {{UserMount::Type::kBind, "/dev", "/dev", false, true, ""}};
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  for (const auto& s : plan->steps()) {
    bool under_dev = s.target.rfind("/dev/", 0) == 0;
    EXPECT_FALSE(under_dev && s.kind != StepKind::kBind) << s.target;
  }
  EXPECT_NE(find_step(*plan, StepKind::kBind, "/dev"), nullptr);
}

TEST(MountPlan, TmpfsUserMountsGetDockersDefaultsAndUserOptionsWin) {
  ContainerFsSpec spec = basic_spec();
  spec.mounts = {{UserMount::Type::kTmpfs, "", "/run", false, true, "exec,size=64m,mode=1777"}};
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  const MountStep* run = find_step(*plan, StepKind::kFilesystem, "/run");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->fstype, "tmpfs");
  EXPECT_EQ(run->attr_set, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  EXPECT_TRUE(has_param(*run, "size", "64m"));
  EXPECT_TRUE(has_param(*run, "mode", "1777"));
}

TEST(MountPlan, CgroupV2WithANamespaceIsAReadOnlyCgroup2Mount) {
  ContainerFsSpec spec = basic_spec();
  spec.cgroups = {{"/sys/fs/cgroup/berth/abc", "", true}};
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  const MountStep* cg = find_step(*plan, StepKind::kFilesystem, "/sys/fs/cgroup");
  ASSERT_NE(cg, nullptr);
  EXPECT_EQ(cg->fstype, "cgroup2");
  EXPECT_TRUE(cg->attr_set & MOUNT_ATTR_RDONLY);
  EXPECT_LT(index_of(*plan, StepKind::kFilesystem, "/sys"),
            index_of(*plan, StepKind::kFilesystem, "/sys/fs/cgroup"));

  spec.cgroupns = false;
  auto host = default_container_mounts(spec);
  ASSERT_TRUE(host) << host.error().str();
  const MountStep* bind = find_step(*host, StepKind::kBind, "/sys/fs/cgroup");
  ASSERT_NE(bind, nullptr);
  EXPECT_EQ(bind->source, "/sys/fs/cgroup/berth/abc");
  EXPECT_EQ(bind->attr_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
}

TEST(MountPlan, CgroupV1IsATmpfsWithAMountPerHierarchyAndLinksForCoMounts) {
  ContainerFsSpec spec = basic_spec();
  spec.cgroups = {{"/sys/fs/cgroup/memory/berth/abc", "memory", false},
                  {"/sys/fs/cgroup/cpu,cpuacct/berth/abc", "cpu,cpuacct", false},
                  {"/sys/fs/cgroup/systemd/berth/abc", "systemd", false},
                  {"/sys/fs/cgroup/unified/berth/abc", "unified", true}};
  auto plan = default_container_mounts(spec);
  ASSERT_TRUE(plan) << plan.error().str();
  const MountStep* tmpfs = find_step(*plan, StepKind::kFilesystem, "/sys/fs/cgroup");
  ASSERT_NE(tmpfs, nullptr);
  EXPECT_EQ(tmpfs->fstype, "tmpfs");
  const MountStep* mem = find_step(*plan, StepKind::kFilesystem, "/sys/fs/cgroup/memory");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->fstype, "cgroup");
  EXPECT_TRUE(has_param(*mem, "memory", ""));
  EXPECT_TRUE(mem->attr_set & MOUNT_ATTR_RDONLY);
  const MountStep* cpu = find_step(*plan, StepKind::kFilesystem, "/sys/fs/cgroup/cpu,cpuacct");
  ASSERT_NE(cpu, nullptr);
  EXPECT_TRUE(has_param(*cpu, "cpu", ""));
  EXPECT_TRUE(has_param(*cpu, "cpuacct", ""));
  const MountStep* sd = find_step(*plan, StepKind::kFilesystem, "/sys/fs/cgroup/systemd");
  ASSERT_NE(sd, nullptr);
  EXPECT_TRUE(has_param(*sd, "name", "systemd"));
  const MountStep* uni = find_step(*plan, StepKind::kFilesystem, "/sys/fs/cgroup/unified");
  ASSERT_NE(uni, nullptr);
  EXPECT_EQ(uni->fstype, "cgroup2");
  const MountStep* link = find_step(*plan, StepKind::kSymlink, "/sys/fs/cgroup/cpuacct");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->link_text, "cpu,cpuacct");
  EXPECT_LT(index_of(*plan, StepKind::kSymlink, "/sys/fs/cgroup/cpu"),
            index_of(*plan, StepKind::kRemountReadonly, "/sys/fs/cgroup"));

  spec.cgroupns = false;
  auto host = default_container_mounts(spec);
  ASSERT_TRUE(host) << host.error().str();
  const MountStep* bind = find_step(*host, StepKind::kBind, "/sys/fs/cgroup/memory");
  ASSERT_NE(bind, nullptr);
  EXPECT_EQ(bind->source, "/sys/fs/cgroup/memory/berth/abc");

  spec.cgroups = {{"/x", "../escape", false}};
  EXPECT_FALSE(default_container_mounts(spec));
}

TEST(MountPlan, RejectsRelativeAndRootTargets) {
  ContainerFsSpec spec = basic_spec();
  spec.mounts = {{UserMount::Type::kBind, "/src", "relative/path", false, true, ""}};
  auto rel = default_container_mounts(spec);
  ASSERT_FALSE(rel);
  EXPECT_EQ(rel.error().code(), Code::kInvalidArgument);
  EXPECT_NE(rel.error().str().find("relative/path"), std::string::npos);

  spec.mounts = {{UserMount::Type::kBind, "/src", "//", false, true, ""}};
  auto root = default_container_mounts(spec);
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().str().find("destination can't be '/'"), std::string::npos);

  spec.mounts.clear();
  spec.rootfs = "rootfs";
  EXPECT_FALSE(default_container_mounts(spec));
}

TEST(MountPlan, FilesystemOptionsSplitIntoAttributesAndParameters) {
  MountPlan plan("/r");
  ASSERT_TRUE(plan.filesystem("tmpfs", "", "/a/./b//", "ro,nosuid,rprivate,noatime,uid=5,uid=6"));
  const MountStep& s = plan.back();
  EXPECT_EQ(s.target, "/a/b");
  EXPECT_EQ(s.attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME);
  EXPECT_TRUE(has_param(s, "source", "tmpfs"));
  EXPECT_TRUE(has_param(s, "uid", "6"));
  EXPECT_FALSE(has_param(s, "uid", "5"));
  EXPECT_FALSE(plan.filesystem("tmpfs", "", "/x", "=5"));
  EXPECT_FALSE(plan.device("/dev/x", 'p', 1, 1, 0600, ""));
}

TEST(MountPlan, DescribeFailureNamesTheStepAndItsPaths) {
  MountPlan plan("/var/lib/berth/c/abc/merged");
  plan.propagation(true);
  ASSERT_TRUE(plan.overlay(plan.rootfs(), {"/l"}, "/u", "/w", {}));
  ASSERT_TRUE(plan.bind("/srv/data", "/data", true, true));
  ASSERT_TRUE(plan.filesystem("proc", "proc", "/proc", ""));
  ASSERT_TRUE(plan.mask("/proc/kcore"));
  plan.pivot_root();
  EXPECT_EQ(describe_failure(plan, {0, EPERM}), "making / rslave: Operation not permitted");
  EXPECT_EQ(describe_failure(plan, {1, EINVAL}),
            "mounting overlay on /var/lib/berth/c/abc/merged: Invalid argument");
  EXPECT_EQ(describe_failure(plan, {2, ENOENT}),
            "bind-mounting /srv/data on /data: No such file or directory");
  EXPECT_EQ(describe_failure(plan, {3, EBUSY}), "mounting proc on /proc: Device or resource busy");
  EXPECT_EQ(describe_failure(plan, {4, EPERM}), "masking /proc/kcore: Operation not permitted");
  EXPECT_EQ(describe_failure(plan, {5, EINVAL}),
            "pivot_root into /var/lib/berth/c/abc/merged: Invalid argument");
  EXPECT_EQ(describe_failure(plan, {9, EIO}), "mount step 9: Input/output error");
}

}  // namespace
}  // namespace berth::sys
