#include "daemon_process.h"

#include "metrics_text.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "net.h"
#include "paths.h"
#include "wait.h"

namespace hs::test {

bool have_root() { return geteuid() == 0; }

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof(buf) - 1);
  return buf;
}

std::set<int> loaded_program_ids() {
  TempDir scratch("hs-bpftool-");
  const RunResult r = run({"bpftool", "prog", "show"}, scratch.path(), std::chrono::seconds(30));
  std::set<int> ids;
  static const std::regex line(R"(^(\d+): )");
  std::istringstream in(r.out);
  std::string l;
  std::smatch m;
  while (std::getline(in, l))
    if (std::regex_search(l, m, line)) ids.insert(std::stoi(m[1]));
  return ids;
}

std::set<int> programs_held_by(int pid) {
  std::set<int> ids;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path());
    std::string key;
    long long value = 0;
    while (in >> key) {
      if (key == "prog_id:" && in >> value) ids.insert(static_cast<int>(value));
    }
  }
  return ids;
}

Daemon::Daemon(std::vector<std::string> extra_args, std::string root)
    : plugins_root_(root.empty() ? dir_.file("plugins") : std::move(root)) {
  for (int attempt = 0; attempt < 3 && !proc_; ++attempt) {
    port_ = free_tcp_port();
    std::vector<std::string> argv = {HS_DAEMON, "--metrics-address",
                                     "127.0.0.1:" + std::to_string(port_), "--scope-plugins-root",
                                     plugins_root()};
    // Per process unless asked otherwise: the tests count what each process
    // served (requests_by_status(pid)), which only process_pid tells apart.
    if (std::none_of(extra_args.begin(), extra_args.end(),
                     [](const std::string& a) { return a.starts_with("--metrics-by"); }))
      argv.insert(argv.end(), {"--metrics-by", "process"});
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    SubprocessOptions o;
    o.stdout_path = dir_.file("stdout.log");
    o.stderr_path = dir_.file("stderr.log");
    proc_.emplace(argv, o);
    const bool up = wait_until(
        [&] {
          struct stat st {};
          return proc_->exited() || (wait_for_tcp(port_, std::chrono::milliseconds(50)) &&
                                     ::stat(socket_path().c_str(), &st) == 0);
        },
        std::chrono::seconds(20));
    if (!up || proc_->exited()) {
      const bool port_taken = log().find("in use") != std::string::npos;
      proc_->stop();
      if (!port_taken) throw std::runtime_error("daemon did not start: " + log());
      proc_.reset();
    }
  }
  if (!proc_) throw std::runtime_error("daemon did not start: " + log());
  programs_ = programs_held_by(proc_->pid());
}

std::string Daemon::log() const { return read_text(dir_.file("stderr.log")); }

std::string Daemon::get(const std::string& path) const {
  TempDir scratch("hs-curl-");
  const RunResult r =
      run({"curl", "-sf", "--max-time", "5", "http://127.0.0.1:" + std::to_string(port_) + path},
          scratch.path(), std::chrono::seconds(10));
  return r.status.exited_normally() ? r.out : "";
}

std::map<int, std::uint64_t> Daemon::requests_by_status(int pid) const {
  return hs::test::requests_by_status(get("/metrics"), pid);
}

}  // namespace hs::test
