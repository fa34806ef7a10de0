// docker's --user resolution inside a container's root filesystem: a user spec is turned into
// uid, gid, supplementary groups and home, reading the image's /etc/passwd and /etc/group
// through openat2(RESOLVE_IN_ROOT), never through the host's files.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::sys {

struct ExecUser {
  uid_t uid = 0;
  gid_t gid = 0;
  // What the process gets from setgroups(2), in docker's order: the primary gid, then the
  // groups of /etc/group that list the user by name (only when no group was given in the spec),
  // then --group-add entries. Duplicates are dropped.
  std::vector<gid_t> groups;
  std::string home = "/";  // the passwd entry's home, "/" when there is none or it is empty
};

// Resolves spec ("", "name", "uid", "name:group", "uid:gid", "name:gid", "uid:group") with the
// semantics of runc's GetExecUser as docker calls it (defaults uid 0, gid 0, home "/"):
// - "" is uid 0 (its passwd entry, if any, gives gid and home);
// - a number is always a uid; when passwd has no such entry it is that uid with gid 0, home "/";
// - a name must be in passwd: `unable to find user NAME: no matching entries in passwd file`;
// - a group after ':' replaces the gid: a number is taken as is, a name must be in /etc/group
//   (`unable to find group NAME: no matching entries in group file`), and then the
//   supplementary groups of /etc/group are not added;
// - group_add entries (--group-add) are names looked up in /etc/group or numbers taken as is
//   (`Unable to find group NAME: no matching entries in group file`, runc's capital U).
// Ids above 2147483647 fail with `uids and gids must be in range 0-2147483647`.
// rootfd is the container's root directory; etc/passwd and etc/group are opened with
// RESOLVE_IN_ROOT, so a symlink pointing at "/etc/passwd" reads the container's own file. A
// missing file (or missing /etc) counts as an empty one; a file that is not a regular file, or is
// larger than 16 MiB, is an error. Errors are InvalidArgument (spec problems) or Io/NotFound
// from reading, with the file named. Blocks only on the reads.
Result<ExecUser> resolve_user(int rootfd, std::string_view spec,
                              const std::vector<std::string>& group_add);

// The HOME entry docker adds to the environment when the image and the user set none:
// "HOME=" + the user's home, "/" when it is empty.
std::string home_env(const ExecUser& user);

}  // namespace berth::sys
