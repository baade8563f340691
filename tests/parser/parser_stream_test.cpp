// The TCP side: segmentation, retransmission, gaps, sequence wrap-around, the load
// window, the shared scratch buffer and the per-segment step budget.
#include "parser_test_util.h"

namespace hs_test {
namespace {

// A conversation whose messages straddle 256-byte windows and use every framing.
struct Conversation {
  std::string requests;
  std::string responses;
  std::vector<Pair> want;
};

Conversation conversation() {
  Conversation c;
  const std::string json = "{\"name\":\"HTTP/1.1 200 OK\"}\n";
  c.requests =
      "POST /api/items HTTP/1.1\r\nHost: example.test\r\nUser-Agent: " + std::string(150, 'u') +
      "\r\nContent-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json +
      "PUT /api/items/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6;x=y\r\nabcdef\r\n0\r\nTrailer: t\r\n\r\n" +
      request_line("GET", "/" + std::string(280, 'g')) + request_line("HEAD", "/h");
  c.responses = "HTTP/1.1 201 Created\r\nLocation: /api/items/1\r\nContent-Length: 40\r\n\r\n" +
                std::string(23, '-') + "HTTP/1.1 200 OK\r\n" +
                "HTTP/1.1 100 Continue\r\n\r\n"
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                "3\r\n\n\n\n\r\n1F4\r\n" +
                std::string(500, 'c') + "\r\n0\r\n\r\n" +
                "HTTP/1.1 404 Not Found\r\nServer: " + std::string(300, 's') +
                "\r\nContent-Length: 0\r\n\r\n"
                "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n";
  c.want = {{HTTP_M_POST, 201}, {HTTP_M_PUT, 200}, {HTTP_M_GET, 404}, {HTTP_M_HEAD, 200}};
  return c;
}

TEST(Segmentation, SplitInTwoAtEveryOffset) {
  const Conversation conv = conversation();
  ASSERT_EQ(run_whole(conv.requests, conv.responses).pairs, conv.want);
  const std::size_t longest = std::max(conv.requests.size(), conv.responses.size());
  for (std::size_t at = 1; at < longest; at++) {
    const Counted got = run_split(conv.requests, conv.responses, at);
    ASSERT_EQ(got.pairs, conv.want) << "split at " << at;
    ASSERT_EQ(got.notes, notes({})) << "split at " << at;
    ASSERT_EQ(got.bad_loads, 0U);
  }
}

TEST(Segmentation, OneBytePerSegment) {
  const Conversation conv = conversation();
  const Counted got = run_bytewise(conv.requests, conv.responses);
  EXPECT_EQ(got.pairs, conv.want);
  EXPECT_EQ(got.notes, notes({}));
}

TEST(Segmentation, EveryPairOfCutsInASmallExchange) {
  const std::string req = "POST /f HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n";
  const std::string resp =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
      "HTTP/1.0 304 Not Modified\r\n\r\n";
  const std::vector<Pair> want = {{HTTP_M_POST, 200}, {HTTP_M_GET, 304}};
  for (std::size_t a = 1; a < resp.size(); a++) {
    for (std::size_t b = a + 1; b < resp.size(); b++) {
      Connection c;
      c.send_cut(Side::kRequest, req, {a % req.size(), b % req.size()});
      c.send_cut(Side::kResponse, resp, {a, b});
      ASSERT_EQ(pairs(c.exchanges()), want) << "cuts " << a << ", " << b;
    }
  }
}

// Within one segment the parser loads 256-byte windows; a line can be cut by a window's
// end at any offset.
TEST(Segmentation, StartLineAcrossTheWindowEdgeAtEveryOffset) {
  for (std::size_t pad = 0; pad < HTTP_WINDOW + 40; pad++) {
    SCOPED_TRACE(pad);
    const std::string first = request_line("GET", "/" + std::string(pad, 'a'));
    Connection c;
    c.request(first + request_line("DELETE", "/" + std::string(90, 'd')) + request_line("PUT"));
    c.response("HTTP/1.1 200 OK\r\nX-Pad: " + std::string(pad, 'p') +
               "\r\nContent-Length: 0\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n" +
               empty_response(201));
    ASSERT_EQ(pairs(c.exchanges()),
              (std::vector<Pair>{{HTTP_M_GET, 200}, {HTTP_M_DELETE, 202}, {HTTP_M_PUT, 201}}));
  }
}

TEST(Segmentation, EmptySegmentsChangeNothing) {
  Connection c;
  c.request("");
  c.request(request_line("GET").substr(0, 10));
  c.request("");
  c.request(request_line("GET").substr(10));
  c.response("");
  c.response(empty_response(200));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}}));
  EXPECT_EQ(counted(c).notes, notes({}));
}

