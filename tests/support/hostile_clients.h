// Clients that misbehave on purpose, for the exporters' robustness tests:
// raw connections to a UNIX-socket or loopback TCP server that send whatever
// bytes a test wants, a crowd that holds connections open by trickling a
// request one byte at a time, and the memory a server process uses.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hs::test {

// Where a server listens: a UNIX socket path, or else a port on 127.0.0.1.
struct Endpoint {
  std::string unix_path;
  std::uint16_t port = 0;
};

struct RawResponse {
  int status = 0;
  std::string head;  // status line and header fields
  std::string body;  // Content-Length bytes (none without the field)
};

// One blocking client socket, closed on destruction.
class RawConnection {
 public:
  // Throws std::system_error when the server does not take the connection.
  explicit RawConnection(const Endpoint& where);
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  int fd() const { return fd_; }

  // Sends all of `bytes`; false when the server closed or reset first.
  bool send(std::string_view bytes);
  // The next response, if one arrives in full within `timeout`.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout);
  // True when the server ends the connection (end of stream or reset)
  // within `timeout`; anything it still sends first is read and dropped.
  bool closed_by_server(std::chrono::milliseconds timeout);

 private:
  // Appends what arrives before `deadline`; false on timeout, end or error.
  bool receive_more(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string pending_;
};

// GET `target` on a fresh connection, with "Connection: close".
std::optional<RawResponse> fetch(const Endpoint& where, const std::string& target,
                                 std::chrono::milliseconds timeout);

// `count` connections that each send the start of a request one byte per
// `interval` and never finish it: a slowloris attack. Like an attacker, it
// replaces each connection the server closes, until stop().
class SlowClients {
 public:
  SlowClients(Endpoint where, std::size_t count,
              std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~SlowClients();
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  // Stops sending and reconnecting; the open connections stay open.
  void stop();

  // Connections ended by the server so far, and how many of those were
  // answered with 408 Request Timeout first (rather than just closed).
  std::size_t closed_by_server() const { return closed_.load(); }
  std::size_t timed_out_with_408() const { return timed_out_.load(); }
  std::size_t opened() const { return opened_.load(); }
  // Connects that failed (the server refused or did not accept in time).
  std::size_t failed_connects() const { return failed_connects_.load(); }

  // After stop(): waits until the server has ended every connection still open.
  bool wait_until_all_closed(std::chrono::milliseconds timeout);

 private:
  struct Slow {
    int fd = -1;
    std::size_t sent = 0;
    std::string received;
  };
  bool open_one(Slow& s);
  // Reads what the server sent; true when it ended the connection.
  bool server_ended(Slow& s);
  void tick();

  const Endpoint where_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;  // guards slow_
  std::vector<Slow> slow_;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> closed_{0};
  std::atomic<std::size_t> timed_out_{0};
  std::atomic<std::size_t> opened_{0};
  std::atomic<std::size_t> failed_connects_{0};
  std::thread thread_;
};

// Resident memory of a process in KiB (VmRSS); 0 when it cannot be read.
std::size_t resident_kib(pid_t pid);

}  // namespace hs::test
