#include "report_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.h"

namespace hs::scope {
namespace {

const ReportOptions kOptions{"test-host", "http-statistics"};
constexpr std::string_view kProbe = "a1b2c3d4e5f60718";

TEST(ReportCache, RendersOncePerSnapshot) {
  ReportCache cache(kOptions);
  auto first = std::make_shared<const Snapshot>(testing::busy_snapshot());
  const auto a = cache.get(first, kProbe);
  const auto b = cache.get(first, kProbe);
  EXPECT_EQ(a.get(), b.get());  // the same rendering, not an equal one
  EXPECT_EQ(*a, render_report(*first, kOptions, kProbe));
}

TEST(ReportCache, NewSnapshotNewReport) {
  ReportCache cache(kOptions);
  auto first = std::make_shared<const Snapshot>(testing::busy_snapshot());
  auto changed = std::make_shared<Snapshot>(*first);
  changed->processes[0].info.paused = true;
  const auto a = cache.get(first, kProbe);
  const auto b = cache.get(changed, kProbe);
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(*b, render_report(*changed, kOptions, kProbe));
  EXPECT_NE(*a, *b);
}

TEST(ReportCache, NoSnapshotIsTheEmptyReport) {
  ReportCache cache(kOptions);
  EXPECT_EQ(*cache.get(nullptr, kProbe), render_report(Snapshot{}, kOptions, kProbe));
  auto s = std::make_shared<const Snapshot>(testing::busy_snapshot());
  EXPECT_EQ(*cache.get(s, kProbe), render_report(*s, kOptions, kProbe));
  EXPECT_EQ(*cache.get(nullptr, kProbe), render_report(Snapshot{}, kOptions, kProbe));
}

TEST(ReportCache, EachProbeGetsItsOwnIdInTheReport) {
  ReportCache cache(kOptions);
  auto s = std::make_shared<const Snapshot>(testing::busy_snapshot());
  const auto mine = cache.get(s, kProbe);
  const auto other = cache.get(s, "scope-probe-check");
  const auto none = cache.get(s, "");
  EXPECT_EQ(*mine, render_report(*s, kOptions, kProbe));
  EXPECT_EQ(*other, render_report(*s, kOptions, "scope-probe-check"));
  EXPECT_EQ(*none, render_report(*s, kOptions, ""));
  EXPECT_NE(*mine, *other);
  EXPECT_NE(mine->find(kProbe), std::string::npos);
  // Polls alternating between the probes still share their renderings.
  EXPECT_EQ(cache.get(s, kProbe).get(), mine.get());
  EXPECT_EQ(cache.get(s, "scope-probe-check").get(), other.get());
}

TEST(ReportCache, TheLeastRecentlyAskedProbeIsRenderedAgain) {
  ReportCache cache(kOptions);
  auto s = std::make_shared<const Snapshot>(testing::busy_snapshot());
  std::vector<std::shared_ptr<const std::string>> kept;  // held, so addresses stay unique
  for (std::size_t i = 0; i < ReportCache::kProbes; ++i)
    kept.push_back(cache.get(s, "probe" + std::to_string(i)));
  EXPECT_EQ(cache.get(s, "probe0").get(), kept[0].get());  // still kept, and now the newest
  cache.get(s, "one-too-many");                            // evicts probe1, the oldest
  EXPECT_EQ(cache.get(s, "probe0").get(), kept[0].get());
  EXPECT_EQ(cache.get(s, "probe2").get(), kept[2].get());
  const auto again = cache.get(s, "probe1");
  EXPECT_NE(again.get(), kept[1].get());
  EXPECT_EQ(*again, *kept[1]);
}

}  // namespace
}  // namespace hs::scope
