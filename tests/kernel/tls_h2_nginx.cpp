#include "tls_h2_nginx.h"

#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "net.h"
#include "paths.h"
#include "wait.h"

namespace hs::test {

TlsH2Nginx::TlsH2Nginx() {
  // An EC key: generated in milliseconds, unlike RSA.
  cert_ = dir_.file("cert.pem");
  const RunResult r = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                           "/CN=localhost", "-keyout", dir_.file("key.pem"), "-out", cert_},
                          dir_.path(), std::chrono::seconds(30));
  if (!r.status.exited_normally())
    throw std::runtime_error("openssl req failed: " + r.status.describe() + " " + r.err);
  std::filesystem::create_directories(dir_.file("tmp"));
  for (int attempt = 0; attempt < 5; ++attempt)
    if (try_start()) return;
  throw std::runtime_error("nginx did not start: " + read_text(dir_.file("error.log")));
}

bool TlsH2Nginx::try_start() {
  proc_.reset();
  for (auto& p : ports_) p = free_tcp_port();
  const std::string d = dir_.path();
  std::ostringstream c;
  c << "daemon off;\nmaster_process on;\nworker_processes 1;\n"
    << (geteuid() == 0 ? "user root root;\n" : "") << "pid " << d << "/nginx.pid;\n"
    << "error_log " << d << "/error.log notice;\n"
    << "events { worker_connections 256; }\n"
    << "http {\n"
    << "  default_type text/plain;\n"
    << "  log_format hs '$pid $server_port $server_protocol $status $request_method';\n"
    << "  access_log " << d << "/access.log hs;\n"
    << "  client_body_temp_path " << d << "/tmp/body;\n"
    << "  proxy_temp_path " << d << "/tmp/proxy;\n"
    << "  fastcgi_temp_path " << d << "/tmp/fastcgi;\n"
    << "  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
    << "  scgi_temp_path " << d << "/tmp/scgi;\n"
    << "  ssl_certificate " << cert_ << ";\n"
    << "  ssl_certificate_key " << d << "/key.pem;\n"
    << "  server {\n"
    << "    listen 127.0.0.1:" << ports_[0] << ";\n"
    << "    listen 127.0.0.1:" << ports_[1] << " http2;\n"
    << "    listen 127.0.0.1:" << ports_[2] << " ssl http2;\n"
    << "    location = /ok { return 200 \"ok\\n\"; }\n"
    << "    location = /missing { return 404; }\n"
    << "  }\n"
    << "}\n";
  const std::string conf = dir_.write("nginx.conf", c.str());
  SubprocessOptions o;
  o.stdout_path = dir_.file("stdout");
  o.stderr_path = dir_.file("stderr");
  proc_.emplace(std::vector<std::string>{"/usr/sbin/nginx", "-p", d, "-c", conf, "-e",
                                         dir_.file("error.log")},
                o);
  const bool up = wait_until(
      [&] {
        if (proc_->exited()) return true;
        for (auto p : ports_)
          if (!tcp_listening(p)) return false;
        return worker_pid() > 0;
      },
      std::chrono::seconds(15));
  if (up && !proc_->exited()) return true;
  proc_->stop();  // most likely a port was taken meanwhile
  return false;
}

pid_t TlsH2Nginx::worker_pid() const {
  const pid_t m = proc_->pid();
  std::istringstream in(
      read_text("/proc/" + std::to_string(m) + "/task/" + std::to_string(m) + "/children"));
  pid_t p = 0;
  in >> p;
  return p;
}

std::vector<TlsH2LogEntry> TlsH2Nginx::access_log() const {
  std::istringstream in(read_text(dir_.file("access.log")));
  std::vector<TlsH2LogEntry> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    TlsH2LogEntry e;
    if (f >> e.pid >> e.port >> e.protocol >> e.status >> e.method) out.push_back(std::move(e));
  }
  return out;
}

bool TlsH2Nginx::wait_access_log_lines(std::size_t n) const {
  return wait_until([&] { return access_log().size() >= n; }, std::chrono::seconds(10));
}

}  // namespace hs::test
