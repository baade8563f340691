// Pausing a process stops counting it in the kernel; resuming starts again.
#include <algorithm>

#include "http_client.h"
#include "kernel_fixture.h"
#include "split_server.h"
#include "wait.h"

namespace hs::test {
namespace {

class PauseTest : public KernelTest {};

TEST_F(PauseTest, PausedProcessIsNotCountedUntilResumed) {
  SplitServer s;
  HttpClient c(s.port());
  auto exchange = [&c](const std::string& target) {
    c.send(make_request("GET", target));
    c.read_response();
  };
  exchange("/");
  exchange("/status/404");
  ASSERT_EQ(counts(s.pid()), (Counts{{"GET 200", 1}, {"GET 404", 1}}));

  ASSERT_TRUE(aggregator().set_paused(s.pid(), true));
  const ProcessSnapshot* p = find_process(*aggregator().snapshot(), s.pid());
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->info.paused);
  for (int i = 0; i < 3; ++i) exchange("/");
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 1}, {"GET 404", 1}}));

  ASSERT_TRUE(aggregator().set_paused(s.pid(), false));
  exchange("/");
  // Pairing stayed in step while paused: the next response is still a GET.
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 2}, {"GET 404", 1}}));
}

// The window keeps moving through a pause longer than itself: one sample per
// refresh, read while paused, counting nothing. (The daemon's Scope test
// does the same at the real interval of 1 s, for 15 s and more.)
TEST_F(PauseTest, PausedProcessGetsAZeroSampleEveryIntervalForTheWholePause) {
  SplitServer s;
  BpfEngine engine;
  AggregatorOptions o;
  o.interval = std::chrono::milliseconds(100);
  o.recent_samples = 15;
  Aggregator agg(engine, o);
  HttpClient c(s.port());
  auto exchange = [&c] {
    c.send(make_request("GET", "/status/404"));
    c.read_response();
  };
  exchange();
  agg.start();
  ASSERT_TRUE(wait_until(
      [&] {
        const ProcessSnapshot* p = find_process(*agg.snapshot(), s.pid());
        return p && !p->recent.empty();
      },
      std::chrono::seconds(10)));
  ASSERT_TRUE(agg.set_paused(s.pid(), true));
  const Clock::time_point paused_at = agg.snapshot()->taken_at;

  // Traffic goes on; the window fills with paused zeros and moves on.
  Clock::time_point full_window_ends{};
  int moves = 0;
  std::size_t looks = 0;
  const bool went_on = wait_until(
      [&] {
        exchange();
        ++looks;
        const auto snap = agg.snapshot();
        const ProcessSnapshot* p = find_process(*snap, s.pid());
        if (p == nullptr) return false;
        const auto& recent = p->recent;
        const auto after = std::find_if(recent.begin(), recent.end(),
                                        [&](const RateSample& r) { return r.at > paused_at; });
        for (auto it = after; it != recent.end(); ++it) {
          EXPECT_TRUE(it->paused);
          // The first one read after the pause may hold exchanges from before it.
          if (it != after) {
            EXPECT_EQ(it->requests_per_second, 0) << "counted while paused";
          }
        }
        const bool whole = recent.size() == o.recent_samples && recent.front().at > paused_at &&
                           std::all_of(recent.begin(), recent.end(), [](const RateSample& r) {
                             return r.paused && r.requests_per_second == 0;
                           });
        if (!whole) return false;
        if (recent.back().at > full_window_ends) {
          if (full_window_ends != Clock::time_point{}) ++moves;
          full_window_ends = recent.back().at;
        }
        return moves >= 3;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(20));
  EXPECT_TRUE(went_on) << "the window stopped moving in the pause (" << looks << " looks)";
  agg.stop();
  // Nothing of the traffic during the pause was counted.
  const ProcessSnapshot* p = find_process(*agg.refresh(), s.pid());
  ASSERT_NE(p, nullptr);
  std::uint64_t total = 0;
  for (const auto& [key, stats] : p->series) total += stats.count;
  EXPECT_EQ(total, 1u);
}

TEST_F(PauseTest, UnknownProcessCannotBePaused) {
  SplitServer s;  // never accepted a connection: not tracked
  EXPECT_FALSE(aggregator().set_paused(s.pid(), true));
}

}  // namespace
}  // namespace hs::test
