#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>

#include "paths.h"

namespace hs::test {
namespace {

// Raw syscalls: glibc 2.36's <sys/pidfd.h> lacks extern "C", so its
// declarations do not link from C++.
int open_pidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }
int send_pidfd_signal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

ExitStatus decode(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) {
    s.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
  }
  return s;
}

// Is the pidfd readable, i.e. has the process exited, within timeout?
bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const int n = poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Tells the parent why the child could not exec, then ends the child.
[[noreturn]] void child_failed(int error_pipe) {
  const int err = errno;
  (void)!write(error_pipe, &err, sizeof err);
  _exit(127);
}

// Only async-signal-safe calls between fork() and exec().
[[noreturn]] void exec_child(const std::vector<char*>& args, const SubprocessOptions& o,
                             int error_pipe) {
  auto fail = [error_pipe](const char* /*step*/) { child_failed(error_pipe); };
  // A crashed test must not leave its servers running.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("prctl");
  if (setpgid(0, 0) != 0) fail("setpgid");
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  auto redirect = [&](const std::string& path, int target) {
    if (path.empty()) return;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || dup2(fd, target) < 0) fail("redirect");
    close(fd);
  };
  redirect(o.stdout_path, STDOUT_FILENO);
  // One file for both: one open file description, so neither overwrites the other.
  if (!o.stderr_path.empty() && o.stderr_path == o.stdout_path) {
    if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0) fail("redirect");
  } else {
    redirect(o.stderr_path, STDERR_FILENO);
  }
  const char* in = o.stdin_path.empty() ? "/dev/null" : o.stdin_path.c_str();
  const int in_fd = open(in, O_RDONLY | O_CLOEXEC);
  if (in_fd < 0 || dup2(in_fd, STDIN_FILENO) < 0) fail("stdin");
  if (!o.working_dir.empty() && chdir(o.working_dir.c_str()) != 0) fail("chdir");
  execvp(args[0], args.data());
  child_failed(error_pipe);
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal) return std::string("killed by signal ") + strsignal(signal);
  return "exit code " + std::to_string(code);
}

Subprocess::Subprocess(std::vector<std::string> argv, SubprocessOptions options)
    : argv_(std::move(argv)), options_(std::move(options)) {
  if (argv_.empty()) throw std::invalid_argument("Subprocess: empty argv");
  std::vector<char*> args;
  for (auto& a : argv_) args.push_back(a.data());
  args.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    close(pipe_fds[0]);
    exec_child(args, options_, pipe_fds[1]);
  }
  close(pipe_fds[1]);
  pid_ = pid;
  // The pipe closes on a successful exec (O_CLOEXEC): no bytes means it ran.
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(pipe_fds[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(pipe_fds[0]);
  pidfd_ = open_pidfd(pid_);
  if (n > 0) {
    wait(std::chrono::seconds(5));
    release();
    throw std::runtime_error("cannot start " + argv_[0] + ": " + std::strerror(child_errno));
  }
  if (pidfd_ < 0) {
    const int err = errno;
    stop();
    release();
    throw std::runtime_error(std::string("pidfd_open: ") + std::strerror(err));
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !status_) stop();
  release();
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : argv_(std::move(other.argv_)),
      options_(std::move(other.options_)),
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      status_(std::exchange(other.status_, std::nullopt)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !status_) stop();
    release();
    argv_ = std::move(other.argv_);
    options_ = std::move(other.options_);
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

void Subprocess::release() noexcept {
  if (pidfd_ >= 0) close(pidfd_);
  pidfd_ = -1;
}

bool Subprocess::exited() const {
  if (status_) return true;
  if (pidfd_ < 0) return true;
  return wait_readable(pidfd_, std::chrono::milliseconds(0));
}

std::optional<ExitStatus> Subprocess::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  if (pid_ <= 0) return std::nullopt;
  if (pidfd_ >= 0 && !wait_readable(pidfd_, timeout)) return std::nullopt;
  int wstatus = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &wstatus, 0);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return std::nullopt;
  status_ = decode(wstatus);
  return status_;
}

bool Subprocess::signal(int sig) const {
  if (status_ || pidfd_ < 0) return false;
  return send_pidfd_signal(pidfd_, sig) == 0;
}

ExitStatus Subprocess::stop() {
  if (status_) return *status_;
  signal(SIGTERM);
  const bool gone = pidfd_ >= 0 && wait_readable(pidfd_, options_.term_grace);
  // The leader is not reaped yet, so its pid still names this process group:
  // SIGKILL reaches whatever it left behind (or the leader itself).
  kill(-pid_, SIGKILL);
  if (!gone) signal(SIGKILL);
  if (auto s = wait(std::chrono::seconds(30))) return *s;
  return ExitStatus{};
}

RunResult run(std::vector<std::string> argv, const std::string& scratch_dir,
              std::chrono::milliseconds timeout, const std::string& input) {
  static std::atomic<int> serial{0};  // unique capture files per call
  const std::string base = scratch_dir + "/run" + std::to_string(++serial);
  SubprocessOptions o;
  o.stdout_path = base + ".out";
  o.stderr_path = base + ".err";
  if (!input.empty()) {
    o.stdin_path = base + ".in";
    std::ofstream(o.stdin_path, std::ios::binary) << input;
  }
  Subprocess p(std::move(argv), o);
  RunResult r;
  r.pid = p.pid();
  auto st = p.wait(timeout);
  if (!st) {
    p.stop();
    throw std::runtime_error(p.argv()[0] + " did not finish within " +
                             std::to_string(timeout.count()) + " ms");
  }
  r.status = *st;
  r.out = read_text(o.stdout_path);
  r.err = read_text(o.stderr_path);
  return r;
}

}  // namespace hs::test
