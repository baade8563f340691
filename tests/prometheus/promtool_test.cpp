// The rendered exposition through Prometheus's own linter.
#include <gtest/gtest.h>

#include <string>

#include "metrics_exporter.h"
#include "snapshot_builder.h"
#include "subprocess.h"
#include "temp_dir.h"

#ifndef HS_PROMTOOL
#define HS_PROMTOOL ""
#endif

namespace hs::prom {
namespace {

using hs::testing::process;
using hs::testing::series_stats;

class Promtool : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(HS_PROMTOOL).empty())
      GTEST_SKIP() << "promtool not found at configure time (Debian package: prometheus)";
  }
  hs::test::RunResult check(const std::string& exposition) const {
    return hs::test::run({HS_PROMTOOL, "check", "metrics"}, scratch_.path(),
                         std::chrono::seconds(60), exposition);
  }
  hs::test::TempDir scratch_{"hs-promtool-"};
};

// Everything the exporter can emit: containers, every method, odd names,
// exited processes, bpf stats on, drops and caps.
Snapshot everything() {
  Snapshot s;
  for (std::uint32_t pid = 1; pid <= 5; ++pid) {
    auto p =
        process(pid, pid == 3 ? "we\"ird\\name\n{x}" : "srv" + std::to_string(pid),
                pid % 2 ? "" : "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    p.info.exited = pid == 5;
    if (pid == 2)
      p.info.names = hs::testing::pod_names("kube-system", "coredns-5d78c9869d-x2kqp", "coredns");
    if (pid == 4) p.info.names.container_name = "we\"b\n1";
    for (int m = 0; m < kMethodCount; ++m)
      for (std::uint16_t status : {200, 404, 503})
        p.series[{static_cast<Method>(m), status}] = series_stats(
            100 + status, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 123'456'789);
    s.processes.push_back(std::move(p));
  }
  s.health.programs = {{"hs_ingress", "cgroup_skb/ingress /sys/fs/cgroup", 5, 6}};
  s.health.maps = {{"stats", 150, 16384}};
  s.health.drops = {{"no_owner", 1}, {"stats_full", 0}};
  s.health.bpf_stats_enabled = true;
  s.health.processes_tracked = 5;
  s.health.attach_duration = std::chrono::milliseconds(42);
  return s;
}

TEST_F(Promtool, RenderedMetricsPassTheLinter) {
  ExporterOptions o;
  o.max_series_per_process = 20;  // some drops, so their counter is non-zero
  o.version = "0.1.0";
  const std::string text = render_text(everything(), o);
  ASSERT_NE(text.find("reason=\"per_process\"} 50"), std::string::npos) << text;
  const auto r = check(text);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out + r.err, "");
}

TEST_F(Promtool, PerExecutableMetricsPassTheLinter) {
  ExporterOptions o;
  o.metrics_by = MetricsBy::Executable;
  o.max_series_per_process = 20;
  Snapshot s = everything();
  // Two workers of one executable in one container: one sum.
  auto twin = s.processes[0];
  twin.info.pid = 6;
  s.processes.push_back(std::move(twin));
  const std::string text = render_text(s, o);
  EXPECT_EQ(text.find("process_pid"), std::string::npos) << text;
  ASSERT_NE(text.find("reason=\"retired\"} 0"), std::string::npos) << text;
  const auto r = check(text);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out + r.err, "");
}

TEST_F(Promtool, EmptySnapshotPassesTheLinter) {
  const auto r = check(render_text(Snapshot{}, {}));
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out + r.err, "");
}

// The harness itself: a lint problem must be seen.
TEST_F(Promtool, ComplaintsAreDetected) {
  const auto r = check("# HELP requests x\n# TYPE requests counter\nrequests 1\n");
  EXPECT_NE(r.status.code, 0);
  EXPECT_NE((r.out + r.err).find("_total"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace hs::prom
