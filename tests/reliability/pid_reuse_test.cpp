// A process is (pid, start time): a server that gets the pid of one that
// exited starts from zero and never inherits the old counts, whether or not
// the aggregator saw the old one exit before the new one started. The pid is
// reused on purpose with clone3's set_tid.
#include <cerrno>
#include <chrono>
#include <memory>
#include <system_error>
#include <thread>

#include "http_client.h"
#include "reliability_fixture.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

class PidReuseTest : public ReliabilityTest {
 protected:
  // A server in the engine's cgroup with the pid of `old`, which has exited.
  // nullptr when another process took that pid first (then the test retries).
  std::unique_ptr<ForkedServer> reuse_pid_of(const ForkedServer& old) {
    // /proc shows start times in clock ticks (10 ms): the two processes must
    // start in different ticks for anything reading /proc to tell them apart,
    // and a real pid reuse never comes sooner than that.
    std::this_thread::sleep_for(20ms);
    ForkedServerOptions o = in_cgroup();
    o.pid = old.pid();
    try {
      return std::make_unique<ForkedServer>(o);
    } catch (const std::system_error& e) {
      if (e.code().value() == EEXIST) return nullptr;
      throw;
    }
  }

  // Serves `n` requests for `status` on one connection, then lets the server exit.
  static void serve(ForkedServer& s, int status, int n) {
    {
      HttpClient c(s.port());
      for (int i = 0; i < n; ++i) {
        c.send(make_request("GET", "/status/" + std::to_string(status)));
        ASSERT_EQ(c.read_response().status, status);
      }
    }
    ASSERT_TRUE(s.wait_exit(10s));
  }

  // Old server: 3 x 200, exits; new server with its pid: 2 x 404, exits.
  // refresh_between: the aggregator sees the old exit before the new start.
  void run(bool refresh_between) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto old_server = std::make_unique<ForkedServer>(in_cgroup());
      serve(*old_server, 200, 3);
      if (HasFatalFailure()) return;
      if (refresh_between) {
        const auto snap = aggregator().refresh();
        const ProcessSnapshot* p = find_server(*snap, *old_server);
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(p->info.exited);
      }
      auto new_server = reuse_pid_of(*old_server);
      if (!new_server) continue;
      ASSERT_EQ(new_server->pid(), old_server->pid());
      ASSERT_NE(new_server->start_ticks(), old_server->start_ticks())
          << "both started in the same clock tick: the test cannot tell them apart";
      // While the new one is alive: two processes with one pid, apart.
      {
        HttpClient c(new_server->port());
        for (int i = 0; i < 2; ++i) {
          c.send(make_request("GET", "/status/404"));
          ASSERT_EQ(c.read_response().status, 404);
        }
        const auto snap = aggregator().refresh();
        const ProcessSnapshot* was = find_server(*snap, *old_server);
        const ProcessSnapshot* is = find_server(*snap, *new_server);
        ASSERT_NE(was, nullptr);
        ASSERT_NE(is, nullptr);
        EXPECT_TRUE(was->info.exited);
        EXPECT_FALSE(is->info.exited);
        EXPECT_EQ(counts_diff(counts_of(*was), {{"GET 200", 3}}), "");
        EXPECT_EQ(counts_diff(counts_of(*is), {{"GET 404", 2}}), "");
        // In the kernel only the living one has a process entry, and after
        // the next refresh (the old one's series leave the kernel once a read
        // found them unchanged) only the living one has series.
        aggregator().refresh();
        for (const auto& k : maps().procs()) {
          if (k.tgid == static_cast<std::uint32_t>(new_server->pid())) {
            EXPECT_TRUE(new_server->is_start_ns(k.start_ns));
          }
        }
        for (const auto& k : maps().stats_owners())
          EXPECT_TRUE(new_server->is_start_ns(k.start_ns))
              << "series of pid " << k.tgid << " started at " << k.start_ns
              << " ns; the new server " << new_server->pid() << " started at tick "
              << new_server->start_ticks() << ", the old one at tick " << old_server->start_ticks();
      }
      ASSERT_TRUE(new_server->wait_exit(10s));
      aggregator().refresh();  // sees the exit: the grace starts

