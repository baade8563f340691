// The daemon (build/http-statistics) for the soak test: /metrics on a free
// loopback port, the Scope plugin in a temp dir, and what the test samples
// (RSS, /metrics, /report).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

class SoakDaemon {
 public:
  // Starts it with `extra_args` and waits until /metrics answers and the
  // plugin socket exists; throws with the daemon's log otherwise.
  explicit SoakDaemon(const std::vector<std::string>& extra_args);

  pid_t pid() const { return proc_->pid(); }
  bool running() const { return !proc_->exited(); }
  std::string log() const;
  // VmRSS from /proc/<pid>/status, in KiB (0 when it cannot be read).
  std::uint64_t rss_kib() const;
  // GET /metrics over a fresh connection; throws when it does not answer 200.
  std::string metrics() const;
  // GET /report on the plugin socket (curl); throws when it does not answer.
  std::string report() const;
  // SIGTERM, and the exit status.
  ExitStatus stop() { return proc_->stop(); }

 private:
  TempDir dir_{"hs-soak-"};
  std::uint16_t port_ = 0;
  std::optional<Subprocess> proc_;
};

}  // namespace hs::test
