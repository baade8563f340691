// Load: wrk against nginx. The engine's count for each worker must equal the
// number of requests nginx logged as answered, exactly.
#include <unistd.h>

#include <thread>

#include "kernel_fixture.h"
#include "nginx_server.h"
#include "wait.h"

namespace hs::test {
namespace {

class WrkTest : public KernelTest {};

TEST_F(WrkTest, CountEqualsAccessLogUnderLoad) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);

  const RunResult r = run({"wrk", "--threads", "2", "--connections", "10", "--duration", "2s",
                           "--timeout", "5s", ng.url("/ok")},
                          scratch_.path(), std::chrono::seconds(60));
  ASSERT_TRUE(r.status.exited_normally()) << r.status.describe() << "\n" << r.err;

  // wrk is gone, so no new requests arrive; wait until nginx logged the last.
  ASSERT_TRUE(ng.wait_access_log_quiet(std::chrono::seconds(20)));

  std::uint64_t completed = 0, incomplete = 0;
  for (const auto& e : ng.access_log()) {
    EXPECT_EQ(e.status, 200);
    EXPECT_EQ(e.pid, worker);
    // wrk stops with requests in flight: one that nginx read but could not
    // answer (the client had closed) is logged without "OK" and never left
    // the machine, so the engine rightly did not count it.
    (e.completed ? completed : incomplete)++;
  }
  ASSERT_GT(completed, 1000u) << "wrk produced almost no load:\n" << r.out;
  EXPECT_EQ(counts(worker), (Counts{{"GET 200", completed}}))
      << incomplete << " logged requests were not completed\nwrk: " << r.out;
  EXPECT_EQ(find_process(*refresh(), r.pid), nullptr);
  EXPECT_EQ(counts(ng.master_pid()), Counts{});
}

}  // namespace
}  // namespace hs::test
