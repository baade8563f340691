// Start lines: which request and status lines count, and protocols that must not.
#include <random>

#include "parser_test_util.h"

namespace hs_test {
namespace {

struct NamedMethod {
  const char* name;
  unsigned method;
};

constexpr NamedMethod kMethods[] = {
    {"GET", HTTP_M_GET},         {"HEAD", HTTP_M_HEAD},     {"POST", HTTP_M_POST},
    {"PUT", HTTP_M_PUT},         {"DELETE", HTTP_M_DELETE}, {"CONNECT", HTTP_M_CONNECT},
    {"OPTIONS", HTTP_M_OPTIONS}, {"TRACE", HTTP_M_TRACE},   {"PATCH", HTTP_M_PATCH},
};

TEST(StartLine, EveryMethodIsRecognised) {
  for (const NamedMethod& m : kMethods) {
    SCOPED_TRACE(m.name);
    Connection c;
    c.request(request_line(m.name, "/resource"));
    c.response(empty_response(200));
    EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{m.method, 200}}));
    EXPECT_EQ(c.state().requests, 1U);
    EXPECT_EQ(counted(c).notes, notes({}));
  }
}

// A second request on the same connection proves the first one's framing ended where it
// should, for every method (HEAD's response has no body, CONNECT's 200 is a tunnel, so
// they answer with 404 here).
TEST(StartLine, EveryMethodKeepsTheConnectionFramed) {
  for (const NamedMethod& m : kMethods) {
    SCOPED_TRACE(m.name);
    Connection c;
    c.request(request_line(m.name) + request_line("GET", "/second"));
    c.response("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" + empty_response(200));
    EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{m.method, 404}, {HTTP_M_GET, 200}}));
  }
}

void expect_not_a_request(std::string_view line) {
  SCOPED_TRACE(testing::PrintToString(std::string(line)));
  Connection c;
  c.request(std::string(line) + "\r\nHost: example.test\r\n\r\n");
  // Nothing after the first bad start counts, even valid requests.
  c.request(request_line("GET"));
  c.response(empty_response(200));
  EXPECT_TRUE(c.exchanges().empty());
  EXPECT_EQ(c.state().requests, 0U);
  EXPECT_EQ(c.notes(HN_NOT_HTTP), 1U);
  EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 1U);
}

TEST(StartLine, MethodsAreCaseSensitive) {
  for (std::string_view line :
       {"get / HTTP/1.1", "Get / HTTP/1.1", "gET / HTTP/1.1", "post /form HTTP/1.1",
        "Head / HTTP/1.1", "delete /x HTTP/1.1", "connect host:443 HTTP/1.1", "options * HTTP/1.1",
        "trace / HTTP/1.1", "patch / HTTP/1.1", "put / HTTP/1.1"})
    expect_not_a_request(line);
}

// Methods without a name of their own (WebDAV, custom ones) count as _OTHER when the
// line is a complete, well-formed HTTP/1.x request line.
TEST(StartLine, UnknownWellFormedMethodsCountAsOther) {
  for (std::string_view line :
       {"PROPFIND /dav/ HTTP/1.1", "MKCOL /dav/new HTTP/1.1", "M-SEARCH * HTTP/1.1",
        "X_CUSTOM /x HTTP/1.0", "GETS /resource HTTP/1.1", "PURGE /cache/key HTTP/1.1",
        "ABCDEFGHIJKLMNOPQRS /x HTTP/1.1"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(line)));
    Connection c;
    c.request(std::string(line) + "\r\nHost: example.test\r\n\r\n" + request_line("GET"));
    c.response(empty_response(207) + empty_response(200));
    EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_OTHER, 207}, {HTTP_M_GET, 200}}));
    ASSERT_EQ(c.exchanges().size(), 2U);
    EXPECT_TRUE(c.exchanges()[0].has_latency);  // the request itself was seen
    EXPECT_EQ(c.notes(HN_NOT_HTTP), 0U);
  }
}

