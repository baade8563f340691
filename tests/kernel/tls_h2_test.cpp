// Traffic that is not HTTP/1.x counts nothing: HTTP/2 with prior knowledge
// (h2c), HTTP/2 inside TLS, a bare TLS handshake, and an HTTP/2 preface or a
// TLS ClientHello sent to an HTTP/1.1 port. (HTTP/1.1 inside TLS is the
// subject of tls_test.cpp.) The same nginx worker then answers one plain HTTP/1.1 request, which
// must count exactly once: proof that the engine was watching it.
#include <map>
#include <string>

#include "kernel_fixture.h"
#include "raw_connection.h"
#include "tls_h2_nginx.h"

namespace hs::test {
namespace {

class TlsH2Test : public KernelTest {
 protected:
  // Access log lines of the worker by "PROTOCOL STATUS".
  static std::map<std::string, std::uint64_t> logged(const TlsH2Nginx& ng) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& e : ng.access_log()) ++out[e.protocol + " " + std::to_string(e.status)];
    return out;
  }
  void expect_only_one_plain_exchange(const TlsH2Nginx& ng) {
    curl({"http://127.0.0.1:" + std::to_string(ng.plain_port()) + "/ok"});
    EXPECT_EQ(counts(ng.worker_pid()), (Counts{{"GET 200", 1}}));
  }
};

TEST_F(TlsH2Test, Http2WithPriorKnowledgeCountsNothing) {
  TlsH2Nginx ng;
  const std::string base = "http://127.0.0.1:" + std::to_string(ng.h2c_port());
  // One connection per request: curl 7.88 fails to reuse an h2c connection.
  for (const char* path : {"/ok", "/missing", "/ok", "/ok"}) {
    const auto r = curl({base + path}, {"--http2-prior-knowledge"});
    EXPECT_EQ(r.codes, std::vector<int>{std::string(path) == "/ok" ? 200 : 404});
  }
  ASSERT_TRUE(ng.wait_access_log_lines(4));
  EXPECT_EQ(logged(ng),
            (std::map<std::string, std::uint64_t>{{"HTTP/2.0 200", 3}, {"HTTP/2.0 404", 1}}));
  EXPECT_EQ(counts(ng.worker_pid()), Counts{});
  expect_only_one_plain_exchange(ng);
}

TEST_F(TlsH2Test, TlsHandshakeAndHttp2InsideTlsCountNothing) {
  TlsH2Nginx ng;
  const std::string base = "https://127.0.0.1:" + std::to_string(ng.tls_port());
  // HTTP/2 chosen by ALPN: neither the ciphertext nor the frames inside are
  // HTTP/1.x.
  const auto h2 = curl({base + "/ok", base + "/missing"}, {"--insecure", "--http2"});
  EXPECT_EQ(h2.codes, (std::vector<int>{200, 404}));
  // A bare handshake: openssl s_client connects, negotiates, and leaves.
  const RunResult hs =
      run({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(ng.tls_port()),
           "-servername", "localhost", "-CAfile", ng.certificate()},
          scratch_.path(), std::chrono::seconds(30));
  EXPECT_NE(hs.out.find("Verify return code: 0 (ok)"), std::string::npos) << hs.out << hs.err;
  ASSERT_TRUE(ng.wait_access_log_lines(2));
  EXPECT_EQ(logged(ng),
            (std::map<std::string, std::uint64_t>{{"HTTP/2.0 200", 1}, {"HTTP/2.0 404", 1}}));
  EXPECT_EQ(counts(ng.worker_pid()), Counts{});
  expect_only_one_plain_exchange(ng);
}

TEST_F(TlsH2Test, Http2PrefaceAndTlsHelloSentToAnHttp11PortCountNothing) {
  TlsH2Nginx ng;
  // nginx answers both with an HTTP/1.1 error response in clear text, but no
  // HTTP/1.x request was made: the request side is not HTTP, so the answer
  // pairs with nothing and is not an exchange (docs/design.md, Framing).
  {
    RawConnection c(ng.plain_port());
    // The connection preface, then an empty SETTINGS frame.
    c.send(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\0\0\0\4\0\0\0\0\0", 9));
    const std::string answer = c.read_to_end();
    EXPECT_EQ(answer.rfind("HTTP/1.1 ", 0), 0u) << answer;
  }
  // openssl fails the handshake on the clear-text answer, as it should.
  run({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(ng.plain_port()),
       "-servername", "localhost"},
      scratch_.path(), std::chrono::seconds(30));
  ASSERT_TRUE(ng.wait_access_log_lines(2));
  // nginx logs no protocol for lines it could not parse as a request.
  EXPECT_EQ(logged(ng), (std::map<std::string, std::uint64_t>{{"- 400", 2}}));
  EXPECT_EQ(counts(ng.worker_pid()), Counts{});
  expect_only_one_plain_exchange(ng);
}

}  // namespace
}  // namespace hs::test
