#include "nginx_server.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "net.h"
#include "paths.h"
#include "wait.h"

namespace hs::test {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

// The parent pid from /proc/<pid>/stat ("pid (comm) state ppid ..."); the
// comm may contain spaces and parentheses, so parse after the last ')'.
pid_t parent_of(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 1));
  char state;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

}  // namespace

NginxServer::NginxServer(NginxOptions options) : options_(options) {
  // Deterministic content, so a test could compare bytes if it wanted to.
  std::string body(options_.file_size, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  dir_.write("www/file", body);
  std::filesystem::create_directories(dir_.file("tmp"));

  if (options_.tls) {
    const auto made =
        run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=localhost", "-keyout", dir_.file("key.pem"), "-out", dir_.file("cert.pem")},
            dir_.path());
    if (!made.status.exited_normally())
      throw std::runtime_error("openssl could not make a certificate: " + made.err);
  }
  for (int attempt = 0; attempt < 5; ++attempt)
    if (try_start(free_tcp_port(), options_.tls ? free_tcp_port() : 0)) return;
  throw std::runtime_error("nginx did not start; error log:\n" + error_log());
}

std::string NginxServer::config(std::uint16_t port, std::uint16_t tls_port) const {
  const std::string d = dir_.path();
  const std::string flags =
      std::string(options_.deferred ? " deferred" : "") +
      (options_.fastopen ? " fastopen=" + std::to_string(options_.fastopen) : "");
  std::ostringstream c;
  c << "daemon off;\n"
    << "master_process on;\n"
    << "worker_processes " << options_.workers
    << ";\n"
    // Workers would otherwise run as nobody and could not read the 0700 TempDir.
    << (geteuid() == 0 ? "user root root;\n" : "") << "pid " << d << "/nginx.pid;\n"
    << "error_log " << d << "/error.log notice;\n"
    << "events { worker_connections 1024; }\n"
    << "http {\n"
    << "  default_type text/plain;\n"
    << "  log_format hs '$pid $status $request_method $pipe $request_completion $request_uri';\n"
    << "  access_log " << d << "/access.log hs;\n"  // no buffer=: a line per request
    << "  client_body_temp_path " << d << "/tmp/body;\n"
    << "  proxy_temp_path " << d << "/tmp/proxy;\n"
    << "  fastcgi_temp_path " << d << "/tmp/fastcgi;\n"
    << "  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
    << "  scgi_temp_path " << d << "/tmp/scgi;\n"
    << "  sendfile on;\n"
    << "  keepalive_timeout 75s;\n"
    << "  keepalive_requests 1000000;\n"
    << "  server {\n"
    << "    listen 127.0.0.1:" << port << (options_.reuseport ? " reuseport" : "") << flags << ";\n"
    << (options_.ipv6 ? "    listen [::1]:" + std::to_string(port) + flags + ";\n" : "")
    << (options_.unix_socket ? "    listen unix:" + unix_socket_path() + ";\n" : "")
    << (tls_port ? "    listen 127.0.0.1:" + std::to_string(tls_port) + " ssl;\n" +
                       "    ssl_certificate " + d + "/cert.pem;\n" + "    ssl_certificate_key " +
                       d + "/key.pem;\n"
                 : "")
    << "    root " << d << "/www;\n"
    << "    location = /ok { return 200 \"ok\\n\"; }\n"
    << "    location = /created { return 201 \"created\\n\"; }\n"
    << "    location = /missing { return 404; }\n"
    << "    location = /unavailable { return 503; }\n"
    << "    location = /teapot { return 418; }\n"
    << "    location = /file { }\n"
    << "  }\n"
    << "}\n";
  return c.str();
}

bool NginxServer::try_start(std::uint16_t port, std::uint16_t tls_port) {
  proc_.reset();
  std::filesystem::remove(unix_socket_path());
  const std::string conf = dir_.write("nginx.conf", config(port, tls_port));
  SubprocessOptions o;
  o.stdout_path = dir_.file("stdout");
  o.stderr_path = dir_.file("stderr");
  // -e: errors before the config is read must not go to /var/log/nginx.
  std::vector<std::string> argv = {kNginx, "-p", dir_.path(),           "-c",
                                   conf,   "-e", dir_.file("error.log")};
  if (options_.cgroup)
    proc_.emplace(options_.cgroup->start(argv, o));
  else
    proc_.emplace(argv, o);
  const bool up = wait_until(
      [&] {
        return proc_->exited() || (tcp_listening(port) && (!tls_port || tcp_listening(tls_port)) &&
                                   static_cast<int>(worker_pids().size()) == options_.workers);
      },
      std::chrono::seconds(15));
  if (up && !proc_->exited()) {
    port_ = port;
    tls_port_ = tls_port;
    return true;
  }
  // Most likely the port was taken between free_tcp_port() and bind().
  proc_->stop();
  return false;
}

bool NginxServer::reload(std::chrono::milliseconds timeout) {
  const std::vector<pid_t> old = worker_pids();
  if (::kill(master_pid(), SIGHUP) != 0) return false;
  // An old worker stays the master's child until it has exited and been
  // reaped: the reload is done when only new workers are left.
  return wait_until(
      [&] {
        const std::vector<pid_t> now = worker_pids();
        return static_cast<int>(now.size()) == options_.workers &&
               std::none_of(now.begin(), now.end(), [&](pid_t p) {
                 return std::find(old.begin(), old.end(), p) != old.end();
               });
      },
      timeout, std::chrono::milliseconds(50));
}

std::vector<pid_t> NginxServer::worker_pids() const {
  const pid_t m = master_pid();
  std::vector<pid_t> out;
  std::istringstream in(
      read_text("/proc/" + std::to_string(m) + "/task/" + std::to_string(m) + "/children"));
  for (pid_t p; in >> p;) out.push_back(p);
  if (!out.empty() || access("/proc/self/task/1/children", F_OK) == 0) return out;
  // Kernels without CONFIG_PROC_CHILDREN: scan every process's parent.
  if (DIR* d = opendir("/proc")) {
    while (const dirent* e = readdir(d)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (*end == '\0' && pid > 0 && parent_of(static_cast<pid_t>(pid)) == m)
        out.push_back(static_cast<pid_t>(pid));
    }
    closedir(d);
  }
  return out;
}

std::string NginxServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string NginxServer::tls_url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(tls_port_) + path;
}

std::vector<AccessLogEntry> NginxServer::access_log() const {
  std::istringstream in(read_text(dir_.file("access.log")));
  std::vector<AccessLogEntry> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    AccessLogEntry e;
    std::string pipe, completion;
    if (!(f >> e.pid >> e.status >> e.method >> pipe >> completion >> e.uri)) continue;
    e.pipelined = pipe == "p";
    e.completed = completion == "OK";
    out.push_back(std::move(e));
  }
  return out;
}

std::map<int, std::uint64_t> NginxServer::access_log_statuses(pid_t pid) const {
  std::map<int, std::uint64_t> out;
  for (const auto& e : access_log())
    if (pid <= 0 || e.pid == pid) ++out[e.status];
  return out;
}

bool NginxServer::wait_access_log_lines(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return access_log().size() >= n; }, timeout);
}

bool NginxServer::wait_access_log_quiet(std::chrono::milliseconds timeout) const {
  return wait_until_unchanged([this] { return access_log().size(); }, timeout);
}

std::string NginxServer::error_log() const { return read_text(dir_.file("error.log")); }

}  // namespace hs::test
