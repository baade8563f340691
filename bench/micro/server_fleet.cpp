#include "server_fleet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace hs_bench {
namespace {

// Closes a descriptor on every path out of a scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n <= 0) return false;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads until the end of a header block; the fleet's messages have no bodies.
bool read_head(int fd, std::string& pending, std::string& head) {
  for (;;) {
    const auto end = pending.find("\r\n\r\n");
    if (end != std::string::npos) {
      head = pending.substr(0, end + 4);
      pending.erase(0, end + 4);
      return true;
    }
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    pending.append(buf, static_cast<std::size_t>(n));
  }
}

// The child: one connection, each request answered with the status in its
// path ("/404"), then idle until killed. The benchmark forks before it starts
// any thread, so the child may allocate freely.
[[noreturn]] void serve(int port_pipe) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 4) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    ::_exit(1);
  const std::uint16_t port = ntohs(addr.sin_port);
  if (::write(port_pipe, &port, sizeof port) != sizeof port) ::_exit(1);
  ::close(port_pipe);

  const int conn = ::accept4(listener, nullptr, nullptr, 0);
  ::close(listener);
  std::string pending, head;
  while (conn >= 0 && read_head(conn, pending, head)) {
    const auto slash = head.find(" /");
    const int status = slash == std::string::npos ? 400 : std::atoi(head.c_str() + slash + 2);
    char response[96];
    const int n = std::snprintf(response, sizeof response,
                                "HTTP/1.1 %d Fleet\r\nContent-Length: 0\r\n\r\n", status);
    if (!write_all(conn, std::string_view(response, static_cast<std::size_t>(n)))) break;
  }
  for (;;) ::pause();
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  // A child that died must not hang the benchmark.
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

ServerFleet::ServerFleet(std::size_t processes) {
  children_.reserve(processes);
  for (std::size_t i = 0; i < processes; ++i) {
    int p[2];
    if (::pipe(p) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(p[0]);
      ::close(p[1]);
      throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
      ::close(p[0]);
      serve(p[1]);
    }
    ::close(p[1]);
    Fd read_end(p[0]);
    children_.push_back({pid, 0});
    std::uint16_t port = 0;
    if (::read(read_end.get(), &port, sizeof port) != sizeof port)
      throw std::runtime_error("a fleet server did not start");
    children_.back().port = port;
  }
}

ServerFleet::~ServerFleet() {
  for (const Child& c : children_) ::kill(c.pid, SIGKILL);
  for (const Child& c : children_) ::waitpid(c.pid, nullptr, 0);
}

std::size_t ServerFleet::exchange(const std::vector<FleetRequest>& requests) {
  std::size_t done = 0;
  for (const Child& c : children_) {
    Fd fd(connect_loopback(c.port));
    if (fd.get() < 0) continue;
    std::string pending, head;
    for (const FleetRequest& r : requests) {
      const std::string req = r.method + " /" + std::to_string(r.status) +
                              " HTTP/1.1\r\nHost: fleet\r\nContent-Length: 0\r\n\r\n";
      if (!write_all(fd.get(), req) || !read_head(fd.get(), pending, head)) break;
      ++done;
    }
  }
  return done;
}

std::vector<pid_t> ServerFleet::pids() const {
  std::vector<pid_t> out;
  for (const Child& c : children_) out.push_back(c.pid);
  return out;
}

}  // namespace hs_bench
