// A running http-statistics daemon on a temporary plugin root and a free
// /metrics port, plus what tests ask of it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ci.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

// IDs of all loaded BPF programs (from bpftool).
std::set<int> loaded_program_ids();

// IDs of the BPF programs a process holds: the prog_id of each BPF program
// or link descriptor in /proc/<pid>/fdinfo. Exact even while other tests load
// programs of the same name.
std::set<int> programs_held_by(int pid);

// Is the test running as root? Kernel tests skip without it, except under CI.
bool have_root();

// Skips a test that needs root, or fails it under CI, where kernel tests must run.
#define REQUIRE_ROOT()                                                                  \
  do {                                                                                  \
    if (!::hs::test::have_root()) {                                                     \
      if (::hs::test::running_in_ci()) FAIL() << "kernel tests must run as root in CI"; \
      GTEST_SKIP() << "needs root (loads BPF programs)";                                \
    }                                                                                   \
  } while (0)

// The host name the Scope probe uses for node ids (no SCOPE_HOSTNAME in tests).
std::string host_name();

class Daemon {
 public:
  // Starts the daemon and waits until /metrics answers and the plugin socket
  // exists. Extra arguments are appended; plugins_root "" means a fresh one.
  // With --metrics-by process unless extra_args has a --metrics-by.
  explicit Daemon(std::vector<std::string> extra_args = {}, std::string plugins_root = "");
  ~Daemon() = default;

  std::uint16_t metrics_port() const { return port_; }
  std::string plugins_root() const { return plugins_root_; }
  std::string socket_dir() const { return plugins_root() + "/http-statistics"; }
  std::string socket_path() const { return socket_dir() + "/http-statistics.sock"; }
  const std::set<int>& program_ids() const { return programs_; }
  Subprocess& process() { return *proc_; }
  std::string log() const;

  // GET http://127.0.0.1:<port><path> with curl; "" on failure.
  std::string get(const std::string& path) const;
  // Sum of http_server_requests_total for a pid, by status code.
  std::map<int, std::uint64_t> requests_by_status(int pid) const;

 private:
  TempDir dir_{"hs-daemon-"};
  std::string plugins_root_;
  std::uint16_t port_ = 0;
  std::set<int> programs_;
  std::optional<Subprocess> proc_;
};

}  // namespace hs::test
