#include "report_cache.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace hs::scope {
namespace {

const ReportOptions kOptions{"test-host", "http-statistics"};

TEST(ReportCache, RendersOncePerSnapshot) {
  ReportCache cache(kOptions);
  auto first = std::make_shared<const Snapshot>(testing::busy_snapshot());
  const auto a = cache.get(first);
  const auto b = cache.get(first);
  EXPECT_EQ(a.get(), b.get());  // the same rendering, not an equal one
  EXPECT_EQ(*a, render_report(*first, kOptions));
}

TEST(ReportCache, NewSnapshotNewReport) {
  ReportCache cache(kOptions);
  auto first = std::make_shared<const Snapshot>(testing::busy_snapshot());
  auto changed = std::make_shared<Snapshot>(*first);
  changed->processes[0].info.paused = true;
  const auto a = cache.get(first);
  const auto b = cache.get(changed);
  EXPECT_NE(a.get(), b.get());
  EXPECT_EQ(*b, render_report(*changed, kOptions));
  EXPECT_NE(*a, *b);
}

TEST(ReportCache, NoSnapshotIsTheEmptyReport) {
  ReportCache cache(kOptions);
  EXPECT_EQ(*cache.get(nullptr), render_report(Snapshot{}, kOptions));
  auto s = std::make_shared<const Snapshot>(testing::busy_snapshot());
  EXPECT_EQ(*cache.get(s), render_report(*s, kOptions));
  EXPECT_EQ(*cache.get(nullptr), render_report(Snapshot{}, kOptions));
}

}  // namespace
}  // namespace hs::scope
