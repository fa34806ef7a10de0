// probe's workload verbs: processes that exit, sleep, take signals, eat memory, fork, spin and
// log the way the runtime tests need.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "probe.h"

namespace probe {
namespace {

// Sleeps for seconds, or forever when seconds < 0.
void rest(double seconds) {
  while (seconds < 0) {
    pause();
  }
  sleep_for(seconds);
}

void reap(pid_t pid) {
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

std::vector<std::string> pid_list(const std::vector<pid_t>& pids) {
  std::vector<std::string> out;
  for (pid_t p : pids) {
    out.push_back(jn(p));
  }
  return out;
}

bool is_zombie(pid_t pid) {
  std::string stat;
  if (!read_file("/proc/" + std::to_string(pid) + "/stat", &stat)) {
    return false;
  }
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

}  // namespace

int verb_exit(const Args& a) { return static_cast<int>(parse_int(a.arg(0), "exit code") & 0xff); }

// With --trap, SIGTERM stays blocked and is taken with sigtimedwait, so it cannot slip in
// between a check and the sleep; blocked signals also reach us when we are PID 1.
int verb_sleep(const Args& a) {
  double seconds = parse_seconds(a.arg(0));
  if (!a.has("--trap")) {
    sleep_for(seconds);
    return 0;
  }
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, nullptr);
  say("ready");
  double deadline = now() + seconds;
  for (double left = seconds; left > 0; left = deadline - now()) {
    timespec ts{static_cast<time_t>(left),
                static_cast<long>((left - static_cast<double>(static_cast<time_t>(left))) * 1e9)};
    if (sigtimedwait(&term, nullptr, &ts) == SIGTERM) {
      say("got SIGTERM");
      return 0;
    }
  }
  return 0;
}

int verb_signals(const Args& a) {
  long long count = parse_int(a.get("--count", "1"), "--count");
  sigset_t set;
  sigfillset(&set);
  for (auto [it, end] = a.opts.equal_range("--ignore"); it != end; ++it) {
    int sig = parse_signal(it->second);
    signal(sig, SIG_IGN);
    sigdelset(&set, sig);
  }
  // A handler besides the mask, so that the kernel never drops a signal sent to us as PID 1.
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  for (int sig = 1; sig <= SIGRTMAX; ++sig) {
    if (sigismember(&set, sig) == 1 && sig != SIGKILL && sig != SIGSTOP) {
      sigaction(sig, &sa, nullptr);
    }
  }
  sigprocmask(SIG_BLOCK, &set, nullptr);
  say(std::to_string(getpid()));
  for (long long got = 0; got < count;) {
    int sig = sigwaitinfo(&set, nullptr);
    if (sig > 0) {
      say(signame(sig));
      ++got;
    }
  }
  return 0;
}

int verb_oom(const Args& a) {
  constexpr size_t kMiB = 1 << 20;
  long long mb = parse_int(a.arg(0), "MB");
  for (long long i = 1; i <= mb; ++i) {
    // Never freed: the memory must stay charged to the cgroup until exit.
    auto* p = static_cast<volatile char*>(malloc(kMiB));
    if (p == nullptr) {
      die(1, "oom: malloc failed after " + std::to_string(i - 1) + " MiB");
    }
    for (size_t off = 0; off < kMiB; off += 4096) {
      p[off] = 1;
    }
    if (i % 16 == 0) {
      say("allocated " + std::to_string(i) + " MiB");
    }
  }
  say("done " + std::to_string(mb) + " MiB");
  sleep_for(1);
  return 0;
}

int verb_forkbomb(const Args& a) {
  long long n = parse_int(a.arg(0), "N");
  std::vector<pid_t> kids;
  std::string first_error = "null";
  for (long long i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      sleep(5);
      _exit(0);
    }
    if (pid < 0) {
      first_error = js(errname(errno));
      break;
    }
    kids.push_back(pid);
  }
  say(jo({{"attempted", jn(n)},
          {"forked", jn(static_cast<long long>(kids.size()))},
          {"first_error", first_error}}));
  for (pid_t pid : kids) {
    reap(pid);
  }
  return 0;
}

int verb_write(const Args& a) {
  const std::string& path = a.arg(0);
  const std::string& text = a.arg(1);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::string r = fd >= 0 ? "ok" : errname(errno);
  if (fd >= 0) {
    ssize_t n = write(fd, text.data(), text.size());
    r = n == static_cast<ssize_t>(text.size()) ? "ok" : n < 0 ? errname(errno) : "short write";
    if (close(fd) != 0 && r == "ok") {
      r = errname(errno);
    }
  }
  say(jo({{"path", js(path)}, {"result", js(r)}}));
  return r == "ok" ? 0 : 1;
}

int verb_cat(const Args& a) {
  int fd = open(a.arg(0).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    die(1, "cat " + a.arg(0) + ": " + errname(errno));
  }
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    write_all(1, std::string_view(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))));
  }
  if (n < 0) {
    die(1, "cat " + a.arg(0) + ": " + errname(errno));
  }
  close(fd);
  return 0;
}

