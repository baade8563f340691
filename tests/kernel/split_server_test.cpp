// Traffic shapes the in-kernel parser must frame exactly, produced with
// split_server (responses) and HttpClient (requests): segments cut anywhere,
// pipelining, chunked bodies, interim responses, bodies that look like HTTP.
#include <string>
#include <vector>

#include "http_client.h"
#include "kernel_fixture.h"
#include "split_server.h"

namespace hs::test {
namespace {

class SplitServerTest : public KernelTest {};

// The bytes of `s` cut at the given offsets.
std::vector<std::string> cut(const std::string& s, const std::vector<std::size_t>& at) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (std::size_t to : at) {
    out.push_back(s.substr(from, to - from));
    from = to;
  }
  out.push_back(s.substr(from));
  return out;
}

TEST_F(SplitServerTest, ResponseSplitIntoSegmentsCountsOnce) {
  SplitServer s;
  HttpClient c(s.port());
  // split=1000 is larger than the response: one byte per segment, so even
  // "HTTP/1.1 404" arrives a byte at a time.
  const std::vector<std::string> targets = {"/status/200?split=2", "/status/404?split=5",
                                            "/status/200?split=1000", "/status/503?split=3",
                                            "/status/200?split=7&size=3000"};
  for (const auto& t : targets) {
    c.send(make_request("GET", t));
    const HttpResponse r = c.read_response();
    EXPECT_EQ(r.interim, std::vector<int>{});
  }
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 3}, {"GET 404", 1}, {"GET 503", 1}}));
}

TEST_F(SplitServerTest, SixteenPipelinedRequestsInOneWriteEachCount) {
  SplitServer s;
  HttpClient c(s.port());
  std::string batch;
  for (int i = 0; i < 16; ++i)
    batch += make_request("GET", i % 4 == 0 ? "/status/404" : "/status/200");
  c.send(batch);  // one write, one segment: the kernel sees all 16 before any answer
  const auto rs = c.read_responses(16);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(rs[i].status, i % 4 == 0 ? 404 : 200) << i;
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 12}, {"GET 404", 4}}));
}

TEST_F(SplitServerTest, TwentyPipelinedRequestsInOneWriteEachCount) {
  SplitServer s;
  HttpClient c(s.port());
  std::string batch;
  for (int i = 0; i < 20; ++i) batch += make_request("GET", "/status/200");
  c.send(batch);
  const auto rs = c.read_responses(20);
  ASSERT_EQ(rs.size(), 20u);
  // Then one more on the same connection: pairing must be back in step.
  c.send(make_request("POST", "/status/201", {}, "x"));
  EXPECT_EQ(c.read_response().status, 201);

  // Every response counts once, each with the method of its request. (The
  // kernel remembers HTTP_PIPELINE unanswered requests per connection; with
  // 16 the last four came out as "_OTHER 200".)
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 20}, {"POST 201", 1}}));
}

TEST_F(SplitServerTest, PipelinedRequestsWithSplitResponses) {
  SplitServer s;
  HttpClient c(s.port());
  std::string batch;
  batch += make_request("GET", "/status/200?split=3");
  batch += make_request("HEAD", "/status/200?split=4");
  batch += make_request("POST", "/status/202?split=5&chunked=1", {}, "body");
  batch += make_request("GET", "/status/404?split=2");
  batch += make_request("DELETE", "/status/204?split=6");
  c.send(batch);
  c.read_response();
  c.read_response(/*head=*/true);
  c.read_responses(3);
  EXPECT_EQ(
      counts(s.pid()),
      (Counts{
          {"GET 200", 1}, {"HEAD 200", 1}, {"POST 202", 1}, {"GET 404", 1}, {"DELETE 204", 1}}));
}

TEST_F(SplitServerTest, RequestSplitAcrossWritesCountsOnce) {
  SplitServer s;
  HttpClient c(s.port());

  // Cut inside the method, the target and the header block.
  const std::string get = make_request("GET", "/status/201");
  c.send_pieces(cut(get, {2, 14, get.size() - 3}));
  EXPECT_EQ(c.read_response().status, 201);

  // One byte per write.
  const std::string one_by_one = make_request("GET", "/status/202");
  std::vector<std::string> bytes;
  for (char ch : one_by_one) bytes.emplace_back(1, ch);
  c.send_pieces(bytes, std::chrono::milliseconds(2));
  EXPECT_EQ(c.read_response().status, 202);

  // A body in several writes.
  const std::string post = make_request("POST", "/status/200", {}, std::string(5000, 'b'));
  c.send_pieces(cut(post, {post.size() - 4000, post.size() - 2000, post.size() - 1}));
  EXPECT_EQ(c.read_response().status, 200);

  // Header lines longer than what the parser loads at once, cut mid-line.
  const std::string big = make_request(
      "PUT", "/status/200",
      {"X-Long-One: " + std::string(700, 'L'), "Cookie: " + std::string(1500, 'c')}, "put");
  c.send_pieces(cut(big, {30, 400, 1000, 1900}));
  EXPECT_EQ(c.read_response().status, 200);

  EXPECT_EQ(counts(s.pid()),
            (Counts{{"GET 201", 1}, {"GET 202", 1}, {"POST 200", 1}, {"PUT 200", 1}}));
}

