// http_statistics_processes_tracked counts the servers the daemon counts:
// those of its --cgroup, even while another BPF user gives every socket on
// the host a cookie (another http-statistics, say).
#include <gtest/gtest.h>

#include <string>
#include <thread>

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

TEST(DaemonProcessesTracked, ServersOutsideTheCgroupAreNotTracked) {
  REQUIRE_ROOT();
  const std::string root = find_cgroup2_mount();
  ASSERT_FALSE(root.empty());
  CgroupDir cgroup(root);
  TempDir dir;
  // Attached to the whole host: its programs give every connection a
  // socket cookie, which the accept tracepoints of the daemon under test
  // (which see every process) then find on connections it never counts.
  Daemon host_wide({"--tls", "off"});
  Daemon daemon({"--tls", "off", "--cgroup", cgroup.path()});
  NginxServer outside;
  NginxOptions in;
  in.cgroup = &cgroup;
  NginxServer inside(in);
  for (const NginxServer* n : {&outside, &inside})
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(run({"curl", "-s", "-o", "/dev/null", n->url("/ok")}, dir.path(), 30s)
                      .status.exited_normally());
  const pid_t outside_worker = outside.worker_pids().at(0);
  const pid_t inside_worker = inside.worker_pids().at(0);
  ASSERT_TRUE(wait_until([&] { return host_wide.requests_by_status(outside_worker)[200] == 3; },
                         15s, 200ms))
      << "the host-wide daemon did not count the outside server";
  ASSERT_TRUE(
      wait_until([&] { return daemon.requests_by_status(inside_worker)[200] == 3; }, 15s, 200ms));
  EXPECT_TRUE(daemon.requests_by_status(outside_worker).empty());
  // Two more refreshes: whatever the accepts left has been read.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(unlabelled_value(daemon.get("/metrics"), "http_statistics_processes_tracked"), 1)
      << daemon.get("/metrics");
}

}  // namespace
}  // namespace hs::test