TEST(Segmentation, PayloadOffsetInTheSegmentIsRespected) {
  for (std::uint32_t room : {0U, 1U, 20U, 40U, 60U, 255U, 256U, 1000U}) {
    SCOPED_TRACE(room);
    Connection::Options o;
    o.header_room = room;
    Connection c(o);
    const Conversation conv = conversation();
    c.send_pieces(Side::kRequest, conv.requests, 333);
    c.send_pieces(Side::kResponse, conv.responses, 333);
    EXPECT_EQ(pairs(c.exchanges()), conv.want);
    EXPECT_EQ(c.recorder().bad_loads, 0U);
  }
}

// In the kernel the scratch buffer is per CPU and shared by all connections, so it holds
// anything between two segments of one connection.
TEST(Segmentation, StaleScratchContentsDoNotMatter) {
  const Conversation conv = conversation();
  for (std::string pattern : {std::string("\n"), std::string(1, '\0'), std::string("\r"),
                              std::string("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n"),
                              std::string("GET / HTTP/1.1\nTransfer-Encoding: chunked\n")}) {
    SCOPED_TRACE(testing::PrintToString(pattern));
    for (std::size_t piece : {1, 5, 64, 300}) {
      Connection c;
      c.set_scratch_pattern(pattern);
      c.send_pieces(Side::kRequest, conv.requests, piece);
      c.send_pieces(Side::kResponse, conv.responses, piece);
      EXPECT_EQ(pairs(c.exchanges()), conv.want) << "pieces of " << piece;
    }
  }
}

// ---- retransmission ---------------------------------------------------------------------

TEST(Retransmission, SameSegmentTwiceCountsOnce) {
  Connection c;
  const std::string req = request_line("GET");
  c.request(req);
  c.resend(Side::kRequest, 0, req.size());
  c.response(empty_response(200));
  c.resend(Side::kResponse, 0, c.sent(Side::kResponse));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}}));
  EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 0U);
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 0U);
}

TEST(Retransmission, EverySegmentTwice) {
  const Conversation conv = conversation();
  Connection c;
  for (Side side : {Side::kRequest, Side::kResponse}) {
    const std::string& bytes = side == Side::kRequest ? conv.requests : conv.responses;
    for (std::size_t at = 0; at < bytes.size(); at += 37) {
      c.send(side, std::string_view(bytes).substr(at, 37));
      c.resend(side, at, 37);
    }
  }
  EXPECT_EQ(pairs(c.exchanges()), conv.want);
  EXPECT_EQ(counted(c).notes, notes({}));
}

TEST(Retransmission, PartiallyOverlappingSegments) {
  const Conversation conv = conversation();
  for (std::size_t overlap : {1, 10, 50, 200, 400}) {
    SCOPED_TRACE(overlap);
    Connection c;
    for (Side side : {Side::kRequest, Side::kResponse}) {
      const std::string& bytes = side == Side::kRequest ? conv.requests : conv.responses;
      // Segments of 450 bytes that start `overlap` bytes before the previous one ended.
      std::size_t from = 0;
      while (from < bytes.size()) {
        const std::size_t start = from >= overlap ? from - overlap : 0;
        c.feed_at(side, start, std::string_view(bytes).substr(start, 450));
        from = std::min(bytes.size(), start + 450);
      }
    }
    EXPECT_EQ(pairs(c.exchanges()), conv.want);
    EXPECT_EQ(counted(c).notes, notes({}));
  }
}

TEST(Retransmission, OldSegmentAfterNewerOnes) {
  Connection c;
  const std::string reqs = request_line("GET") + request_line("PATCH");
  c.request(reqs);
  c.resend(Side::kRequest, 3, 10);  // somewhere inside, long after it was first seen
  c.response(empty_response(200));
  c.resend(Side::kResponse, 0, 5);
  c.response(empty_response(201));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}, {HTTP_M_PATCH, 201}}));
}

