// End to end: a real Prometheus server scrapes the exporter, and what it
// stored is read back through its HTTP API.
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <stop_token>
#include <thread>

#include "helpers/prometheus_server.h"
#include "metrics_exporter.h"
#include "snapshot_builder.h"
#include "wait.h"

#ifndef HS_PROMETHEUS
#define HS_PROMETHEUS ""
#endif

namespace hs::prom {
namespace {

using namespace std::chrono_literals;
using hs::test::wait_until;
using hs::testing::Labels;
using hs::testing::PrometheusServer;

constexpr std::uint32_t kPid = 4242;
constexpr const char* kContainer = "5d41402abc4b2a76b9719d911017c592";

// Traffic of one server process that grows once a second until frozen:
// at tick k, GET 200 = 100 + 10k (all under 5 ms), GET 404 = 5 + k and
// POST 500 = 2 + 2k (no latency measured).
class GrowingTraffic {
 public:
  GrowingTraffic() {
    publish(0);
    thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
  }

  std::shared_ptr<const Snapshot> snapshot() const {
    std::lock_guard lock(mu_);
    return current_;
  }

  // Stops the growth; the tick of the last published snapshot.
  int freeze() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    return tick_;
  }

  static std::map<std::string, double> counts_at(int k) {
    return {{"200", 100.0 + 10 * k}, {"404", 5.0 + k}, {"500", 2.0 + 2 * k}};
  }

 private:
  void run(const std::stop_token& stop) {
    std::mutex m;
    std::condition_variable_any cv;
    for (;;) {
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, 1s, [] { return false; });
      if (stop.stop_requested()) return;
      publish(tick_ + 1);
    }
  }

  void publish(int k) {
    const auto c = counts_at(k);
    auto s = std::make_shared<Snapshot>();
    auto p = hs::testing::process(kPid, "e2e-server", kContainer);
    const auto ok = static_cast<std::uint64_t>(c.at("200"));
    p.series[{Method::Get, 200}] = hs::testing::series_stats(ok, {ok}, ok * 2'000'000);
    p.series[{Method::Get, 404}] =
        hs::testing::series_stats(static_cast<std::uint64_t>(c.at("404")));
    p.series[{Method::Post, 500}] =
        hs::testing::series_stats(static_cast<std::uint64_t>(c.at("500")));
    s->processes.push_back(std::move(p));
    s->health.processes_tracked = 1;
    std::lock_guard lock(mu_);
    current_ = std::move(s);
    tick_ = k;
  }

  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
  int tick_ = 0;
  std::jthread thread_;
};

std::string describe(const std::map<std::string, double>& m) {
  std::ostringstream out;
  for (const auto& [k, v] : m) out << k << "=" << v << " ";
  return out.str();
}

double single_value(const PrometheusServer& prom, const std::string& expr) {
  const auto r = prom.query(expr);
  if (r.size() != 1) throw std::runtime_error(expr + ": " + std::to_string(r.size()) + " results");
  return r[0].value;
}

TEST(PrometheusEndToEnd, ScrapedCountsAndRatesArriveIntact) {
  if (std::string(HS_PROMETHEUS).empty())
    GTEST_SKIP() << "prometheus not found at configure time (Debian package: prometheus)";

  GrowingTraffic traffic;
  ExporterOptions o;
  o.address = "127.0.0.1:0";
  o.version = "e2e";
  Exporter exporter(o, [&traffic] { return traffic.snapshot(); });
  exporter.start();
  const std::string target = "127.0.0.1:" + std::to_string(exporter.port());

  hs::testing::PrometheusOptions po;
  po.binary = HS_PROMETHEUS;
  po.targets = {target};
  PrometheusServer prom(po);
  ASSERT_TRUE(prom.wait_for_targets_up(30s)) << prom.log_tail();

  // While the counts grow, the rate over the last 5 s is positive.
  double rate = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        const auto r =
            prom.query("rate(http_server_requests_total{http_response_status_code=\"200\"}[5s])");
        rate = r.size() == 1 ? r[0].value : 0;
        return rate > 0;
      },
      20s, 250ms))
      << "rate stayed " << rate << "\n"
      << prom.log_tail();

  // Frozen, the next scrape must bring the exact counts of every status code.
  const auto expected = GrowingTraffic::counts_at(traffic.freeze());
  std::map<std::string, double> seen;
  EXPECT_TRUE(wait_until(
      [&] {
        seen.clear();
        for (const auto& s : prom.query("http_server_requests_total"))
          seen[s.labels.at("http_response_status_code")] = s.value;
        return seen == expected;
      },
      15s, 250ms))
      << "expected " << describe(expected) << "got " << describe(seen);

  const auto r = prom.query("http_server_requests_total{http_response_status_code=\"404\"}");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].labels, (Labels{{"__name__", "http_server_requests_total"},
                                 {"job", po.job},
                                 {"instance", target},
                                 {"http_request_method", "GET"},
                                 {"http_response_status_code", "404"},
                                 {"url_scheme", "http"},
                                 {"process_pid", std::to_string(kPid)},
                                 {"process_executable_name", "e2e-server"},
                                 {"container_id", kContainer}}));

  const double ok = expected.at("200");
  EXPECT_EQ(
      single_value(prom,
                   "http_server_request_duration_seconds_count{http_response_status_code=\"200\"}"),
      ok);
  EXPECT_EQ(single_value(prom,
                         "http_server_request_duration_seconds_bucket{http_response_status_code="
                         "\"200\",le=\"0.005\"}"),
            ok);
  EXPECT_NEAR(
      single_value(prom,
                   "http_server_request_duration_seconds_sum{http_response_status_code=\"200\"}"),
      ok * 0.002, 1e-9);
  const double median = single_value(
      prom,
      "histogram_quantile(0.5, "
      "http_server_request_duration_seconds_bucket{http_response_status_code=\"200\"})");
  EXPECT_GT(median, 0);
  EXPECT_LE(median, 0.005);
  EXPECT_EQ(single_value(prom, "http_statistics_build_info{version=\"e2e\"}"), 1);
  EXPECT_EQ(single_value(prom, "http_statistics_processes_tracked"), 1);
}

}  // namespace
}  // namespace hs::prom
