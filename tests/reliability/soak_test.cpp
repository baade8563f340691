// Soak: the real daemon under mixed load for a while, sampled as it runs.
//
// Load: nginx (two workers) under wrk (keep-alive, 200/404/503), plus short
// connections, pipelined batches, python's http.server (a connection per
// request), split_server.py (chunked and split responses, pipelined) and a
// short-lived server started every second (process churn). Every second the
// daemon's RSS is sampled, every few seconds /metrics and /report are read.
// At the end, the counts per status of every long-lived server equal its own
// log exactly, and RSS after warm-up stays flat.
//
// HS_SOAK_SECONDS sets the load duration (default 45). For a long run by hand:
//   HS_SOAK_SECONDS=900 build/soak_test
// (as root; the ctest timeout only covers the default.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "cgroup.h"
#include "cgroup_dir.h"
#include "cgroup_membership.h"
#include "forked_server.h"
#include "http_client.h"
#include "metrics_text.h"
#include "nginx_server.h"
#include "python_http_server.h"
#include "reliability_fixture.h"
#include "soak_daemon.h"
#include "split_server.h"
#include "wait.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;
using StatusCounts = std::map<int, std::uint64_t>;

int soak_seconds() {
  const char* v = std::getenv("HS_SOAK_SECONDS");
  return v && std::atoi(v) > 0 ? std::atoi(v) : 45;
}

