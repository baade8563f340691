// The daemon's Scope plugin over time, as the probe polls it, while nginx
// serves real traffic: a pause longer than the app's 15 s window, and a
// restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "daemon_process.h"
#include "nginx_server.h"
#include "scope_client.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

// As the probe sends it: its random id in hex.
const std::string kProbe = "5ca1ab1e0ddba115";
const std::set<int> kCodes = {200, 404, 503};

// curl in a loop until stopped, each round one connection for a 200, a 404
// and a 503: steady rates of all three.
Subprocess steady_load(const NginxServer& nginx) {
  return Subprocess({"sh", "-c",
                     "while :; do curl -s -o /dev/null -o /dev/null -o /dev/null '" +
                         nginx.url("/ok") + "' '" + nginx.url("/missing") + "' '" +
                         nginx.url("/unavailable") + "'; sleep 0.05; done"});
}

std::string node_id(pid_t pid) { return host_name() + ";" + std::to_string(pid); }

bool zero(const ScopeSample& s) { return s.value == 0; }

TEST(DaemonScope, PausedNodeGoesOnWithAZeroEverySecondAndSaysItIsPaused) {
  REQUIRE_ROOT();
  TempDir dir;
  Daemon daemon;
  NginxServer nginx;
  const std::string node = node_id(nginx.worker_pids().at(0));
  const std::string sock = daemon.socket_path();
  Subprocess load = steady_load(nginx);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto r = scope_report(sock, kProbe);
        const auto* n = scope_node(r, node);
        return n != nullptr && scope_codes(*n) == kCodes;
      },
      20s, 250ms))
      << "the report never showed 200, 404 and 503";

  const auto paused = scope_control(sock, kProbe, node, "http_pause");
  ASSERT_TRUE(paused.IsObject() && paused.HasMember("shortcutReport"));
  const auto* shortcut = scope_node(paused["shortcutReport"], node);
  ASSERT_NE(shortcut, nullptr);
  EXPECT_EQ(scope_latest(*shortcut, "http_tracing"), "paused");
  EXPECT_EQ(scope_latest(*shortcut, "control_probe_id"), kProbe);
  EXPECT_FALSE((*shortcut)["latestControls"]["http_resume"]["value"]["dead"].GetBool());
  // The state's time is the pause's: the sample read next may still hold
  // exchanges from before it, none after it may hold any.
  const std::string paused_at = (*shortcut)["latest"]["http_tracing"]["timestamp"].GetString();

  // Polled through the pause until the whole window is from after it and
  // has moved on twice more: a window that stopped would freeze the graph.
  std::string full_window_ends;
  int moves_since = 0;
  std::size_t polls = 0;
  const bool went_on = wait_until(
      [&] {
        const auto r = scope_report(sock, kProbe);
        const auto* n = scope_node(r, node);
        ++polls;
        if (n == nullptr) {
          ADD_FAILURE() << "the paused node left the report after " << polls << " polls";
          return true;
        }
        EXPECT_EQ(scope_latest(*n, "http_tracing"), "paused");
        EXPECT_EQ(scope_latest(*n, "control_probe_id"), kProbe);
        EXPECT_TRUE((*n)["latestControls"]["http_pause"]["value"]["dead"].GetBool());
        EXPECT_FALSE((*n)["metrics"].HasMember("http_request_latency_p50_ms"));
        EXPECT_FALSE((*n)["metrics"].HasMember("http_request_latency_p99_ms"));
        EXPECT_EQ(scope_codes(*n), kCodes) << "every code it had stays, at zero";

        const auto requests = scope_samples(*n, "http_requests_per_second");
        EXPECT_FALSE(requests.empty());
        EXPECT_EQ(std::adjacent_find(requests.begin(), requests.end(),
                                     [](const auto& a, const auto& b) { return a.date >= b.date; }),
                  requests.end())
            << "one sample per second: the dates must rise";
        const auto after = std::find_if(requests.begin(), requests.end(),
                                        [&](const auto& s) { return s.date > paused_at; });
        if (after != requests.end()) {
          EXPECT_TRUE(std::all_of(after + 1, requests.end(), zero)) << "counted while paused";
        }
        for (const int code : kCodes) {
          const auto rates =
              scope_samples(*n, "http_" + std::to_string(code) + "_responses_per_second");
          EXPECT_EQ(rates.size(), requests.size()) << code;
          if (after != requests.end() && rates.size() == requests.size()) {
            EXPECT_TRUE(
                std::all_of(rates.begin() + (after - requests.begin()) + 1, rates.end(), zero))
                << code;
          }
        }

        const bool whole_window_paused = requests.size() == 15 &&
                                         requests.front().date > paused_at &&
                                         std::all_of(requests.begin(), requests.end(), zero);
        if (!whole_window_paused) return false;
        if (full_window_ends.empty()) {
          full_window_ends = requests.back().date;
        } else if (requests.back().date > full_window_ends) {
          full_window_ends = requests.back().date;
          ++moves_since;
        }
        return moves_since >= 2;
      },
      90s, 500ms);
  ASSERT_TRUE(went_on) << "after " << polls << " polls the window had not moved on in the pause"
                       << " (whole window paused from " << full_window_ends << ")";

  // The probe's own checks hold for the paused node too.
  const RunResult check = run({HS_SCOPE_PROBE_CHECK, "--root", daemon.plugins_root(), "--polls",
                               "2", "--expect", node + ":http_requests_per_second==0", "--expect",
                               node + ":http_503_responses_per_second==0"},
                              dir.path(), 60s);
  EXPECT_TRUE(check.status.exited_normally()) << check.out;

  // A control without a probe id is answered for the latest poll's probe.
  ASSERT_TRUE(scope_report(sock, kProbe).IsObject());
  const auto resumed = scope_control(sock, "", node, "http_resume");
  ASSERT_TRUE(resumed.IsObject() && resumed.HasMember("shortcutReport"));
  const auto* active = scope_node(resumed["shortcutReport"], node);
  ASSERT_NE(active, nullptr) << "a resumed node must reach the app to say so";
  EXPECT_EQ(scope_latest(*active, "http_tracing"), "active");
  EXPECT_EQ(scope_latest(*active, "control_probe_id"), kProbe);
  EXPECT_FALSE((*active)["latestControls"]["http_pause"]["value"]["dead"].GetBool());
  EXPECT_TRUE(wait_until(
      [&] {
        const auto r = scope_report(sock, kProbe);
        const auto* n = scope_node(r, node);
        if (n == nullptr) return false;
        const auto requests = scope_samples(*n, "http_requests_per_second");
        return !requests.empty() && requests.back().value > 0;
      },
      15s, 250ms))
      << "counting did not resume";
}

