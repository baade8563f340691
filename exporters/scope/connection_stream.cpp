#include "connection_stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace hs::scope {

ConnectionStream::ConnectionStream(int fd, int interrupt_fd, std::chrono::milliseconds io_timeout)
    : fd_(fd), interrupt_fd_(interrupt_fd), timeout_ms_(static_cast<int>(io_timeout.count())) {}

bool ConnectionStream::wait_for(short events) const {
  std::array<pollfd, 2> p{{{fd_, events, 0}, {interrupt_fd_, POLLIN, 0}}};
  int n;
  do {
    n = ::poll(p.data(), p.size(), timeout_ms_);
  } while (n < 0 && errno == EINTR);
  // POLLHUP/POLLERR count as ready: the read or write that follows reports
  // them. A socket that is ready wins over the stop event, so a response
  // under way when the server stops is still delivered.
  return n > 0 && p[0].revents != 0;
}

bool ConnectionStream::is_readable() const { return buffered() > 0 || wait_for(POLLIN); }

bool ConnectionStream::is_writable() const { return wait_for(POLLOUT); }

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  if (buffered() == 0) {
    if (!wait_for(POLLIN)) return -1;
    ssize_t n;
    do {
      n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return n;
    begin_ = 0;
    end_ = static_cast<std::size_t>(n);
  }
  const std::size_t n = std::min(size, buffered());
  std::memcpy(ptr, buffer_.data() + begin_, n);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (!wait_for(POLLOUT)) return -1;
  ssize_t n;
  do {
    // MSG_NOSIGNAL: a probe that hangs up mid-answer must not SIGPIPE the daemon.
    n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip.clear();
  port = 0;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip.clear();
  port = 0;
}

}  // namespace hs::scope
