// Where one HTTP/1.x request ends in the bytes a connection has received.
//
// The exporters' HTTP servers hand a request to a worker thread only once all
// of it has arrived, so that a slow or silent client holds a buffer, never a
// thread. Framing is all this does: enough of a request is understood to know
// its length (the header up to its blank line, then Content-Length bytes of
// body) and to refuse early what cannot become a request worth reading (not
// HTTP, too large, a body of unknown length). Parsing proper stays with
// cpp-httplib, which then reads exactly these bytes.
#pragma once

#include <cstddef>
#include <string_view>

namespace hs::http {

struct FramingLimits {
  // Request line and header fields, line ends and the blank line included.
  std::size_t max_header_bytes = 8192;
  // Content-Length of a request body.
  std::size_t max_body_bytes = 16384;
};

// What the bytes received so far say about the request they start with.
struct Frame {
  enum class State {
    Incomplete,  // more bytes are needed
    Complete,    // the first size() bytes are the whole request
    Refused,     // answer `status` and close
  };
  State state = State::Incomplete;
  // Refused: 400 (not an HTTP/1.x request), 411 (a body without
  // Content-Length), 413 (body too large), 414 (request line too long), 431
  // (header too large), 501 (a method the server does not know).
  int status = 0;
  std::size_t header_size = 0;    // through the blank line; 0 until it arrived
  std::size_t body_size = 0;      // Content-Length
  bool expects_continue = false;  // "Expect: 100-continue" with a body to come

  std::size_t size() const { return header_size + body_size; }
};

// Frames one request at a time. Feed it the connection's received bytes from
// the request's first byte on, the same prefix growing between calls; bytes
// already looked at are not scanned again, so a client sending one byte at a
// time costs no more than one sending everything at once.
class RequestFramer {
 public:
  explicit RequestFramer(FramingLimits limits) : limits_(limits) {}

  Frame update(std::string_view received);

  // The next request starts at the first byte after this one.
  void reset() { *this = RequestFramer(limits_); }

 private:
  Frame refuse(int status);
  // The header (request line through blank line) has arrived: reads its
  // length fields, or refuses.
  void header_complete(std::string_view header);

  FramingLimits limits_;
  Frame frame_;
  std::size_t scanned_ = 0;     // bytes looked at
  std::size_t line_start_ = 0;  // first byte of the line being scanned
  bool method_seen_ = false;    // the request line's first space has arrived
  bool request_line_seen_ = false;
};

}  // namespace hs::http
