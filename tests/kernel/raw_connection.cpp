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
    : timeout_(timeout) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
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

std::string RawConnection::read_to_end() {
  while (fill()) {
  }
  return std::exchange(buf_, {});
}

}  // namespace hs::test