int verb_spin(const Args& a) {
  double deadline = now() + parse_seconds(a.arg(0));
  volatile unsigned long long loops = 0;
  while (now() < deadline) {
    for (int i = 0; i < 100000; ++i) {
      loops = loops + 1;
    }
  }
  say(jo({{"loops", jn(static_cast<long long>(loops))}}));
  return 0;
}

int verb_tree(const Args& a) {
  long long n = parse_int(a.arg(0), "N");
  double seconds = a.pos.size() > 1 ? parse_seconds(a.pos[1]) : -1;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    die(1, "tree: pipe: " + errname(errno));
  }
  std::vector<pid_t> kids;
  std::vector<pid_t> grandkids;
  for (long long i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid < 0) {
      die(1, "tree: fork: " + errname(errno));
    }
    if (pid == 0) {
      close(p[0]);
      pid_t g = fork();
      if (g == 0) {
        close(p[1]);
        rest(seconds);
        _exit(0);
      }
      write_all(p[1], std::string_view(reinterpret_cast<const char*>(&g), sizeof g));
      g > 0 ? reap(g) : rest(seconds);
      _exit(0);
    }
    kids.push_back(pid);
    pid_t g = -1;
    if (read(p[0], &g, sizeof g) == sizeof g && g > 0) {
      grandkids.push_back(g);
    }
  }
  say(jo({{"pid", jn(getpid())},
          {"children", ja(pid_list(kids))},
          {"grandchildren", ja(pid_list(grandkids))}}));
  rest(seconds);
  for (pid_t pid : kids) {
    reap(pid);
  }
  return 0;
}

// Direct children stay zombies until we exit. With --orphan a middle child forks the exiting
// children and exits first, so they are reparented to PID 1 of the namespace: they stay zombies
// only when nothing there reaps (probe itself as PID 1, without --init).
int verb_zombies(const Args& a) {
  long long n = parse_int(a.arg(0), "N");
  bool orphan = a.has("--orphan");
  std::vector<pid_t> pids;
  int p[2] = {-1, -1};
  if (orphan && pipe2(p, O_CLOEXEC) != 0) {
    die(1, "zombies: pipe: " + errname(errno));
  }
  pid_t middle = orphan ? fork() : 0;
  if (middle < 0) {
    die(1, "zombies: fork: " + errname(errno));
  }
  if (!orphan || middle == 0) {
    for (long long i = 0; i < n; ++i) {
      pid_t pid = fork();
      if (pid == 0) {
        _exit(0);
      }
      if (pid > 0) {
        orphan ? write_all(p[1], std::string_view(reinterpret_cast<const char*>(&pid), sizeof pid))
               : pids.push_back(pid);
      }
    }
    if (orphan) {
      _exit(0);
    }
  } else {
    close(p[1]);
    pid_t pid;
    while (read(p[0], &pid, sizeof pid) == sizeof pid) {
      pids.push_back(pid);
    }
    close(p[0]);
    reap(middle);
  }
  say(jo({{"pids", ja(pid_list(pids))}}));
  sleep_for(2);
  long long zombies = std::count_if(pids.begin(), pids.end(), is_zombie);
  say(jo({{"mode", js(orphan ? "orphan" : "direct")},
          {"pids", ja(pid_list(pids))},
          {"zombies", jn(zombies)}}));
  return 0;
}

int verb_health(const Args& a) {
  struct stat st {};
  bool exists = stat(a.arg(0).c_str(), &st) == 0;
  say(jo({{"exists", jb(exists)}, {"path", js(a.arg(0))}}));
  return exists ? 0 : 1;
}

int verb_log(const Args& a) {
  long long n = parse_int(a.arg(0), "N");
  long long size = parse_int(a.arg(1), "SIZE");
  if (size < 1) {
    die(2, "log: SIZE must be at least 1 (it includes the newline)");
  }
  int fd = a.has("--stderr") ? 2 : 1;
  std::string buf;
  for (long long i = 1; i <= n; ++i) {
    std::string line = std::to_string(i) + " ";
    if (static_cast<long long>(line.size()) >= size) {
      line.clear();
    }
    line.resize(static_cast<size_t>(size - 1), 'x');
    buf += line + "\n";
    if (buf.size() >= 65536) {
      write_all(fd, buf);
      buf.clear();
    }
  }
  write_all(fd, buf);
  return 0;
}

}  // namespace probe
