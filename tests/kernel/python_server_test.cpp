// python3 -m http.server: HTTP/1.0 status lines, one response per connection,
// a multi-threaded server (the main thread accepts, handler threads answer).
#include "http_client.h"
#include "kernel_fixture.h"
#include "python_http_server.h"

namespace hs::test {
namespace {

class PythonServerTest : public KernelTest {};

TEST_F(PythonServerTest, FileAndMissingFileCountExactly) {
  PythonHttpServer py;
  const std::string file = py.url(PythonHttpServer::kFile);
  const std::string missing = py.url("/no-such-file.txt");

  // http.server closes each connection, so curl reconnects for every URL.
  const auto r = curl({file, missing, file, file, missing, file});
  EXPECT_EQ(r.codes, (std::vector<int>{200, 404, 200, 200, 404, 200}));
  curl({missing});
  curl({file}, {"--head"});

  EXPECT_EQ(counts(py.pid()), (Counts{{"GET 200", 4}, {"GET 404", 3}, {"HEAD 200", 1}}));
  EXPECT_EQ(py.logged_statuses(), (std::map<int, std::uint64_t>{{200, 5}, {404, 3}}));
  EXPECT_EQ(counts(r.pid), Counts{});
}

TEST_F(PythonServerTest, Http10StatusLinesAreCounted) {
  PythonHttpServer py;
  for (int i = 0; i < 3; ++i) {
    HttpClient c(py.port());
    c.send(make_request("GET", PythonHttpServer::kFile));
    const HttpResponse r = c.read_response();
    EXPECT_EQ(r.version, "HTTP/1.0");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, PythonHttpServer::kFileContents);
  }
  EXPECT_EQ(counts(py.pid()), (Counts{{"GET 200", 3}}));
}

}  // namespace
}  // namespace hs::test
