// What must not be counted: the client side of connections (this test
// process, curl, wrk), UNIX sockets, and connections that were established
// before the engine attached.
#include <unistd.h>

#include "http_client.h"
#include "kernel_fixture.h"
#include "nginx_server.h"
#include "split_server.h"

namespace hs::test {
namespace {

class ClientSideTest : public KernelTest {};

TEST_F(ClientSideTest, OnlyTheServerIsCountedNeverTheClient) {
  SplitServer s;
  {
    HttpClient c(s.port());  // this test process is the client
    c.send(make_request("GET", "/") + make_request("GET", "/status/404"));
    c.read_responses(2);
  }
  const auto r = curl({s.url("/"), s.url("/")});
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 3}, {"GET 404", 1}}));

  const auto snap = refresh();
  EXPECT_EQ(find_process(*snap, getpid()), nullptr);
  EXPECT_EQ(find_process(*snap, r.pid), nullptr);
}

TEST_F(ClientSideTest, UnixSocketRequestsAreNotCounted) {
  NginxOptions o;
  o.unix_socket = true;
  NginxServer ng(o);
  const pid_t worker = ng.worker_pids().at(0);

  const std::string sock = ng.unix_socket_path();
  curl({"http://localhost/ok", "http://localhost/missing", "http://localhost/ok"},
       {"--unix-socket", sock});
  curl({"http://localhost/ok"}, {"--unix-socket", sock});
  ASSERT_TRUE(ng.wait_access_log_lines(4));
  EXPECT_EQ(counts(worker), Counts{});

  // The same worker over TCP is counted: the engine is watching it.
  curl({ng.url("/ok")});
  EXPECT_EQ(counts(worker), (Counts{{"GET 200", 1}}));
  ASSERT_TRUE(ng.wait_access_log_lines(5));
  EXPECT_EQ(ng.access_log_statuses(), (std::map<int, std::uint64_t>{{200, 4}, {404, 1}}));
}

TEST_F(ClientSideTest, UnixSocketOnlyServerIsNeverTracked) {
  SplitServerOptions o;
  o.unix_socket = true;
  SplitServer s(o);
  for (int i = 0; i < 3; ++i)
    curl({"http://localhost/status/200"}, {"--unix-socket", s.unix_socket_path()});
  ASSERT_TRUE(s.wait_served(3));
  EXPECT_EQ(find_process(*refresh(), s.pid()), nullptr);
}

TEST_F(ClientSideTest, ConnectionsEstablishedBeforeAttachAreNotCounted) {
  SplitServer s;
  HttpClient early(s.port());
  early.send(make_request("GET", "/"));
  early.read_response();

  // A second, independent engine attached now: `early` predates it.
  BpfEngine late_engine;
  AggregatorOptions ao;
  Aggregator late(late_engine, ao);

  for (int i = 0; i < 2; ++i) {
    early.send(make_request("GET", "/status/404"));
    early.read_response();
  }
  HttpClient fresh(s.port());
  for (int i = 0; i < 3; ++i) {
    fresh.send(make_request("GET", "/status/201"));
    fresh.read_response();
  }

  Counts late_counts;
  if (const ProcessSnapshot* p = find_process(*late.refresh(), s.pid()))
    for (const auto& [k, v] : p->series) late_counts[series_name(k)] = v.count;
  EXPECT_EQ(late_counts, (Counts{{"GET 201", 3}}));
  // The suite's engine, attached before both connections, saw everything.
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 1}, {"GET 404", 2}, {"GET 201", 3}}));
}

}  // namespace
}  // namespace hs::test