// ---- sequence gaps ----------------------------------------------------------------------

TEST(SequenceGap, RequestSideGapKeepsCountingWithoutMethods) {
  Connection c;
  c.set_clock(1'000);
  c.request(request_line("POST"));
  c.skip(Side::kRequest, request_line("PUT").size());  // a request never seen
  c.request(request_line("DELETE"));
  c.request(request_line("GET"));
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 1U);
  EXPECT_EQ(c.state().req.state, HS_LOST);
  c.set_clock(2'000);
  c.response(empty_response(201) + empty_response(202) + empty_response(203) + empty_response(204));
  EXPECT_EQ(
      pairs(c.exchanges()),
      (std::vector<Pair>{
          {HTTP_M_POST, 201}, {HTTP_M_OTHER, 202}, {HTTP_M_OTHER, 203}, {HTTP_M_OTHER, 204}}));
  EXPECT_TRUE(c.exchanges()[0].has_latency);
  for (std::size_t i = 1; i < c.exchanges().size(); i++) EXPECT_FALSE(c.exchanges()[i].has_latency);
  EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 0U);
}

TEST(SequenceGap, ResponseSideGapStopsCounting) {
  Connection c;
  c.request(request_line("GET") + request_line("GET") + request_line("GET"));
  c.response(empty_response(200));
  c.skip(Side::kResponse, 10);
  c.response(empty_response(200).substr(10) + empty_response(200));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}}));
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 1U);
  // Even the missed bytes arriving late do not count.
  c.resend(Side::kResponse, empty_response(200).size(), 10);
  EXPECT_EQ(c.exchanges().size(), 1U);
}

TEST(SequenceGap, InsideABodyLosesFraming) {
  Connection c;
  c.request(request_line("GET") + request_line("GET"));
  const std::string first =
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b');
  c.response(first.substr(0, first.size() - 60));
  c.skip(Side::kResponse, 20);  // the skip would be harmless, but it is not known to be
  c.response(first.substr(first.size() - 40) + empty_response(200));
  EXPECT_EQ(c.exchanges().size(), 1U);
  EXPECT_EQ(c.state().resp.state, HS_LOST);
}

// Out-of-order arrival looks like a gap: cgroup_skb sees segments as they arrive.
TEST(SequenceGap, ReorderedSegmentIsAGap) {
  Connection c;
  const std::string req = request_line("GET") + request_line("PUT");
  c.feed_at(Side::kRequest, 0, std::string_view(req).substr(0, 10));
  c.feed_at(Side::kRequest, 20, std::string_view(req).substr(20));
  c.feed_at(Side::kRequest, 10, std::string_view(req).substr(10, 10));
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 1U);
  EXPECT_EQ(c.state().requests, 0U);
}

// Bytes missed before anything was parsed on the receive side rode in the SYN (TCP Fast
// Open): framing starts with the first segment seen, and a response that finds no
// request answers one of the missed ones.
TEST(SequenceGap, MissedStartOfTheRequestSideIsFastOpenData) {
  Connection c;  // sequence numbers preset, as by sockops
  c.skip(Side::kRequest, request_line("GET", "/in-the-syn").size());
  c.request(request_line("PUT"));
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 0U);
  EXPECT_EQ(c.state().requests, 1U);
  c.response(empty_response(201) + empty_response(200));
  // The first response answers the PUT: the missed request was answered before it was
  // seen, or not at all. The second finds no request and counts without a method.
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_PUT, 201}, {HTTP_M_OTHER, 200}}));
  ASSERT_EQ(c.exchanges().size(), 2U);
  EXPECT_TRUE(c.exchanges()[0].has_latency);
  EXPECT_FALSE(c.exchanges()[1].has_latency);
  EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 0U);
}

TEST(SequenceGap, HandshakePayloadSkippedWhenTheConnectionIsSetUp) {
  Connection::Options o;
  o.handshake_payload = static_cast<std::uint32_t>(request_line("GET", "/in-the-syn").size());
  Connection c(o);
  c.response(empty_response(200));  // answers the request in the SYN
  c.request(request_line("DELETE"));
  c.response(empty_response(204));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_OTHER, 200}, {HTTP_M_DELETE, 204}}));
  ASSERT_EQ(c.exchanges().size(), 2U);
  EXPECT_FALSE(c.exchanges()[0].has_latency);
  EXPECT_TRUE(c.exchanges()[1].has_latency);
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 0U);
}

