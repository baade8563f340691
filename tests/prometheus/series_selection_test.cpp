// select_series against a plain sort-based statement of the caps' rule, on
// random snapshots with many ties: the busiest series stay, ties go to the
// earlier series (snapshot order, then key), and the output keeps that order.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "series_selection.h"
#include "snapshot_builder.h"

namespace hs::prom {
namespace {

using hs::testing::process;
using hs::testing::series_stats;

struct Chosen {
  std::size_t process;  // index in the snapshot
  SeriesKey key;
  bool operator==(const Chosen&) const = default;
};

struct Candidate {
  Chosen id;
  std::uint64_t count;
};

// Keeps the `keep` busiest of `in` (in output order), ties to the earlier.
std::vector<Candidate> busiest(std::vector<Candidate> in, std::size_t keep) {
  if (keep == 0 || in.size() <= keep) return in;
  std::vector<std::size_t> order(in.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return in[a].count > in[b].count; });
  order.resize(keep);
  std::sort(order.begin(), order.end());
  std::vector<Candidate> out;
  for (std::size_t i : order) out.push_back(in[i]);
  return out;
}

std::vector<Chosen> expected(const Snapshot& s, std::size_t per_process, std::size_t total) {
  std::vector<Candidate> all;
  for (std::size_t p = 0; p < s.processes.size(); ++p) {
    std::vector<Candidate> own;
    for (const auto& [key, stats] : s.processes[p].series) own.push_back({{p, key}, stats.count});
    for (const Candidate& c : busiest(own, per_process)) all.push_back(c);
  }
  std::vector<Chosen> out;
  for (const Candidate& c : busiest(all, total)) out.push_back(c.id);
  return out;
}

std::vector<Chosen> actual(const Snapshot& s, const SeriesSelection& selection) {
  std::vector<Chosen> out;
  for (const SeriesRef& r : selection.series)
    out.push_back({static_cast<std::size_t>(r.process - s.processes.data()), *r.key});
  return out;
}

TEST(SeriesSelection, MatchesTheRuleOnRandomSnapshotsWithTies) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    Snapshot s;
    const std::size_t processes = 1 + rng() % 40;
    std::size_t series_total = 0;
    for (std::size_t p = 0; p < processes; ++p) {
      auto proc = process(static_cast<std::uint32_t>(10 + p), "srv" + std::to_string(p));
      const std::size_t n = rng() % 30;
      for (std::size_t k = 0; k < n; ++k) {
        const SeriesKey key{static_cast<Method>(rng() % kMethodCount),
                            static_cast<std::uint16_t>(100 + rng() % 50)};
        // Counts from a small range: ties at the cut are the rule, not the exception.
        proc.series[key] = series_stats(rng() % 6);
      }
      series_total += proc.series.size();
      s.processes.push_back(std::move(proc));
    }
    const std::size_t per_process = rng() % 3 == 0 ? 0 : 1 + rng() % 20;
    const std::size_t total = rng() % 3 == 0 ? 0 : 1 + rng() % (series_total + 5);
    const SeriesSelection selection = select_series(s, per_process, total);
    const std::vector<Chosen> want = expected(s, per_process, total);
    ASSERT_TRUE(actual(s, selection) == want)
        << "round " << round << ": per_process " << per_process << ", total " << total;
    std::size_t after_per_process = 0;
    for (const auto& p : s.processes)
      after_per_process += per_process ? std::min(p.series.size(), per_process) : p.series.size();
    EXPECT_EQ(selection.dropped.per_process, series_total - after_per_process);
    EXPECT_EQ(selection.dropped.total, after_per_process - want.size());
  }
}

TEST(SeriesSelection, TiesAtTheCutGoToTheEarlierSeries) {
  Snapshot s;
  auto a = process(1, "a");
  a.series[{Method::Get, 200}] = series_stats(5);
  a.series[{Method::Get, 404}] = series_stats(3);
  auto b = process(2, "b");
  b.series[{Method::Get, 200}] = series_stats(3);
  b.series[{Method::Post, 200}] = series_stats(9);
  s.processes = {a, b};
  const SeriesSelection selection = select_series(s, 0, 3);
  const std::vector<Chosen> want = {
      {0, {Method::Get, 200}}, {0, {Method::Get, 404}}, {1, {Method::Post, 200}}};
  EXPECT_TRUE(actual(s, selection) == want);
  EXPECT_EQ(selection.dropped.total, 1u);
}

}  // namespace
}  // namespace hs::prom
