#include "exchange_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace hs::http {
namespace {

void describe(const sockaddr_storage& addr, std::string& ip, int& port) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (addr.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &a.sin_addr, text.data(), text.size());
    port = ntohs(a.sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
    ::inet_ntop(AF_INET6, &a.sin6_addr, text.data(), text.size());
    port = ntohs(a.sin6_port);
  }
  ip = text.data();  // empty for a UNIX socket, whose peer has no address
}

}  // namespace

ExchangeStream::ExchangeStream(int fd, std::string_view request, int stop_fd,
                               std::chrono::milliseconds write_timeout)
    : fd_(fd),
      request_(request),
      stop_fd_(stop_fd),
      timeout_ms_(static_cast<int>(write_timeout.count())) {}

bool ExchangeStream::wait_writable() const {
  std::array<pollfd, 2> p{{{fd_, POLLOUT, 0}, {stop_fd_, POLLIN, 0}}};
  int n;
  do {
    n = ::poll(p.data(), p.size(), timeout_ms_);
  } while (n < 0 && errno == EINTR);
  // POLLERR/POLLHUP count as ready: the send that follows reports them.
  return n > 0 && p[0].revents != 0;
}

bool ExchangeStream::is_writable() const { return wait_writable(); }

ssize_t ExchangeStream::read(char* ptr, size_t size) {
  const std::size_t n = std::min(size, request_.size() - consumed_);
  std::memcpy(ptr, request_.data() + consumed_, n);
  consumed_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t ExchangeStream::write(const char* ptr, size_t size) {
  for (;;) {
    // MSG_NOSIGNAL: a client that hangs up mid-answer must not SIGPIPE the daemon.
    const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_writable()) return -1;
  }
}

void ExchangeStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  ip.clear();
  port = 0;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) describe(addr, ip, port);
}

void ExchangeStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  ip.clear();
  port = 0;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) describe(addr, ip, port);
}

}  // namespace hs::http
