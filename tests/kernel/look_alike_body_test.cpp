// Bodies that contain a request line and a status line ("GET / HTTP/1.1",
// "HTTP/1.1 200 OK"), in both directions, served by nginx: each real exchange
// counts exactly once, the lines inside bodies never. The look-alike lines
// are placed at the start of a TCP segment too, where a parser that searched
// for them instead of framing would find them.
#include <string>

#include "http_client.h"
#include "kernel_fixture.h"
#include "nginx_server.h"

namespace hs::test {
namespace {

class LookAlikeBodyTest : public KernelTest {};

const std::string kFakeExchange =
    "GET / HTTP/1.1\r\nHost: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
const std::string kFakeResponseFirst =
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";

// Counts of the access log by "METHOD STATUS".
Counts logged(const NginxServer& ng) {
  Counts out;
  for (const auto& e : ng.access_log()) ++out[e.method + " " + std::to_string(e.status)];
  return out;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST_F(LookAlikeBodyTest, RequestAndResponseBodiesFullOfHttpLinesCountOncePerExchange) {
  NginxServer ng;
  const pid_t worker = ng.worker_pids().at(0);
  // Served from disk: a small file (one segment with the headers or right
  // after them) and a large one that nginx sends with sendfile.
  ng.dir().write("www/small.txt", kFakeResponseFirst);
  ng.dir().write("www/large.txt", repeat(kFakeResponseFirst + kFakeExchange, 2000));

  HttpClient c(ng.port());
  // Request bodies: in the same write as the headers...
  c.send(make_request("POST", "/ok", {}, kFakeExchange));
  EXPECT_EQ(c.read_response().status, 200);
  // ...and as a write of their own, so a segment starts with "GET / HTTP/1.1".
  const std::string body = repeat(kFakeExchange, 3);
  const std::string post = make_request("POST", "/missing", {}, body);
  c.send_pieces({post.substr(0, post.size() - body.size()), body});
  EXPECT_EQ(c.read_response().status, 404);
  // Response bodies: a segment that starts with "HTTP/1.1 200 OK".
  for (const char* path : {"/small.txt", "/large.txt", "/small.txt"}) {
    c.send(make_request("GET", path));
    const HttpResponse r = c.read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  }
  // All of it pipelined in one write, then one more exchange to show the
  // connection is still framed.
  c.send(make_request("POST", "/ok", {}, kFakeResponseFirst) + make_request("GET", "/large.txt") +
         make_request("POST", "/unavailable", {}, body) + make_request("GET", "/small.txt"));
  c.read_responses(4);
  c.send(make_request("GET", "/teapot"));
  EXPECT_EQ(c.read_response().status, 418);

  const Counts expected = {
      {"POST 200", 2}, {"POST 404", 1}, {"POST 503", 1}, {"GET 200", 5}, {"GET 418", 1}};
  ASSERT_TRUE(ng.wait_access_log_lines(10));
  EXPECT_EQ(logged(ng), expected);
  EXPECT_EQ(counts(worker), expected);
}

}  // namespace
}  // namespace hs::test