TEST(StartLine, MalformedUnknownMethodsAreNotHttp) {
  for (std::string_view line :
       {"PRI * HTTP/2.0", "PROPFIND /dav/collection", "PROPFIND /dav/x HTTP/2",
        "PROPFIND /dav/x HTTP/1.2", "PROPFIND /dav/x HTTP/1.1x", "PROPFIND  /dav/x HTTP/1.1",
        "propfind /dav/x HTTP/1.1", "Propfind /dav/x HTTP/1.1", "PROP1 /dav/x HTTP/1.1",
        "PROP.FIND /dav/x HTTP/1.1", "ABCDEFGHIJKLMNOPQRST /x HTTP/1.1", "G", "GE", "GET", "HEA",
        "PATC", "SET key value with spaces", "EHLO mail.example.test"})
    expect_not_a_request(line);
}

// The kernel sees a short line whole even when segments cut it.
TEST(StartLine, ShortUnknownMethodLineSplitAtEveryOffset) {
  const std::string req = "PROPFIND /dav/ HTTP/1.1\r\nDepth: 1\r\n\r\n" + request_line("GET");
  for (std::size_t at = 1; at < req.size(); at++) {
    SCOPED_TRACE(at);
    Connection c;
    c.send_cut(Side::kRequest, req, {at});
    c.response(empty_response(207) + empty_response(200));
    ASSERT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_OTHER, 207}, {HTTP_M_GET, 200}}));
  }
}

TEST(StartLine, LongUnknownMethodLineInOneSegment) {
  const std::string line = "PROPFIND /remote.php/dav/files/" + std::string(150, 'u') + "/ HTTP/1.1";
  Connection c;
  c.request(line + "\r\n\r\n");
  c.response(empty_response(207));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_OTHER, 207}}));
}

// Past HTTP_LINE_MAX the kernel keeps the start and the end of a line that segments
// cut: the method is at one, the version at the other. Every cut, in lines that fit a
// window and lines that do not (those straddle windows even in one segment), with the
// version split every way and a request after it.
TEST(StartLine, LongUnknownMethodLineSplitAtEveryOffset) {
  for (std::size_t target : {std::size_t{40}, std::size_t{150}, std::size_t{400}}) {
    const std::string req = "PROPFIND /remote.php/dav/files/" + std::string(target, 'u') +
                            "/ HTTP/1.1\r\nDepth: 1\r\n\r\n" + request_line("GET");
    for (std::size_t at = 0; at < req.size(); at += (at < 8 || req.size() - at < 80) ? 1 : 7) {
      SCOPED_TRACE(testing::Message() << "target " << target << ", cut at " << at);
      Connection c;
      if (at == 0)
        c.request(req);
      else
        c.send_cut(Side::kRequest, req, {at});
      c.response(empty_response(207) + empty_response(200));
      ASSERT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_OTHER, 207}, {HTTP_M_GET, 200}}));
    }
  }
}

// The kept end is judged like a visible one: a long line that is not HTTP/1.x stays out,
// however it was cut.
TEST(StartLine, LongUnknownMethodLineWithOtherVersionIsNotARequest) {
  for (std::string_view version : {" HTTP/2.0", " HTTP/1.2", "HTTP/1.1", " HTTP/1.1 x"}) {
    const std::string line =
        "PROPFIND /remote.php/dav/files/" + std::string(300, 'u') + "/" + std::string(version);
    const std::string req = line + "\r\n\r\n" + request_line("GET");
    for (std::size_t at : {std::size_t{100}, line.size() - 5, line.size(), line.size() + 1}) {
      SCOPED_TRACE(testing::Message() << version << ", cut at " << at);
      Connection c;
      c.send_cut(Side::kRequest, req, {at});
      c.response(empty_response(207) + empty_response(200));
      EXPECT_TRUE(c.exchanges().empty());
      EXPECT_EQ(c.notes(HN_NOT_HTTP), 1U);
    }
  }
}

