// HTTP/1.0: one exchange per connection, closed by the server, and the
// keep-alive extension of HTTP/1.0 clients. nginx answers with HTTP/1.1
// status lines; every exchange counts exactly like its access log.
#include <string>

#include "kernel_fixture.h"
#include "nginx_server.h"
#include "raw_connection.h"

namespace hs::test {
namespace {

class Http10Test : public KernelTest {};

Counts logged(const NginxServer& ng) {
  Counts out;
  for (const auto& e : ng.access_log()) ++out[e.method + " " + std::to_string(e.status)];
  return out;
}

TEST_F(Http10Test, ConnectionCloseAndKeepAliveCountLikeTheAccessLog) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);

  // curl --http1.0: a new connection for each URL, each closed by nginx.
  const auto r = curl({ng.url("/ok"), ng.url("/missing"), ng.url("/file"), ng.url("/unavailable")},
                      {"--http1.0"});
  EXPECT_EQ(r.codes, (std::vector<int>{200, 404, 200, 503}));
  curl({ng.url("/ok")}, {"--http1.0", "--data", "a=1"});

  // By hand: the server closes after the response (no Content-Length needed
  // by the client, but nginx sends one; the close ends the exchange).
  for (const char* path : {"/ok", "/teapot"}) {
    RawConnection c(ng.port());
    c.send(std::string("GET ") + path + " HTTP/1.0\r\n\r\n");
    const std::string answer = c.read_to_end();
    EXPECT_EQ(answer.rfind("HTTP/1.1 ", 0), 0u) << answer;
  }
  {
    // HTTP/1.0 keep-alive: two exchanges on one connection, then close.
    RawConnection c(ng.port());
    c.send("GET /ok HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    c.read_until("ok\n");
    c.send("GET /created HTTP/1.0\r\n\r\n");
    const std::string last = c.read_to_end();
    EXPECT_EQ(last.rfind("HTTP/1.1 201", 0), 0u) << last;
  }

  const Counts expected = {{"GET 200", 4}, {"GET 404", 1}, {"GET 503", 1},
                           {"GET 418", 1}, {"GET 201", 1}, {"POST 200", 1}};
  ASSERT_TRUE(ng.wait_access_log_lines(9));
  EXPECT_EQ(logged(ng), expected);
  EXPECT_EQ(counts(worker), expected);
}

}  // namespace
}  // namespace hs::test
