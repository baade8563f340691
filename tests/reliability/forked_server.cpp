#include "forked_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace hs::test {
namespace {

// ---- the child: system calls and plain loops only ---------------------------

char in_buf[1 << 16];
char out_buf[1 << 16];

bool write_all(int fd, const char* p, std::size_t n) {
  while (n) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Index of "\r\n\r\n" in [from, len), or -1.
long find_end_of_head(std::size_t from, std::size_t len) {
  for (std::size_t i = from; i + 3 < len; ++i)
    if (in_buf[i] == '\r' && in_buf[i + 1] == '\n' && in_buf[i + 2] == '\r' &&
        in_buf[i + 3] == '\n')
      return static_cast<long>(i);
  return -1;
}

// The status a request head asks for: "/status/NNN" in its target, else 200.
int wanted_status(std::size_t from, std::size_t to) {
  std::size_t i = from;
  while (i < to && in_buf[i] != ' ') ++i;  // method
  static const char kPrefix[] = " /status/";
  for (std::size_t k = 0; k < sizeof kPrefix - 1; ++k)
    if (i + k >= to || in_buf[i + k] != kPrefix[k]) return 200;
  i += sizeof kPrefix - 1;
  int status = 0;
  for (int d = 0; d < 3; ++d, ++i) {
    if (i >= to || in_buf[i] < '0' || in_buf[i] > '9') return 200;
    status = status * 10 + (in_buf[i] - '0');
  }
  return status >= 200 && status <= 599 ? status : 200;
}

std::size_t append(std::size_t at, const char* s) {
  while (*s) out_buf[at++] = *s++;
  return at;
}

void serve_connection(int fd) {
  std::size_t len = 0;
  for (;;) {
    const ssize_t n = ::read(fd, in_buf + len, sizeof in_buf - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    len += static_cast<std::size_t>(n);
    std::size_t pos = 0, out = 0;
    for (long end; (end = find_end_of_head(pos, len)) >= 0;) {
      const int status = wanted_status(pos, static_cast<std::size_t>(end));
      char code[4] = {static_cast<char>('0' + status / 100),
                      static_cast<char>('0' + status / 10 % 10),
                      static_cast<char>('0' + status % 10), '\0'};
      if (out + 64 > sizeof out_buf) {
        if (!write_all(fd, out_buf, out)) return;
        out = 0;
      }
      out = append(out, "HTTP/1.1 ");
      out = append(out, code);
      out = append(out, " X\r\nContent-Length: 0\r\n\r\n");
      pos = static_cast<std::size_t>(end) + 4;
    }
    // All answers to what arrived together leave in one write.
    if (out && !write_all(fd, out_buf, out)) return;
    for (std::size_t i = pos; i < len; ++i) in_buf[i - pos] = in_buf[i];
    len -= pos;
    if (len == sizeof in_buf) return;  // a head larger than the buffer: not ours
  }
}

[[noreturn]] void child_main(int report_fd, int connections, bool hand_off) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listener, 64) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &alen) != 0)
    _exit(3);
  const std::uint16_t port = ntohs(a.sin_port);
  if (!write_all(report_fd, reinterpret_cast<const char*>(&port), sizeof port)) _exit(4);
  ::close(report_fd);
  for (int i = 0; i < connections; ++i) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) _exit(5);
    if (hand_off) {
      // The raw system call, not fork(): no library state is touched.
      const long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
      if (child < 0) _exit(6);
      if (child == 0) {
        ::close(listener);
        serve_connection(fd);
        _exit(0);
      }
    } else {
      serve_connection(fd);
    }
    ::close(fd);
  }
  _exit(0);
}

// ---- the parent --------------------------------------------------------------

unsigned long long read_start_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i < 22 && rest >> field; ++i) {
  }
  unsigned long long ticks = 0;
  rest >> ticks;
  return ticks;
}

}  // namespace

ForkedServer::ForkedServer(const ForkedServerOptions& options) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  clone_args args{};
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uint64_t>(&pidfd_);
  args.exit_signal = SIGCHLD;
  if (options.cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<std::uint64_t>(options.cgroup_fd);
  }
  pid_t tid[1] = {options.pid};
  if (options.pid > 0) {
    args.set_tid = reinterpret_cast<std::uint64_t>(tid);
    args.set_tid_size = 1;
  }
  const long r = syscall(SYS_clone3, &args, sizeof args);
  if (r == 0) {
    ::close(report[0]);
    child_main(report[1], options.connections, options.hand_off);
  }
  const int err = errno;
  ::close(report[1]);
  if (r < 0) {
    ::close(report[0]);
    throw std::system_error(err, std::generic_category(), "clone3");
  }
  pid_ = static_cast<pid_t>(r);
  start_ticks_ = read_start_ticks(pid_);
  pollfd p{report[0], POLLIN, 0};
  std::uint16_t port = 0;
  const bool reported = poll(&p, 1, 10000) == 1 && ::read(report[0], &port, sizeof port) == 2;
  ::close(report[0]);
  if (!reported) {
    kill();
    throw std::system_error(EIO, std::generic_category(), "forked server did not listen");
  }
  port_ = port;
}

ForkedServer::~ForkedServer() {
  if (pid_ > 0 && !reaped_) {
    kill();
    wait_exit(std::chrono::seconds(10));
  }
  if (pidfd_ >= 0) ::close(pidfd_);
}

bool start_in_tick(std::uint64_t start_ns, unsigned long long ticks) {
  const long hz = sysconf(_SC_CLK_TCK);
  return start_ns / (1'000'000'000ULL / static_cast<unsigned long long>(hz > 0 ? hz : 100)) ==
         ticks;
}

bool ForkedServer::wait_exit(std::chrono::milliseconds timeout) {
  if (reaped_) return true;
  pollfd p{pidfd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
  reaped_ = waitpid(pid_, &wait_status_, 0) == pid_;
  return reaped_;
}

void ForkedServer::kill() {
  if (pid_ > 0 && !reaped_) syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
}

}  // namespace hs::test
