// berth-init: the PID 1 of `--init` containers (docker's docker-init, tini's job). It runs the
// container's command as its child, forwards the signals it gets to it, reaps every orphan
// the pid namespace hands it, and exits with the command's status (128 + signal when killed).
// Static, libc only: it runs inside any image.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && std::strcmp(argv[first], "--") == 0) {
    ++first;
  }
  if (first >= argc) {
    std::fprintf(stderr, "berth-init: no command given\n");
    return 2;
  }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) {
    std::perror("berth-init: fork");
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    setpgid(0, 0);
    execvp(argv[first], argv + first);
    int e = errno;
    std::fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], std::strerror(e));
    _exit(e == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si{};
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0) {
      continue;
    }
    if (sig != SIGCHLD) {
      kill(child, sig);  // the signals PID 1 gets are meant for the command
      continue;
    }
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == child) {
        // Orphans still running die with the namespace when we exit.
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
  }
}
