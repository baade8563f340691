#include "connection_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <system_error>

#include "connection_stream.h"

namespace hs::scope {
namespace {

// How often an idle keep-alive connection looks whether a new client waits
// for a thread: the added latency for that client, at worst.
constexpr std::chrono::milliseconds kStarvationCheck{20};

}  // namespace

ConnectionServer::ConnectionServer(const ConnectionLimits& limits)
    : limits_(limits),
      stop_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      pool_ahead_(std::make_unique<WorkerPool>(limits.workers)) {
  if (!stop_event_) throw std::system_error(errno, std::generic_category(), "eventfd");
  new_task_queue = [this]() -> httplib::TaskQueue* {
    auto pool =
        pool_ahead_ ? std::move(pool_ahead_) : std::make_unique<WorkerPool>(limits_.workers);
    pool_.store(pool.get());
    // httplib owns the queue from here and deletes it when listening ends,
    // after its shutdown() has closed every connection.
    return pool.release();
  };
  // httplib applies these to accepted sockets (SO_RCVTIMEO/SO_SNDTIMEO); the
  // connection loop's own waits use the same limit.
  set_read_timeout(limits_.io_timeout);
  set_write_timeout(limits_.io_timeout);
}

ConnectionServer::~ConnectionServer() {
  // A socket bound but never listened on (start() failed in between):
  // httplib's destructor does not close it. Once listening started (the
  // pool was taken), httplib closes it itself, on stop() or on an accept
  // error, where it does not reset svr_sock_: closing here would close
  // whatever file reused the number.
  if (pool_.load() != nullptr) return;
  const socket_t bound = svr_sock_.exchange(INVALID_SOCKET);
  if (bound != INVALID_SOCKET) ::close(bound);
}

void ConnectionServer::shut_down() {
  stopping_.store(true);
  const std::uint64_t one = 1;
  // Level-triggered: the event stays readable, so every wait from now on
  // (including connections accepted in the meantime) returns at once.
  [[maybe_unused]] const auto n = ::write(stop_event_.get(), &one, sizeof one);
  stop();
}

bool ConnectionServer::wait_for_request(int fd, bool kept_alive) const {
  using Steady = std::chrono::steady_clock;
  const auto limit = kept_alive ? limits_.keep_alive_idle : limits_.io_timeout;
  const auto deadline = Steady::now() + limit;
  for (;;) {
    if (stopping_.load()) return false;
    // A client waiting for a thread gets this one. Only kept-alive
    // connections give theirs up: between requests a server may close a
    // connection at any time, but a new connection's client is about to
    // send its first request.
    const WorkerPool* pool = pool_.load();
    if (kept_alive && pool != nullptr && pool->starved()) return false;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Steady::now());
    if (left.count() <= 0) return false;
    const auto wait = kept_alive ? std::min(left, kStarvationCheck) : left;
    std::array<pollfd, 2> p{{{fd, POLLIN, 0}, {stop_event_.get(), POLLIN, 0}}};
    const int n = ::poll(p.data(), p.size(), static_cast<int>(wait.count()));
    if (n < 0 && errno != EINTR) return false;
    if (p[1].revents != 0) return false;
    // Data, or a hang-up that the read then reports as the end.
    if (p[0].revents != 0) return true;
  }
}

bool ConnectionServer::process_and_close_socket(socket_t sock) {
  const UniqueFd fd(sock);  // the connection is ours from here: closed on every path
  ConnectionStream stream(fd.get(), stop_event_.get(), limits_.io_timeout);
  // Reports go over a local socket: gzip (which httplib applies when the
  // probe's Go client offers it) would only cost CPU on every poll.
  const auto identity_encoding = [](httplib::Request& req) {
    req.headers.erase("Accept-Encoding");
  };
  bool ok = false;
  try {
    for (std::size_t served = 0; served < limits_.max_requests_per_connection; ++served) {
      if (stream.buffered() == 0 && !wait_for_request(fd.get(), served > 0)) break;
      const bool last = served + 1 == limits_.max_requests_per_connection || stopping_.load();
      bool client_closes = false;
      ok = process_request(stream, last, client_closes, identity_encoding);
      if (!ok || client_closes || last) break;
    }
  } catch (const std::exception&) {
    // httplib turns handler exceptions into 500 answers; what reaches here
    // is an allocation failure in the loop itself: drop the connection.
    ok = false;
  }
  ::shutdown(fd.get(), SHUT_RDWR);
  return ok;
}

}  // namespace hs::scope
