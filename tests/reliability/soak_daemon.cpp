#include "soak_daemon.h"

#include <sys/stat.h>

#include <sstream>
#include <stdexcept>

#include "http_client.h"
#include "net.h"
#include "paths.h"
#include "wait.h"

namespace hs::test {
namespace {

std::string socket_path(const TempDir& dir) {
  return dir.file("plugins/http-statistics/http-statistics.sock");
}

}  // namespace

SoakDaemon::SoakDaemon(const std::vector<std::string>& extra_args) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_tcp_port();
    std::vector<std::string> argv = {HS_DAEMON, "--metrics-address",
                                     "127.0.0.1:" + std::to_string(port_), "--scope-plugins-root",
                                     dir_.file("plugins"),
                                     // Counts are checked per pid (requests_by_status).
                                     "--metrics-by", "process"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    SubprocessOptions o;
    o.stdout_path = dir_.file("stdout.log");
    o.stderr_path = dir_.file("stderr.log");
    proc_.emplace(argv, o);
    const bool up = wait_until(
        [&] {
          struct stat st {};
          return proc_->exited() ||
                 (tcp_listening(port_) && ::stat(socket_path(dir_).c_str(), &st) == 0);
        },
        std::chrono::seconds(20));
    if (up && !proc_->exited()) return;
    proc_->stop();
    if (log().find("in use") == std::string::npos) break;  // not a port race: give up
  }
  throw std::runtime_error("the daemon did not start: " + log());
}

std::string SoakDaemon::log() const { return read_text(dir_.file("stderr.log")); }

std::uint64_t SoakDaemon::rss_kib() const {
  std::istringstream in(read_text("/proc/" + std::to_string(pid()) + "/status"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

std::string SoakDaemon::metrics() const {
  HttpClient c(port_);
  c.send(make_request("GET", "/metrics"));
  const HttpResponse r = c.read_response();
  if (r.status != 200) throw std::runtime_error("/metrics answered " + std::to_string(r.status));
  return r.body;
}

std::string SoakDaemon::report() const {
  TempDir scratch("hs-soak-curl-");
  const RunResult r = run({"curl", "--silent", "--fail", "--max-time", "10", "--unix-socket",
                           socket_path(dir_), "http://localhost/report"},
                          scratch.path(), std::chrono::seconds(20));
  if (!r.status.exited_normally())
    throw std::runtime_error("/report failed: " + r.status.describe() + " " + r.err);
  return r.out;
}

}  // namespace hs::test
