// The thread of a BoundedServer that owns every connection while it waits:
// it accepts, reads each request into its connection's buffer, times out
// slow and idle clients, answers what it will not hand on (see
// canned_responses.h), and queues complete requests for its worker threads.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connection.h"
#include "server_limits.h"
#include "unique_fd.h"
#include "worker_crew.h"

namespace hs::http {

class EventLoop {
 public:
  using Exchange = WorkerCrew::Exchange;

  // Borrows `listener` (a listening socket, made non-blocking here) and
  // `stop_fd` (readable once the server stops); `exchange` answers one
  // request on a worker thread. Throws std::system_error when the epoll
  // instance or the workers' event cannot be made.
  EventLoop(int listener, int stop_fd, const ServerLimits& limits, Exchange exchange);
  ~EventLoop();  // stops and joins the workers; closes every connection
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Serves until `stop_fd` is readable; calls `ready` once it waits for
  // clients. False when the workers cannot start or the listening socket
  // fails for good.
  bool run(const std::function<void()>& ready);

 private:
  using Connections = std::unordered_map<std::uint64_t, std::unique_ptr<Connection>>;

  bool accept_all(Steady::time_point now);
  void pause_accepting(Steady::time_point now);
  void resume_accepting(Steady::time_point now);
  bool evict_longest_waiting();

  void on_event(std::uint64_t key, Steady::time_point now);
  // Reads what arrived into the connection's buffer; false on a socket error.
  bool receive(Connection& c);
  void drop_incoming(Connection& c);
  // Acts on the request at the start of the connection's buffer.
  void advance(Connection& c, Steady::time_point now);
  void refuse(Connection& c, int status, Steady::time_point now);
  void linger(Connection& c, Steady::time_point now);
  void expire(Steady::time_point now);
  void close(const Connection& c) { connections_.erase(c.key); }

  void dispatch(Connection& c);
  void take_back(Steady::time_point now);
  void resume(Connection& c, Steady::time_point now);

  bool watch(const Connection& c, std::uint32_t events);
  void unwatch(const Connection& c);
  void set_deadline(Connection& c, Steady::time_point t);
  int wait_ms(Steady::time_point now) const;

  const int listener_;
  const int stop_fd_;
  const ServerLimits limits_;
  const FramingLimits framing_;
  UniqueFd epoll_;
  WorkerCrew crew_;

  Connections connections_;
  std::uint64_t next_key_;
  Steady::time_point next_deadline_ = Steady::time_point::max();
  bool accept_paused_ = false;
  Steady::time_point accept_resume_{};
  std::array<char, 16384> scratch_{};
};

}  // namespace hs::http
