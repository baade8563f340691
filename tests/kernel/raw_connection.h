// One TCP connection to 127.0.0.1 that carries arbitrary bytes (Redis
// commands, binary garbage, HTTP/1.0 requests): HttpClient frames HTTP/1.1
// only, these tests need to read whatever comes back.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace hs::test {

struct RawConnectionOptions {
  bool ipv6 = false;  // to [::1] instead of 127.0.0.1
  // Sent with the SYN (sendto(MSG_FASTOPEN), TCP Fast Open) when not empty:
  // in the SYN itself once the client has the server's cookie, after the
  // handshake before that.
  std::string fast_open;
  std::chrono::milliseconds timeout = std::chrono::seconds(15);
};

class RawConnection {
 public:
  // Connects with TCP_NODELAY, so each send() leaves as its own segment.
  explicit RawConnection(std::uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::seconds(15));
  RawConnection(std::uint16_t port, const RawConnectionOptions& options);
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
  // Half-closes the sending side (the server reads end of file).
  void shutdown_send();
  // Whether the server acknowledged data in the SYN (TCPI_OPT_SYN_DATA).
  bool syn_data_acked() const;

 private:
  bool fill();  // false on EOF; throws on timeout

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buf_;
};

}  // namespace hs::test
