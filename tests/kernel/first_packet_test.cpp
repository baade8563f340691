// Requests that travel in the packet that establishes the connection, where
// the kernel runs the receive hook with the listening socket, before the
// connection has a socket of its own: nginx's `listen ... deferred`
// (TCP_DEFER_ACCEPT: the last ACK of the handshake carries the request) and
// TCP Fast Open (the SYN carries it), on IPv4 and IPv6. Each counts with its
// method and a latency, pipelined ones too, exactly like nginx's access log.
// (Apache's default AcceptFilter is the same case: apache_test.cpp.)
#include <fstream>
#include <string>

#include "http_client.h"
#include "kernel_fixture.h"
#include "nginx_server.h"
#include "paths.h"
#include "raw_connection.h"
#include "script_server.h"
#include "wait.h"

namespace hs::test {
namespace {

class FirstPacketTest : public KernelTest {};

Counts logged(const NginxServer& ng) {
  Counts out;
  for (const auto& e : ng.access_log())
    if (e.completed) ++out[e.method + " " + std::to_string(e.status)];
  return out;
}

// A sysctl set for the test's duration and restored after, whatever happens.
class Sysctl {
 public:
  Sysctl(std::string path, const std::string& value) : path_(std::move(path)) {
    old_ = read_text(path_);
    write(value);
  }
  ~Sysctl() { write(old_); }
  Sysctl(const Sysctl&) = delete;
  Sysctl& operator=(const Sysctl&) = delete;