TEST(StartLine, MethodNeedsExactlyOneSpaceThenATarget) {
  for (std::string_view line : {"GET  / HTTP/1.1", "GET\t/ HTTP/1.1", "GET ", "GET \r",
                                "DELETE  /x HTTP/1.1", "OPTIONS  * HTTP/1.1", " GET / HTTP/1.1"})
    expect_not_a_request(line);
}

TEST(StartLine, VersionOfARequestIsNotChecked) {
  // The request line is judged by its method and the start of the target; the
  // response decides whether it was HTTP.
  Connection c;
  c.request("GET /old-style\r\n\r\nPOST x\r\nContent-Length: 0\r\n\r\n");
  c.response(empty_response(200) + empty_response(201));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}, {HTTP_M_POST, 201}}));
}

TEST(StatusLine, Http10AndHttp11) {
  for (std::string_view version : {"HTTP/1.0", "HTTP/1.1"}) {
    SCOPED_TRACE(version);
    Connection c;
    c.request(request_line("GET") + request_line("GET"));
    c.response(std::string(version) + " 200 OK\r\nContent-Length: 0\r\n\r\n" +
               std::string(version) + " 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}, {HTTP_M_GET, 503}}));
  }
}

TEST(StatusLine, EveryCodeFrom100To599) {
  for (unsigned code = 100; code <= 599; code++) {
    SCOPED_TRACE(code);
    Connection c;
    c.request(request_line("GET") + request_line("POST"));
    c.response("HTTP/1.1 " + std::to_string(code) + " Reason\r\nContent-Length: 0\r\n\r\n" +
               empty_response(299));
    std::vector<Pair> want;
    if (code == 101) {
      want = {{HTTP_M_GET, 101}};  // a tunnel follows: the 299 is not HTTP any more
    } else if (code < 200) {
      want = {{HTTP_M_GET, 299}};  // interim: the 299 still answers the GET
    } else {
      want = {{HTTP_M_GET, code}, {HTTP_M_POST, 299}};
    }
    EXPECT_EQ(pairs(c.exchanges()), want);
    EXPECT_EQ(c.notes(HN_NOT_HTTP), 0U);
  }
}

TEST(StatusLine, ReasonPhraseIsOptional) {
  Connection c;
  c.request(request_line("GET") + request_line("GET") + request_line("GET"));
  c.response(
      "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"
      "HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n"
      "HTTP/1.0 302 Found Elsewhere\nContent-Length: 0\n\n");
  EXPECT_EQ(pairs(c.exchanges()),
            (std::vector<Pair>{{HTTP_M_GET, 404}, {HTTP_M_GET, 500}, {HTTP_M_GET, 302}}));
}

TEST(StatusLine, RejectedStatusLines) {
  for (std::string_view line :
       {"HTTP/1.1 099 Low", "HTTP/1.1 000",     "HTTP/1.1 600 High", "HTTP/1.1 999",
        "HTTP/2 200",       "HTTP/2.0 200 OK",  "HTTP/1.2 200 OK",   "HTTP/1.9 200",
        "HTTP/0.9 200",     "HTTP/1.1 20",      "HTTP/1.1 2",        "HTTP/1.1",
        "HTTP/1.1 ",        "HTTP/1.1 20x OK",  "HTTP/1.1 2x0",      "HTTP/1.1 2000",
        "HTTP/1.1 200OK",   "HTTP/1.1 200\tOK", "HTTP/1.1  200 OK",  "HTTP/1.1 -20 OK",
        "http/1.1 200 OK",  "Http/1.1 200 OK",  "HTTP/11 200 OK",    "HTTP 1.1 200 OK",
        " HTTP/1.1 200 OK", "ICY 200 OK",       "RTSP/1.0 200 OK"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(line)));
    Connection c;
    c.request(request_line("GET") + request_line("GET"));
    c.response(std::string(line) + "\r\nContent-Length: 0\r\n\r\n" + empty_response(200));
    EXPECT_TRUE(c.exchanges().empty());
    EXPECT_EQ(c.notes(HN_NOT_HTTP), 1U);
    EXPECT_EQ(c.state().responses, 0U);
  }
}