TEST_F(SplitServerTest, ChunkedResponsesAndRequestsAreFramed) {
  SplitServer s;
  HttpClient c(s.port());
  for (const char* t : {"/status/200?chunked=1", "/status/200?chunked=1&split=9",
                        "/status/404?chunked=1&size=70000", "/status/200?chunked=1&split=40"}) {
    c.send(make_request("GET", t));
    c.read_response();
  }
  // A chunked request body followed by another request in the same write.
  c.send(
      "POST /status/201 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1a;ext=1\r\nGET /status/500 HTTP/1.1\r\n\r\n0\r\n\r\n" +
      make_request("GET", "/status/200"));
  EXPECT_EQ(c.read_response().status, 201);
  EXPECT_EQ(c.read_response().status, 200);

  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 4}, {"GET 404", 1}, {"POST 201", 1}}));
}

TEST_F(SplitServerTest, ContinueThenFinalCountsOnceAsFinal) {
  SplitServer s;
  HttpClient c(s.port());
  for (int i = 0; i < 2; ++i) {
    const std::string body = "payload-" + std::to_string(i);
    c.send("POST /status/200 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n");
    EXPECT_EQ(c.read_message().status, 100);  // the interim response comes first
    c.send(body);
    EXPECT_EQ(c.read_response().status, 200);
  }
  // curl sends Expect: 100-continue on its own for large bodies.
  curl({s.url("/status/201")},
       {"--header", "Expect: 100-continue", "--data-binary", std::string(3000, 'd')});
  // 103 Early Hints before the final response.
  c.send(make_request("GET", "/status/200?early_hints=1"));
  EXPECT_EQ(c.read_response().interim, std::vector<int>{103});

  EXPECT_EQ(counts(s.pid()), (Counts{{"POST 200", 2}, {"POST 201", 1}, {"GET 200", 1}}));
}

TEST_F(SplitServerTest, UncommonStatusesCountExactly) {
  SplitServer s;
  HttpClient c(s.port());
  const std::vector<int> statuses = {418, 299, 599, 418, 599, 599, 510, 302};
  for (int st : statuses) {
    c.send(make_request("GET", "/status/" + std::to_string(st)));
    EXPECT_EQ(c.read_response().status, st);
  }
  EXPECT_EQ(
      counts(s.pid()),
      (Counts{{"GET 299", 1}, {"GET 302", 1}, {"GET 418", 2}, {"GET 510", 1}, {"GET 599", 3}}));
}

TEST_F(SplitServerTest, BodylessStatusesDoNotSwallowTheNextResponse) {
  SplitServer s;
  HttpClient c(s.port());
  // 204 and 304 have no body whatever their headers say; HEAD neither.
  std::string batch = make_request("GET", "/status/204") + make_request("GET", "/status/304") +
                      make_request("HEAD", "/status/200?size=500") +
                      make_request("GET", "/status/200");
  c.send(batch);
  EXPECT_EQ(c.read_response().status, 204);
  EXPECT_EQ(c.read_response().status, 304);
  EXPECT_EQ(c.read_response(/*head=*/true).status, 200);
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_EQ(counts(s.pid()),
            (Counts{{"GET 204", 1}, {"GET 304", 1}, {"HEAD 200", 1}, {"GET 200", 1}}));
}

TEST_F(SplitServerTest, StatusLinesInsideBodiesAreNotCounted) {
  SplitServer s;
  HttpClient c(s.port());
  // The request body holds a request, the echoed response body a response. A
  // phantom DELETE would also show as the method of the next real response.
  const std::string fake =
      "DELETE /status/500 HTTP/1.1\r\nHost: x\r\n\r\nHTTP/1.1 500 Oops\r\n\r\n";
  c.send(make_request("POST", "/status/200?echo=1", {}, fake));
  EXPECT_EQ(c.read_response().body, fake);
  c.send(make_request("POST", "/status/200?echo=1&split=11", {}, fake + fake));
  EXPECT_EQ(c.read_response().body, fake + fake);
  // A large body, then another exchange on the same connection.
  c.send(make_request("GET", "/status/200?size=200000"));
  EXPECT_EQ(c.read_response().body.size(), 200000u);
  c.send(make_request("GET", "/status/404"));
  EXPECT_EQ(c.read_response().status, 404);

  EXPECT_EQ(counts(s.pid()), (Counts{{"POST 200", 2}, {"GET 200", 1}, {"GET 404", 1}}));
}

