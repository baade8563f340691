// Connections that outlive the process that accepted them: the acceptor owns
// their counts, has exited, and its answers keep coming from a forked child
// while the aggregator refreshes again and again. Each refresh reads the
// exited process's series from the kernel and moves them into userspace; not
// one exchange may be lost or counted twice on the way.
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "http_client.h"
#include "reliability_fixture.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

// The load runs as long as the exit grace (3 s): the acceptor must not be
// forgotten while its counts still grow.
class HandOffTest : public ReliabilityTest {};

TEST_F(HandOffTest, BusyConnectionOfAnExitedAcceptorCountsExactlyAcrossRefreshes) {
  ForkedServerOptions o = in_cgroup();
  o.hand_off = true;
  ForkedServer acceptor(o);
  HttpClient c(acceptor.port());
  ASSERT_TRUE(acceptor.wait_exit(10s));  // it accepted, handed over and left
  aggregator().refresh();

  // Refreshes as often as they come, while the connection is busy.
  std::atomic<bool> done{false};
  int refreshes = 0;
  std::thread refresher([&] {
    while (!done) {
      aggregator().refresh();
      ++refreshes;
      std::this_thread::sleep_for(20ms);
    }
  });
  std::uint64_t answered[2] = {0, 0};
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    c.send(make_request("GET", "/status/200") + make_request("GET", "/status/404") +
           make_request("GET", "/status/200") + make_request("GET", "/status/200"));
    for (int i = 0; i < 4; ++i) {
      const int status = c.read_response().status;
      ++answered[status == 200 ? 0 : 1];
    }
  }
  done = true;
  refresher.join();
  c.close();

  const auto snap = aggregator().refresh();
  const ProcessSnapshot* p = find_server(*snap, acceptor);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->info.exited);
  EXPECT_EQ(counts_diff(counts_of(*p), {{"GET 200", answered[0]}, {"GET 404", answered[1]}}), "")
      << "over " << refreshes << " refreshes";
}

// What the aggregator folds when it moves a quiet series out of the kernel is
// what the series held at that moment, not at the read before: exchanges
// counted in between are folded too, not deleted with the entry.
TEST_F(HandOffTest, TakingASeriesReturnsWhatItHeldWhenDeleted) {
  ForkedServer server(in_cgroup());
  HttpClient c(server.port());
  const auto exchange = [&c](int n) {
    for (int i = 0; i < n; ++i) {
      c.send(make_request("GET", "/status/200"));
      ASSERT_EQ(c.read_response().status, 200);
    }
  };
  const auto find = [&](const std::vector<BpfEngine::StatsEntry>& entries)
      -> std::optional<BpfEngine::StatsEntry> {
    for (const auto& e : entries)
      if (e.key.pid == static_cast<std::uint32_t>(server.pid()) &&
          server.is_start_ns(e.key.start_ns) && e.key.method == Method::Get && e.key.status == 200)
        return e;
    return std::nullopt;
  };

  exchange(3);
  const auto read = find(engine().read_stats());
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->stats.count, 3u);
  exchange(2);  // counted after that read

  const auto taken = find(engine().take_stats({read->key}));
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->stats.count, 5u);
  EXPECT_EQ(taken->stats.latency_count, 5u);
  EXPECT_FALSE(find(engine().read_stats()).has_value()) << "taken means deleted";
  EXPECT_TRUE(engine().take_stats({read->key}).empty()) << "nothing left to take";

  exchange(1);  // a later exchange starts the series again
  const auto again = find(engine().read_stats());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->stats.count, 1u);
}

}  // namespace
}  // namespace hs::test
