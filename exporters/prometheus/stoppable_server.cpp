#include "stoppable_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>

namespace hs::prom {
namespace {

using Clock = std::chrono::steady_clock;

enum class Wait { Ready, Timeout, Stopped, Failed };

// Waits for `events` on `sock` for at most `timeout`, or until the stop event.
Wait wait_for(int sock, short events, int stop_event, std::chrono::microseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::array<pollfd, 2> fds{pollfd{sock, events, 0}, pollfd{stop_event, POLLIN, 0}};
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    const int rc =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(0, left.count())));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return Wait::Failed;
    if (fds[1].revents != 0) return Wait::Stopped;
    // Errors and hang-ups count as ready: the read or write reports them.
    if (fds[0].revents != 0) return Wait::Ready;
    if (Clock::now() >= deadline) return Wait::Timeout;
  }
}

std::chrono::microseconds duration(time_t sec, time_t usec) {
  return std::chrono::seconds(sec) + std::chrono::microseconds(usec);
}

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
  ip = text.data();
}

// One accepted connection, as httplib's request handling reads and writes it.
// Reads are buffered because httplib reads request lines byte by byte.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int sock, int stop_event, std::chrono::microseconds read_timeout,
                   std::chrono::microseconds write_timeout)
      : sock_(sock),
        stop_event_(stop_event),
        read_timeout_(read_timeout),
        write_timeout_(write_timeout) {}

  bool has_buffered_data() const { return pos_ < end_; }

  // Between requests: data arrived (or the peer closed) before `timeout`.
  bool wait_for_request(std::chrono::microseconds timeout) const {
    return has_buffered_data() || wait_for(sock_, POLLIN, stop_event_, timeout) == Wait::Ready;
  }

  bool is_readable() const override {
    return has_buffered_data() ||
           wait_for(sock_, POLLIN, stop_event_, read_timeout_) == Wait::Ready;
  }

  bool is_writable() const override {
    return wait_for(sock_, POLLOUT, stop_event_, write_timeout_) == Wait::Ready;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (!has_buffered_data()) {
      if (!is_readable()) return -1;
      const ssize_t n = receive(buffer_.data(), buffer_.size());
      if (n <= 0) return n;
      pos_ = 0;
      end_ = static_cast<std::size_t>(n);
    }
    const std::size_t n = std::min(size, end_ - pos_);
    std::memcpy(ptr, buffer_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    for (;;) {
      // MSG_NOSIGNAL: a peer that went away is an error here, not SIGPIPE.
      const ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      describe(addr, ip, port);
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      describe(addr, ip, port);
  }

  socket_t socket() const override { return sock_; }

 private:
  ssize_t receive(char* ptr, std::size_t size) {
    for (;;) {
      const ssize_t n = ::recv(sock_, ptr, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }

  int sock_;
  int stop_event_;
  std::chrono::microseconds read_timeout_;
  std::chrono::microseconds write_timeout_;
  std::array<char, 4096> buffer_{};
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
};

}  // namespace

StoppableServer::StoppableServer() : stop_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (stop_event_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

StoppableServer::~StoppableServer() { ::close(stop_event_); }

void StoppableServer::close_connections() {
  const std::uint64_t one = 1;
  // An eventfd write of 1 cannot fail short of counter overflow; the event
  // stays readable for every later poll.
  [[maybe_unused]] const ssize_t n = ::write(stop_event_, &one, sizeof(one));
}

bool StoppableServer::process_and_close_socket(socket_t sock) {
  ConnectionStream stream(sock, stop_event_, duration(read_timeout_sec_, read_timeout_usec_),
                          duration(write_timeout_sec_, write_timeout_usec_));
  const auto keep_alive = std::chrono::seconds(keep_alive_timeout_sec_);
  bool ok = false;
  // Same rules as httplib's own loop: at most keep_alive_max_count_ requests,
  // the last answered with "Connection: close".
  for (std::size_t served = 0; served < keep_alive_max_count_; ++served) {
    if (!stream.wait_for_request(keep_alive)) break;
    bool closed = false;
    const bool last = served + 1 == keep_alive_max_count_;
    ok = process_request(stream, last, closed, nullptr);
    if (!ok || closed) break;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace hs::prom