// ---- responses to requests that were not seen ----------------------------------------

// The lost exchange: ten pipelined requests that were never parsed (the
// handshake's payload, when it could not be), answered by eight bodies, a HEAD of a 1
// MiB file and a 404. The HEAD response announces a body it does not have; the status
// line after it shows that, and the 404 counts.
TEST(UnseenRequest, HeadResponseDoesNotSwallowTheNextOne) {
  std::string requests;
  for (int i = 0; i < 8; i++) requests += request_line("GET", "/ok");
  requests += request_line("HEAD", "/big") + request_line("GET", "/missing");
  std::string responses;
  for (int i = 0; i < 8; i++) responses += "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
  responses += "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n";
  responses += "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found";
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{60}, responses.size()}) {
    SCOPED_TRACE(piece);
    Connection::Options o;
    o.handshake_payload = static_cast<std::uint32_t>(requests.size());
    Connection c(o);
    c.send_pieces(Side::kResponse, responses, piece);
    std::vector<Pair> want(9, Pair{HTTP_M_OTHER, 200});
    want.push_back({HTTP_M_OTHER, 404});
    EXPECT_EQ(pairs(c.exchanges()), want);
    for (const Exchange& e : c.exchanges()) EXPECT_FALSE(e.has_latency);
    EXPECT_EQ(c.notes(HN_REQUEST_UNSEEN), 10U);
    EXPECT_EQ(c.notes(HN_FRAMING_GUESSED), 10U);
    EXPECT_EQ(c.state().resp.state, HS_LINE);
    // The body was skipped, the connection goes on.
    c.request(request_line("PUT"));
    c.response(empty_response(201));
    EXPECT_EQ(c.exchanges().back().method, HTTP_M_PUT);
  }
}

// A chunked response to an unseen HEAD: one byte tells a chunk size from a status line.
TEST(UnseenRequest, ChunkedHeadResponseAndChunkedBody) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string body = head + "4\r\nHTTP\r\n0\r\n\r\n";
  for (std::size_t piece : {std::size_t{1}, std::size_t{5}, std::size_t{1000}}) {
    SCOPED_TRACE(piece);
    Connection c;
    c.request(request_line("GET"));
    c.skip(Side::kRequest, 40);
    c.request(request_line("GET"));  // after the gap: framing is lost
    c.send_pieces(Side::kResponse, empty_response(200) + head + body + empty_response(503), piece);
    EXPECT_EQ(
        pairs(c.exchanges()),
        (std::vector<Pair>{
            {HTTP_M_GET, 200}, {HTTP_M_OTHER, 200}, {HTTP_M_OTHER, 200}, {HTTP_M_OTHER, 503}}));
    EXPECT_EQ(c.notes(HN_FRAMING_GUESSED), 2U);  // the 503 has no body to guess about
    EXPECT_EQ(c.notes(HN_REQUEST_UNSEEN), 3U);
  }
}

// Fewer bytes than the guess needs in a segment, and a Content-Length below 8.
TEST(UnseenRequest, GuessWaitsForItsBytesAndNeverReadsPastALength) {
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{9}}) {
    SCOPED_TRACE(piece);
    Connection::Options o;
    o.handshake_payload = 60;  // two requests that were not parsed
    Connection c(o);
    // A 2-byte body, then a HEAD response with no length (until close, had it a body).
    c.send_pieces(Side::kResponse,
                  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.0 200 OK\r\n\r\n"
                  "HTTP/1.1 304 Not Modified\r\n\r\n",
                  piece);
    EXPECT_EQ(pairs(c.exchanges()),
              (std::vector<Pair>{{HTTP_M_OTHER, 200}, {HTTP_M_OTHER, 200}, {HTTP_M_OTHER, 304}}));
    EXPECT_EQ(c.notes(HN_FRAMING_GUESSED), 2U);
    EXPECT_EQ(c.state().resp.state, HS_LINE);
  }
}