// Load threads: each runs its loop until stop is set; failures are collected.
class LoadThreads {
 public:
  ~LoadThreads() { stop(); }
  void add(const std::string& name, std::function<void()> step) {
    threads_.emplace_back([this, name, step = std::move(step)] {
      while (!stopping_) {
        try {
          step();
        } catch (const std::exception& e) {
          std::lock_guard lock(mu_);
          errors_.push_back(name + ": " + e.what());
          return;
        }
      }
    });
  }
  void stop() {
    stopping_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  std::vector<std::string> errors() const {
    std::lock_guard lock(mu_);
    return errors_;
  }

 private:
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::vector<std::string> errors_;
};

void expect_status(const HttpResponse& r, int want) {
  if (r.status != want)
    throw std::runtime_error("status " + std::to_string(r.status) + ", want " +
                             std::to_string(want));
}

// Statuses in split_server's "served METHOD TARGET STATUS by PID" lines.
StatusCounts served_statuses(const SplitServer& s) {
  StatusCounts out;
  for (const auto& line : s.served()) {
    std::istringstream in(line);
    std::string word, method, target;
    int status = 0;
    if (in >> word >> method >> target >> status) ++out[status];
  }
  return out;
}

// nginx requests a worker answered completely, by status. wrk stops with
// requests in flight: those nginx could not answer are logged without "OK",
// never left the machine and are not counted.
StatusCounts answered(const NginxServer& ng, pid_t worker) {
  StatusCounts out;
  for (const auto& e : ng.access_log())
    if (e.pid == worker && e.completed) ++out[e.status];
  return out;
}

TEST(SoakTest, DaemonUnderMixedLoadCountsExactlyAndItsMemoryStaysFlat) {
  if (geteuid() != 0) {
    if (running_in_ci()) FAIL() << "the soak test must run as root in CI (CI is set)";
    GTEST_SKIP() << "the soak test runs the daemon and needs root";
  }
  const int seconds = soak_seconds();
  // The test and everything it starts run in a cgroup of their own, and the
  // daemon counts only that cgroup: its memory then depends on this load,
  // not on what other tests on the machine happen to run meanwhile.
  const std::string root = find_cgroup2_mount();
  ASSERT_FALSE(root.empty());
  CgroupDir cgroup(root);
  std::optional<CgroupMembership> inside(std::in_place, cgroup.path());

  std::optional<SoakDaemon> daemon(
      std::in_place, std::vector<std::string>{"--cgroup", cgroup.path(), "--exit-grace", "5"});
  NginxOptions no;
  no.workers = 2;
  std::optional<NginxServer> nginx(std::in_place, no);
  std::optional<PythonHttpServer> python(std::in_place);
  std::optional<SplitServer> split(std::in_place);
  TempDir scratch("hs-soak-load-");

  // wrk: keep-alive connections for the whole run, paced by a delay per
  // request so the machine stays usable for everyone else.
  const std::string script = scratch.write("mix.lua", R"(
local paths = {"/ok", "/missing", "/ok", "/unavailable"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[i % #paths + 1])
end
delay = function() return 2 end
)");
  SubprocessOptions wo;
  wo.stdout_path = scratch.file("wrk.out");
  wo.stderr_path = scratch.file("wrk.err");
  std::optional<Subprocess> wrk(
      std::in_place,
      std::vector<std::string>{"wrk", "--threads", "1", "--connections", "4", "--duration",
                               std::to_string(seconds) + "s", "--timeout", "10s", "--script",
                               script, nginx->url("/")},
      wo);

  LoadThreads load;
  const std::uint16_t ng_port = nginx->port();
  load.add("short connections", [&, i = 0]() mutable {
    static const char* paths[] = {"/ok", "/missing", "/unavailable", "/file"};
    static const int statuses[] = {200, 404, 503, 200};
    HttpClient c(ng_port);
    c.send(make_request("GET", paths[i % 4]));
    expect_status(c.read_response(), statuses[i % 4]);
    ++i;
    std::this_thread::sleep_for(10ms);
  });
  load.add("pipelined", [&] {
    HttpClient c(ng_port);
    for (int batch = 0; batch < 50; ++batch) {
      c.send(make_request("GET", "/ok") + make_request("GET", "/missing") +
             make_request("HEAD", "/file") + make_request("GET", "/unavailable") +
             make_request("GET", "/created") + make_request("GET", "/ok"));
      expect_status(c.read_response(), 200);
      expect_status(c.read_response(), 404);
      expect_status(c.read_response(/*head=*/true), 200);
      expect_status(c.read_response(), 503);
      expect_status(c.read_response(), 201);
      expect_status(c.read_response(), 200);
      std::this_thread::sleep_for(20ms);
    }
  });
  const std::uint16_t py_port = python->port();
  load.add("python http.server", [&, i = 0]() mutable {
    HttpClient c(py_port);
    c.send(make_request("GET", i++ % 3 ? PythonHttpServer::kFile : "/none.txt"));
    c.read_response();
    std::this_thread::sleep_for(40ms);
  });
  const std::uint16_t split_port = split->port();
  load.add("split_server", [&] {
    HttpClient c(split_port);
    for (int round = 0; round < 20; ++round) {
      c.send(make_request("GET", "/status/200?split=3") +
             make_request("GET", "/status/404?chunked=1") +
             make_request("POST", "/status/201", {}, "body") +
             make_request("GET", "/status/503?chunked=1&split=5"));
      expect_status(c.read_response(), 200);
      expect_status(c.read_response(), 404);
      expect_status(c.read_response(), 201);
      expect_status(c.read_response(), 503);
      std::this_thread::sleep_for(50ms);
    }
  });
  load.add("short-lived servers", [&] {
    ForkedServer s;  // in this process's cgroup, like everything started here
    {
      HttpClient c(s.port());
      c.send(make_request("GET", "/status/200") + make_request("GET", "/status/404"));
      c.read_responses(2);
    }
    if (!s.wait_exit(10s)) throw std::runtime_error("a short-lived server did not exit");
    std::this_thread::sleep_for(1s);
  });

  // Sampling, while the load runs.
  std::vector<std::uint64_t> rss;
  int scrapes = 0, reports = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int s = 1; s <= seconds; ++s) {
    std::this_thread::sleep_until(start + std::chrono::seconds(s));
    ASSERT_TRUE(daemon->running()) << daemon->log();
    rss.push_back(daemon->rss_kib());
    if (s % 5 == 0) {
      const std::string m = daemon->metrics();
      ASSERT_NE(m.find("http_server_requests_total{"), std::string::npos);
      ++scrapes;
    }
    if (s % 5 == 2) {
      const std::string r = daemon->report();
      ASSERT_EQ(r.rfind("{", 0), 0u) << r.substr(0, 200);
      ++reports;
    }
  }
  load.stop();
  ASSERT_TRUE(wrk->wait(60s).has_value()) << "wrk did not finish";
  EXPECT_EQ(load.errors(), std::vector<std::string>{});

  // Everything the servers answered, by their own logs...
  ASSERT_TRUE(nginx->wait_access_log_quiet(30s));
  std::map<pid_t, StatusCounts> want;
  for (pid_t w : nginx->worker_pids()) want[w] = answered(*nginx, w);
  want[python->pid()] = python->logged_statuses();
  ASSERT_TRUE(split->wait_served(split->served().size()));
  want[split->pid()] = served_statuses(*split);
  std::uint64_t total = 0;
  for (const auto& [pid, by_status] : want)
    for (const auto& [status, n] : by_status) total += n;
  ASSERT_GT(total, 10000u) << "the load did not run";

  // ...equals what the daemon exports, once it published its last refresh.
  std::string text;
  auto all_equal = [&] {
    text = daemon->metrics();
    for (const auto& [pid, by_status] : want)
      if (requests_by_status(text, pid) != by_status) return false;
    return true;
  };
  wait_until(all_equal, 15s, 500ms);
  for (const auto& [pid, by_status] : want)
    EXPECT_EQ(requests_by_status(text, pid), by_status) << "pid " << pid;
  EXPECT_EQ(sample_value(text, "http_statistics_dropped_total", "cause=\"stats_full\""), "0");
  EXPECT_EQ(sample_value(text, "http_statistics_dropped_total", "cause=\"events_full\""), "0");

  // RSS after warm-up: the last quarter's peak within 2 MiB of the first's.
  // Warm-up is the first third of the run (at least 10 s): in 300 s runs the
  // RSS rose by about 2 MiB over the first 40 s (allocator arenas of the
  // serving threads, the per-process sample windows filling up), then stayed
  // within a few hundred KiB.
  const std::size_t warm_up = std::max<std::size_t>(10, rss.size() / 3);
  ASSERT_GE(rss.size(), warm_up + 8) << "too short a run to judge memory";
  const std::vector<std::uint64_t> steady(rss.begin() + static_cast<long>(warm_up), rss.end());
  const std::size_t quarter = steady.size() / 4;
  const std::uint64_t first_max = *std::max_element(steady.begin(), steady.begin() + quarter);
  const std::uint64_t last_max = *std::max_element(steady.end() - quarter, steady.end());
  const auto [min_it, max_it] = std::minmax_element(rss.begin(), rss.end());
  std::cout << "soak: " << seconds << " s, " << total << " exchanges, " << scrapes << " scrapes, "
            << reports << " reports; RSS KiB: warm-up end " << rss[warm_up - 1]
            << ", first-quarter max " << first_max << ", last-quarter max " << last_max << ", min "
            << *min_it << ", max " << *max_it << "\n";
  std::ostringstream series;
  for (std::uint64_t kib : rss) series << kib << " ";
  EXPECT_LE(last_max, first_max + 2048)
      << "the daemon's memory grows under steady load; RSS KiB each second: " << series.str();

  // Stop everything before leaving the cgroup, so it can be removed.
  EXPECT_TRUE(daemon->stop().exited_normally()) << daemon->log();
  split.reset();
  python.reset();
  nginx.reset();
  inside.reset();
}

}  // namespace
}  // namespace hs::test
