// Message framing: bodies, chunking, interim responses, tunnels and bad headers. Every
// case is checked fed whole, one byte per segment, split in two at every offset, and
// against the reference parser; all must count the same, which is the expectation below.
#include "parser_test_util.h"

namespace hs_test {
namespace {

struct FramingCase {
  const char* name;
  std::string requests;
  std::string responses;
  std::vector<Pair> want;
  std::array<unsigned, HN_COUNT> want_notes{};
};

void PrintTo(const FramingCase& c, std::ostream* os) { *os << c.name; }

const std::string kStatusLine = "HTTP/1.1 200 OK\r\n";  // 17 bytes
const std::string kRequestLine = "GET / HTTP/1.1\r\n";  // 16 bytes

std::vector<FramingCase> framing_cases() {
  const std::string get2 = request_line("GET", "/a") + request_line("GET", "/b");
  const std::string not_found = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  return {
      {"BodyWithStatusLineByLength",
       get2,
       "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n" + kStatusLine + not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"BodyWithStatusLineChunked",
       get2,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n" + kStatusLine +
           "\r\n0\r\n\r\n" + not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"BodyMadeOfStatusLines",
       get2,
       "HTTP/1.1 200 OK\r\nContent-Length: 170\r\n\r\n" +
           [] {
             std::string s;
             for (int i = 0; i < 10; i++) s += kStatusLine;
             return s;
           }() +
           not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"ChunkedWithExtensionsAndTrailers",
       get2,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5;name=value\r\nhello\r\n"
       "A;quoted=\"a;b\" \r\n0123456789\r\n"
       "1 \r\n!\r\n"
       "0;last\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n" +
           not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"ChunkSizesInAnyCase",
       get2,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "00A\r\n0123456789\r\nb\r\nHTTP/1.1 20\r\n00000\r\n\r\n" +
           not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"ChunkedRequestBody",
       "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nGET \r\n10\r\n" + kRequestLine +
           "\r\n0\r\nX-T: 1\r\n\r\n" + request_line("GET", "/next"),
       empty_response(201) + empty_response(200),
       {{HTTP_M_POST, 201}, {HTTP_M_GET, 200}}},
      {"RequestBodyByLengthThenPipelinedGet",
       "POST /form HTTP/1.1\r\nContent-Length: 16\r\n\r\n" + kRequestLine +
           request_line("GET", "/after"),
       empty_response(201) + empty_response(200),
       {{HTTP_M_POST, 201}, {HTTP_M_GET, 200}}},
      {"RequestWithZeroLength",
       "PUT /empty HTTP/1.1\r\nContent-Length: 0\r\n\r\n" + request_line("DELETE", "/x"),
       empty_response(204) + empty_response(200),
       {{HTTP_M_PUT, 204}, {HTTP_M_DELETE, 200}}},
      {"HeadResponseHasNoBody",
       request_line("HEAD") + request_line("GET"),
       "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
       {{HTTP_M_HEAD, 200}, {HTTP_M_GET, 200}}},
      {"HeadResponseChunkedHasNoBody",
       request_line("HEAD") + request_line("GET"),
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + not_found,
       {{HTTP_M_HEAD, 200}, {HTTP_M_GET, 404}}},
      {"NoContentAndNotModifiedHaveNoBody",
       request_line("DELETE") + request_line("GET") + request_line("GET"),
       "HTTP/1.1 204 No Content\r\nContent-Length: 40\r\n\r\n"
       "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n"
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
       {{HTTP_M_DELETE, 204}, {HTTP_M_GET, 304}, {HTTP_M_GET, 200}}},
      {"ContinueThenFinal",
       "POST /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
       {{HTTP_M_POST, 200}}},
      {"SeveralInterimResponses",
       request_line("GET") + request_line("GET"),
       "HTTP/1.1 102 Processing\r\n\r\n"
       "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" +
           empty_response(200) + "HTTP/1.1 100 Continue\r\nContent-Length: 9\r\n\r\n" + not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"SwitchingProtocolsIsATunnel",
       "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n" + empty_response(200) +
           empty_response(200),
       {{HTTP_M_GET, 101}}},
      {"ConnectSuccessIsATunnel",
       "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n" + request_line("GET"),
       "HTTP/1.1 200 Connection Established\r\n\r\n" + empty_response(200),
       {{HTTP_M_CONNECT, 200}}},
      {"ConnectRefusedIsNotATunnel",
       "CONNECT example.test:443 HTTP/1.1\r\n\r\n" + request_line("GET"),
       "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\nauth" +
           empty_response(200),
       {{HTTP_M_CONNECT, 407}, {HTTP_M_GET, 200}}},
      {"BodyUntilClose",
       get2,
       "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody\r\n" + empty_response(200),
       {{HTTP_M_GET, 200}}},
      {"Http10BodyUntilClose",
       get2,
       "HTTP/1.0 200 OK\r\n\r\n" + empty_response(200),
       {{HTTP_M_GET, 200}}},
      {"ChunkedWinsOverLength",
       get2,
       "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\n0\r\n\r\n" +
           not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"TransferCodingsEndingInChunked",
       get2 + request_line("GET"),
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
       "HTTP/1.1 200 OK\r\ntransfer-encoding:Chunked\r\n\r\n0\r\n\r\n"
       "HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip,CHUNKED  \r\n\r\n0\r\n\r\n",
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 200}, {HTTP_M_GET, 200}}},
      {"LastTransferEncodingDecides",
       get2,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"
       "Content-Length: 3\r\n\r\nabc" +
           not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"TransferEncodingWithoutAValue",
       get2,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding:   \r\nContent-Length: 3\r\n\r\nabc" + not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"ChunkedMustBeAWholeCoding",
       get2,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nabc" + not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"HeaderNamesInAnyCaseAndBlanksAroundLength",
       get2,
       "HTTP/1.1 200 OK\r\ncontent-LENGTH:\t 3 \t\r\n\r\nabc" + not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"SameLengthTwice",
       get2,
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc" + not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
      {"ConflictingLengthsInAResponse",
       get2,
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd" + not_found,
       {{HTTP_M_GET, 200}},
       notes({{HN_BAD_HEADER, 1}})},
      {"ConflictingLengthsInARequest",
       "POST /a HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd" +
           request_line("GET", "/b"),
       empty_response(200) + empty_response(200),
       // The request side lost its framing: the second request was not seen as one.
       {{HTTP_M_POST, 200}, {HTTP_M_OTHER, 200}},
       notes({{HN_BAD_HEADER, 1}, {HN_REQUEST_UNSEEN, 1}})},
      {"NamesThatOnlyResembleFramingHeaders",
       "POST /p HTTP/1.1\r\nX-Content-Length: 20\r\nContent-Lengths: 20\r\n"
       "Content\rLength: 20\r\nContent-Length\x1a 20\r\nTransfer\rEncoding: chunked\r\n"
       "Transfer-Encoding : chunked\r\n\r\n" +
           request_line("GET", "/q"),
       empty_response(200) + empty_response(200),
       {{HTTP_M_POST, 200}, {HTTP_M_GET, 200}}},
      {"LineFeedOnlyLineEnds",
       // Chunk data is still followed by two bytes (CRLF): only lines may end in a bare LF.
       "POST /x HTTP/1.1\nTransfer-Encoding: chunked\n\n3\nabc\r\n0\n\nGET /y HTTP/1.0\n\n",
       "HTTP/1.1 200 OK\nContent-Length: 2\n\nokHTTP/1.0 404 Nope\nContent-Length: 0\n\n",
       {{HTTP_M_POST, 200}, {HTTP_M_GET, 404}}},
      {"StrayLineEndsBetweenMessages",
       "\r\n\n" + request_line("GET") + "\r\n\r\n\n" + request_line("OPTIONS", "*"),
       "\r\n" + empty_response(200) + "\n\r\n" + empty_response(200),
       {{HTTP_M_GET, 200}, {HTTP_M_OPTIONS, 200}}},
      {"HeaderLineLongerThanTheWindow",
       "POST /big HTTP/1.1\r\nX-Big: " + std::string(1000, 'a') +
           "\r\nContent-Length: 5\r\n\r\nhello" + request_line("GET"),
       "HTTP/1.1 200 OK\r\nX-Big: " + std::string(700, 'b') + "\r\nContent-Length: 5\r\n\r\nworld" +
           not_found,
       {{HTTP_M_POST, 200}, {HTTP_M_GET, 404}}},
      {"LongTargets",
       request_line("GET", "/" + std::string(300, 'x')) +
           request_line("PATCH", "/" + std::string(10 * 1024, 'y')) + request_line("GET"),
       empty_response(200) + empty_response(200) + empty_response(200),
       {{HTTP_M_GET, 200}, {HTTP_M_PATCH, 200}, {HTTP_M_GET, 200}}},
      {"LengthLineLongerThanItsKeptPrefix",
       get2,
       // Framing values are read from the first HTTP_LINE_MAX bytes of a line only.
       "HTTP/1.1 200 OK\r\nContent-Length:" + std::string(HTTP_LINE_MAX, ' ') + "3\r\n\r\nabc" +
           not_found,
       {{HTTP_M_GET, 200}},
       notes({{HN_BAD_HEADER, 1}})},
      {"ChunkedBodyWithLongChunks",
       get2,
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n12c\r\n" + std::string(300, 'z') +
           "\r\n400\r\n" + std::string(1024, '\n') + "\r\n0\r\n\r\n" + not_found,
       {{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}},
  };
}

class Framing : public testing::TestWithParam<FramingCase> {};

TEST_P(Framing, CountsTheSameHoweverItIsSegmented) {
  const FramingCase& c = GetParam();
  Counted want;
  want.pairs = c.want;
  want.notes = c.want_notes;

  EXPECT_EQ(run_whole(c.requests, c.responses), want) << "fed whole";
  EXPECT_EQ(run_bytewise(c.requests, c.responses), want) << "fed one byte per segment";
  EXPECT_EQ(run_reference(c.requests, c.responses), want) << "reference parser";

  const std::size_t longest = std::max(c.requests.size(), c.responses.size());
  // Long cases: every offset near the window edges, a stride elsewhere.
  for (std::size_t at = 1; at < longest; at++) {
    const bool near_window_edge = at % HTTP_WINDOW < 72 || at % HTTP_WINDOW > HTTP_WINDOW - 72;
    if (longest > 2048 && !near_window_edge && at % 17 != 0) continue;
    const Counted got = run_split(c.requests, c.responses, at);
    ASSERT_EQ(got, want) << "split at " << at;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, Framing, testing::ValuesIn(framing_cases()),
                         [](const testing::TestParamInfo<FramingCase>& info) {
                           return std::string(info.param.name);
                         });

// Every way a Content-Length value can be unusable.
TEST(FramingHeaders, BadLengthsLoseTheFraming) {
  for (std::string_view value : {"", " ", "abc", "-1", "+5", "1 2", "5x", "0x10", "1.0", "3,3",
                                 "1000000000000000000", "99999999999999999999"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(value)));
    const std::string responses = "HTTP/1.1 200 OK\r\nContent-Length: " + std::string(value) +
                                  "\r\n\r\n" + empty_response(200);
    Counted want;
    want.pairs = {{HTTP_M_GET, 200}};
    want.notes = notes({{HN_BAD_HEADER, 1}});
    EXPECT_EQ(run_whole(request_line("GET") + request_line("GET"), responses), want);
  }
}

// The largest lengths that still fit are bodies like any other.
TEST(FramingHeaders, LargestUsableLength) {
  Connection c;
  c.request(request_line("GET") + request_line("GET"));
  c.response("HTTP/1.1 200 OK\r\nContent-Length: 000999999999999999999\r\n\r\n");
  c.response(empty_response(200));  // inside the body
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}}));
  EXPECT_EQ(c.state().resp.state, HS_BODY);
  EXPECT_EQ(c.notes(HN_BAD_HEADER), 0U);
}

TEST(FramingHeaders, BadChunkSizesLoseTheFraming) {
  for (std::string_view size : {"", "zz", "-1", "0x5", "5\x01", "1000000000000000"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(size)));
    const std::string responses = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                  std::string(size) + "\r\nabcde\r\n0\r\n\r\n" +
                                  empty_response(200);
    Counted want;
    want.pairs = {{HTTP_M_GET, 200}};
    want.notes = notes({{HN_BAD_HEADER, 1}});
    EXPECT_EQ(run_whole(request_line("GET") + request_line("GET"), responses), want);
  }
}

TEST(FramingHeaders, LongTransferEncodingIsUnusable) {
  // Its value is judged on the kept prefix, so a longer line cannot be trusted.
  const std::string te = "Transfer-Encoding: " + std::string(HTTP_LINE_MAX, 'g') + ", chunked";
  Counted want;
  want.pairs = {{HTTP_M_GET, 200}};
  want.notes = notes({{HN_BAD_HEADER, 1}});
  EXPECT_EQ(run_whole(request_line("GET") + request_line("GET"),
                      "HTTP/1.1 200 OK\r\n" + te + "\r\n\r\n0\r\n\r\n" + empty_response(200)),
            want);
}

}  // namespace
}  // namespace hs_test
