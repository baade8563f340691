// Every method the kernel recognises, against split_server (which answers any
// method), counted as its own (method, status) series.
#include "http_client.h"
#include "kernel_fixture.h"
#include "split_server.h"

namespace hs::test {
namespace {

class MethodsTest : public KernelTest {};

TEST_F(MethodsTest, EachMethodIsItsOwnSeries) {
  SplitServer s;

  curl({s.url("/"), s.url("/status/404")}, {"--head"});
  curl({s.url("/"), s.url("/"), s.url("/status/201")}, {"--data", "name=value"});
  curl({s.url("/status/204")}, {"--request", "PUT", "--data", "put body"});
  curl({s.url("/"), s.url("/status/404")}, {"--request", "DELETE"});
  curl({s.url("/")}, {"--request", "OPTIONS"});
  curl({s.url("/")}, {"--request", "PATCH", "--data", "patch"});
  curl({s.url("/")}, {"--request", "TRACE"});
  curl({s.url("/status/200")});

  EXPECT_EQ(counts(s.pid()), (Counts{{"HEAD 200", 1},
                                     {"HEAD 404", 1},
                                     {"POST 200", 2},
                                     {"POST 201", 1},
                                     {"PUT 204", 1},
                                     {"DELETE 200", 1},
                                     {"DELETE 404", 1},
                                     {"OPTIONS 200", 1},
                                     {"PATCH 200", 1},
                                     {"TRACE 200", 1},
                                     {"GET 200", 1}}));
  // split_server prints after sending, so the last line may lag the response.
  ASSERT_TRUE(s.wait_served(12));
  EXPECT_EQ(s.served().size(), 12u);
}

TEST_F(MethodsTest, UnknownMethodDoesNotStopCountingTheConnection) {
  SplitServer s;
  // PROPFIND (WebDAV) is valid HTTP/1.1 but not in the kernel's method list.
  // OpenTelemetry reports such methods as "_OTHER"; what matters more is that
  // the requests after it on the same keep-alive connection still count.
  HttpClient c(s.port());
  c.send(make_request("PROPFIND", "/", {"Depth: 1"}));
  EXPECT_EQ(c.read_response().status, 200);
  c.send(make_request("GET", "/"));
  EXPECT_EQ(c.read_response().status, 200);
  c.send(make_request("GET", "/status/404"));
  EXPECT_EQ(c.read_response().status, 404);

  EXPECT_EQ(counts(s.pid()), (Counts{{"_OTHER 200", 1}, {"GET 200", 1}, {"GET 404", 1}}));
}

TEST_F(MethodsTest, LongUnknownMethodLineCutIntoSegmentsCounts) {
  SplitServer s;
  // A WebDAV client's long path, its request line written in pieces that cut it
  // before its end and inside its version, so the kernel sees the method in one
  // segment and " HTTP/1.1" only across the next two.
  HttpClient c(s.port());
  const std::string request = make_request(
      "PROPFIND", "/remote.php/dav/files/" + std::string(300, 'u') + "/", {"Depth: 1"});
  const std::size_t version = request.find(" HTTP/1.1");
  ASSERT_NE(version, std::string::npos);
  c.send_pieces(
      {request.substr(0, 40), request.substr(40, version + 4 - 40), request.substr(version + 4)});
  EXPECT_EQ(c.read_response().status, 200);
  c.send(make_request("GET", "/status/404"));
  EXPECT_EQ(c.read_response().status, 404);

  EXPECT_EQ(counts(s.pid()), (Counts{{"_OTHER 200", 1}, {"GET 404", 1}}));
}

TEST_F(MethodsTest, ConnectTunnelCountsOnlyTheConnectExchange) {
  SplitServer s;
  HttpClient c(s.port());
  c.send(make_request("CONNECT", "example.com:443"));
  EXPECT_EQ(c.read_response().status, 200);
  // From here on the connection is a tunnel: what flows through it is not
  // HTTP to this server, even though split_server keeps parsing it.
  c.send(make_request("GET", "/status/404"));
  EXPECT_EQ(c.read_response().status, 404);

  EXPECT_EQ(counts(s.pid()), (Counts{{"CONNECT 200", 1}}));
}

TEST_F(MethodsTest, SwitchingProtocolsCountsOnceThenStops) {
  SplitServer s;
  HttpClient c(s.port());
  c.send(make_request("GET", "/status/101", {"Connection: Upgrade", "Upgrade: websocket"}));
  EXPECT_EQ(c.read_message().status, 101);
  c.send(make_request("GET", "/status/200"));
  EXPECT_EQ(c.read_response().status, 200);

  EXPECT_EQ(counts(s.pid()), (Counts{{"GET 101", 1}}));
}

}  // namespace
}  // namespace hs::test
