// A raw HTTP/1.x client on one TCP connection to 127.0.0.1, for traffic that
// curl will not produce on demand: N pipelined requests in one write, a
// request cut into several writes, Expect: 100-continue handshakes. Responses
// are framed properly (Content-Length, chunked, HEAD, 1xx/204/304, close), so
// a status line inside a body is never mistaken for a response.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hs::test {

struct HttpResponse {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;                                          // de-chunked
  std::vector<int> interim;  // 1xx responses that preceded this final one
};

// Builds a request; Host is added, Content-Length too when body is not empty.
std::string make_request(std::string_view method, std::string_view target,
                         const std::vector<std::string>& extra_headers = {},
                         std::string_view body = {});

class HttpClient {
 public:
  struct Options {
    std::chrono::milliseconds timeout{15000};  // for each wait on the server
    // Connect from the network namespace of this process (0: our own), to
    // reach servers in a container-like namespace. Needs root.
    pid_t netns_of = 0;
    // TCP Fast Open: no connect(); the first send() carries the SYN.
    bool fastopen = false;
  };
  // Connects with TCP_NODELAY so every write leaves as its own segment.
  explicit HttpClient(std::uint16_t port) : HttpClient(port, Options{}) {}
  HttpClient(std::uint16_t port, Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One write() of all bytes (looping only if the kernel takes fewer).
  void send(std::string_view bytes);
  // One write per piece, pausing in between so the pieces do not coalesce.
  void send_pieces(const std::vector<std::string>& pieces,
                   std::chrono::milliseconds pause = std::chrono::milliseconds(20));

  // The next message, interim (1xx) or final. head: it answers a HEAD request.
  HttpResponse read_message(bool head = false);
  // The next final response; 1xx messages before it are listed in .interim.
  HttpResponse read_response(bool head = false);
  std::vector<HttpResponse> read_responses(std::size_t n, bool head = false);

  // Has the server closed the connection (EOF and nothing left to read)?
  bool closed_by_peer();
  void close();

 private:
  bool fill();  // reads more into buf_; false on EOF; throws on timeout
  std::string take_line();
  std::string take(std::size_t n);

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  bool fastopen_pending_ = false;  // the next send() is the SYN
  std::uint16_t port_ = 0;
  std::string buf_;
  bool eof_ = false;
};

}  // namespace hs::test
