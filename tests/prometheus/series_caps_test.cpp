// The series caps, reused pids, and the counter of what they leave out.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "helpers/exposition.h"
#include "metrics_exporter.h"
#include "snapshot_builder.h"

namespace hs::prom {
namespace {

using hs::testing::Exposition;
using hs::testing::find_samples;
using hs::testing::parse_exposition;
using hs::testing::process;
using hs::testing::sample_value;
using hs::testing::series_stats;

constexpr const char* kRequests = "http_server_requests_total";

double dropped(const Exposition& e, const std::string& reason) {
  return sample_value(e, "http_statistics_series_dropped_total", {{"reason", reason}}).value_or(-1);
}

// "pid method status" of every exported series, in exposition order.
std::vector<std::string> exported(const Exposition& e) {
  std::vector<std::string> out;
  for (const auto& s : find_samples(e, kRequests))
    out.push_back(s.labels.at("process_pid") + " " + s.labels.at("http_request_method") + " " +
                  s.labels.at("http_response_status_code"));
  return out;
}

ExporterOptions caps(std::size_t per_process, std::size_t total) {
  ExporterOptions o;
  o.max_series_per_process = per_process;
  o.max_series_total = total;
  return o;
}

TEST(SeriesCaps, PerProcessCapKeepsTheBusiestSeries) {
  Snapshot s;
  auto busy = process(7, "busy");
  busy.series[{Method::Get, 200}] = series_stats(50);
  busy.series[{Method::Get, 404}] = series_stats(5);
  busy.series[{Method::Post, 200}] = series_stats(40);
  busy.series[{Method::Get, 500}] = series_stats(1);
  busy.series[{Method::Put, 204}] = series_stats(30);
  auto quiet = process(8, "quiet");
  quiet.series[{Method::Get, 200}] = series_stats(2);
  quiet.series[{Method::Get, 302}] = series_stats(1);
  s.processes = {busy, quiet};

  const auto e = parse_exposition(render_text(s, caps(3, 0)));
  EXPECT_EQ(exported(e), (std::vector<std::string>{"7 GET 200", "7 POST 200", "7 PUT 204",
                                                   "8 GET 200", "8 GET 302"}));
  EXPECT_EQ(dropped(e, "per_process"), 2);
  EXPECT_EQ(dropped(e, "total"), 0);
  EXPECT_EQ(dropped(e, "pid_reused"), 0);
  // The histogram follows the same selection.
  EXPECT_EQ(find_samples(e, "http_server_request_duration_seconds_count").size(), 5u);
}

TEST(SeriesCaps, TiesAreBrokenByKeySoTheChoiceIsStable) {
  Snapshot s;
  auto p = process(7, "even");
  p.series[{Method::Post, 200}] = series_stats(10);
  p.series[{Method::Get, 500}] = series_stats(10);
  p.series[{Method::Get, 200}] = series_stats(10);
  s.processes = {p};
  const auto e = parse_exposition(render_text(s, caps(2, 0)));
  EXPECT_EQ(exported(e), (std::vector<std::string>{"7 GET 200", "7 GET 500"}));
}

TEST(SeriesCaps, TotalCapKeepsTheBusiestAcrossProcesses) {
  Snapshot s;
  auto a = process(1, "a");
  a.series[{Method::Get, 200}] = series_stats(100);
  a.series[{Method::Get, 404}] = series_stats(1);
  auto b = process(2, "b");
  b.series[{Method::Get, 200}] = series_stats(50);
  auto c = process(3, "c");
  c.series[{Method::Get, 200}] = series_stats(75);
  c.series[{Method::Post, 200}] = series_stats(2);
  s.processes = {a, b, c};

  const auto e = parse_exposition(render_text(s, caps(0, 3)));
  EXPECT_EQ(exported(e), (std::vector<std::string>{"1 GET 200", "2 GET 200", "3 GET 200"}));
  EXPECT_EQ(dropped(e, "total"), 2);
  EXPECT_EQ(dropped(e, "per_process"), 0);
}

TEST(SeriesCaps, PerProcessCapAppliesBeforeTheTotalCap) {
  Snapshot s;
  auto a = process(1, "a");
  for (std::uint16_t status = 200; status < 205; ++status)
    a.series[{Method::Get, status}] = series_stats(100u + status);
  auto b = process(2, "b");
  b.series[{Method::Get, 200}] = series_stats(1);
  s.processes = {a, b};
  const auto e = parse_exposition(render_text(s, caps(2, 2)));
  // a keeps 204 and 203 (per process); then the total cap drops b's series.
  EXPECT_EQ(exported(e), (std::vector<std::string>{"1 GET 203", "1 GET 204"}));
  EXPECT_EQ(dropped(e, "per_process"), 3);
  EXPECT_EQ(dropped(e, "total"), 1);
}

TEST(SeriesCaps, ZeroMeansNoCap) {
  Snapshot s;
  auto p = process(1, "many");
  for (std::uint16_t status = 100; status < 400; ++status)
    p.series[{Method::Get, status}] = series_stats(1);
  s.processes = {p};
  const auto e = parse_exposition(render_text(s, caps(0, 0)));
  EXPECT_EQ(find_samples(e, kRequests).size(), 300u);
  EXPECT_EQ(dropped(e, "per_process"), 0);
  EXPECT_EQ(dropped(e, "total"), 0);
}

TEST(SeriesCaps, DefaultsAre200PerProcessAnd10000InTotal) {
  const ExporterOptions defaults;
  EXPECT_EQ(defaults.max_series_per_process, 200u);
  EXPECT_EQ(defaults.max_series_total, 10000u);
  Snapshot s;
  auto p = process(1, "many");
  for (std::uint16_t status = 100; status < 301; ++status)
    p.series[{Method::Get, status}] = series_stats(1);
  s.processes = {p};
  const auto e = parse_exposition(render_text(s, defaults));
  EXPECT_EQ(find_samples(e, kRequests).size(), 200u);
  EXPECT_EQ(dropped(e, "per_process"), 1);
}

TEST(SeriesCaps, ReusedPidExportsOnlyTheNewestProcessWithTheSameLabels) {
  Snapshot s;
  auto old_one = process(9, "app", "", /*start_ns=*/100);
  old_one.info.exited = true;
  old_one.series[{Method::Get, 200}] = series_stats(500);
  old_one.series[{Method::Get, 404}] = series_stats(5);
  auto new_one = process(9, "app", "", /*start_ns=*/200);
  new_one.series[{Method::Get, 200}] = series_stats(3);
  auto other_exe = process(9, "other", "", /*start_ns=*/150);
  other_exe.series[{Method::Get, 200}] = series_stats(7);
  s.processes = {old_one, other_exe, new_one};

  const auto e = parse_exposition(render_text(s, {}));
  const auto app = find_samples(e, kRequests, {{"process_executable_name", "app"}});
  ASSERT_EQ(app.size(), 1u);
  EXPECT_EQ(app[0].value, 3);
  EXPECT_EQ(find_samples(e, kRequests, {{"process_executable_name", "other"}}).size(), 1u);
  EXPECT_EQ(dropped(e, "pid_reused"), 2);
}

// The exporter's counter of dropped series grows with every collection.
TEST(SnapshotCollector, SeriesDroppedTotalIsMonotonicAcrossScrapes) {
  auto snap = std::make_shared<Snapshot>();
  auto p = process(7, "busy");
  p.series[{Method::Get, 200}] = series_stats(3);
  p.series[{Method::Get, 404}] = series_stats(2);
  p.series[{Method::Get, 500}] = series_stats(1);
  snap->processes = {p};
  const SnapshotCollector collector([snap] { return snap; }, caps(1, 0));

  const auto per_process_value = [&] {
    for (const auto& f : collector.Collect()) {
      if (f.name != "http_statistics_series_dropped_total") continue;
      EXPECT_EQ(f.type, prometheus::MetricType::Counter);
      for (const auto& m : f.metric)
        if (m.label.size() == 1 && m.label[0].value == "per_process") return m.counter.value;
    }
    return -1.0;
  };
  EXPECT_EQ(per_process_value(), 2);
  EXPECT_EQ(per_process_value(), 4);
  EXPECT_EQ(per_process_value(), 6);
}

TEST(SnapshotCollector, ReadsTheLatestSnapshotAtEachCollection) {
  auto current = std::make_shared<const Snapshot>();
  const SnapshotCollector collector([&current] { return current; }, {});
  const auto requests = [&] {
    for (const auto& f : collector.Collect())
      if (f.name == kRequests && f.metric.size() == 1) return f.metric[0].counter.value;
    return -1.0;
  };
  EXPECT_EQ(requests(), -1);  // no traffic yet: no family

  for (std::uint64_t n : {5u, 8u}) {
    auto next = std::make_shared<Snapshot>();
    auto p = process(4, "srv");
    p.series[{Method::Get, 200}] = series_stats(n);
    next->processes = {p};
    current = next;
    EXPECT_EQ(requests(), static_cast<double>(n));
  }
}

TEST(SnapshotCollector, NoSnapshotYieldsOnlyTheExportersOwnMetrics) {
  ExporterOptions o;
  o.version = "9.9.9";
  const SnapshotCollector collector([] { return std::shared_ptr<const Snapshot>(); }, o);
  std::vector<std::string> names;
  for (const auto& f : collector.Collect()) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"http_statistics_build_info",
                                             "http_statistics_series_dropped_total"}));
}

}  // namespace
}  // namespace hs::prom
