// cpp-httplib's request handling behind a front end that hostile clients
// cannot exhaust: bounded threads, connections, bytes and time.
//
// cpp-httplib 0.11 (Debian 12) gives each connection a pool thread from
// accept() to close, idle keep-alive time included; it reads request lines
// and header counts without limit; and its accept loop ends for good on
// accept() errors other than EMFILE. A few hundred clients that trickle a byte
// a second would hold every thread, and a scrape or a probe poll behind them
// would wait for minutes.
//
// Here one event-loop thread owns every connection while it waits: it
// accepts, reads requests into per-connection buffers and times them out,
// and hands a request to a worker thread only once all of it has arrived.
// Workers run httplib's parsing, routing and responses (process_request) on
// those bytes and give the connection back for the next request. So a worker
// is busy exactly while a response is produced and written, and an idle or
// slow connection costs a buffer of at most the header and body limits.
//
//   BoundedServer server(limits);
//   server.Get("/metrics", handler);       // httplib's routing, unchanged
//   server.bind_to_port("127.0.0.1", 9464);
//   std::thread t([&] { server.serve(); });
//   ...
//   server.shut_down();
//   t.join();
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>

#include "server_limits.h"
#include "unique_fd.h"

namespace hs::http {

struct Connection;

class BoundedServer final : private httplib::Server {
 public:
  // Throws std::system_error when the stop event cannot be made.
  explicit BoundedServer(const ServerLimits& limits);
  ~BoundedServer() override;
  BoundedServer(const BoundedServer&) = delete;
  BoundedServer& operator=(const BoundedServer&) = delete;

  // Routing, handlers and binding are httplib's. Binding leaves the socket
  // listening: clients may connect before serve() runs.
  using httplib::Server::bind_to_any_port;
  using httplib::Server::bind_to_port;
  using httplib::Server::Get;
  using httplib::Server::Post;
  using httplib::Server::set_address_family;
  using httplib::Server::set_error_handler;
  using httplib::Server::set_exception_handler;
  using httplib::Server::set_pre_routing_handler;
  using httplib::Server::set_socket_options;

  // Runs on every parsed request before routing (e.g. to drop a header).
  void set_request_setup(std::function<void(httplib::Request&)> setup);

  // Serves the bound socket on the calling thread until shut_down(). Returns
  // false when it could not start (nothing bound, no threads) or the
  // listening socket failed. Call once.
  bool serve();
  // True from the moment serve() waits for clients until it returns.
  bool serving() const { return serving_.load(); }

  // Stops accepting, closes waiting connections at once and the others as
  // soon as their current response is written (cut if the client does not
  // read). serve() returns when every connection is closed. Safe from any
  // thread, before or during serve(); cannot be undone.
  void shut_down();

 private:
  // One request on a worker thread: parse, route, answer. Sets what happens
  // to the connection next.
  void exchange(Connection& c);

  ServerLimits limits_;
  std::function<void(httplib::Request&)> setup_;
  UniqueFd stop_event_;  // eventfd, readable for good once shut_down() ran
  std::atomic<bool> stopping_{false};
  std::atomic<bool> serving_{false};
};

}  // namespace hs::http
