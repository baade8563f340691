// What a BoundedServer allows each client and all of them together.
#pragma once

#include <chrono>
#include <cstddef>

namespace hs::http {

struct ServerLimits {
  // Threads producing and writing responses: the number of requests served
  // at once. Waiting connections do not hold one.
  std::size_t workers = 4;
  // Open connections. Past it a new connection replaces the one that has
  // waited longest for its next request; connections being answered stay.
  std::size_t max_connections = 256;
  // A request must arrive whole (header and body) within this, counted from
  // the connection's accept or from the request's first byte on a kept-alive
  // connection. Later: 408 and close.
  std::chrono::milliseconds request_timeout{3000};
  // A kept-alive connection with no new request for this long is closed.
  std::chrono::milliseconds keep_alive_idle{5000};
  // Each wait while a response is written (the client reads too slowly).
  std::chrono::milliseconds write_timeout{5000};
  // After an answer that closes the connection, what the client still sends
  // is read and dropped for up to this long, so that closing with unread
  // bytes does not reset the connection before the client read the answer.
  std::chrono::milliseconds linger{2000};
  std::size_t max_header_bytes = 8192;  // request line and header fields: else 414 or 431
  std::size_t max_body_bytes = 16384;   // Content-Length: else 413
  std::size_t max_requests_per_connection = 1000;
};

}  // namespace hs::http
