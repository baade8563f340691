// RequestFramer: where a request ends in the received bytes, and what it
// refuses before a worker sees it. Both exporters' servers frame with it.
#include "request_framing.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace hs::http {
namespace {

using State = Frame::State;

constexpr FramingLimits kLimits{1024, 100};

Frame frame_all(std::string_view bytes, FramingLimits limits = kLimits) {
  RequestFramer framer(limits);
  return framer.update(bytes);
}

// Feeds `bytes` one at a time, as a slow client sends them; every prefix
// but the whole must be Incomplete.
Frame frame_bytewise(std::string_view bytes) {
  RequestFramer framer(kLimits);
  for (std::size_t n = 1; n < bytes.size(); ++n) {
    const Frame f = framer.update(bytes.substr(0, n));
    EXPECT_EQ(f.state, State::Incomplete) << "after " << n << " bytes of " << bytes;
    if (f.state != State::Incomplete) return f;
  }
  return framer.update(bytes);
}

TEST(RequestFraming, GetEndsAtTheBlankLine) {
  const std::string get = "GET /report HTTP/1.1\r\nHost: plugin\r\n\r\n";
  const Frame f = frame_all(get);
  EXPECT_EQ(f.state, State::Complete);
  EXPECT_EQ(f.size(), get.size());
  EXPECT_EQ(f.body_size, 0u);
  EXPECT_EQ(frame_bytewise(get).size(), get.size());
}

TEST(RequestFraming, OnlyTheFirstOfPipelinedRequests) {
  const std::string first = "GET /a HTTP/1.1\r\n\r\n";
  const Frame f = frame_all(first + "GET /b HTTP/1.1\r\n\r\nGET /c");
  EXPECT_EQ(f.state, State::Complete);
  EXPECT_EQ(f.size(), first.size());
}

TEST(RequestFraming, BodyByContentLength) {
  const std::string head = "POST /control HTTP/1.1\r\ncontent-LENGTH:  \t5 \r\n\r\n";
  RequestFramer framer(kLimits);
  Frame f = framer.update(head + "abc");
  EXPECT_EQ(f.state, State::Incomplete);
  EXPECT_EQ(f.header_size, head.size());
  EXPECT_EQ(f.body_size, 5u);
  f = framer.update(head + "abcdeGET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(f.state, State::Complete);
  EXPECT_EQ(f.size(), head.size() + 5);
  EXPECT_EQ(frame_bytewise(head + "abcde").size(), head.size() + 5);
}

TEST(RequestFraming, RepeatedEqualLengthsAreOneLength) {
  const Frame f = frame_all("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab");
  EXPECT_EQ(f.state, State::Complete);
  EXPECT_EQ(f.body_size, 2u);
}

TEST(RequestFraming, AmbiguousOrMalformedLengthsAre400) {
  for (const char* bad : {"Content-Length: 2\r\nContent-Length: 3", "Content-Length: -1",
                          "Content-Length: 1x", "Content-Length:", "Content-Length: 0x10"}) {
    const Frame f = frame_all(std::string("POST / HTTP/1.1\r\n") + bad + "\r\n\r\n");
    EXPECT_EQ(f.state, State::Refused) << bad;
    EXPECT_EQ(f.status, 400) << bad;
  }
}

TEST(RequestFraming, TooLargeBodyIsRefusedBeforeItArrives) {
  for (const char* length : {"101", "99999999999999999999999999"}) {
    const Frame f =
        frame_all(std::string("POST / HTTP/1.1\r\nContent-Length: ") + length + "\r\n\r\n");
    EXPECT_EQ(f.state, State::Refused) << length;
    EXPECT_EQ(f.status, 413) << length;
  }
  EXPECT_EQ(frame_all("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n").state, State::Incomplete);
}

TEST(RequestFraming, BodyWithoutLengthIs411AndWithBothIs400) {
  Frame f =
      frame_all("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(f.state, State::Refused);
  EXPECT_EQ(f.status, 411);
  f = frame_all("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(f.state, State::Refused);
  EXPECT_EQ(f.status, 400);
}

TEST(RequestFraming, ExpectContinueOnlyWhileABodyIsDue) {
  Frame f = frame_all("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(f.state, State::Incomplete);
  EXPECT_TRUE(f.expects_continue);
  f = frame_all("POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(f.state, State::Complete);
  EXPECT_FALSE(f.expects_continue);
}

TEST(RequestFraming, ANameWithSpaceBeforeTheColonIsNotContentLength) {
  // httplib would not read it as the length either: both see no body.
  const Frame f = frame_all("GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n");
  EXPECT_EQ(f.state, State::Complete);
  EXPECT_EQ(f.body_size, 0u);
}

TEST(RequestFraming, NotHttpIsRefusedFromTheFirstBytes) {
  const std::string tls_client_hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  const std::string binary("\x00\xff\x13\x37", 4);
  for (const std::string& bytes :
       {tls_client_hello, binary, std::string("*1\r\n$4\r\nPING\r\n"),  // Redis
        std::string("SSH-2.0-OpenSSH_9.2\r\n"), std::string("\r\n\r\nGET / HTTP/1.1\r\n\r\n"),
        std::string(" GET / HTTP/1.1\r\n\r\n"), std::string(40, 'A') + " / HTTP/1.1\r\n\r\n"}) {
    RequestFramer framer(kLimits);
    Frame f;
    for (std::size_t n = 1; n <= bytes.size() && f.state == State::Incomplete; ++n)
      f = framer.update(std::string_view(bytes).substr(0, n));
    EXPECT_EQ(f.state, State::Refused) << bytes;
    EXPECT_EQ(f.status, 400) << bytes;
  }
}

TEST(RequestFraming, RequestLinesHttplibWouldRejectAreRefusedAtTheirEnd) {
  for (const char* line : {"PRI * HTTP/2.0", "GET /report HTTP/9.9", "GET /report",
                           "GET / HTTP/1.1 extra", "SSH-2.0-OpenSSH_9.2p1 Debian-2", "GET  "}) {
    RequestFramer framer(kLimits);
    const std::string bytes = std::string(line) + "\r\n";
    EXPECT_EQ(framer.update(std::string_view(bytes).substr(0, bytes.size() - 1)).state,
              State::Incomplete)
        << line;
    const Frame f = framer.update(bytes);
    EXPECT_EQ(f.state, State::Refused) << line;
    EXPECT_EQ(f.status, 400) << line;
  }
  for (const char* line : {"get / HTTP/1.1", "PROPFIND / HTTP/1.1", "BREW /pot HTTP/1.0"}) {
    const Frame f = frame_all(std::string(line) + "\r\n");
    EXPECT_EQ(f.state, State::Refused) << line;
    EXPECT_EQ(f.status, 501) << line;
  }
  // Extra spaces between the parts are tolerated, as httplib does.
  EXPECT_EQ(frame_all("GET  /  HTTP/1.1\r\n\r\n").state, State::Complete);
}

TEST(RequestFraming, BareLineFeedsAre400) {
  for (const char* bytes : {"GET / HTTP/1.1\n\n", "GET / HTTP/1.1\r\nHost: x\n\r\n"}) {
    const Frame f = frame_all(bytes);
    EXPECT_EQ(f.state, State::Refused) << bytes;
    EXPECT_EQ(f.status, 400) << bytes;
  }
}

TEST(RequestFraming, LongRequestLineIs414AndLongHeaderIs431) {
  constexpr FramingLimits limits{64, 0};
  Frame f = frame_all("GET /" + std::string(100, 'a'), limits);
  EXPECT_EQ(f.state, State::Refused);
  EXPECT_EQ(f.status, 414);
  f = frame_all("GET / HTTP/1.1\r\nX-Big: " + std::string(100, 'b'), limits);
  EXPECT_EQ(f.state, State::Refused);
  EXPECT_EQ(f.status, 431);
  // Many small fields add up the same way.
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 20; ++i) many += "A: b\r\n";
  f = frame_all(many, limits);
  EXPECT_EQ(f.status, 431);
}

TEST(RequestFraming, HeaderOfExactlyTheLimitIsAccepted) {
  const std::string head = "GET / HTTP/1.1\r\nX: ";
  const std::string exact = head + std::string(64 - head.size() - 4, 'x') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 64u);
  EXPECT_EQ(frame_all(exact, {64, 0}).state, State::Complete);
  const std::string over = head + std::string(64 - head.size() - 3, 'x') + "\r\n\r\n";
  EXPECT_EQ(frame_all(over, {64, 0}).status, 431);
}

TEST(RequestFraming, ResetFramesTheNextRequest) {
  const std::string a = "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx";
  const std::string b = "GET /b HTTP/1.1\r\n\r\n";
  RequestFramer framer(kLimits);
  const std::string all = a + b;
  EXPECT_EQ(framer.update(all).size(), a.size());
  framer.reset();
  const Frame f = framer.update(std::string_view(all).substr(a.size()));
  EXPECT_EQ(f.state, State::Complete);
  EXPECT_EQ(f.size(), b.size());
}

}  // namespace
}  // namespace hs::http