// The guess has a price, counted: a body that starts like a status line is taken for one
// when its request was not seen.
TEST(UnseenRequest, BodyThatLooksLikeAStatusLineIsMisjudgedAndNoted) {
  Connection::Options o;
  o.handshake_payload = 30;
  Connection c(o);
  c.response("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n" + empty_response(299));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_OTHER, 200}, {HTTP_M_OTHER, 299}}));
  EXPECT_EQ(c.notes(HN_FRAMING_GUESSED), 1U);
}

// A request pushed out of the pipeline is unseen too: its response may be a HEAD's.
TEST(UnseenRequest, PipelineOverflowGuessesTheFraming) {
  Connection c;
  std::string requests = request_line("HEAD", "/first");
  for (int i = 0; i < HTTP_PIPELINE; i++) requests += request_line("GET");
  c.request(requests);
  c.response("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + empty_response(200));
  ASSERT_EQ(c.exchanges().size(), 2U);
  EXPECT_EQ(c.notes(HN_PIPELINE_OVERFLOW), 1U);
  EXPECT_EQ(c.notes(HN_FRAMING_GUESSED), 1U);
  EXPECT_EQ(c.exchanges()[1].method, HTTP_M_GET);
}

TEST(SequenceGap, GapAfterTheFirstRequestBytesIsStillAGap) {
  Connection c;
  c.request(request_line("GET").substr(0, 3));
  c.skip(Side::kRequest, 2);
  c.request(request_line("GET").substr(5));
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 1U);
  EXPECT_EQ(c.state().req.state, HS_LOST);
}

TEST(SequenceGap, MissedStartOfTheResponseSideIsAGap) {
  Connection c;
  c.request(request_line("GET") + request_line("GET"));
  c.skip(Side::kResponse, 5);
  c.response(empty_response(200).substr(5) + empty_response(200));
  EXPECT_TRUE(c.exchanges().empty());
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 1U);
}

TEST(SequenceGap, WithoutPresetTheFirstSegmentDefinesTheSequence) {
  Connection::Options o;
  o.preset_seq = false;
  Connection c(o);
  c.skip(Side::kRequest, 5);
  c.skip(Side::kResponse, 7);
  c.request(request_line("GET"));
  c.response(empty_response(200));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}}));
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 0U);
}

// ---- sequence numbers near 2^32 -----------------------------------------------------------

TEST(SequenceWrap, StreamsCrossingZero) {
  const Conversation conv = conversation();
  for (std::uint32_t before_wrap : {1U, 2U, 100U, 255U, 256U, 1000U}) {
    SCOPED_TRACE(before_wrap);
    Connection::Options o;
    o.request_isn = static_cast<std::uint32_t>(0 - before_wrap);
    o.response_isn = static_cast<std::uint32_t>(0 - before_wrap - 13);
    Connection c(o);
    for (Side side : {Side::kRequest, Side::kResponse}) {
      const std::string& bytes = side == Side::kRequest ? conv.requests : conv.responses;
      for (std::size_t at = 0; at < bytes.size(); at += 97) {
        c.send(side, std::string_view(bytes).substr(at, 97));
        c.resend(side, at >= 50 ? at - 50 : 0, 120);  // overlaps across zero too
      }
    }
    EXPECT_EQ(pairs(c.exchanges()), conv.want);
    EXPECT_EQ(counted(c).notes, notes({}));
  }
}

TEST(SequenceWrap, GapAcrossZeroIsStillAGap) {
  Connection::Options o;
  o.response_isn = 0xFFFFFFF0U;
  Connection c(o);
  c.request(request_line("GET") + request_line("GET"));
  c.response(empty_response(200).substr(0, 10));
  c.skip(Side::kResponse, 10);  // the missed bytes straddle zero
  c.response(empty_response(200).substr(20) + empty_response(200));
  EXPECT_TRUE(c.exchanges().empty());
  EXPECT_EQ(c.notes(HN_SEQ_GAP), 1U);
}

// ---- long lines ---------------------------------------------------------------------------

TEST(LongLines, TargetsOfManySizesAcrossSegments) {
  for (std::size_t len : {63, 64, 65, 255, 256, 257, 300, 511, 512, 4096, 10 * 1024}) {
    for (std::size_t piece : {1000, 256, 100, 7}) {
      SCOPED_TRACE(testing::Message() << "target " << len << ", pieces of " << piece);
      Connection c;
      c.send_pieces(Side::kRequest,
                    request_line("GET", "/" + std::string(len, 'l')) + request_line("TRACE"),
                    piece);
      c.response(empty_response(200) + empty_response(200));
      ASSERT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}, {HTTP_M_TRACE, 200}}));
    }
  }
}

