#include "reliability_fixture.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "cgroup.h"

namespace hs::test {

Counts counts_of(const ProcessSnapshot& p) {
  Counts out;
  for (const auto& [key, stats] : p.series)
    if (stats.count)
      out[std::string(method_name(key.method)) + " " + std::to_string(key.status)] += stats.count;
  return out;
}

const ProcessSnapshot* find_server(const Snapshot& snap, const ForkedServer& server) {
  for (const auto& p : snap.processes)
    if (p.info.pid == static_cast<std::uint32_t>(server.pid()) &&
        server.is_start_ns(p.info.start_ns))
      return &p;
  return nullptr;
}

void ReliabilityTest::SetUp() {
  if (geteuid() != 0) {
    if (running_in_ci())
      FAIL() << "reliability tests must run as root in CI (CI is set), but euid is " << geteuid();
    GTEST_SKIP() << "reliability tests load BPF programs and need root (set CI=true to make "
                    "this a failure)";
  }
  const std::string root = find_cgroup2_mount();
  ASSERT_FALSE(root.empty()) << "no cgroup v2 mount";
  cgroup_.emplace(root);
  cgroup_fd_ = open(cgroup_->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(cgroup_fd_, 0) << cgroup_->path();
  const auto before = map_ids_held();
  EngineOptions eo;
  eo.cgroup_path = cgroup_->path();
  // These tests are about the socket path; the TLS programs would add 0.4 s
  // of loading to every test.
  eo.tls = false;
  engine_ = std::make_unique<BpfEngine>(eo);
  maps_ = std::make_unique<EngineMaps>(before);
  AggregatorOptions ao;
  ao.exit_grace = exit_grace();
  aggregator_ = std::make_unique<Aggregator>(*engine_, ao);
}

void ReliabilityTest::TearDown() {
  if (engine_ && HasFailure()) {
    std::cerr << "engine drop counters:";
    for (const auto& [cause, n] : engine_->read_counters())
      if (n) std::cerr << " " << cause << "=" << n;
    std::cerr << "\n";
  }
  aggregator_.reset();
  maps_.reset();
  engine_.reset();
  if (cgroup_fd_ >= 0) close(cgroup_fd_);
  cgroup_.reset();
}

ForkedServerOptions ReliabilityTest::in_cgroup(int connections) const {
  ForkedServerOptions o;
  o.cgroup_fd = cgroup_fd_;
  o.connections = connections;
  return o;
}

std::uint64_t ReliabilityTest::drops(const std::string& cause) const {
  return engine_->read_counters().at(cause);
}

std::uint64_t ReliabilityTest::map_capacity(const std::string& map) const {
  for (const auto& m : engine_->map_health(0))
    if (m.name == map) return m.capacity;
  return 0;
}

}  // namespace hs::test
