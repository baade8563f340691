// C++ handle on tests/support/split_server.py: the project's own HTTP/1.1 test
// server, which can split responses into segments, pipeline, chunk, delay and
// send interim responses on demand (see the script's docstring for the URL
// options).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

struct SplitServerOptions {
  // Listen on a UNIX socket in the server's temp dir instead of 127.0.0.1.
  bool unix_socket = false;
  // The listening process accepts; a forked child serves each connection.
  bool fork_per_connection = false;
  // accept(2) instead of accept4(2).
  bool plain_accept = false;
  // Answer UDP datagrams on the port instead of TCP.
  bool udp = false;
  // One send() for all responses to requests that arrived together.
  bool coalesce = false;
  // Listen on a dual-stack [::] socket; clients still connect to 127.0.0.1.
  bool dual_stack = false;
  // Set TCP_FASTOPEN on the listener (the netns must allow server TFO).
  bool fastopen = false;
  // Command prefix that sets up the process and then execs the server (its
  // "$@"), e.g. unshare --net: the pid stays the server's.
  std::vector<std::string> launcher;
};

class SplitServer {
 public:
  // Starts the server on a free port and waits until it listens.
  explicit SplitServer(const SplitServerOptions& options = {});
  ~SplitServer() = default;  // members stop the process, then remove the dir
  SplitServer(const SplitServer&) = delete;
  SplitServer& operator=(const SplitServer&) = delete;

  pid_t pid() const { return proc_->pid(); }
  std::uint16_t port() const { return port_; }
  const std::string& unix_socket_path() const { return unix_path_; }
  std::string url(const std::string& target) const;

  // "served METHOD TARGET STATUS by PID" lines printed so far, one per response.
  std::vector<std::string> served() const;
  // Waits until at least n responses were reported as served.
  bool wait_served(std::size_t n,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  ExitStatus stop() { return proc_->stop(); }
  Subprocess& process() { return *proc_; }

 private:
  TempDir dir_{"hs-split-"};  // declared first: outlives the process
  std::string unix_path_;
  std::optional<Subprocess> proc_;
  std::uint16_t port_ = 0;
};

}  // namespace hs::test