TEST(DaemonScope, AfterARestartEveryReportListsEveryCodeCountedSoFar) {
  REQUIRE_ROOT();
  TempDir dir;
  NginxServer nginx;
  const pid_t worker = nginx.worker_pids().at(0);
  const std::string node = node_id(worker);
  const std::string root = dir.file("plugins");
  Subprocess load = steady_load(nginx);
  {
    Daemon before({}, root);
    ASSERT_TRUE(
        wait_until([&] { return before.requests_by_status(worker).size() == 3; }, 20s, 250ms));
  }  // stopped: the next one starts from empty maps

  Daemon after({}, root);
  int reports_with_node = 0;
  std::set<int> last_codes;
  // From its first answers on: a code is on /metrics once a snapshot holds
  // it, and the report after that reads the same snapshot or a newer one.
  const auto until = std::chrono::steady_clock::now() + 6s;
  while (std::chrono::steady_clock::now() < until) {
    std::set<int> counted;
    for (const auto& [code, n] : after.requests_by_status(worker))
      if (n > 0) counted.insert(code);
    const auto r = scope_report(after.socket_path(), kProbe);
    const auto* n = scope_node(r, node);
    last_codes = n != nullptr ? scope_codes(*n) : std::set<int>{};
    if (n != nullptr) ++reports_with_node;
    EXPECT_TRUE(std::includes(last_codes.begin(), last_codes.end(), counted.begin(), counted.end()))
        << "a code counted in the kernel is missing from the report";
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(reports_with_node, 0);
  EXPECT_EQ(last_codes, kCodes);
}

}  // namespace
}  // namespace hs::test