// A start line whose bytes stop before it is complete: nothing is counted while it is
// incomplete, whatever the pieces are.
// A client that stops in the middle of its request line, answered by the server (400
// or 408, as HAProxy does): the response counts, with the method the first bytes name
// and the latency from them. If the line completes later, that request was answered.
TEST(StartLine, IncompleteRequestLineInPiecesIsAnswered) {
  const std::string partial = "GET /index.html HTT";
  for (std::size_t piece : {1, 2, 3, 7, 64}) {
    SCOPED_TRACE(piece);
    Connection c;
    c.send_pieces(Side::kRequest, partial, piece);
    EXPECT_EQ(c.state().requests, 0U);
    c.advance_clock(5'000'000);
    c.response("HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nbad request");
    ASSERT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 400}}));
    EXPECT_TRUE(c.exchanges()[0].has_latency);
    EXPECT_GE(c.exchanges()[0].latency_ns, 4'990'000U);
    EXPECT_LE(c.exchanges()[0].latency_ns, 5'010'000U);
    EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 0U);
    // The line completes later: it was the request answered above, so a further
    // response has none, and the next request pairs with the next response.
    c.send_pieces(Side::kRequest, "P/1.1\r\n\r\n", piece);
    c.response(empty_response(204));
    EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 1U);
    c.request(request_line("PUT"));
    c.response(empty_response(201));
    EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 400}, {HTTP_M_PUT, 201}}));
  }
}

TEST(StartLine, IncompleteRequestLineAnsweredOnceWithTheMethodIfItWasRead) {
  struct Case {
    std::string partial;
    unsigned method;
  };
  for (const Case& k :
       {Case{"G", HTTP_M_OTHER}, Case{"HEAD ", HTTP_M_OTHER}, Case{"HEAD /", HTTP_M_HEAD},
        Case{"DELETE /x?" + std::string(80, 'y'), HTTP_M_DELETE},
        Case{"PROPFIND /dav", HTTP_M_OTHER}, Case{"\x16\x03\x01", HTTP_M_OTHER}}) {
    SCOPED_TRACE(k.partial);
    Connection c;
    c.request(request_line("GET", "/first"));
    c.response(empty_response(200));
    c.request(k.partial);
    // Framed like any response even after "HEAD /": the server did not read a HEAD.
    c.response("HTTP/1.1 408 Request Timeout\r\nContent-Length: 4\r\n\r\nHTTP");
    c.response(empty_response(400));  // a second answer has no request
    EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}, {k.method, 408}}));
    EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 1U);
    EXPECT_EQ(c.notes(HN_NOT_HTTP), 0U);
  }
}

TEST(StartLine, IncompleteStatusLineInPiecesIsNotCounted) {
  for (std::size_t piece : {1, 2, 5, 64}) {
    SCOPED_TRACE(piece);
    Connection c;
    c.request(request_line("PUT"));
    c.send_pieces(Side::kResponse, "HTTP/1.1 20", piece);
    EXPECT_TRUE(c.exchanges().empty());
    c.send_pieces(Side::kResponse, "1 Created\r\nContent-Length: 0\r\n\r\n", piece);
    EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_PUT, 201}}));
  }
}

// Lines that end (with their line feed) before the start line is complete.
TEST(StartLine, LinesEndingTooEarlyAreNotHttp) {
  for (std::string_view line : {"GET", "GET ", "GE", "POST\r", "DELETE"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(line)));
    Connection c;
    c.send_pieces(Side::kRequest, std::string(line) + "\r\n", 1);
    EXPECT_EQ(c.state().requests, 0U);
    EXPECT_EQ(c.notes(HN_NOT_HTTP), 1U);
  }
  for (std::string_view line : {"HTTP/1.1 20", "HTTP/1.1", "HTTP/1.", "HTTP/1.1 2"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(line)));
    Connection c;
    c.request(request_line("GET"));
    c.send_pieces(Side::kResponse, std::string(line) + "\r\n", 1);
    c.response(empty_response(200));
    EXPECT_TRUE(c.exchanges().empty());
    EXPECT_EQ(c.notes(HN_NOT_HTTP), 1U);
  }
}

