#include "hostile_clients.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

namespace hs::test {
namespace {

using Steady = std::chrono::steady_clock;

// What a slow client sends: a request that never ends, one byte at a time.
constexpr std::string_view kSlowRequest = "GET /report HTTP/1.1\r\nHost: slow\r\nX-Slow: ";

int connect_to(const Endpoint& where) {
  const bool unix_socket = !where.unix_path.empty();
  const int fd = ::socket(unix_socket ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  // Bounds connect() on a full listen queue and every blocking send.
  timeval limit{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  int rc;
  if (unix_socket) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    where.unix_path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(where.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  }
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "connect");
  }
  return fd;
}

}  // namespace

RawConnection::RawConnection(const Endpoint& where) : fd_(connect_to(where)) {}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), pending_(std::move(other.pending_)) {}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    pending_ = std::move(other.pending_);
  }
  return *this;
}

bool RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawConnection::receive_more(Steady::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    std::array<char, 65536> buf{};
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    pending_.append(buf.data(), static_cast<std::size_t>(n));
    return true;
  }
}

std::optional<RawResponse> RawConnection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  std::size_t head_end;
  while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!receive_more(deadline)) return std::nullopt;
  }
  RawResponse r;
  r.head = pending_.substr(0, head_end);
  if (r.head.rfind("HTTP/1.", 0) != 0 || r.head.size() < 12) return std::nullopt;
  r.status = std::stoi(r.head.substr(9, 3));
  std::size_t length = 0;
  std::istringstream lines(r.head);
  for (std::string line; std::getline(lines, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "content-length") length = std::stoul(line.substr(colon + 1));
  }
  const std::size_t body_start = head_end + 4;
  while (pending_.size() < body_start + length) {
    if (!receive_more(deadline)) return std::nullopt;
  }
  r.body = pending_.substr(body_start, length);
  pending_.erase(0, body_start + length);
  return r;
}

bool RawConnection::closed_by_server(std::chrono::milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  pending_.clear();
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now());
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    std::array<char, 65536> buf{};
    const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0 && errno != EINTR && errno != EAGAIN) return true;  // reset
  }
}

std::optional<RawResponse> fetch(const Endpoint& where, const std::string& target,
                                 std::chrono::milliseconds timeout) {
  try {
    RawConnection c(where);
    if (!c.send("GET " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"))
      return std::nullopt;
    return c.read_response(timeout);
  } catch (const std::system_error&) {
    return std::nullopt;  // not even connected: no answer either
  }
}

SlowClients::SlowClients(Endpoint where, std::size_t count, std::chrono::milliseconds interval)
    : where_(std::move(where)), interval_(interval), slow_(count) {
  for (Slow& s : slow_) open_one(s);
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      const auto next = Steady::now() + interval_;
      tick();
      while (!stop_.load() && Steady::now() < next)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
}

SlowClients::~SlowClients() {
  stop();
  for (Slow& s : slow_) {
    if (s.fd >= 0) ::close(s.fd);
  }
}

void SlowClients::stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

bool SlowClients::open_one(Slow& s) {
  s = Slow{};
  try {
    s.fd = connect_to(where_);
  } catch (const std::system_error&) {
    ++failed_connects_;
    return false;
  }
  ++opened_;
  if (::send(s.fd, kSlowRequest.data(), 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) s.sent = 1;
  return true;
}

bool SlowClients::server_ended(Slow& s) {
  for (;;) {
    std::array<char, 4096> buf{};
    const ssize_t n = ::recv(s.fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0) {
      if (s.received.size() < 64) s.received.append(buf.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const bool ended = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    if (ended) {
      ++closed_;
      if (s.received.rfind("HTTP/1.1 408", 0) == 0) ++timed_out_;
      ::close(s.fd);
      s.fd = -1;
    }
    return ended;
  }
}

void SlowClients::tick() {
  std::lock_guard lock(mu_);
  for (Slow& s : slow_) {
    if (s.fd < 0 || server_ended(s)) {
      open_one(s);
      continue;
    }
    const char next = s.sent < kSlowRequest.size() ? kSlowRequest[s.sent] : 'a';
    if (::send(s.fd, &next, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++s.sent;
  }
}

bool SlowClients::wait_until_all_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  for (;;) {
    bool all = true;
    {
      std::lock_guard lock(mu_);
      for (Slow& s : slow_) {
        if (s.fd >= 0 && !server_ended(s)) all = false;
      }
    }
    if (all) return true;
    if (Steady::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::size_t resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

}  // namespace hs::test
