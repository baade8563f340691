// --metrics-by executable: the sums by executable and container, monotonic
// while the processes behind them come and go, and their bound.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "executable_rollup.h"
#include "helpers/exposition.h"
#include "metrics_exporter.h"
#include "snapshot_builder.h"

namespace hs::prom {
namespace {

using hs::testing::parse_exposition;
using hs::testing::pod_names;
using hs::testing::process;
using hs::testing::sample_value;
using hs::testing::series_stats;
using std::chrono::seconds;

const SeriesKey kGet200{Method::Get, 200, false, ""};
const SeriesKey kGet503{Method::Get, 503, false, ""};

// Snapshots one second apart, as the aggregator publishes them.
class Snapshots {
 public:
  std::shared_ptr<const Snapshot> next(std::vector<ProcessSnapshot> processes) {
    auto s = std::make_shared<Snapshot>();
    at_ += seconds(1);
    s->taken_at = at_;
    s->processes = std::move(processes);
    return s;
  }
  void wait(seconds d) { at_ += d; }

 private:
  Clock::time_point at_{seconds(1'000'000)};
};

ProcessSnapshot worker(std::uint32_t pid, std::uint64_t ok, std::uint64_t errors = 0,
                       std::string exe = "nginx", std::string container = "") {
  auto p = process(pid, std::move(exe), std::move(container), 1000 + pid);
  if (ok) p.series[kGet200] = series_stats(ok, {ok});
  if (errors) p.series[kGet503] = series_stats(errors, {0, errors});
  return p;
}

// The sum of `key` for executable `exe` (no container); -1 when absent.
double sum_of(const ExecutableRollup::Result& r, const std::string& exe, const SeriesKey& key,
              const std::string& container = "") {
  for (const auto& p : r.rolled->processes) {
    if (p.info.executable_name != exe || p.info.container_id != container) continue;
    const auto it = p.series.find(key);
    return it == p.series.end() ? -1 : static_cast<double>(it->second.count);
  }
  return -1;
}

TEST(ExecutableRollup, SumsTheWorkersOfAnExecutablePerContainer) {
  Snapshots snaps;
  ExecutableRollup rollup;
  const std::string c = std::string(64, 'a');
  const auto r =
      rollup.roll(snaps.next({worker(10, 5, 1), worker(11, 7), worker(12, 2, 0, "app"),
                              worker(13, 4, 0, "nginx", c), worker(14, 6, 0, "nginx", c)}));
  ASSERT_TRUE(r.rolled);
  ASSERT_EQ(r.rolled->processes.size(), 3u);
  EXPECT_EQ(sum_of(r, "nginx", kGet200), 12);
  EXPECT_EQ(sum_of(r, "nginx", kGet503), 1);
  EXPECT_EQ(sum_of(r, "app", kGet200), 2);
  EXPECT_EQ(sum_of(r, "nginx", kGet200, c), 10);
  // Histograms add up bucket by bucket.
  for (const auto& p : r.rolled->processes)
    if (p.info.executable_name == "nginx" && p.info.container_id.empty()) {
      EXPECT_EQ(p.series.at(kGet200).buckets[0], 12u);
      EXPECT_EQ(p.series.at(kGet200).latency_count, 12u);
      EXPECT_EQ(p.series.at(kGet503).buckets[1], 1u);
    }
  EXPECT_EQ(r.left_out, 0u);
  EXPECT_EQ(r.forgotten, 0u);
  EXPECT_EQ(rollup.held(), 4u);
}

TEST(ExecutableRollup, StaysMonotonicAsWorkersExitAndNewOnesStart) {
  Snapshots snaps;
  ExecutableRollup rollup;
  std::vector<double> seen;
  const auto roll = [&](std::vector<ProcessSnapshot> ps) {
    const auto r = rollup.roll(snaps.next(std::move(ps)));
    seen.push_back(sum_of(r, "nginx", kGet200));
  };
  roll({worker(10, 5), worker(11, 3)});
  roll({worker(10, 8), worker(11, 4)});
  // Worker 10 exits (still in its grace period, with its final counts), then
  // is forgotten; a new worker 12 takes over.
  auto exited = worker(10, 9);
  exited.info.exited = true;
  roll({exited, worker(11, 4)});
  roll({worker(11, 6), worker(12, 1)});
  // A restart: every process is new, one of them under a reused pid.
  roll({worker(20, 2)});
  auto reused = worker(11, 1);
  reused.info.start_ns = 99'999;
  roll({worker(20, 3), reused});
  EXPECT_EQ(seen, (std::vector<double>{8, 12, 13, 16, 18, 20}));
}

TEST(ExecutableRollup, TheSameOrAnOlderSnapshotChangesNothing) {
  Snapshots snaps;
  ExecutableRollup rollup;
  const auto first = snaps.next({worker(10, 5), worker(11, 3)});
  const auto second = snaps.next({worker(11, 4)});
  EXPECT_EQ(sum_of(rollup.roll(first), "nginx", kGet200), 8);
  EXPECT_EQ(sum_of(rollup.roll(second), "nginx", kGet200), 9);
  EXPECT_EQ(sum_of(rollup.roll(second), "nginx", kGet200), 9);
  // A scrape that took `first` before `second` was published, rolled last:
  // rolling it would retire worker 11 and count it again later.
  EXPECT_EQ(sum_of(rollup.roll(first), "nginx", kGet200), 9);
  EXPECT_EQ(sum_of(rollup.roll(snaps.next({worker(11, 6)})), "nginx", kGet200), 11);
}

TEST(ExecutableRollup, NamesFoundLateMoveAProcessWithoutCountingItTwice) {
  Snapshots snaps;
  ExecutableRollup rollup;
  const std::string c = std::string(64, 'b');
  auto early = worker(10, 5, 0, "web", c);
  auto late = worker(10, 7, 0, "web", c);
  late.info.names = pod_names("shop", "web-1", "web");
  const auto before = rollup.roll(snaps.next({early}));
  ASSERT_EQ(before.rolled->processes.size(), 1u);
  const auto after = rollup.roll(snaps.next({late}));
  ASSERT_EQ(after.rolled->processes.size(), 2u);
  for (const auto& p : after.rolled->processes) {
    // The series without the pod's names keeps what it had; the one with
    // them counts from when they were found.
    const bool named = !p.info.names.k8s_pod_name.empty();
    EXPECT_EQ(p.series.at(kGet200).count, named ? 2u : 5u);
  }
  const auto exit = rollup.roll(snaps.next({}));
  for (const auto& p : exit.rolled->processes) {
    const bool named = !p.info.names.k8s_pod_name.empty();
    EXPECT_EQ(p.series.at(kGet200).count, named ? 2u : 5u);
  }
}

TEST(ExecutableRollup, SeriesWithoutLiveProcessesAreKeptForTheRetentionThenForgotten) {
  Snapshots snaps;
  ExecutableRollup rollup({.max_series = 0, .retention = seconds(600)});
  rollup.roll(snaps.next({worker(10, 5), worker(30, 2, 0, "app")}));
  // The app exits: its sum stays, unchanging, while nginx goes on.
  EXPECT_EQ(sum_of(rollup.roll(snaps.next({worker(10, 6)})), "app", kGet200), 2);
  snaps.wait(seconds(300));
  EXPECT_EQ(sum_of(rollup.roll(snaps.next({worker(10, 7)})), "app", kGet200), 2);
  // Back within the retention: it goes on from there.
  EXPECT_EQ(
      sum_of(rollup.roll(snaps.next({worker(10, 7), worker(31, 1, 0, "app")})), "app", kGet200), 3);
  rollup.roll(snaps.next({worker(10, 7)}));
  snaps.wait(seconds(601));
  const auto later = rollup.roll(snaps.next({worker(10, 8)}));
  EXPECT_EQ(sum_of(later, "app", kGet200), -1);
  EXPECT_EQ(later.rolled->processes.size(), 1u);
  EXPECT_EQ(later.forgotten, 0u);  // the retention is no drop
  EXPECT_EQ(rollup.held(), 1u);
}

TEST(ExecutableRollup, TheBoundForgetsTheLongestUnusedRetiredSeriesFirstAndCountsIt) {
  Snapshots snaps;
  ExecutableRollup rollup({.max_series = 2, .retention = seconds(3600)});
  rollup.roll(snaps.next({worker(10, 5, 0, "a")}));
  rollup.roll(snaps.next({worker(11, 5, 0, "b")}));           // a retired
  auto r = rollup.roll(snaps.next({worker(12, 5, 0, "c")}));  // b retired; a forgotten for c
  EXPECT_EQ(r.forgotten, 1u);
  EXPECT_EQ(r.left_out, 0u);
  EXPECT_EQ(sum_of(r, "a", kGet200), -1);
  EXPECT_EQ(sum_of(r, "b", kGet200), 5);
  EXPECT_EQ(sum_of(r, "c", kGet200), 5);
  // Two live executables fill the bound: a third one's series are left out,
  // scrape after scrape, and nothing live is forgotten.
  r = rollup.roll(snaps.next({worker(12, 6, 0, "c"), worker(13, 1, 0, "d")}));
  EXPECT_EQ(r.forgotten, 1u);  // b
  r = rollup.roll(
      snaps.next({worker(12, 6, 0, "c"), worker(13, 1, 0, "d"), worker(14, 1, 0, "e")}));
  EXPECT_EQ(r.forgotten, 0u);
  EXPECT_EQ(r.left_out, 1u);
  EXPECT_EQ(sum_of(r, "e", kGet200), -1);
  r = rollup.roll(
      snaps.next({worker(12, 7, 0, "c"), worker(13, 1, 0, "d"), worker(14, 2, 0, "e")}));
  EXPECT_EQ(r.left_out, 1u);
  EXPECT_EQ(rollup.held(), 2u);
}

// Through the collector: no process_pid, and the bound's drops in
// http_statistics_series_dropped_total.
TEST(ExecutableRollup, ScrapesHaveNoPidAndCountWhatTheBoundDrops) {
  Snapshots snaps;
  std::shared_ptr<const Snapshot> current = snaps.next({worker(10, 5, 1), worker(11, 7)});
  ExporterOptions o;
  o.metrics_by = MetricsBy::Executable;
  o.rollup.max_series = 2;
  const SnapshotCollector collector([&] { return current; }, o);
  const auto text = [&] {
    std::string t;
    for (const std::string& part : render_exposition(collector.scrape(), false, 1)) t += part;
    return t;
  };
  auto e = parse_exposition(text());
  EXPECT_EQ(text().find("process_pid"), std::string::npos);
  const hs::testing::Labels nginx_get_200 = {{"http_request_method", "GET"},
                                             {"http_response_status_code", "200"},
                                             {"url_scheme", "http"},
                                             {"process_executable_name", "nginx"}};
  EXPECT_EQ(sample_value(e, "http_server_requests_total", nginx_get_200), 12);
  EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_count", nginx_get_200), 12);
  // nginx is gone; an app takes the place of one of its sums.
  current = snaps.next({worker(20, 1, 0, "app")});
  e = parse_exposition(text());
  EXPECT_EQ(sample_value(e, "http_statistics_series_dropped_total", {{"reason", "retired"}}), 1);
  EXPECT_EQ(sample_value(e, "http_statistics_series_dropped_total", {{"reason", "total"}}), 0);
  // Collect() (the Collectable's view) rolls the same way.
  bool pid = false;
  for (const auto& f : collector.Collect())
    for (const auto& m : f.metric)
      for (const auto& l : m.label) pid |= l.name == "process_pid";
  EXPECT_FALSE(pid);
}

}  // namespace
}  // namespace hs::prom