TEST(LongLines, HeaderLinesAroundTheKeptPrefixLength) {
  // Header lines of every length near HTTP_LINE_MAX, with the framing header after them.
  for (std::size_t len = HTTP_LINE_MAX - 4; len <= HTTP_LINE_MAX + 4; len++) {
    const std::string header = "X-H: " + std::string(len - 5, 'h');
    for (std::size_t piece : {1, 3, 64, 1000}) {
      SCOPED_TRACE(testing::Message() << "header line " << len << ", pieces of " << piece);
      Connection c;
      c.request(request_line("GET") + request_line("GET"));
      c.send_pieces(Side::kResponse,
                    "HTTP/1.1 200 OK\r\n" + header + "\r\nContent-Length: 4\r\n" + header +
                        "\r\n\r\nbody" + empty_response(404),
                    piece);
      ASSERT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}, {HTTP_M_GET, 404}}));
    }
  }
}

TEST(LongLines, LengthLineExactlyAtTheKeptPrefix) {
  // 64 bytes with its CR is still usable; one more blank is not.
  const std::string fits = "Content-Length:" + std::string(HTTP_LINE_MAX - 15 - 2, ' ') + "3\r";
  ASSERT_EQ(fits.size(), HTTP_LINE_MAX);
  for (std::size_t piece : {1, 10, 1000}) {
    Connection ok;
    ok.request(request_line("GET") + request_line("GET"));
    ok.send_pieces(Side::kResponse,
                   "HTTP/1.1 200 OK\r\n" + fits + "\n\r\nabc" + empty_response(204), piece);
    EXPECT_EQ(pairs(ok.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}, {HTTP_M_GET, 204}}));

    Connection too_long;
    too_long.request(request_line("GET") + request_line("GET"));
    const std::string longer = "Content-Length: " + fits.substr(15);
    too_long.send_pieces(Side::kResponse,
                         "HTTP/1.1 200 OK\r\n" + longer + "\n\r\nabc" + empty_response(204), piece);
    EXPECT_EQ(pairs(too_long.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}}));
    EXPECT_EQ(too_long.notes(HN_BAD_HEADER), 1U);
  }
}

// ---- step budget ----------------------------------------------------------------------------

// A chunk costs two steps (its size line, its data), so one large (GRO) segment of tiny
// chunks needs more than HTTP_MAX_STEPS.
std::string tiny_chunks_request() {
  std::string req = "POST /stream HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < HTTP_MAX_STEPS / 2 + 100; i++) req += "1\r\nx\r\n";
  return req + "0\r\n\r\n" + request_line("PUT");
}

TEST(StepBudget, HugeSegmentOfTinyChunksLosesFramingVisibly) {
  Connection c;
  c.request(tiny_chunks_request());
  EXPECT_EQ(c.notes(HN_STEP_BUDGET), 1U);
  EXPECT_EQ(c.state().req.state, HS_LOST);
  c.response(empty_response(200) + empty_response(201));
  // The POST was seen; the PUT after the unparsed rest was not.
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_POST, 200}, {HTTP_M_OTHER, 201}}));
}

TEST(StepBudget, SameChunksInSmallerSegmentsAreFine) {
  Connection c;
  c.send_pieces(Side::kRequest, tiny_chunks_request(), 1460);
  c.response(empty_response(200) + empty_response(201));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_POST, 200}, {HTTP_M_PUT, 201}}));
  EXPECT_EQ(c.notes(HN_STEP_BUDGET), 0U);
}

TEST(StepBudget, ManyHeaderLinesInOneSegmentAreFine) {
  // Header lines are taken many per step.
  std::string req = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < HTTP_MAX_STEPS * 2; i++) req += "a: b\r\n";
  req += "\r\n" + request_line("DELETE");
  Connection c;
  c.request(req);
  c.response(empty_response(200) + empty_response(202));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}, {HTTP_M_DELETE, 202}}));
  EXPECT_EQ(c.notes(HN_STEP_BUDGET), 0U);
}

}  // namespace
}  // namespace hs_test
