#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <system_error>
#include <thread>
#include <utility>

namespace hs::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(std::exchange(o.fd_, -1));
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

Pipe make_pipe() {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw_errno("pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
}

// argv as execv wants it; built before fork() because the child of a
// multithreaded process may only make async-signal-safe calls.
struct Argv {
  explicit Argv(const std::vector<std::string>& args) {
    for (const auto& a : args) ptrs.push_back(const_cast<char*>(a.c_str()));
    ptrs.push_back(nullptr);
  }
  std::vector<char*> ptrs;
};

// In the child: wire stdio, die with the parent, exec. Never returns.
[[noreturn]] void exec_child(const Argv& argv, int in, int out, int err, pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(127);
  ::execv(argv.ptrs[0], argv.ptrs.data());
  ::_exit(127);
}

void decode_status(int status, ProcessResult& r) {
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& args, const std::string& input,
                          std::chrono::milliseconds timeout) {
  if (args.empty()) throw std::invalid_argument("run_process: empty argv");
  // A child that exits without reading all its input must not kill the test
  // with SIGPIPE: the write just fails with EPIPE.
  static const bool sigpipe_ignored = ::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
  (void)sigpipe_ignored;
  const Argv argv(args);
  Pipe in = make_pipe(), out = make_pipe(), err = make_pipe();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) exec_child(argv, in.read.get(), out.write.get(), err.write.get(), parent);

  in.read.reset();
  out.write.reset();
  err.write.reset();
  // Non-blocking stdin so a child that stops reading cannot wedge the loop.
  ::fcntl(in.write.get(), F_SETFL, O_NONBLOCK);
  ProcessResult result;
  std::size_t written = 0;
  if (input.empty()) in.write.reset();
  const auto deadline = Clock::now() + timeout;
  std::array<char, 65536> buf{};
  while (out.read.get() >= 0 || err.read.get() >= 0) {
    std::array<pollfd, 3> fds{pollfd{out.read.get(), POLLIN, 0}, pollfd{err.read.get(), POLLIN, 0},
                              pollfd{in.write.get(), POLLOUT, 0}};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    const int rc = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) throw_errno("poll");
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf.data(), buf.size());
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out.read : err.read).reset();
      }
    }
    if (fds[2].revents != 0) {
      const ssize_t n = ::write(in.write.get(), input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      // Done, or the child closed its stdin (EPIPE).
      if (written == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) in.write.reset();
    }
  }
  in.write.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  decode_status(status, result);
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::filesystem::path& log) {
  if (args.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  const Argv argv(args);
  const Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_in.get() < 0) throw_errno("open /dev/null");
  const Fd out(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (out.get() < 0) throw_errno("open log");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw_errno("fork");
  if (pid_ == 0) exec_child(argv, null_in.get(), out.get(), out.get(), parent);
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::running() {
  if (reaped_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) reaped_ = true;
  return !reaped_;
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + grace;
  while (running() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
}

std::string tail_of_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "(no " + path.string() + ")";
  f.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(f.tellg());
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  f.seekg(static_cast<std::streamoff>(start));
  std::string text(size - start, '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

}  // namespace hs::testing