void expect_nothing_counted(std::string_view requests, std::string_view responses) {
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{100}, requests.size()}) {
    SCOPED_TRACE(piece);
    Connection c;
    c.send_pieces(Side::kRequest, requests, piece);
    c.send_pieces(Side::kResponse, responses, piece);
    EXPECT_TRUE(c.exchanges().empty()) << describe(pairs(c.exchanges()));
    EXPECT_EQ(c.recorder().bad_loads, 0U);
  }
}

TEST(NotHttp, Http2ConnectionPreface) {
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  // An empty SETTINGS frame, then a HEADERS frame for stream 1 with a :method GET.
  const std::string frames(
      "\x00\x00\x00\x04\x00\x00\x00\x00\x00"
      "\x00\x00\x05\x01\x05\x00\x00\x00\x01\x82\x86\x84\x41\x8a",
      23);
  // The server's SETTINGS, SETTINGS ack, then a HEADERS frame with :status 200.
  const std::string server(
      "\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64"
      "\x00\x00\x00\x04\x01\x00\x00\x00\x00"
      "\x00\x00\x01\x01\x04\x00\x00\x00\x01\x88",
      34);
  expect_nothing_counted(preface + frames, server);
  Connection c;
  c.request(preface + frames);
  EXPECT_EQ(c.notes(HN_NOT_HTTP), 1U);
  EXPECT_EQ(c.state().requests, 0U);
}

std::string tls_client_hello() {
  std::string hello("\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03", 11);
  for (int i = 0; i < 32; i++) hello += static_cast<char>(i * 37 + 10);  // client random
  hello += std::string("\x20", 1) + std::string(32, '\x0a');             // session id
  hello += std::string("\x00\x04\x13\x01\x13\x02\x01\x00", 8);           // ciphers, null
  hello += std::string("\x00\x17\x00\x00\x00\x13\x00\x11\x00\x00\x0e", 11) + "example.test";
  hello += std::string("\x00\x10\x00\x0b\x00\x09\x08http/1.1", 15);  // ALPN offers http/1.1
  return hello;
}

TEST(NotHttp, TlsClientHello) {
  const std::string server_hello(
      "\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03\x0a\x0dHTTP/1.1 "
      "200\r\n",
      27);
  expect_nothing_counted(tls_client_hello(), server_hello);
  Connection c;
  c.request(tls_client_hello());
  EXPECT_EQ(c.state().requests, 0U);
  EXPECT_EQ(c.notes(HN_NOT_HTTP), 1U);
}

TEST(NotHttp, Redis) {
  expect_nothing_counted("*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
                         "+PONG\r\n+OK\r\n");
  // An inline GET looks like a request line; the reply is not a status line.
  expect_nothing_counted("GET key\r\n", "$5\r\nvalue\r\n");
}

TEST(NotHttp, RandomBinaryGarbage) {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 200; round++) {
    std::string requests(rng() % 3000, '\0');
    std::string responses(rng() % 3000, '\0');
    for (char& ch : requests) ch = static_cast<char>(rng());
    for (char& ch : responses) ch = static_cast<char>(rng());
    SCOPED_TRACE(round);
    Connection c;
    c.send_pieces(Side::kRequest, requests, 1 + rng() % 700);
    c.send_pieces(Side::kResponse, responses, 1 + rng() % 700);
    EXPECT_TRUE(c.exchanges().empty());
    EXPECT_EQ(c.recorder().bad_loads, 0U);
  }
}

TEST(NotHttp, GarbageAnswerToARealRequest) {
  Connection c;
  c.request(request_line("GET"));
  c.response(std::string("\x00\x01\x02\n\xff\xfeHTTP/1.1 200 OK\r\n\r\n", 25));
  EXPECT_TRUE(c.exchanges().empty());
  EXPECT_EQ(c.notes(HN_NOT_HTTP), 1U);
}

}  // namespace
}  // namespace hs_test
