#include "raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace hs::test {

RawConnection::RawConnection(std::uint16_t port, std::chrono::milliseconds timeout)
    : RawConnection(port,
                    RawConnectionOptions{.ipv6 = false, .fast_open = {}, .timeout = timeout}) {}

RawConnection::RawConnection(std::uint16_t port, const RawConnectionOptions& options)
    : timeout_(options.timeout) {
  fd_ = socket(options.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (options.ipv6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  const auto* addr = reinterpret_cast<const sockaddr*>(&ss);
  int rc;
  if (options.fast_open.empty()) {
    rc = connect(fd_, addr, len);
  } else {
    const ssize_t n = sendto(fd_, options.fast_open.data(), options.fast_open.size(),
                             MSG_FASTOPEN | MSG_NOSIGNAL, addr, len);
    rc = n == static_cast<ssize_t>(options.fast_open.size()) ? 0 : -1;
    if (n >= 0 && rc != 0) errno = EMSGSIZE;
  }
  if (rc != 0) {
    const int err = errno;
    ::close(fd_);
    throw std::runtime_error("connect to port " + std::to_string(port) + ": " + std::strerror(err));
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool RawConnection::fill() {
  pollfd p{fd_, POLLIN, 0};
  const int ready = poll(&p, 1, static_cast<int>(timeout_.count()));
  if (ready == 0) throw std::runtime_error("timed out waiting for the server");
  char chunk[65536];
  const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
  if (n < 0) throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
  buf_.append(chunk, static_cast<std::size_t>(n));
  return n > 0;
}

std::string RawConnection::read_exactly(std::size_t n) {
  while (buf_.size() < n)
    if (!fill())
      throw std::runtime_error("connection closed after " + std::to_string(buf_.size()) + " of " +
                               std::to_string(n) + " bytes");
  std::string out = buf_.substr(0, n);
  buf_.erase(0, n);
  return out;
}

std::string RawConnection::read_until(std::string_view marker) {
  std::size_t at;
  while ((at = buf_.find(marker)) == std::string::npos)
    if (!fill()) throw std::runtime_error("connection closed before the expected bytes");
  std::string out = buf_.substr(0, at + marker.size());
  buf_.erase(0, at + marker.size());
  return out;
}

void RawConnection::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

bool RawConnection::syn_data_acked() const {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
  return (info.tcpi_options & TCPI_OPT_SYN_DATA) != 0;
}

std::string RawConnection::read_to_end() {
  while (fill()) {
  }
  return std::exchange(buf_, {});
}

}  // namespace hs::test
