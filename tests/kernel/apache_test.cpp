// Apache httpd (Debian's apache2) as users run it: mpm_event and
// mpm_prefork, with its default AcceptFilter (TCP_DEFER_ACCEPT: a
// connection's first request arrives in the packet that completes the
// handshake, before the connection has a socket of its own) and with
// `AcceptFilter http none`. Real clients (curl, ab) and a raw one for exact
// pipelining in the first packet. Every count, per child process, method and
// status, equals Apache's access log, and every exchange has a latency.
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "apache_server.h"
#include "http_client.h"
#include "kernel_fixture.h"
#include "raw_connection.h"

namespace hs::test {
namespace {

struct ApacheCase {
  ApacheMpm mpm;
  bool accept_filter_none;
};

std::string case_name(const ::testing::TestParamInfo<ApacheCase>& info) {
  return std::string(info.param.mpm == ApacheMpm::kEvent ? "Event" : "Prefork") +
         (info.param.accept_filter_none ? "AcceptFilterNone" : "DefaultAcceptFilter");
}

// The engine's name for a logged method: the nine it knows, else _OTHER.
std::string method_key(const std::string& m) {
  for (const char* known :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
    if (m == known) return m;
  return "_OTHER";
}

Counts logged(const ApacheServer& ap, pid_t pid) {
  Counts out;
  for (const auto& e : ap.access_log())
    if (e.pid == pid) ++out[method_key(e.method) + " " + std::to_string(e.status)];
  return out;
}

class ApacheTest : public KernelTest, public ::testing::WithParamInterface<ApacheCase> {
 protected:
  ApacheOptions options(bool ipv6 = false) const {
    ApacheOptions o;
    o.mpm = GetParam().mpm;
    o.accept_filter_none = GetParam().accept_filter_none;
    o.ipv6 = ipv6;
    return o;
  }

  // Every child in the log counted exactly what it logged, all of it timed;
  // the totals are `want`; the parent counted nothing.
  void expect_counts_equal_log(const ApacheServer& ap, const Counts& want) {
    ap.wait_access_log_settled();
    std::vector<pid_t> pids;
    for (const auto& e : ap.access_log())
      if (std::find(pids.begin(), pids.end(), e.pid) == pids.end()) pids.push_back(e.pid);
    Counts total;
    for (pid_t pid : pids) {
      const Counts got = counts(pid);
      EXPECT_EQ(counts_diff(got, logged(ap, pid)), "") << "child " << pid;
      EXPECT_EQ(untimed(pid), "") << "child " << pid;
      for (const auto& [k, v] : got) total[k] += v;
    }
    EXPECT_EQ(counts_diff(total, want), "");
    EXPECT_EQ(counts(ap.parent_pid()), Counts{});
  }
};

TEST_P(ApacheTest, MethodsAndStatusesCountLikeTheAccessLog) {
  ApacheServer ap(options());

  // One keep-alive connection for several URLs, then one connection each.
  curl({ap.url("/ok"), ap.url("/missing"), ap.url("/file"), ap.url("/ok")});
  curl({ap.url("/big"), ap.url("/ok")}, {"--head"});
  curl({ap.url("/ok")}, {"--request", "PUT", "--data", "x"});     // 405
  curl({ap.url("/ok")}, {"--request", "DELETE"});                 // 405
  curl({ap.url("/ok")}, {"--request", "OPTIONS"});                // 200
  curl({ap.url("/ok")}, {"--data", "a=1"});                       // POST 200
  curl({ap.url("/limited")}, {"--data", std::string(100, 'a')});  // 413
  curl({ap.url("/broken/")});                                     // 500
  // HTTP/1.0: a connection per URL, each closed by Apache.
  curl({ap.url("/ok"), ap.url("/missing"), ap.url("/broken/")}, {"--http1.0"});
  {
    RawConnection c(ap.port());
    c.send("FOO /ok HTTP/1.1\r\nHost: t\r\n\r\n");  // 501, an unknown method
    c.read_until("</html>");
  }
  {
    RawConnection c(ap.port());
    c.send("GET /ok HTTP/1.1\r\n\r\n");  // 400: HTTP/1.1 without Host
    c.read_until("</html>");
  }
  {
    // A client that closes in the middle of its headers: 400. (One that
    // closes in the middle of the request line gets no answer, and one
    // that stalls there until mod_reqtimeout gives up is logged as 408 but
    // gets no answer either: nothing leaves the socket, so nothing counts.)
    RawConnection c(ap.port());
    c.send("GET /ok HTTP/1.1\r\nHost: t\r\nX-Cut: ");
    c.shutdown_send();
    const std::string answer = c.read_to_end();
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  }

  expect_counts_equal_log(ap, {{"GET 200", 4},
                               {"GET 404", 2},
                               {"GET 500", 2},
                               {"GET 400", 2},
                               {"HEAD 200", 2},
                               {"PUT 405", 1},
                               {"DELETE 405", 1},
                               {"OPTIONS 200", 1},
                               {"POST 200", 1},
                               {"POST 413", 1},
                               {"_OTHER 501", 1}});
}

TEST_P(ApacheTest, AbOneRequestPerConnectionAndKeepAlive) {
  ApacheServer ap(options());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"ab", "-q", "-n", "200", "-c", "4", ap.url("/ok")},
        std::vector<std::string>{"ab", "-q", "-k", "-n", "150", "-c", "3", ap.url("/missing")},
        std::vector<std::string>{"ab", "-q", "-i", "-n", "50", "-c", "2", ap.url("/big")}}) {
    const RunResult r = run(args, scratch_.path(), std::chrono::seconds(120));
    ASSERT_TRUE(r.status.exited_normally()) << r.status.describe() << "\n" << r.err;
  }
  // ab's keep-alive connections end after Apache's 100 requests: more
  // connections, each with a first request in its handshake's packet.
  expect_counts_equal_log(ap, {{"GET 200", 200}, {"GET 404", 150}, {"HEAD 200", 50}});
}

