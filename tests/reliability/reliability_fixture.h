// Fixture of the reliability tests: each test gets its own BpfEngine attached
// to a fresh child cgroup, an Aggregator with a short exit grace, and direct
// access to the engine's maps. Attached to a cgroup of its own, the engine's
// connection state, series and drop counters come from the test's servers
// only (started there with ForkedServer), so they can be asserted exactly
// while other tests load their own programs on the same machine.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "aggregator.h"
#include "bpf_engine.h"
#include "cgroup_dir.h"
#include "ci.h"
#include "counts.h"
#include "engine_maps.h"
#include "forked_server.h"
#include "snapshot.h"

namespace hs::test {

// Response counts of one process by "METHOD STATUS".
Counts counts_of(const ProcessSnapshot& p);

// The snapshot entry of exactly this server process (pid and start time).
const ProcessSnapshot* find_server(const Snapshot& snap, const ForkedServer& server);

class ReliabilityTest : public ::testing::Test {
 protected:
  // Skips without root, unless CI is set: there the tests must run, and fail.
  void SetUp() override;
  void TearDown() override;

  // How long the aggregator keeps exited processes; tests may override.
  virtual std::chrono::seconds exit_grace() const { return std::chrono::seconds(3); }

  // Options that start a ForkedServer in the engine's cgroup.
  ForkedServerOptions in_cgroup(int connections = 1) const;

  BpfEngine& engine() { return *engine_; }
  Aggregator& aggregator() { return *aggregator_; }
  const EngineMaps& maps() const { return *maps_; }
  std::uint64_t drops(const std::string& cause) const;
  std::uint64_t map_capacity(const std::string& map) const;

 private:
  std::optional<CgroupDir> cgroup_;  // destroyed last: after the engine detached
  int cgroup_fd_ = -1;
  std::unique_ptr<BpfEngine> engine_;
  std::unique_ptr<EngineMaps> maps_;
  std::unique_ptr<Aggregator> aggregator_;
};

}  // namespace hs::test
