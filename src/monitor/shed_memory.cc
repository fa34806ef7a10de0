#include <malloc.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstring>

#include "monitor/monitor.h"

namespace berth::monitor {

namespace {

struct Mapping {
  unsigned long start = 0, end = 0;
  bool candidate = false;
  bool has_anon = false;
};

void drop(const Mapping& m) {
  if (m.candidate && !m.has_anon) {
    ::madvise(reinterpret_cast<void*>(m.start), m.end - m.start, MADV_DONTNEED);
  }
}

}  // namespace

void shed_memory() noexcept {
  ::malloc_trim(0);
  FILE* smaps = std::fopen("/proc/self/smaps", "re");
  if (smaps == nullptr) {
    return;
  }
  char line[512];
  Mapping cur;
  while (std::fgets(line, sizeof line, smaps) != nullptr) {
    unsigned long start = 0, end = 0, inode = 0, kb = 0;
    char perms[8] = {};
    char path[256] = {};
    if (std::sscanf(line, "%lx-%lx %7s %*s %*s %lu %255s", &start, &end, perms, &inode, path) >=
        4) {
      drop(cur);
      // Only private file mappings that were never written: their pages are the file's, so
      // dropping them loses nothing. Relocated read-only data (RELRO) was written before it
      // was made read-only, so it has anonymous pages and stays, as does everything writable.
      cur = Mapping{start, end, inode != 0 && path[0] == '/' && perms[1] != 'w' && perms[3] == 'p',
                    false};
    } else if (std::sscanf(line, "Anonymous: %lu kB", &kb) == 1 && kb > 0) {
      cur.has_anon = true;
    }
  }
  drop(cur);
  std::fclose(smaps);
}

}  // namespace berth::monitor