TEST_F(SplitServerTest, LargeUploadThenPipelinedRequest) {
  SplitServer s;
  HttpClient c(s.port());
  // 300 KB of body crosses many segments; the GET behind it shares the write.
  std::string body(std::size_t{300} * 1024, 'u');
  body.replace(1000, 20, "\r\nPUT / HTTP/1.1\r\n\r\n");
  c.send(make_request("POST", "/status/201", {}, body) + make_request("GET", "/status/200"));
  EXPECT_EQ(c.read_response().status, 201);
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_EQ(counts(s.pid()), (Counts{{"POST 201", 1}, {"GET 200", 1}}));
}

TEST_F(SplitServerTest, CoalescedResponsesInOneSegmentEachCount) {
  SplitServerOptions o;
  o.coalesce = true;  // all answers to a pipelined batch leave in one send()
  SplitServer s(o);
  HttpClient c(s.port());
  std::string batch;
  const std::vector<std::string> methods = {"GET", "POST", "HEAD", "PUT", "GET", "DELETE"};
  for (int i = 0; i < 12; ++i) {
    const std::string& m = methods[i % methods.size()];
    batch += make_request(
        m,
        "/status/" + std::to_string(i % 3 == 0 ? 404 : 200) + "?chunked=" + std::to_string(i % 2),
        {}, m == "POST" || m == "PUT" ? "data" : "");
  }
  c.send(batch);
  for (int i = 0; i < 12; ++i) c.read_response(methods[i % methods.size()] == "HEAD");
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 404", 2},
                                     {"GET 200", 2},
                                     {"POST 200", 2},
                                     {"HEAD 200", 2},
                                     {"PUT 404", 2},
                                     {"DELETE 200", 2}}));
}

TEST_F(SplitServerTest, LongLinesAreFramed) {
  SplitServer s;
  HttpClient c(s.port());
  // A request line far longer than what the parser loads at once, whole...
  const std::string long_target = "/status/200?q=" + std::string(3000, 'q');
  c.send(make_request("GET", long_target));
  EXPECT_EQ(c.read_response().status, 200);
  // ...and cut into pieces.
  const std::string req = make_request("DELETE", "/status/202?q=" + std::string(2000, 'w'));
  c.send_pieces(cut(req, {3, 100, 1500}));
  EXPECT_EQ(c.read_response().status, 202);
  // A long response header, in one segment and in several.
  c.send(make_request("GET", "/status/404?pad_header=3000"));
  EXPECT_EQ(c.read_response().status, 404);
  c.send(make_request("GET", "/status/404?pad_header=3000&split=6"));
  EXPECT_EQ(c.read_response().status, 404);
  // A status line longer than the parser keeps of a line, cut mid-reason.
  c.send(make_request("GET", "/status/503?reason_bytes=400&split=9"));
  EXPECT_EQ(c.read_response().status, 503);
  c.send(make_request("GET", "/status/200"));
  EXPECT_EQ(c.read_response().status, 200);

  EXPECT_EQ(counts(s.pid()),
            (Counts{{"GET 200", 2}, {"DELETE 202", 1}, {"GET 404", 2}, {"GET 503", 1}}));
}

TEST_F(SplitServerTest, CloseDelimitedBodyCountsOnce) {
  SplitServer s;
  const std::string fake = "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n";
  for (int i = 0; i < 3; ++i) {
    HttpClient c(s.port());
    c.send(make_request("POST", "/status/200?nolength=1&echo=1&split=" + std::to_string(i + 1), {},
                        fake + fake));
    EXPECT_EQ(c.read_response().body, fake + fake);
    EXPECT_TRUE(c.closed_by_peer());
  }
  EXPECT_EQ(counts(s.pid()), (Counts{{"POST 200", 3}}));
}

TEST_F(SplitServerTest, DualStackSocketWithIpv4Client) {
  SplitServerOptions o;
  o.dual_stack = true;  // AF_INET6 sockets carrying IPv4 packets
  SplitServer s(o);
  HttpClient c(s.port());
  c.send(make_request("GET", "/") + make_request("GET", "/status/404"));
  c.read_responses(2);
  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 200", 1}, {"GET 404", 1}}));
}

}  // namespace
}  // namespace hs::test