 private:
  void write(const std::string& v) const { std::ofstream(path_) << v; }
  std::string path_;
  std::string old_;
};

std::string ten_pipelined() {
  std::string batch;
  for (int i = 0; i < 8; ++i) batch += make_request("GET", "/ok");
  return batch + make_request("HEAD", "/file") + make_request("GET", "/missing");
}

// Reads the answers to ten_pipelined(): eight "ok", a HEAD, a 404.
void read_ten(RawConnection& c) {
  for (int i = 0; i < 8; ++i) c.read_until("ok\n");
  const std::string head = c.read_until("\r\n\r\n");
  EXPECT_NE(head.find("Content-Length: 102400"), std::string::npos) << head;
  const std::string last = c.read_until("</html>\r\n");
  EXPECT_NE(last.find(" 404 "), std::string::npos) << last;
}

TEST_F(FirstPacketTest, NginxDeferredCountsEveryFirstRequestWithItsMethod) {
  NginxOptions o;
  o.deferred = true;
  o.ipv6 = true;
  NginxServer ng(o);
  const pid_t worker = ng.worker_pids().at(0);
  const std::string v6 = "http://[::1]:" + std::to_string(ng.port());

  // Keep-alive, then a connection per URL, on both families.
  curl({ng.url("/ok"), ng.url("/missing"), ng.url("/file")});
  curl({v6 + "/ok", v6 + "/unavailable"}, {"--globoff"});
  curl({ng.url("/ok"), ng.url("/teapot"), v6 + "/created"}, {"--http1.0", "--globoff"});
  curl({ng.url("/file")}, {"--head"});
  curl({ng.url("/file")}, {"--data", "a=1"});                               // 405
  curl({ng.url("/ok")}, {"--data-binary", "@" + ng.dir().file("www/file"),  // 100 KiB: fine
                         "--request", "PUT"});
  {
    RawConnection c(ng.port());
    c.send("GET /ok HTTP/1.1\r\n\r\n");  // 400: no Host
    c.read_to_end();
  }
  // Ten requests in the first packet, on IPv4 and IPv6.
  for (bool ipv6 : {false, true}) {
    RawConnectionOptions ro;
    ro.ipv6 = ipv6;
    RawConnection c(ng.port(), ro);
    c.send(ten_pipelined());
    read_ten(c);
  }

  const Counts expected = {{"GET 200", 20}, {"GET 404", 3}, {"GET 503", 1},
                           {"GET 418", 1},  {"GET 201", 1}, {"HEAD 200", 3},
                           {"POST 405", 1}, {"PUT 200", 1}, {"GET 400", 1}};
  ASSERT_TRUE(ng.wait_access_log_lines(32));
  EXPECT_EQ(logged(ng), expected);
  EXPECT_EQ(counts(worker), expected);
  EXPECT_EQ(untimed(worker), "");
}

TEST_F(FirstPacketTest, NginxDeferredUnderWrkAndAb) {
  NginxOptions o;
  o.deferred = true;
  NginxServer ng(o);
  const pid_t worker = ng.worker_pids().at(0);
  const RunResult ab = run({"ab", "-q", "-n", "300", "-c", "4", ng.url("/ok")}, scratch_.path(),
                           std::chrono::seconds(120));
  ASSERT_TRUE(ab.status.exited_normally()) << ab.err;
  const RunResult wrk = run({"wrk", "--threads", "2", "--connections", "8", "--duration", "1s",
                             "--timeout", "5s", ng.url("/missing")},
                            scratch_.path(), std::chrono::seconds(60));
  ASSERT_TRUE(wrk.status.exited_normally()) << wrk.err;

  ASSERT_TRUE(ng.wait_access_log_quiet(std::chrono::seconds(20)));
  const Counts want = logged(ng);
  ASSERT_EQ(want.at("GET 200"), 300u);
  ASSERT_GT(want.at("GET 404"), 100u);
  // wrk stops with requests in flight: those nginx could not answer are
  // logged without "OK" and never left the machine (see wrk_test.cpp).
  EXPECT_EQ(counts(worker), want);
  EXPECT_EQ(untimed(worker), "");
}

TEST_F(FirstPacketTest, TcpFastOpenRequestsInTheSynCountWithTheirMethod) {
  // Client and server TFO with cookies (the default is 1: client only).
  Sysctl tfo("/proc/sys/net/ipv4/tcp_fastopen", "3");
  NginxOptions o;
  o.fastopen = 16;
  o.ipv6 = true;
  NginxServer ng(o);
  const pid_t worker = ng.worker_pids().at(0);

  std::size_t in_syn = 0;
  for (bool ipv6 : {false, true}) {
    // The first connection to an address fetches the server's cookie (its
    // data follows the handshake); the next ones carry their data in the SYN.
    for (int i = 0; i < 3; ++i) {
      RawConnectionOptions ro;
      ro.ipv6 = ipv6;
      ro.fast_open = i == 2 ? ten_pipelined() : make_request("GET", "/created");
      RawConnection c(ng.port(), ro);
      if (i == 2)
        read_ten(c);
      else
        c.read_until("created\n");
      in_syn += c.syn_data_acked();
      // The rest of a connection whose first request came in the SYN.
      c.send(make_request("DELETE", "/ok"));
      c.read_until("ok\n");
    }
  }
  ASSERT_GE(in_syn, 2u) << "no request travelled in a SYN: the test proves nothing";

  const Counts expected = {
      {"GET 201", 4}, {"GET 200", 16}, {"HEAD 200", 2}, {"GET 404", 2}, {"DELETE 200", 6}};
  ASSERT_TRUE(ng.wait_access_log_lines(30));
  EXPECT_EQ(logged(ng), expected);
  EXPECT_EQ(counts(worker), expected);
  EXPECT_EQ(untimed(worker), "");
}

// HAProxy answers 400 when a client closes in the middle of a request, before
// its line is complete; protocol_server.py does the same. The response counts,
// with the method the first bytes named.
TEST_F(FirstPacketTest, AnswerToARequestCutOffInItsLineCounts) {
  ScriptServer s("protocol_server.py");
  for (const char* partial : {"GET /ok HT", "GET /a-long-target-that-goes-on"}) {
    RawConnection c(s.port());
    c.send(partial);
    c.shutdown_send();
    const std::string answer = c.read_to_end();
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  }
  ASSERT_TRUE(s.wait_count("http 400", 2));
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 400", 2}}));
  EXPECT_EQ(untimed(s.pid()), "");
}

}  // namespace
}  // namespace hs::test
