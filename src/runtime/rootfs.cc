#include "runtime/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/strings.h"
#include "base/unique_fd.h"
#include "sys/mountinfo.h"
#include "sys/mounts.h"
#include "sys/openat2.h"

namespace berth::runtime {

Result<void> mount_rootfs(const RootfsLayers& layers, const std::string& merged) {
  for (bool with_volatile : {layers.volatile_upper, false}) {
    sys::MountPlan plan(merged);
    std::vector<std::string> options;
    if (with_volatile) {
      options.push_back("volatile");
    }
    BERTH_CHECK(plan.overlay(merged, layers.lowerdirs, layers.upperdir, layers.workdir, options));
    plan.back().in_root = false;
    sys::MountFailure failure;
    if (sys::apply_mount_plan(plan, &failure) == 0) {
      return {};
    }
    if (!(with_volatile && failure.err == EINVAL)) {  // EINVAL: a kernel without "volatile"
      return tl::unexpected<Error>(
          Error(code_from_errno(failure.err), sys::describe_failure(plan, failure)));
    }
  }
  return {};
}

Result<void> unmount_rootfs(const std::string& merged) {
  return with_context(sys::unmount_tree(merged), "unmounting " + merged);
}

Result<void> make_dir_in_root(int rootfd, const std::string& dir) {
  std::string sofar;
  for (const auto& part : split(dir, '/')) {
    if (part.empty() || part == ".") {
      continue;
    }
    std::string next = sofar + "/" + part;
    auto fd = sys::open_in_root(rootfd, next, O_PATH | O_DIRECTORY, 0);
    if (!fd) {
      if (fd.error().sys_errno() != ENOENT) {
        return tl::unexpected(std::move(fd.error()));
      }
      auto parent = BERTH_TRY(
          sys::open_in_root(rootfd, sofar.empty() ? "/" : sofar, O_PATH | O_DIRECTORY, 0));
      if (::mkdirat(parent.get(), part.c_str(), 0755) < 0 && errno != EEXIST) {
        return fail_errno(fmt::format("creating {} in the container", next));
      }
    }
    sofar = next;
  }
  return {};
}

}  // namespace berth::runtime
