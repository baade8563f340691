#include "apache_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "net.h"
#include "paths.h"
#include "wait.h"

namespace hs::test {
namespace {

constexpr const char* kApache = "/usr/sbin/apache2";
constexpr const char* kModules = "/usr/lib/apache2/modules/";

// Children a just-started parent makes (Debian's StartServers for each MPM).
std::size_t start_servers(ApacheMpm mpm) { return mpm == ApacheMpm::kEvent ? 2 : 5; }

}  // namespace

ApacheServer::ApacheServer(ApacheOptions options) : options_(options) {
  std::string file(options_.file_size, '\0');
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>('a' + i % 26);
  dir_.write("www/file", file);
  dir_.write("www/big", std::string(std::size_t{1} << 20, 'b'));
  dir_.write("www/ok", "ok\n");
  dir_.write("www/broken/index.html", "never served\n");
  dir_.write("www/broken/.htaccess", "NoSuchDirective on\n");
  dir_.write("www/limited", "limited\n");
  std::filesystem::create_directories(dir_.file("run"));
  // The children run as www-data (Apache refuses to serve as root): they
  // must reach the document root; the logs are opened by the parent.
  for (const char* d : {"", "/www", "/www/broken"}) chmod((dir_.path() + d).c_str(), 0755);
  for (const char* f : {"/www/file", "/www/big", "/www/ok", "/www/broken/index.html",
                        "/www/broken/.htaccess", "/www/limited"})
    chmod((dir_.path() + f).c_str(), 0644);
  for (int attempt = 0; attempt < 5; ++attempt)
    if (try_start(free_tcp_port())) return;
  throw std::runtime_error("apache2 did not start; error log:\n" + error_log());
}

ApacheServer::~ApacheServer() {
  if (proc_) proc_->stop();
}

std::string ApacheServer::config(std::uint16_t port) const {
  const std::string d = dir_.path();
  const bool event = options_.mpm == ApacheMpm::kEvent;
  std::ostringstream c;
  c << "ServerRoot " << d << "\n"
    << "ServerName 127.0.0.1\n"
    << "Listen 127.0.0.1:" << port << "\n"
    << (options_.ipv6 ? "Listen [::1]:" + std::to_string(port) + "\n" : "") << "PidFile " << d
    << "/apache2.pid\n"
    << "DefaultRuntimeDir " << d << "/run\n"
    << "ErrorLog " << d << "/error.log\n"
    << "LogLevel warn\n"
    << "LoadModule " << (event ? "mpm_event_module " : "mpm_prefork_module ") << kModules
    << (event ? "mod_mpm_event.so" : "mod_mpm_prefork.so") << "\n"
    << "LoadModule authz_core_module " << kModules << "mod_authz_core.so\n"
    << "LoadModule dir_module " << kModules << "mod_dir.so\n"
    << "LoadModule mime_module " << kModules << "mod_mime.so\n"
    << "LoadModule reqtimeout_module " << kModules
    << "mod_reqtimeout.so\n"
    // Debian's mods-available/mpm_*.conf.
    << (event ? "StartServers 2\nMinSpareThreads 25\nMaxSpareThreads 75\nThreadLimit 64\n"
                "ThreadsPerChild 25\nMaxRequestWorkers 150\nMaxConnectionsPerChild 0\n"
              : "StartServers 5\nMinSpareServers 5\nMaxSpareServers 10\n"
                "MaxRequestWorkers 150\nMaxConnectionsPerChild 0\n")
    << (options_.accept_filter_none ? "AcceptFilter http none\n" : "")
    << "User www-data\nGroup www-data\n"
    << "Timeout 300\nKeepAlive On\nMaxKeepAliveRequests 100\nKeepAliveTimeout 5\n"
    << "RequestReadTimeout header=1 body=20\n"
    << "TypesConfig /etc/mime.types\n"
    << "DocumentRoot " << d << "/www\n"
    << "<Directory />\n  AllowOverride None\n  Require all denied\n</Directory>\n"
    << "<Directory " << d << "/www>\n  AllowOverride All\n  Require all granted\n</Directory>\n"
    << "<Location /limited>\n  LimitRequestBody 10\n</Location>\n"
    << "LogFormat \"%P %>s %m %k %U\" hs\n"
    << "CustomLog " << d << "/access.log hs\n";
  return c.str();
}

bool ApacheServer::try_start(std::uint16_t port) {
  proc_.reset();
  const std::string conf = dir_.write("apache2.conf", config(port));
  SubprocessOptions o;
  o.stdout_path = dir_.file("stdout");
  o.stderr_path = dir_.file("stderr");
  proc_.emplace(std::vector<std::string>{kApache, "-f", conf, "-DFOREGROUND"}, o);
  const bool up = wait_until(
      [&] {
        return proc_->exited() ||
               (tcp_listening(port) && child_pids().size() >= start_servers(options_.mpm));
      },
      std::chrono::seconds(15));
  if (up && !proc_->exited()) {
    port_ = port;
    return true;
  }
  proc_->stop();  // most likely the port was taken between free_tcp_port() and bind()
  return false;
}

std::vector<pid_t> ApacheServer::child_pids() const {
  const pid_t p = parent_pid();
  std::vector<pid_t> out;
  std::istringstream in(
      read_text("/proc/" + std::to_string(p) + "/task/" + std::to_string(p) + "/children"));
  for (pid_t c; in >> c;) out.push_back(c);
  return out;
}

std::string ApacheServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string ApacheServer::url6(const std::string& path) const {
  return "http://[::1]:" + std::to_string(port_) + path;
}

std::vector<ApacheLogEntry> ApacheServer::access_log() const {
  std::istringstream in(read_text(dir_.file("access.log")));
  std::vector<ApacheLogEntry> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    ApacheLogEntry e;
    if (!(f >> e.pid >> e.status >> e.method >> e.keepalive_before >> e.path)) continue;
    out.push_back(std::move(e));
  }
  return out;
}

bool ApacheServer::wait_access_log_lines(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return access_log().size() >= n; }, timeout);
}

void ApacheServer::wait_access_log_settled() const {
  wait_until_unchanged([this] { return access_log().size(); }, std::chrono::seconds(20));
}

std::string ApacheServer::error_log() const { return read_text(dir_.file("error.log")); }

}  // namespace hs::test
