// cpp-httplib's view of one accepted plugin connection.
//
// ConnectionServer runs the connection loop itself (see connection_server.h),
// so it needs its own httplib::Stream. Reads are buffered because httplib
// reads request lines one byte at a time; every wait is bounded by the I/O
// timeout so a stalled client cannot hold a worker thread for long, and ends
// as soon as the server stops.
#pragma once

#include <httplib.h>

#include <array>
#include <chrono>
#include <cstddef>

namespace hs::scope {

class ConnectionStream final : public httplib::Stream {
 public:
  // Borrows both descriptors: `fd` is the connection, and every wait gives up
  // once `interrupt_fd` is readable (the server's stop event).
  ConnectionStream(int fd, int interrupt_fd, std::chrono::milliseconds io_timeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  // A UNIX socket's peer has no address: httplib only copies these into
  // REMOTE_ADDR/REMOTE_PORT, which nothing here reads.
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

  // Bytes already read from the socket but not yet consumed (a pipelined
  // request): the next request may start without waiting for the socket.
  std::size_t buffered() const { return end_ - begin_; }

 private:
  bool wait_for(short events) const;

  int fd_;
  int interrupt_fd_;
  int timeout_ms_;
  std::array<char, 8192> buffer_{};
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace hs::scope
