// A private Apache httpd (Debian's apache2: a parent and its children) on a
// free 127.0.0.1 port, with its own config, PidFile, logs, runtime dir and
// document root in a TempDir; never the system's apache2 service.
//
// Configured as Debian configures it where it matters here: the MPM's default
// process and thread counts, keep-alive on (100 requests per connection, 5 s),
// and Apache's default AcceptFilter, `http data`, which on Linux sets
// TCP_DEFER_ACCEPT on the listening socket (the first request then arrives in
// the packet that completes the handshake). `accept_filter_none` sets
// `AcceptFilter http none` instead.
//
// Paths: /ok a static file "ok\n", /file a static file (file_size bytes), /big
// a static 1 MiB file, /broken/ a directory whose .htaccess is invalid (500),
// /limited a location with LimitRequestBody 10 (413 for larger bodies); any
// other path is 404. PUT and DELETE on a static file are 405, an unknown
// method 501, an HTTP/1.1 request without Host 400. A request line that does
// not complete within a second is answered 408 (mod_reqtimeout).
//
// Access log, one line per request, unbuffered:
// "%P %>s %m %k %U": child pid, final status, method, keep-alive requests the
// connection served before this one, path.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

enum class ApacheMpm { kEvent, kPrefork };

struct ApacheOptions {
  ApacheMpm mpm = ApacheMpm::kEvent;
  bool accept_filter_none = false;  // AcceptFilter http none
  bool ipv6 = false;                // also listen on [::1]:PORT
  std::size_t file_size = std::size_t{100} * 1024;
};

struct ApacheLogEntry {
  pid_t pid = 0;  // the child that served the request
  int status = 0;
  std::string method;        // as the request line named it
  int keepalive_before = 0;  // %k: 0 for a connection's first request
  std::string path;
};

class ApacheServer {
 public:
  // Starts apache2 in the foreground and waits until it listens and its
  // first children exist; retries on another port if the chosen one was
  // taken meanwhile. Throws on failure.
  explicit ApacheServer(ApacheOptions options = {});
  ~ApacheServer();
  ApacheServer(const ApacheServer&) = delete;
  ApacheServer& operator=(const ApacheServer&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t parent_pid() const { return proc_->pid(); }
  // The parent's children now (they may come and go with the load).
  std::vector<pid_t> child_pids() const;
  std::string url(const std::string& path) const;
  std::string url6(const std::string& path) const;  // http://[::1]:PORT/...
  const TempDir& dir() const { return dir_; }

  std::vector<ApacheLogEntry> access_log() const;
  // Apache logs a request after its response: wait until n lines are there.
  bool wait_access_log_lines(std::size_t n,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Waits until the log has stopped growing (after a load generator exits).
  void wait_access_log_settled() const;
  std::string error_log() const;

  // Graceful enough: SIGTERM; the parent stops its children and exits.
  ExitStatus stop() { return proc_->stop(); }

 private:
  bool try_start(std::uint16_t port);
  std::string config(std::uint16_t port) const;

  ApacheOptions options_;
  TempDir dir_{"hs-apache-"};  // declared before proc_: outlives apache2
  std::optional<Subprocess> proc_;
  std::uint16_t port_ = 0;
};

}  // namespace hs::test
