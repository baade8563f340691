// The daemon end to end: command line, errors, start/stop, and both exporters
// reporting exactly what a real nginx served.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "daemon_process.h"
#include "nginx_server.h"
#include "paths.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

RunResult run_daemon(std::vector<std::string> args, const TempDir& dir) {
  args.insert(args.begin(), HS_DAEMON);
  return run(args, dir.path(), 30s);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The kernel frees programs and links asynchronously (deferred work after the
// last reference goes), so give it a moment.
bool no_program_left(const std::set<int>& programs) {
  return wait_until(
      [&] {
        for (int id : loaded_program_ids())
          if (programs.count(id)) return false;
        return true;
      },
      5s, 50ms);
}

// Requests through curl: one connection per call, several URLs on it.
void curl(const std::vector<std::string>& urls, const TempDir& dir) {
  std::vector<std::string> argv = {"curl", "-s", "-o", "/dev/null"};
  for (std::size_t i = 1; i < urls.size(); ++i) argv.insert(argv.end(), {"-o", "/dev/null"});
  argv.insert(argv.end(), urls.begin(), urls.end());
  ASSERT_TRUE(run(argv, dir.path(), 30s).status.exited_normally());
}

TEST(DaemonCli, HelpListsTheFlags) {
  TempDir dir;
  const RunResult r = run_daemon({"--help"}, dir);
  EXPECT_TRUE(r.status.exited_normally());
  for (const char* flag : {"--metrics-address", "--scope-plugins-root", "--scope-plugin-id",
                           "--exit-grace", "--cgroup", "--metrics-by", "check"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

TEST(DaemonCli, BadArgumentsAreOneClearLineAndExit2) {
  TempDir dir;
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--bogus"},
                                               {"--exit-grace", "soon"},
                                               {"--metrics-address"},
                                               {"--metrics-address", "9464"},
                                               {"--metrics-by", "pid"}}) {
    const RunResult r = run_daemon(args, dir);
    EXPECT_EQ(r.status.code, 2) << args[0];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("http-statistics: ", 0), 0u) << r.err;
  }
}

TEST(DaemonCli, WithoutRootItSaysWhatIsMissing) {
  REQUIRE_ROOT();  // to become another user
  TempDir dir;
  const RunResult r =
      run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
           HS_DAEMON, "--metrics-address", "off", "--scope-plugins-root", "off"},
          dir.path(), 30s);
  EXPECT_EQ(r.status.code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("not running as root"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scripts/kernel-check.sh"), std::string::npos) << r.err;
}

TEST(DaemonCheck, LoadsAttachesAndDetaches) {
  REQUIRE_ROOT();
  TempDir dir;
  const RunResult r = run_daemon({"check"}, dir);
  EXPECT_TRUE(r.status.exited_normally()) << r.err;
  for (const char* prog : {"hs_sockops", "hs_ingress", "hs_egress", "hs_accept4", "hs_accept",
                           "hs_process_exit", "hs_handshake"})
    EXPECT_NE(r.out.find(std::string("attached ") + prog), std::string::npos) << prog;
}

TEST(DaemonLifecycle, CountsNginxExactlyInBothExportersAndLeavesNothingBehind) {
  REQUIRE_ROOT();
  TempDir dir;
  std::optional<Daemon> daemon(std::in_place);
  // Seven socket-side programs (hs_handshake held by the program array the
  // others tail-call through) and seven TLS ones (libssl.so.3 is on every
  // machine that has nginx).
  ASSERT_EQ(daemon->program_ids().size(), 14u) << daemon->log();
  struct stat st {};
  ASSERT_EQ(::stat(daemon->socket_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // Once serving, the daemon holds no capability at all, in any of its
  // threads (capabilities are per thread); counting, both exporters and the
  // clean exit below all work without one.
  const std::string tasks = "/proc/" + std::to_string(daemon->process().pid()) + "/task";
  std::size_t threads = 0;
  for (const auto& t : std::filesystem::directory_iterator(tasks)) {
    const std::string status = read_text(t.path() / "status");
    EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << t.path();
    EXPECT_NE(status.find("CapPrm:\t0000000000000000"), std::string::npos) << t.path();
    EXPECT_NE(status.find("CapBnd:\t0000000000000000"), std::string::npos) << t.path();
    ++threads;
  }
  EXPECT_GT(threads, 1u);

  NginxServer nginx;
  const pid_t worker = nginx.worker_pids().at(0);
  for (int i = 0; i < 4; ++i)
    curl({nginx.url("/ok"), nginx.url("/ok"), nginx.url("/missing"), nginx.url("/unavailable")},
         dir);
  curl({nginx.url("/teapot")}, dir);
  ASSERT_TRUE(nginx.wait_access_log_lines(17));
  const std::map<int, std::uint64_t> served = nginx.access_log_statuses(worker);
  ASSERT_EQ(served, (std::map<int, std::uint64_t>{{200, 8}, {404, 4}, {418, 1}, {503, 4}}));

  // The aggregation layer publishes once a second.
  std::map<int, std::uint64_t> counted;
  wait_until([&] { return (counted = daemon->requests_by_status(worker)) == served; }, 10s, 200ms);
  EXPECT_EQ(counted, served);
  EXPECT_TRUE(daemon->requests_by_status(nginx.master_pid()).empty());

  const std::string node = host_name() + ";" + std::to_string(worker);
  const RunResult check =
      run({HS_SCOPE_PROBE_CHECK, "--root", daemon->plugins_root(), "--polls", "2", "--interval",
           "0.5", "--expect", node + ":http_requests_per_second>=0", "--expect",
           node + ":http_418_responses_per_second>=0"},
          dir.path(), 30s);
  EXPECT_TRUE(check.status.exited_normally()) << check.out << check.err;

  const std::set<int> programs = daemon->program_ids();
  const std::string socket_dir = daemon->socket_dir();
  ASSERT_TRUE(daemon->process().signal(SIGTERM));
  const auto status = daemon->process().wait(10s);
  ASSERT_TRUE(status.has_value()) << "daemon did not exit after SIGTERM";
  EXPECT_TRUE(status->exited_normally()) << status->describe();
  EXPECT_NE(daemon->log().find("detaching"), std::string::npos);
  EXPECT_FALSE(exists(socket_dir)) << "plugin directory outlived the daemon";
  EXPECT_TRUE(no_program_left(programs)) << "a program of the daemon is still loaded";
}

TEST(DaemonLifecycle, SigkillLeavesNoProgramsAndARestartReplacesTheStaleSocket) {
  REQUIRE_ROOT();
  TempDir dir;
  std::string root, socket;
  std::set<int> programs;
  {
    Daemon first;
    root = first.plugins_root();
    socket = first.socket_path();
    programs = first.program_ids();
    ASSERT_TRUE(first.process().signal(SIGKILL));
    ASSERT_TRUE(first.process().wait(10s).has_value());
    // The kernel closed its descriptors: programs and links are gone with them.
    EXPECT_TRUE(no_program_left(programs));
    EXPECT_TRUE(exists(socket)) << "a killed daemon cannot clean up: the test needs the leftover";

    // A new daemon on the same root starts cleanly over the leftovers.
    Daemon second({}, root);
    const RunResult check =
        run({HS_SCOPE_PROBE_CHECK, "--root", root, "--polls", "1"}, dir.path(), 30s);
    EXPECT_TRUE(check.status.exited_normally()) << check.out;
  }
}

}  // namespace
}  // namespace hs::test
