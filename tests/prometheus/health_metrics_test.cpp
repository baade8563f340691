// The engine's health as http_statistics_ metrics.
#include <gtest/gtest.h>

#include "helpers/exposition.h"
#include "metrics_exporter.h"

namespace hs::prom {
namespace {

using hs::testing::Exposition;
using hs::testing::parse_exposition;
using hs::testing::sample_value;

Snapshot with_health(bool bpf_stats) {
  Snapshot s;
  EngineHealth& h = s.health;
  h.programs = {{"hs_ingress", "cgroup_skb/ingress /sys/fs/cgroup", 1'500'000'000, 1000},
                {"hs_egress", "cgroup_skb/egress /sys/fs/cgroup", 250'000'000, 900},
                // The same program at a second attach point: one set of stats.
                {"hs_egress", "cgroup_skb/egress /sys/fs/cgroup/other", 250'000'000, 900}};
  h.maps = {{"stats", 10, 16384}, {"procs", 2, 8192}};
  h.drops = {{"no_owner", 3}, {"stats_full", 1}};
  h.bpf_stats_enabled = bpf_stats;
  h.processes_tracked = 4;
  h.attach_duration = std::chrono::milliseconds(250);
  return s;
}

Exposition render(const Snapshot& s) {
  ExporterOptions o;
  o.version = "1.2.3";
  return parse_exposition(render_text(s, o));
}

TEST(HealthMetrics, BuildInfoCarriesTheVersion) {
  const auto e = render(with_health(false));
  EXPECT_EQ(sample_value(e, "http_statistics_build_info", {{"version", "1.2.3"}}), 1);
  EXPECT_EQ(e.types.at("http_statistics_build_info"), "gauge");
}

TEST(HealthMetrics, EmptyVersionReadsUnknown) {
  ExporterOptions o;
  o.version = "";
  const auto e = parse_exposition(render_text(Snapshot{}, o));
  EXPECT_EQ(sample_value(e, "http_statistics_build_info", {{"version", "unknown"}}), 1);
}

TEST(HealthMetrics, EngineStateIsReported) {
  const auto e = render(with_health(false));
  EXPECT_EQ(sample_value(e, "http_statistics_bpf_programs_attached"), 3);
  EXPECT_EQ(sample_value(e, "http_statistics_bpf_stats_enabled"), 0);
  EXPECT_EQ(sample_value(e, "http_statistics_dropped_total", {{"cause", "no_owner"}}), 3);
  EXPECT_EQ(sample_value(e, "http_statistics_dropped_total", {{"cause", "stats_full"}}), 1);
  EXPECT_EQ(sample_value(e, "http_statistics_map_entries", {{"map", "stats"}}), 10);
  EXPECT_EQ(sample_value(e, "http_statistics_map_capacity", {{"map", "stats"}}), 16384);
  EXPECT_EQ(sample_value(e, "http_statistics_map_entries", {{"map", "procs"}}), 2);
  EXPECT_EQ(sample_value(e, "http_statistics_map_capacity", {{"map", "procs"}}), 8192);
  EXPECT_EQ(sample_value(e, "http_statistics_processes_tracked"), 4);
  EXPECT_EQ(sample_value(e, "http_statistics_attach_duration_seconds"), 0.25);
  EXPECT_EQ(e.types.at("http_statistics_dropped_total"), "counter");
  EXPECT_EQ(e.types.at("http_statistics_map_entries"), "gauge");
}

TEST(HealthMetrics, ProgramRunStatsOnlyWhenBpfStatsAreEnabled) {
  const auto off = render(with_health(false));
  EXPECT_FALSE(off.types.contains("http_statistics_bpf_program_run_time_seconds_total"));
  EXPECT_FALSE(off.types.contains("http_statistics_bpf_program_run_count_total"));

  const auto on = render(with_health(true));
  EXPECT_EQ(sample_value(on, "http_statistics_bpf_stats_enabled"), 1);
  EXPECT_EQ(sample_value(on, "http_statistics_bpf_program_run_time_seconds_total",
                         {{"program", "hs_ingress"}}),
            1.5);
  EXPECT_EQ(
      sample_value(on, "http_statistics_bpf_program_run_count_total", {{"program", "hs_ingress"}}),
      1000);
  // sample_value throws on duplicates: hs_egress appears once.
  EXPECT_EQ(sample_value(on, "http_statistics_bpf_program_run_time_seconds_total",
                         {{"program", "hs_egress"}}),
            0.25);
  EXPECT_EQ(on.types.at("http_statistics_bpf_program_run_count_total"), "counter");
}

TEST(HealthMetrics, SeriesDropReasonsAreAlwaysPresent) {
  const auto e = render(Snapshot{});
  for (const char* reason : {"per_process", "total", "pid_reused", "retired"})
    EXPECT_EQ(sample_value(e, "http_statistics_series_dropped_total", {{"reason", reason}}), 0)
        << reason;
}

}  // namespace
}  // namespace hs::prom
