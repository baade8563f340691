// One TCP connection to 127.0.0.1 that carries arbitrary bytes (Redis
// commands, binary garbage, HTTP/1.0 requests): HttpClient frames HTTP/1.1
// only, these tests need to read whatever comes back.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace hs::test {

class RawConnection {
 public:
  // Connects with TCP_NODELAY, so each send() leaves as its own segment.
  explicit RawConnection(std::uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::seconds(15));
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(std::string_view bytes);
  // Reads until exactly n bytes arrived in total since the last read_*();
  // throws on timeout or when the peer closes first.
  std::string read_exactly(std::size_t n);
  // Reads until `marker` occurs in what arrived; returns everything read.
  std::string read_until(std::string_view marker);
  // Reads until the peer closes; returns everything read.
  std::string read_to_end();

 private:
  bool fill();  // false on EOF; throws on timeout

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buf_;
};

}  // namespace hs::test
