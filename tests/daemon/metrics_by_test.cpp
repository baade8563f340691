// --metrics-by: /metrics per executable sums nginx's pre-fork workers into
// series that survive a reload, exactly and without ever going down; per
// process it is what it was, with process_pid.
#include <gtest/gtest.h>

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cgroup.h"
#include "cgroup_dir.h"
#include "daemon_process.h"
#include "metrics_text.h"
#include "nginx_server.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

const std::string kNginx = "process_executable_name=\"nginx\"";

// Every traffic sample (counter, buckets, sum, count) by its name and labels.
std::map<std::string, double> traffic_samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("http_server_")) continue;
    const auto close = line.rfind("} ");
    if (close == std::string::npos) continue;
    out[line.substr(0, close + 1)] = std::stod(line.substr(close + 2));
  }
  return out;
}

// Scrapes /metrics and checks each scrape against the one before: no
// traffic series may go down or disappear while its processes come and go.
class MonotonicScrapes {
 public:
  explicit MonotonicScrapes(const Daemon& daemon) : daemon_(daemon) {}

  std::string scrape() {
    const std::string text = daemon_.get("/metrics");
    const auto now = traffic_samples(text);
    for (const auto& [series, value] : last_) {
      const auto it = now.find(series);
      if (it == now.end())
        problems_.push_back("gone: " + series);
      else if (it->second < value)
        problems_.push_back("down: " + series + " " + std::to_string(value) + " -> " +
                            std::to_string(it->second));
    }
    if (text.find("process_pid") != std::string::npos) problems_.push_back("a process_pid label");
    last_ = now;
    ++scrapes_;
    return text;
  }
  const std::vector<std::string>& problems() const { return problems_; }
  int scrapes() const { return scrapes_; }

 private:
  const Daemon& daemon_;
  std::map<std::string, double> last_;
  std::vector<std::string> problems_;
  int scrapes_ = 0;
};

// n requests, each on a connection of its own (a new source port each, so
// reuseport spreads them over the workers): 3 of 4 to /ok, the rest /missing.
void requests(const NginxServer& nginx, int n, const TempDir& dir) {
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(run({"curl", "-s", "-o", "/dev/null", nginx.url(i % 4 == 3 ? "/missing" : "/ok")},
                    dir.path(), 30s)
                    .status.exited_normally());
}

std::set<pid_t> serving_workers(const NginxServer& nginx) {
  std::set<pid_t> out;
  for (const auto& e : nginx.access_log()) out.insert(e.pid);
  return out;
}

constexpr const char* kTracked = "http_statistics_processes_tracked";

TEST(DaemonMetricsBy, ExecutableSumsNginxWorkersExactlyAndMonotonicallyAcrossAReload) {
  REQUIRE_ROOT();
  const std::string root = find_cgroup2_mount();
  ASSERT_FALSE(root.empty());
  // Only this nginx counts: another on the host would add to the same sum.
  CgroupDir cgroup(root);  // declared first: removed after nginx has exited
  TempDir dir;
  Daemon daemon({"--metrics-by", "executable", "--exit-grace", "2", "--cgroup", cgroup.path()});
  NginxOptions no;
  no.workers = 4;
  no.reuseport = true;
  no.cgroup = &cgroup;
  NginxServer nginx(no);
  MonotonicScrapes scrapes(daemon);

  requests(nginx, 40, dir);
  ASSERT_TRUE(nginx.wait_access_log_lines(40));
  const std::set<pid_t> before = serving_workers(nginx);
  EXPECT_GE(before.size(), 2u) << "reuseport spread 40 connections over one worker only";
  std::map<int, std::uint64_t> counted;
  // The sum per status code reaches the access log's, within a few refreshes.
  const auto counted_as_logged = [&] {
    EXPECT_TRUE(wait_until(
        [&] {
          return (counted = requests_by_status(scrapes.scrape(), kNginx)) ==
                 nginx.access_log_statuses();
        },
        15s, 200ms));
    EXPECT_EQ(counted, nginx.access_log_statuses());
  };
  counted_as_logged();

  // New workers; the old ones finish and exit, then leave the snapshots
  // after --exit-grace. The sums must carry on from their totals.
  ASSERT_TRUE(nginx.reload()) << nginx.error_log();
  requests(nginx, 40, dir);
  ASSERT_TRUE(nginx.wait_access_log_lines(80));
  std::set<pid_t> after = serving_workers(nginx);
  for (const pid_t p : before) after.erase(p);
  EXPECT_GE(after.size(), 1u);
  counted_as_logged();
  const std::map<int, std::uint64_t> served = {{200, 60}, {404, 20}};
  EXPECT_EQ(nginx.access_log_statuses(), served);

  // The old workers are forgotten (grace, then the next liveness check),
  // and their counts stay in the sums.
  std::string text;
  EXPECT_TRUE(wait_until(
      [&] {
        text = scrapes.scrape();
        const double tracked = unlabelled_value(text, kTracked);
        return tracked >= 0 && tracked <= static_cast<double>(after.size());
      },
      20s, 250ms))
      << "processes tracked: " << unlabelled_value(text, kTracked)
      << ", new workers that served: " << after.size();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(requests_by_status(scrapes.scrape(), kNginx), served);
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_TRUE(scrapes.problems().empty()) << [&] {
    std::string all;
    for (const auto& p : scrapes.problems()) all += p + "\n";
    return all;
  }();
  EXPECT_GT(scrapes.scrapes(), 5);
}

TEST(DaemonMetricsBy, ProcessKeepsASeriesPerPid) {
  REQUIRE_ROOT();
  const std::string root = find_cgroup2_mount();
  ASSERT_FALSE(root.empty());
  CgroupDir cgroup(root);
  TempDir dir;
  Daemon daemon({"--metrics-by", "process", "--cgroup", cgroup.path()});
  NginxOptions no;
  no.workers = 2;
  no.cgroup = &cgroup;
  NginxServer nginx(no);
  requests(nginx, 4, dir);
  ASSERT_TRUE(nginx.wait_access_log_lines(4));
  std::map<pid_t, std::map<int, std::uint64_t>> by_worker;
  for (const pid_t w : serving_workers(nginx)) by_worker[w] = nginx.access_log_statuses(w);
  EXPECT_TRUE(wait_until(
      [&] {
        for (const auto& [w, statuses] : by_worker)
          if (daemon.requests_by_status(w) != statuses) return false;
        return true;
      },
      15s, 200ms))
      << daemon.get("/metrics");
  EXPECT_NE(daemon.get("/metrics").find("process_pid=\""), std::string::npos);
}

}  // namespace
}  // namespace hs::test
