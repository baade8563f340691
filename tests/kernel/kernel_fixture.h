// Shared fixture of the kernel integration tests: one BpfEngine + Aggregator
// per test suite, attached to the cgroup v2 root, so it sees every server on
// the machine. Tests therefore never look at totals: they start their own
// servers and compare the series of those pids exactly.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aggregator.h"
#include "bpf_engine.h"
#include "ci.h"
#include "counts.h"
#include "snapshot.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {

// "GET 200" for a series key ("GET 200 https" for one counted inside TLS).
std::string series_name(const SeriesKey& key);

// The snapshot entry of pid: the running one if there is one, else the most
// recently seen exited one; nullptr when the aggregator never saw it.
const ProcessSnapshot* find_process(const Snapshot& snap, pid_t pid);

class KernelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  // Skips without root, unless CI is set: there kernel tests must run.
  void SetUp() override;
  // After a failure, prints the engine's drop counters: they tell a lost
  // exchange (e.g. stats_full) from a miscounted one.
  void TearDown() override;

  // Reads the kernel maps now.
  static std::shared_ptr<const Snapshot> refresh();
  // The series of pid after a fresh refresh() (empty when it has none).
  static std::map<SeriesKey, SeriesStats> series(pid_t pid);
  // Exchanges of pid by "METHOD STATUS" (templates summed), and by
  // "METHOD STATUS TEMPLATE" ("GET 200 /users/{id}"; a trailing space for
  // requests without one).
  static Counts counts(pid_t pid);
  static Counts template_counts(pid_t pid);
  // Series of pid whose latency histogram does not count every exchange
  // (http_server_request_duration_seconds_count below
  // http_server_requests_total), as "GET 200: 3 of 5 timed"; "" when none.
  static std::string untimed(pid_t pid);
  // The engine's non-zero drop/skip counters, for failure messages. They are
  // machine-wide (every server is watched), so tests never assert on them.
  static std::string drops();
  static Aggregator& aggregator() { return *aggregator_; }

  // Runs curl with a timeout; `urls` are fetched in one invocation, so curl
  // reuses one keep-alive connection for them. Returns the status codes.
  struct CurlResult {
    pid_t pid = -1;
    std::vector<int> codes;
  };
  CurlResult curl(const std::vector<std::string>& urls,
                  const std::vector<std::string>& options = {});

  TempDir scratch_{"hs-kt-"};

 private:
  static std::unique_ptr<BpfEngine> engine_;
  static std::unique_ptr<Aggregator> aggregator_;
  static std::optional<std::string> engine_error_;
};

}  // namespace hs::test
