// A private nginx (one worker) for traffic that is HTTP but not HTTP/1.x on
// the wire: one port each for plain HTTP/1.1, HTTP/2 with prior knowledge
// (h2c) and TLS (HTTP/1.1 or HTTP/2 by ALPN), all served by the same worker,
// with a self-signed certificate made by openssl(1) in its TempDir.
// Locations: /ok 200, /missing 404. Access log lines:
// "$pid $server_port $server_protocol $status $request_method".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

struct TlsH2LogEntry {
  pid_t pid = 0;
  std::uint16_t port = 0;
  std::string protocol;  // "HTTP/1.1", "HTTP/2.0"
  int status = 0;
  std::string method;
};

class TlsH2Nginx {
 public:
  // Throws std::runtime_error when nginx or openssl fail.
  TlsH2Nginx();
  ~TlsH2Nginx() = default;  // members stop nginx, then remove the dir
  TlsH2Nginx(const TlsH2Nginx&) = delete;
  TlsH2Nginx& operator=(const TlsH2Nginx&) = delete;

  pid_t worker_pid() const;
  std::uint16_t plain_port() const { return ports_[0]; }
  std::uint16_t h2c_port() const { return ports_[1]; }
  std::uint16_t tls_port() const { return ports_[2]; }
  const std::string& certificate() const { return cert_; }

  std::vector<TlsH2LogEntry> access_log() const;
  bool wait_access_log_lines(std::size_t n) const;

 private:
  bool try_start();

  TempDir dir_{"hs-tlsh2-"};  // declared before proc_: outlives nginx
  std::string cert_;
  std::optional<Subprocess> proc_;
  std::uint16_t ports_[3] = {0, 0, 0};
};

}  // namespace hs::test
