// Both exporters of the running daemon, read by their real consumers: the
// Scope probe's checks and a Prometheus server, while nginx serves real traffic.
#include <gtest/gtest.h>

#include <cstdlib>

#include "daemon_process.h"
#include "helpers/prometheus_server.h"
#include "nginx_server.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

// curl in a loop until stopped: traffic whose rate, not count, matters.
Subprocess steady_load(const std::string& url) {
  return Subprocess(
      {"sh", "-c", "while :; do curl -s -o /dev/null '" + url + "'; sleep 0.05; done"});
}

void requests(const std::string& url, int n, const TempDir& dir) {
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(
        run({"curl", "-s", "-o", "/dev/null", url}, dir.path(), 30s).status.exited_normally());
}

TEST(DaemonExporters, ScopeProbeSeesTheRateAndPausesAndResumesCounting) {
  REQUIRE_ROOT();
  TempDir dir;
  Daemon daemon;
  NginxServer nginx;
  const pid_t worker = nginx.worker_pids().at(0);
  const std::string node = host_name() + ";" + std::to_string(worker);
  Subprocess load = steady_load(nginx.url("/ok"));
  ASSERT_TRUE(wait_until([&] { return daemon.requests_by_status(worker)[200] > 0; }, 10s, 100ms));

  auto probe = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        HS_SCOPE_PROBE_CHECK, "--root", daemon.plugins_root(), "--polls", "2", "--interval", "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, dir.path(), 60s);
  };
  const RunResult seen = probe({"--expect", node + ":http_requests_per_second>0", "--expect",
                                node + ":http_200_responses_per_second>0"});
  EXPECT_TRUE(seen.status.exited_normally()) << seen.out;
  // The checker fails when the report does not hold what it is asked for.
  const RunResult wrong = probe({"--expect", node + ":http_404_responses_per_second>0"});
  EXPECT_EQ(wrong.status.code, 1) << wrong.out;

  const RunResult pause = probe({"--control", node + ":http_pause"});
  ASSERT_TRUE(pause.status.exited_normally()) << pause.out;
  // /metrics shows what the aggregator published (once a second): let the
  // exchanges from before the pause arrive, then nothing more may.
  std::this_thread::sleep_for(1500ms);
  const std::uint64_t at_pause = daemon.requests_by_status(worker)[200];
  std::this_thread::sleep_for(2500ms);  // traffic goes on; the kernel must not count it
  const std::uint64_t after = daemon.requests_by_status(worker)[200];
  EXPECT_EQ(after, at_pause) << "counting went on while paused";

  const RunResult resume = probe({"--control", node + ":http_resume"});
  ASSERT_TRUE(resume.status.exited_normally()) << resume.out;
  EXPECT_TRUE(
      wait_until([&] { return daemon.requests_by_status(worker)[200] > after + 5; }, 10s, 100ms))
      << "counting did not resume";
}

TEST(DaemonExporters, PrometheusScrapesExactCountsAndANonZeroRate) {
  REQUIRE_ROOT();
  TempDir dir;
  Daemon daemon;
  NginxServer nginx;
  const std::string pid = std::to_string(nginx.worker_pids().at(0));

  hs::testing::PrometheusOptions po;
  po.targets = {"127.0.0.1:" + std::to_string(daemon.metrics_port())};
  hs::testing::PrometheusServer prometheus(po);
  ASSERT_TRUE(prometheus.wait_for_targets_up(60s)) << prometheus.log_tail();

  // Known traffic, spread over a few scrapes.
  for (int round = 0; round < 3; ++round) {
    requests(nginx.url("/ok"), 10, dir);
    requests(nginx.url("/missing"), 4, dir);
    requests(nginx.url("/unavailable"), 2, dir);
    std::this_thread::sleep_for(700ms);
  }
  const std::string selector = "{process_pid=\"" + pid + "\"}";
  EXPECT_TRUE(wait_until(
      [&] {
        const auto r =
            prometheus.query("sum(rate(http_server_requests_total" + selector + "[5s]))");
        return !r.empty() && r[0].value > 0;
      },
      15s, 250ms))
      << "rate() stayed at zero";

  std::map<std::string, double> counts;
  const std::map<std::string, double> served = {{"200", 30}, {"404", 12}, {"503", 6}};
  EXPECT_TRUE(wait_until(
      [&] {
        counts.clear();
        for (const auto& s : prometheus.query(
                 "sum by (http_response_status_code) (http_server_requests_total" + selector + ")"))
          counts[s.labels.at("http_response_status_code")] = s.value;
        return counts == served;
      },
      30s, 250ms));
  EXPECT_EQ(counts, served);
  EXPECT_EQ(nginx.access_log_statuses(),
            (std::map<int, std::uint64_t>{{200, 30}, {404, 12}, {503, 6}}));

  // The same exchanges by endpoint, as Prometheus stored them.
  std::map<std::string, double> by_template;
  for (const auto& s :
       prometheus.query("sum by (url_template) (http_server_requests_total" + selector + ")"))
    by_template[s.labels.at("url_template")] = s.value;
  EXPECT_EQ(by_template,
            (std::map<std::string, double>{{"/ok", 30}, {"/missing", 12}, {"/unavailable", 6}}));
}

TEST(DaemonExporters, UrlTemplatesOffGivesSeriesWithoutTheLabel) {
  REQUIRE_ROOT();
  TempDir dir;
  Daemon daemon({"--url-templates", "off"});
  NginxServer nginx;
  const int worker = nginx.worker_pids().at(0);
  requests(nginx.url("/ok?a=1"), 3, dir);
  requests(nginx.url("/missing/42"), 2, dir);
  const std::map<int, std::uint64_t> served = {{200, 3}, {404, 2}};
  EXPECT_TRUE(wait_until([&] { return daemon.requests_by_status(worker) == served; }, 15s, 100ms))
      << daemon.get("/metrics");
  const std::string text = daemon.get("/metrics");
  EXPECT_NE(text.find("process_pid=\"" + std::to_string(worker) + "\""), std::string::npos);
  EXPECT_EQ(text.find("url_template=\""), std::string::npos) << text;
}

}  // namespace
}  // namespace hs::test