      // After the grace both are forgotten, each having reported its own.
      std::this_thread::sleep_for(exit_grace() + 500ms);
      const auto snap = aggregator().refresh();
      EXPECT_EQ(find_server(*snap, *old_server), nullptr);
      EXPECT_EQ(find_server(*snap, *new_server), nullptr);
      EXPECT_EQ(maps().stats_owners().size(), 0u);
      return;
    }
    FAIL() << "five times another process took the freed pid first";
  }
};

TEST_F(PidReuseTest, ReusedPidStartsFromZeroAfterTheOldExitWasSeen) { run(true); }

TEST_F(PidReuseTest, ReusedPidStartsFromZeroWhenBothAreSeenInOneRefresh) { run(false); }

TEST_F(PidReuseTest, ReusedPidWhileTheOldProcessIsStillInItsGracePeriod) {
  // The new process appears, counts, and exits; the old one's grace runs out
  // first: forgetting it must not take the new one's counts along.
  auto old_server = std::make_unique<ForkedServer>(in_cgroup());
  serve(*old_server, 201, 2);
  aggregator().refresh();  // sees the exit: the grace starts
  const auto half_grace = std::chrono::duration_cast<std::chrono::milliseconds>(exit_grace()) / 2;
  std::this_thread::sleep_for(half_grace);
  std::unique_ptr<ForkedServer> new_server;
  for (int attempt = 0; attempt < 5 && !new_server; ++attempt)
    new_server = reuse_pid_of(*old_server);
  ASSERT_NE(new_server, nullptr) << "another process took the freed pid first";
  HttpClient c(new_server->port());
  c.send(make_request("GET", "/status/202"));
  ASSERT_EQ(c.read_response().status, 202);
  std::this_thread::sleep_for(half_grace + 500ms);  // the old grace is over
  const auto snap = aggregator().refresh();
  EXPECT_EQ(find_server(*snap, *old_server), nullptr);
  const ProcessSnapshot* is = find_server(*snap, *new_server);
  ASSERT_NE(is, nullptr);
  EXPECT_FALSE(is->info.exited);
  EXPECT_EQ(counts_diff(counts_of(*is), {{"GET 202", 1}}), "");
}

// A pause belongs to (tgid, start time): the kernel compares the start time it
// holds for the paused pid with the connection owner's, so a process that gets
// the pid of a paused one before the aggregator learns of the exit (it refreshes
// once a second) is counted from its first exchange.
TEST_F(PidReuseTest, PauseOfAnExitedProcessDoesNotApplyToTheNextOneWithItsPid) {
  auto old_server = std::make_unique<ForkedServer>(in_cgroup());
  {
    HttpClient c(old_server->port());
    c.send(make_request("GET", "/status/200"));
    ASSERT_EQ(c.read_response().status, 200);
    aggregator().refresh();
    ASSERT_TRUE(aggregator().set_paused(old_server->pid(), true));
    c.send(make_request("GET", "/status/200"));  // paused: not counted
    ASSERT_EQ(c.read_response().status, 200);
  }
  ASSERT_TRUE(old_server->wait_exit(10s));
  // No refresh between the exit and the new process: the daemon refreshes
  // once a second, a pid can come back sooner.
  std::unique_ptr<ForkedServer> new_server;
  for (int attempt = 0; attempt < 5 && !new_server; ++attempt)
    new_server = reuse_pid_of(*old_server);
  ASSERT_NE(new_server, nullptr) << "another process took the freed pid first";
  {
    HttpClient c(new_server->port());
    for (int i = 0; i < 2; ++i) {
      c.send(make_request("GET", "/status/404"));
      ASSERT_EQ(c.read_response().status, 404);
    }
  }
  const auto snap = aggregator().refresh();
  const ProcessSnapshot* was = find_server(*snap, *old_server);
  ASSERT_NE(was, nullptr);
  EXPECT_EQ(counts_diff(counts_of(*was), {{"GET 200", 1}}), "");
  const ProcessSnapshot* is = find_server(*snap, *new_server);
  ASSERT_NE(is, nullptr) << "the new process was not counted at all; paused drops: "
                         << drops("paused");
  EXPECT_FALSE(is->info.paused);
  EXPECT_EQ(counts_diff(counts_of(*is), {{"GET 404", 2}}), "")
      << "paused drops: " << drops("paused");
}

}  // namespace
}  // namespace hs::test
