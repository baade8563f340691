// cpp-httplib's view of one request and the connection its answer goes to.
//
// The request has been received in full before a worker runs it (see
// request_framing.h), so reads come from memory and end where the request
// ends: httplib cannot read into the next pipelined request, nor wait on the
// network for a byte the client never sends. Writes go to the socket and wait
// while it is full, each wait bounded by the write timeout and given up at
// once when the server stops.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <string_view>

namespace hs::http {

class ExchangeStream final : public httplib::Stream {
 public:
  // Borrows everything: `fd` is the non-blocking connection, `request` the
  // framed request's bytes, and `stop_fd` becomes readable when the server stops.
  ExchangeStream(int fd, std::string_view request, int stop_fd,
                 std::chrono::milliseconds write_timeout);

  bool is_readable() const override { return consumed_ < request_.size(); }
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;  // 0 once the request is consumed
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

 private:
  // Until the socket takes more bytes (true), or the timeout or the stop
  // event comes first (false). A writable socket wins over the stop event,
  // so a response that can leave still does.
  bool wait_writable() const;

  int fd_;
  std::string_view request_;
  std::size_t consumed_ = 0;
  int stop_fd_;
  int timeout_ms_;
};

}  // namespace hs::http
