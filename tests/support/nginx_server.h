// A private nginx (master + workers) on a free 127.0.0.1 port, with its
// config, logs, pid file, temp paths and document root in a TempDir.
//
// Locations: /ok 200 "ok\n", /created 201, /missing 404, /unavailable 503,
// /teapot 418 (all `return`), /file a static file served with sendfile.
// Keep-alive is on; the access log is unbuffered, one line per request:
// "$pid $status $request_method $pipe $request_completion $request_uri".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgroup_dir.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

struct NginxOptions {
  int workers = 1;
  bool ipv6 = false;                                // also listen on [::1]:PORT
  bool unix_socket = false;                         // also listen on unix:<dir>/nginx.sock
  std::size_t file_size = std::size_t{100} * 1024;  // bytes of /file
  bool tls = false;  // also serve HTTPS on tls_port() (self-signed certificate)
  // A listening socket per worker (listen ... reuseport): the kernel spreads
  // connections over the workers by their addresses, where a shared socket
  // can hand a burst of them all to whichever worker wakes first.
  bool reuseport = false;
  // listen ... deferred: TCP_DEFER_ACCEPT, so a connection's first request
  // arrives in the packet that completes its handshake.
  bool deferred = false;
  // listen ... fastopen=N: TCP Fast Open (the client's first request may
  // arrive in its SYN) with a queue of N; 0: off.
  int fastopen = 0;
  // Run nginx in this cgroup (it must outlive the server), so that a daemon
  // attached there with --cgroup counts it and no other server on the host.
  const CgroupDir* cgroup = nullptr;
};

struct AccessLogEntry {
  pid_t pid = 0;  // the worker that served the request
  int status = 0;
  std::string method;
  bool pipelined = false;  // $pipe: the request arrived pipelined
  bool completed = false;  // $request_completion: the response was fully sent
  std::string uri;
};

class NginxServer {
 public:
  // Starts nginx and waits until it listens and all workers exist; retries on
  // another port if the chosen one was taken meanwhile. Throws on failure.
  explicit NginxServer(NginxOptions options = {});
  ~NginxServer() = default;  // members stop nginx, then remove the dir
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::uint16_t tls_port() const { return tls_port_; }
  pid_t master_pid() const { return proc_->pid(); }
  // The master's children, from /proc/<pid>/task/<pid>/children.
  std::vector<pid_t> worker_pids() const;
  std::string url(const std::string& path) const;
  // https://127.0.0.1:<tls_port()><path>; clients must not verify the certificate.
  std::string tls_url(const std::string& path) const;
  std::string unix_socket_path() const { return dir_.file("nginx.sock"); }
  std::size_t file_size() const { return options_.file_size; }
  const TempDir& dir() const { return dir_; }

  std::vector<AccessLogEntry> access_log() const;
  // Access log lines by status; pid > 0: only the lines of that worker.
  std::map<int, std::uint64_t> access_log_statuses(pid_t pid = 0) const;
  // nginx logs a request after sending its response, so a client can see the
  // response a moment before the line is written: wait for n lines.
  bool wait_access_log_lines(std::size_t n,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // For a load whose client has exited: waits until the log has stopped
  // growing (the same length on five polls 100 ms apart), so it holds every
  // request nginx was still finishing.
  bool wait_access_log_quiet(std::chrono::milliseconds timeout) const;
  std::string error_log() const;

  // nginx -s reload (SIGHUP to the master): new workers with the config read
  // again, the old ones finish their connections and exit. Waits until
  // every old worker has exited and the new ones exist; false if not in
  // `timeout`.
  bool reload(std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // Fast shutdown (SIGTERM); the master waits for its workers.
  ExitStatus stop() { return proc_->stop(); }

 private:
  bool try_start(std::uint16_t port, std::uint16_t tls_port);
  std::string config(std::uint16_t port, std::uint16_t tls_port) const;

  NginxOptions options_;
  TempDir dir_{"hs-nginx-"};  // declared before proc_: outlives nginx
  std::optional<Subprocess> proc_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
};

}  // namespace hs::test
