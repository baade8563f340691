// The first samples of a freshly started engine and aggregator (what a
// daemon restart gives): every series the kernel holds, each at its rate
// over the time since counting began, so rate x interval gives back the
// counts exactly.
#include <map>

#include "http_client.h"
#include "kernel_fixture.h"
#include "split_server.h"
#include "wait.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

class FirstSampleTest : public KernelTest {};

// `n` responses of each code, each code on a connection of its own.
void serve(const SplitServer& s, const std::map<int, int>& responses) {
  for (const auto& [code, n] : responses) {
    HttpClient c(s.port());
    for (int i = 0; i < n; ++i) {
      c.send(make_request("GET", "/status/" + std::to_string(code)));
      c.read_response();
    }
  }
}

// The responses each sample stands for (rate x the seconds it covers), by
// code, summed over the samples. The first covers the time since counting
// began.
std::map<int, double> counted(const std::vector<RateSample>& recent, Clock::time_point since) {
  std::map<int, double> out;
  for (const RateSample& s : recent) {
    const double seconds = std::chrono::duration<double>(s.at - since).count();
    for (const auto& [code, rate] : s.responses_per_second) out[code] += rate * seconds;
    since = s.at;
  }
  return out;
}

void expect_counts(const std::map<int, double>& got, const std::map<int, int>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [code, n] : want) {
    ASSERT_TRUE(got.count(code)) << code;
    EXPECT_NEAR(got.at(code), n, 1e-6) << code;
  }
}

TEST_F(FirstSampleTest, FirstReadHoldsEverySeriesAtItsRateSinceCountingBegan) {
  SplitServer s;
  BpfEngine engine;  // a daemon that starts now: counts only what follows
  Aggregator aggregator(engine, AggregatorOptions{});
  const std::map<int, int> served = {{200, 5}, {404, 3}, {503, 2}};
  serve(s, served);

  const auto snap = aggregator.refresh();
  const ProcessSnapshot* p = find_process(*snap, s.pid());
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->recent.size(), 1u);
  expect_counts(counted(p->recent, engine.counting_since()), served);
  const double seconds =
      std::chrono::duration<double>(p->recent[0].at - engine.counting_since()).count();
  EXPECT_NEAR(p->recent[0].requests_per_second * seconds, 10, 1e-6);
}

TEST_F(FirstSampleTest, RefreshThreadsFirstSampleSpansAWholeInterval) {
  SplitServer s;
  BpfEngine engine;
  AggregatorOptions o;
  o.interval = 300ms;
  Aggregator aggregator(engine, o);
  const std::map<int, int> served = {{200, 4}, {404, 2}, {503, 1}};
  serve(s, served);  // before the first refresh, however soon it comes

  aggregator.start();
  std::shared_ptr<const Snapshot> snap;
  ASSERT_TRUE(wait_until(
      [&] {
        snap = aggregator.snapshot();
        const ProcessSnapshot* p = find_process(*snap, s.pid());
        return p != nullptr && !p->recent.empty();
      },
      10s, 20ms));
  aggregator.stop();
  const std::vector<RateSample>& recent = find_process(*snap, s.pid())->recent;
  // Not a sliver of a second right after the start, holding a few codes.
  EXPECT_GE(recent.front().at, engine.counting_since() + o.interval);
  expect_counts(counted(recent, engine.counting_since()), served);
}

}  // namespace
}  // namespace hs::test