// The lost exchange: ten requests in the first packet of a
// connection, a HEAD of a 1 MiB file among them; on IPv4 and IPv6.
TEST_P(ApacheTest, PipelinedRequestsInTheFirstPacketIncludingHead) {
  ApacheServer ap(options(/*ipv6=*/true));
  std::string batch;
  for (int i = 0; i < 8; ++i) batch += make_request("GET", "/ok");
  batch += make_request("HEAD", "/big") + make_request("GET", "/missing");
  for (bool ipv6 : {false, true}) {
    SCOPED_TRACE(ipv6 ? "IPv6" : "IPv4");
    RawConnectionOptions o;
    o.ipv6 = ipv6;
    RawConnection c(ap.port(), o);
    c.send(batch);  // one segment: TCP_NODELAY, far below the MSS
    for (int i = 0; i < 8; ++i) c.read_until("ok\n");
    const std::string head = c.read_until("\r\n\r\n");
    EXPECT_NE(head.find("Content-Length: 1048576"), std::string::npos) << head;
    const std::string last = c.read_until("</html>\n");
    EXPECT_NE(last.find("HTTP/1.1 404"), std::string::npos) << last;
  }
  expect_counts_equal_log(ap, {{"GET 200", 16}, {"HEAD 200", 2}, {"GET 404", 2}});
  for (const auto& e : ap.access_log()) EXPECT_LT(e.keepalive_before, 10);
}

INSTANTIATE_TEST_SUITE_P(Apache, ApacheTest,
                         ::testing::Values(ApacheCase{ApacheMpm::kEvent, false},
                                           ApacheCase{ApacheMpm::kEvent, true},
                                           ApacheCase{ApacheMpm::kPrefork, false},
                                           ApacheCase{ApacheMpm::kPrefork, true}),
                         case_name);

}  // namespace
}  // namespace hs::test
