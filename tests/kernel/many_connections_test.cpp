// Many connections at once: wrk with 200 keep-alive connections against one
// nginx worker, and against four workers, asking for a mix of statuses. The
// engine's count per worker and status must equal what that worker logged as
// answered, exactly, and each worker is its own process.
#include <map>
#include <set>
#include <string>

#include "kernel_fixture.h"
#include "nginx_server.h"
#include "wait.h"

namespace hs::test {
namespace {

class ManyConnectionsTest : public KernelTest {
 protected:
  // Runs wrk with a request mix of 200, 404 and 503 (two /ok for each of the
  // others) and waits until nginx logged the last request.
  void run_wrk_mix(const NginxServer& ng, int connections, const char* duration) {
    const std::string script = scratch_.write("mix.lua", R"(
local paths = {"/ok", "/missing", "/ok", "/unavailable"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[i % #paths + 1])
end
)");
    const RunResult r =
        run({"wrk", "--threads", "2", "--connections", std::to_string(connections), "--duration",
             duration, "--timeout", "10s", "--script", script, ng.url("/")},
            scratch_.path(), std::chrono::seconds(120));
    ASSERT_TRUE(r.status.exited_normally()) << r.status.describe() << "\n" << r.err;
    wrk_output_ = r.out;
    // wrk is gone: the log only grows while nginx finishes what it had.
    ASSERT_TRUE(ng.wait_access_log_quiet(std::chrono::seconds(30)));
  }

  // Answered requests by worker, as "GET status" counts. wrk stops with
  // requests in flight: nginx logs those it could not answer (the client had
  // gone) without "OK"; they never left the machine and must not count.
  static std::map<pid_t, Counts> answered_by_worker(const NginxServer& ng) {
    std::map<pid_t, Counts> out;
    for (const auto& e : ng.access_log())
      if (e.completed) ++out[e.pid][e.method + " " + std::to_string(e.status)];
    return out;
  }

  std::string wrk_output_;
};

TEST_F(ManyConnectionsTest, TwoHundredKeepAliveConnectionsCountExactly) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);
  run_wrk_mix(ng, 200, "3s");
  if (HasFatalFailure()) return;

  const auto answered = answered_by_worker(ng);
  ASSERT_EQ(answered.size(), 1u);
  const Counts& want = answered.at(worker);
  ASSERT_GT(want.at("GET 200"), 1000u) << "wrk produced almost no load:\n" << wrk_output_;
  ASSERT_EQ(want.size(), 3u);
  EXPECT_EQ(counts_diff(counts(worker), want), "") << wrk_output_;
}

TEST_F(ManyConnectionsTest, FourWorkersEachCountWhatTheyAnswered) {
  NginxOptions o;
  o.workers = 4;
  // Without it, nginx sometimes let one worker accept all 64 connections.
  o.reuseport = true;
  NginxServer ng(o);
  const auto workers = ng.worker_pids();
  ASSERT_EQ(workers.size(), 4u);
  run_wrk_mix(ng, 64, "3s");
  if (HasFatalFailure()) return;

  const auto answered = answered_by_worker(ng);
  ASSERT_GE(answered.size(), 2u) << "nginx gave every connection to one worker; "
                                    "the test proves nothing about several workers";
  const auto snap = refresh();
  Counts sum_counted, sum_answered;
  std::set<std::uint64_t> start_times;
  for (pid_t w : workers) {
    SCOPED_TRACE("worker " + std::to_string(w));
    const auto it = answered.find(w);
    const Counts want = it == answered.end() ? Counts{} : it->second;
    const Counts got = counts(w);
    EXPECT_EQ(counts_diff(got, want), "");
    for (const auto& [k, v] : got) sum_counted[k] += v;
    for (const auto& [k, v] : want) sum_answered[k] += v;
    // A worker with traffic is a process of its own in the snapshot.
    if (!want.empty()) {
      const ProcessSnapshot* p = find_process(*snap, w);
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(p->info.comm, "nginx");
      EXPECT_FALSE(p->info.exited);
      start_times.insert(p->info.start_ns);
    }
  }
  EXPECT_EQ(counts_diff(sum_counted, sum_answered), "");
  EXPECT_EQ(counts(ng.master_pid()), Counts{});
  EXPECT_EQ(start_times.size(), answered.size());
}

}  // namespace
}  // namespace hs::test
