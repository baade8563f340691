// The /metrics body as the exporter writes it (render_exposition): the traffic
// text written straight from the series, split into parts written at once and
// gzipped part by part, reads back as exactly what prometheus-cpp's
// TextSerializer writes for the collector's metric families.
#include <gtest/gtest.h>

#include <locale>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/text_serializer.h>

#include "exposition.h"
#include "fleet_snapshot.h"
#include "helpers/gunzip.h"
#include "metrics_exporter.h"
#include "snapshot_builder.h"
#include "text_buffer.h"
#include "traffic_text.h"

namespace hs::prom {
namespace {

using hs::testing::Buckets;
using hs::testing::fleet_snapshot;
using hs::testing::process;
using hs::testing::series_stats;

std::shared_ptr<const Snapshot> shared(Snapshot s) {
  return std::make_shared<const Snapshot>(std::move(s));
}

// The reference: TextSerializer over the Collectable's families, from a
// collector of its own (the series drop counters are per collector).
std::string reference_text(const std::shared_ptr<const Snapshot>& snap,
                           const ExporterOptions& options = {}) {
  const SnapshotCollector collector([snap] { return snap; }, options);
  std::ostringstream out;
  out.imbue(std::locale::classic());
  prometheus::TextSerializer().Serialize(out, collector.Collect());
  return std::move(out).str();
}

std::vector<std::string> body_of(const std::shared_ptr<const Snapshot>& snap, bool gzip,
                                 std::size_t threads, const ExporterOptions& options = {}) {
  const SnapshotCollector collector([snap] { return snap; }, options);
  return render_exposition(collector.scrape(), gzip, threads);
}

std::string joined(const std::vector<std::string>& pieces) {
  std::string all;
  for (const auto& p : pieces) all += p;
  return all;
}

// Awkward label values, HTTPS, unknown methods, odd statuses, huge counts, a
// process without series and buckets ahead of the count.
Snapshot awkward_snapshot() {
  Snapshot s;
  auto a = process(7, "we\"ird\\name\nx", std::string(64, 'c'));
  a.info.names = hs::testing::pod_names("ns\"1", "pod\\x", "c\nname");
  a.series[{Method::Other, 0}] = series_stats(1);
  a.series[{Method::Get, 200, true}] = series_stats(18'446'744'073'709'551'615u);
  a.series[{Method::Options, 65535}] = series_stats(3, Buckets{9, 9, 9}, 1);
  s.processes.push_back(std::move(a));
  s.processes.push_back(process(8, "idle"));
  auto b = process(9, "caf\xc3\xa9", std::string(64, 'd'));
  b.info.names.container_name = "web\"1";
  b.series[{Method::Connect, 101}] = series_stats(5, Buckets{1, 1, 1, 1, 1}, 123'456'789'012);
  s.processes.push_back(std::move(b));
  s.health.drops = {{"no_owner", 2}};
  return s;
}

TEST(Exposition, SameBytesAsTextSerializerWhateverTheThreads) {
  const auto snap = shared(awkward_snapshot());
  const std::string want = reference_text(snap);
  for (std::size_t threads : {1, 2, 3, 8}) {
    EXPECT_TRUE(joined(body_of(snap, false, threads)) == want) << threads << " threads";
    EXPECT_TRUE(hs::testing::gunzip(joined(body_of(snap, true, threads))) == want)
        << threads << " threads, gzip";
  }
}

TEST(Exposition, LargeBodyIsWrittenInPartsThatJoinIntoTheSameBytes) {
  const auto snap = shared(fleet_snapshot(1000, 20));
  const std::string want = reference_text(snap);
  ASSERT_GT(want.size(), 30'000'000u);
  for (std::size_t threads : {1, 2, 4}) {
    const auto plain = body_of(snap, false, threads);
    EXPECT_EQ(plain.size(), threads) << "10,000 series make one part per thread";
    EXPECT_TRUE(joined(plain) == want) << threads << " threads";
    const auto gz = body_of(snap, true, threads);
    ASSERT_EQ(gz.size(), 1u) << "one gzip member";
    EXPECT_LT(gz[0].size(), want.size() / 10);
    EXPECT_TRUE(hs::testing::gunzip(gz[0]) == want) << threads << " threads, gzip";
  }
}

TEST(Exposition, SmallBodiesStayOnOneThread) {
  const auto snap = shared(fleet_snapshot(10, 20));  // 200 series
  EXPECT_EQ(body_of(snap, false, 4).size(), 1u);
}

TEST(Exposition, NoSnapshotOrNoTrafficIsOnlyTheExportersOwnMetrics) {
  const std::shared_ptr<const Snapshot> none;
  const auto empty = shared(Snapshot{});
  for (const auto& snap : {none, empty}) {
    const std::string want = reference_text(snap);
    EXPECT_EQ(want.find("http_server_"), std::string::npos);
    EXPECT_TRUE(joined(body_of(snap, false, 4)) == want);
    EXPECT_TRUE(hs::testing::gunzip(joined(body_of(snap, true, 4))) == want);
  }
}

TEST(Exposition, CapsApplyAsInTheCollector) {
  const auto snap = shared(fleet_snapshot(300, 20));
  ExporterOptions options;
  options.max_series_per_process = 7;
  options.max_series_total = 1500;
  EXPECT_TRUE(joined(body_of(snap, false, 2, options)) == reference_text(snap, options));
}

// Splitting at any count of parts, more parts than series included: the parts
// in order are the whole text, none repeated or left out.
TEST(TrafficText, PartsInOrderAreTheWholeText) {
  std::mt19937 random(20261122);
  for (std::size_t processes : {1, 2, 3, 17}) {
    const Snapshot snap = fleet_snapshot(processes, 1 + random() % 5);
    const SeriesSelection selection = select_series(snap, 0, 0);
    const TrafficText traffic(selection.series);
    TextBuffer whole(0);
    traffic.write(whole);
    const std::string want = std::move(whole).take();
    ASSERT_FALSE(want.empty());
    for (std::size_t parts = 1; parts <= 2 * selection.series.size() + 3; ++parts) {
      std::string got;
      for (std::size_t i = 0; i < parts; ++i) {
        TextBuffer out(0);
        traffic.write_part(i, parts, out);
        got += std::move(out).take();
      }
      EXPECT_TRUE(got == want) << processes << " processes, " << parts << " parts";
    }
  }
}

}  // namespace
}  // namespace hs::prom
