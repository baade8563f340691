// The kernel reports a counted server's exit; the aggregator marks it exited
// on the next refresh() and keeps its final counts.
#include <signal.h>
#include <unistd.h>

#include "http_client.h"
#include "kernel_fixture.h"
#include "nginx_server.h"
#include "split_server.h"
#include "wait.h"

namespace hs::test {
namespace {

class ProcessExitTest : public KernelTest {};

TEST_F(ProcessExitTest, ExitedServerIsMarkedAndKeepsItsCounts) {
  SplitServer s;
  const pid_t pid = s.pid();
  {
    HttpClient c(s.port());
    for (int i = 0; i < 3; ++i) {
      c.send(make_request("GET", "/status/200"));
      c.read_response();
    }
  }
  {
    const auto snap = refresh();
    const ProcessSnapshot* p = find_process(*snap, pid);
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(p->info.exited);
    EXPECT_EQ(p->info.comm, "python3");
    EXPECT_EQ(p->info.executable_name.rfind("python3", 0), 0u) << p->info.executable_name;
  }

  s.stop();  // reaped: the exit tracepoint ran before the parent could reap it
  // One refresh, no polling: the exit event is already in the ring buffer, and
  // the aggregator's fallback liveness check must not be what finds it.
  const auto snap = refresh();
  const ProcessSnapshot* p = find_process(*snap, pid);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->info.exited);
  EXPECT_GE(p->info.exited_at, p->info.first_seen);
  EXPECT_EQ(counts(pid), (Counts{{"GET 200", 3}}));
}

TEST_F(ProcessExitTest, NginxWorkerExitIsReported) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);
  const pid_t master = ng.master_pid();
  curl({ng.url("/ok"), ng.url("/missing")});
  {
    const auto snap = refresh();
    const ProcessSnapshot* p = find_process(*snap, worker);
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(p->info.exited);
    EXPECT_EQ(p->info.comm, "nginx");
    EXPECT_EQ(p->info.executable_name, "nginx");
  }
  ng.stop();
  const auto snap = refresh();
  const ProcessSnapshot* p = find_process(*snap, worker);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->info.exited);
  EXPECT_EQ(p->series.size(), 2u);
  // The master never accepted a connection: it was never tracked.
  EXPECT_EQ(find_process(*snap, master), nullptr);
}

TEST_F(ProcessExitTest, ServerThatExitedBeforeTheFirstRefreshKeepsItsCounts) {
  // The aggregator learns about this server only after it is gone: its
  // ProcessNew and ProcessExit events and its series wait in the kernel.
  refresh();
  SplitServer s;
  const pid_t pid = s.pid();
  {
    HttpClient c(s.port());
    c.send(make_request("GET", "/") + make_request("GET", "/status/404") +
           make_request("DELETE", "/"));
    c.read_responses(3);
  }
  s.stop();
  const auto snap = refresh();
  const ProcessSnapshot* p = find_process(*snap, pid);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->info.exited);
  EXPECT_EQ(p->info.comm, "python3");  // from the event: /proc has nothing left
  EXPECT_EQ(counts(pid), (Counts{{"GET 200", 1}, {"GET 404", 1}, {"DELETE 200", 1}}));
}

TEST_F(ProcessExitTest, ResponsesAfterTheAcceptorExitedStillCount) {
  // A forked child keeps serving a connection its parent accepted; the parent
  // (the owner of the counts) dies in between.
  SplitServerOptions o;
  o.fork_per_connection = true;
  SplitServer s(o);
  const pid_t parent = s.pid();
  HttpClient c(s.port());
  c.send(make_request("GET", "/"));
  c.read_response();
  EXPECT_EQ(counts(parent), (Counts{{"GET 200", 1}}));

  ASSERT_TRUE(s.process().signal(SIGKILL));  // only the parent, not its child
  ASSERT_TRUE(s.process().wait(std::chrono::seconds(10)));
  {
    const auto snap = refresh();
    const ProcessSnapshot* p = find_process(*snap, parent);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(p->info.exited);
  }
  for (int i = 0; i < 2; ++i) {
    c.send(make_request("GET", "/status/503"));
    EXPECT_EQ(c.read_response().status, 503);
  }
  EXPECT_EQ(counts(parent), (Counts{{"GET 200", 1}, {"GET 503", 2}}));
  EXPECT_EQ(counts(parent), (Counts{{"GET 200", 1}, {"GET 503", 2}}));  // stable on re-read

  // The orphaned child ends when its connection closes.
  ASSERT_TRUE(s.wait_served(3));
  const std::string line = s.served().back();
  const pid_t child = std::stoi(line.substr(line.rfind(" by ") + 4));
  c.close();
  EXPECT_TRUE(wait_until([child] { return kill(child, 0) != 0; }, std::chrono::seconds(10)));
  if (kill(child, 0) == 0) kill(child, SIGKILL);
}

TEST_F(ProcessExitTest, ExitOfAnUncountedProcessIsNotTracked) {
  // A client (curl) exits too, but it never accepted a connection.
  SplitServer s;
  const auto r = curl({s.url("/")});
  const auto snap = refresh();
  EXPECT_EQ(find_process(*snap, r.pid), nullptr);
  EXPECT_EQ(find_process(*snap, getpid()), nullptr);
}

}  // namespace
}  // namespace hs::test
