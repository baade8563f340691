// The plugin's HTTP server: cpp-httplib, with a connection loop of our own.
//
// cpp-httplib 0.11 (Debian 12) waits for the next keep-alive request in a
// loop that looks at nothing but the client socket: stop() then blocks until
// every idle connection times out, and each idle connection holds a pool
// thread for the whole keep-alive timeout (whole seconds only). The probe
// keeps its connection alive and polls every second, so with the stock loop
// either stop() hangs or the keep-alive timeout races the probe's polls.
//
// httplib calls the virtual process_and_close_socket() once per accepted
// connection; overriding it lets this class wait for the next request on the
// client socket, a stop event and the pool (does a new client wait for a
// thread?) at once, while request parsing, routing and responses stay
// httplib's (Server::process_request). `override` turns a change of that
// hook in a future httplib into a compile error.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>

#include "unique_fd.h"
#include "worker_pool.h"

namespace hs::scope {

struct ConnectionLimits {
  // Threads serving connections. An idle keep-alive connection holds one
  // until a new client needs it, so this bounds concurrent requests, not
  // connections.
  std::size_t workers = 8;
  // A kept-alive connection with no request for this long is closed. Longer
  // than the probe's 1 s poll interval, so the probe reuses its connection.
  std::chrono::milliseconds keep_alive_idle{5000};
  // Limit for each wait while a request arrives or a response leaves, and
  // for the first request of a new connection.
  std::chrono::milliseconds io_timeout{2000};
  std::size_t max_requests_per_connection = 1000;
};

class ConnectionServer final : public httplib::Server {
 public:
  // Throws std::system_error when the stop event or the threads cannot be made.
  explicit ConnectionServer(const ConnectionLimits& limits);
  ~ConnectionServer() override;
  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  // Stops accepting, closes idle connections at once and busy ones after
  // their current response. listen_after_bind() returns when all are closed.
  // Call only once listen_after_bind() is running (httplib ignores stop()
  // before that).
  void shut_down();

 private:
  bool process_and_close_socket(socket_t sock) override;
  // True when a request (or the client's hang-up) is ready to read.
  bool wait_for_request(int fd, bool kept_alive) const;

  ConnectionLimits limits_;
  UniqueFd stop_event_;  // eventfd, readable once shut_down() ran
  std::atomic<bool> stopping_{false};
  std::unique_ptr<WorkerPool> pool_ahead_;  // made up front; httplib takes it on listen
  // Set when listening starts; httplib owns the pool from then on.
  std::atomic<WorkerPool*> pool_{nullptr};
};

}  // namespace hs::scope
