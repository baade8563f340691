// "100 Continue" from the standard library's HTTP/1.1 server (python's
// http.server sends it itself, before the handler reads the body): the
// interim response is not an exchange; the final response counts once, with
// its own status (docs/design.md, Framing).
#include <string>

#include "http_client.h"
#include "kernel_fixture.h"
#include "script_server.h"

namespace hs::test {
namespace {

class ContinueTest : public KernelTest {};

TEST_F(ContinueTest, InterimContinueIsNotCountedTheFinalResponseIsOnce) {
  ScriptServer s("continue_server.py");
  {
    // By hand: wait for the 100, then send the body; twice on one connection.
    HttpClient c(s.port());
    for (const char* status : {"201", "200"}) {
      const std::string body = "payload " + std::string(status);
      c.send(std::string("POST /status/") + status +
             " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n");
      EXPECT_EQ(c.read_message().status, 100);
      c.send(body);
      EXPECT_EQ(c.read_response().status, std::stoi(status));
    }
    // Without Expect the same server answers with no interim response.
    c.send(make_request("PUT", "/status/203", {}, "x"));
    const HttpResponse r = c.read_response();
    EXPECT_EQ(r.status, 203);
    EXPECT_EQ(r.interim, std::vector<int>{});
  }
  // curl waits for the 100 before it uploads.
  const auto r = curl({s.url("/status/202")}, {"--header", "Expect: 100-continue", "--data-binary",
                                               std::string(5000, 'd')});
  EXPECT_EQ(r.codes, std::vector<int>{202});

  ASSERT_TRUE(s.wait_count("served POST 202", 1));
  EXPECT_EQ(s.count("served POST 201") + s.count("served POST 200") + s.count("served PUT 203"),
            3u);
  EXPECT_EQ(counts(s.pid()),
            (Counts{{"POST 201", 1}, {"POST 200", 1}, {"PUT 203", 1}, {"POST 202", 1}}));
}

}  // namespace
}  // namespace hs::test
