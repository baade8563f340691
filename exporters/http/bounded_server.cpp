#include "bounded_server.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <exception>
#include <string_view>
#include <system_error>

#include "event_loop.h"
#include "exchange_stream.h"

namespace hs::http {

BoundedServer::BoundedServer(const ServerLimits& limits)
    : limits_(limits), stop_event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!stop_event_) throw std::system_error(errno, std::generic_category(), "eventfd");
  // httplib's own checks and its Keep-Alive header agree with the limits
  // the event loop enforces first.
  set_payload_max_length(limits.max_body_bytes);
  set_keep_alive_max_count(limits.max_requests_per_connection);
  set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(limits.keep_alive_idle).count());
}

BoundedServer::~BoundedServer() {
  // Bound but never served: httplib's destructor leaves the socket open.
  // (serve() closes it when it returns.)
  const socket_t bound = svr_sock_.exchange(INVALID_SOCKET);
  if (bound != INVALID_SOCKET) ::close(bound);
}

void BoundedServer::set_request_setup(std::function<void(httplib::Request&)> setup) {
  setup_ = std::move(setup);
}

bool BoundedServer::serve() {
  // httplib's accept loop never runs; the event loop accepts instead. The
  // socket stays in svr_sock_ meanwhile: httplib stops writing response
  // bodies once it finds svr_sock_ invalid.
  const socket_t listener = svr_sock_.load();
  if (listener == INVALID_SOCKET) return false;
  bool ok = false;
  try {
    EventLoop loop(listener, stop_event_.get(), limits_, [this](Connection& c) { exchange(c); });
    ok = loop.run([this] { serving_.store(true); });
  } catch (const std::exception&) {
    // No epoll instance or eventfd, or memory ran out mid-way: the loop's
    // destructor has closed every connection and joined the workers.
    ok = false;
  }
  ::close(svr_sock_.exchange(INVALID_SOCKET));
  serving_.store(false);
  return ok;
}

void BoundedServer::shut_down() {
  stopping_.store(true);
  const std::uint64_t one = 1;
  // Level-triggered: the event stays readable, so every wait from now on
  // ends at once, and serve() called later returns at once.
  [[maybe_unused]] const ssize_t n = ::write(stop_event_.get(), &one, sizeof one);
}

void BoundedServer::exchange(Connection& c) {
  ExchangeStream stream(c.fd.get(), std::string_view(c.in).substr(0, c.frame.size()),
                        stop_event_.get(), limits_.write_timeout);
  ++c.served;
  const bool last =
      c.served >= limits_.max_requests_per_connection || c.peer_closed || stopping_.load();
  bool client_closes = false;
  bool parsed = false;
  bool answered = false;
  try {
    answered = process_request(stream, last, client_closes, [this, &parsed](httplib::Request& req) {
      parsed = true;
      req.headers.erase("Expect");  // the event loop sent "100 Continue" already
      // Whole responses only: for a header of a few hundred bytes listing
      // ranges, httplib would send a multipart body with a copy of the
      // response per range. Neither the probe nor Prometheus asks for ranges.
      req.ranges.clear();
      if (setup_) setup_(req);
    });
  } catch (const std::exception&) {
    // httplib turns handler exceptions into 500 answers; what reaches here
    // is an allocation failure in httplib itself.
    answered = false;
  }
  c.in.erase(0, c.frame.size());
  if (!answered) {
    c.next = Connection::Next::Close;  // the answer did not get out
  } else if (!parsed || client_closes || last) {
    // !parsed: httplib answered 400 to a request line or header it rejects.
    c.next = Connection::Next::Linger;
  } else {
    c.next = Connection::Next::KeepAlive;
  }
}

}  // namespace hs::http
