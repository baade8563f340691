// Pairing final responses with requests in order, the pipeline's limit, and latency.
#include <algorithm>

#include "parser_test_util.h"

namespace hs_test {
namespace {

struct Request {
  unsigned method;
  std::string bytes;
};

// Requests whose responses can all be "Content-Length: 0" ones (HEAD included).
std::vector<Request> assorted_requests(std::size_t n) {
  const std::vector<Request> kinds = {
      {HTTP_M_GET, request_line("GET", "/g")},
      {HTTP_M_POST, "POST /p HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody"},
      {HTTP_M_PUT, "PUT /u HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
      {HTTP_M_DELETE, request_line("DELETE", "/d")},
      {HTTP_M_OPTIONS, request_line("OPTIONS", "*")},
      {HTTP_M_TRACE, request_line("TRACE", "/t")},
      {HTTP_M_PATCH, "PATCH /x HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"},
      {HTTP_M_HEAD, request_line("HEAD", "/h")},
  };
  std::vector<Request> out;
  for (std::size_t i = 0; i < n; i++) out.push_back(kinds[i % kinds.size()]);
  return out;
}

// Status 200 + i for the i-th response, so that a pairing off by one shows.
std::string nth_response(std::size_t i) {
  return "HTTP/1.1 " + std::to_string(200 + i) + " R\r\nContent-Length: 0\r\n\r\n";
}

TEST(Pairing, PipelinedRequestsAndResponsesInOneSegmentEach) {
  const auto requests = assorted_requests(10);
  std::string all_requests, all_responses;
  std::vector<Pair> want;
  for (std::size_t i = 0; i < requests.size(); i++) {
    all_requests += requests[i].bytes;
    all_responses += nth_response(i);
    want.push_back({requests[i].method, static_cast<unsigned>(200 + i)});
  }
  Connection c;
  c.request(all_requests);
  EXPECT_EQ(c.state().requests, 10U);
  c.response(all_responses);
  EXPECT_EQ(pairs(c.exchanges()), want);
  for (const Exchange& e : c.exchanges()) EXPECT_TRUE(e.has_latency);
}

TEST(Pairing, InterleavedRequestsAndResponses) {
  const auto requests = assorted_requests(12);
  Connection c;
  std::vector<Pair> want;
  for (std::size_t i = 0; i < requests.size(); i++) {
    c.send_pieces(Side::kRequest, requests[i].bytes, 1 + i % 5);
    c.send_pieces(Side::kResponse, nth_response(i), 1 + i % 3);
    want.push_back({requests[i].method, static_cast<unsigned>(200 + i)});
    ASSERT_EQ(pairs(c.exchanges()), want);
  }
}

TEST(Pairing, ResponsesArriveInGroups) {
  const auto requests = assorted_requests(9);
  Connection c;
  std::string all;
  for (const Request& r : requests) all += r.bytes;
  c.request(all);
  // The third status line is cut before its end.
  c.response(nth_response(0) + nth_response(1) + nth_response(2).substr(0, 10));
  EXPECT_EQ(c.exchanges().size(), 2U);
  c.response(nth_response(2).substr(10) + nth_response(3));
  std::string rest;
  for (std::size_t i = 4; i < requests.size(); i++) rest += nth_response(i);
  c.response(rest);
  ASSERT_EQ(c.exchanges().size(), requests.size());
  for (std::size_t i = 0; i < requests.size(); i++) {
    EXPECT_EQ(c.exchanges()[i].method, requests[i].method) << i;
    EXPECT_EQ(c.exchanges()[i].status, 200 + i);
  }
}

TEST(Pairing, PipelineOverflowLosesOnlyTheOverflowedMethods) {
  const std::size_t n = HTTP_PIPELINE + 4;
  const auto requests = assorted_requests(n);
  std::string all_requests, all_responses;
  std::vector<Pair> want;
  for (std::size_t i = 0; i < n; i++) {
    all_requests += requests[i].bytes;
    all_responses += nth_response(i);
    // The last HTTP_PIPELINE took the slots of the first 4: those are only counted.
    want.push_back(
        {i >= 4 ? requests[i].method : unsigned{HTTP_M_OTHER}, static_cast<unsigned>(200 + i)});
  }
  Connection c;
  c.request(all_requests);
  EXPECT_EQ(c.notes(HN_PIPELINE_OVERFLOW), 0U);  // known only when the responses come
  c.response(all_responses);
  EXPECT_EQ(c.notes(HN_PIPELINE_OVERFLOW), 4U);
  EXPECT_EQ(pairs(c.exchanges()), want);
  for (std::size_t i = 0; i < n; i++) EXPECT_EQ(c.exchanges()[i].has_latency, i >= 4);

  // Once answered, pairing is exact again.
  c.request(request_line("DELETE"));
  c.response(empty_response(202));
  EXPECT_EQ(pairs(c.exchanges()).back(), (Pair{HTTP_M_DELETE, 202}));
  EXPECT_TRUE(c.exchanges().back().has_latency);
  EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 0U);
}

TEST(Pairing, ExactlyAFullPipelineDoesNotOverflow) {
  const auto requests = assorted_requests(HTTP_PIPELINE);
  Connection c;
  std::string all;
  for (const Request& r : requests) all += r.bytes;
  c.request(all);
  std::string responses;
  for (std::size_t i = 0; i < requests.size(); i++) responses += nth_response(i);
  c.response(responses);
  EXPECT_EQ(c.notes(HN_PIPELINE_OVERFLOW), 0U);
  ASSERT_EQ(c.exchanges().size(), requests.size());
  for (std::size_t i = 0; i < requests.size(); i++)
    EXPECT_EQ(c.exchanges()[i].method, requests[i].method) << i;
}

// Overflow depends on how many requests arrive before each response; check a mixed
// sequence against that rule directly.
TEST(Pairing, OverflowWhileResponsesArrive) {
  // true: a request arrives; false: a response arrives.
  std::vector<bool> events(HTTP_PIPELINE + 1, true);
  for (bool e : {false, true, false, false, true, true}) events.push_back(e);
  const std::size_t total_requests = std::count(events.begin(), events.end(), true);
  events.insert(events.end(), total_requests - (events.size() - total_requests), false);

  const auto requests = assorted_requests(total_requests);
  Connection c;
  std::vector<Pair> want;
  std::size_t sent = 0, answered = 0, overflowed = 0;
  for (bool is_request : events) {
    if (is_request) {
      c.request(requests[sent++].bytes);
    } else {
      // Remembered unless HTTP_PIPELINE later requests arrived before its response.
      const bool remembered = sent - answered <= HTTP_PIPELINE;
      overflowed += remembered ? 0 : 1;
      want.push_back({remembered ? requests[answered].method : unsigned{HTTP_M_OTHER},
                      static_cast<unsigned>(200 + answered)});
      c.response(nth_response(answered++));
    }
  }
  EXPECT_EQ(pairs(c.exchanges()), want);
  EXPECT_EQ(c.notes(HN_PIPELINE_OVERFLOW), static_cast<unsigned>(overflowed));
  EXPECT_GE(overflowed, 2U);  // the sequence above must overflow twice
}

TEST(Pairing, ResponseWithoutRequestIsNotCounted) {
  Connection c;
  // Its body looks like a response: framing must go on past it.
  c.response("HTTP/1.1 408 Request Timeout\r\nContent-Length: 17\r\n\r\nHTTP/1.1 200 OK\r\n");
  EXPECT_TRUE(c.exchanges().empty());
  EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 1U);
  c.request(request_line("GET"));
  c.response(empty_response(200));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}}));
}

TEST(Pairing, MoreResponsesThanRequests) {
  Connection c;
  c.request(request_line("GET") + request_line("PUT"));
  c.response(nth_response(0) + nth_response(1) + nth_response(2));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_GET, 200}, {HTTP_M_PUT, 201}}));
  EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 1U);
}

TEST(Pairing, InterimResponseWithoutRequestIsNotANote) {
  Connection c;
  c.response("HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(c.notes(HN_UNMATCHED_RESPONSE), 0U);
  c.request(request_line("POST"));
  c.response(empty_response(200));
  EXPECT_EQ(pairs(c.exchanges()), (std::vector<Pair>{{HTTP_M_POST, 200}}));
}

// ---- latency ----------------------------------------------------------------------------

// Clock readings in these tests are whole multiples of 1024 ns, so that latencies are
// exact however coarsely (down to 1024 ns units) the kernel keeps its start times.
constexpr std::uint64_t kTickNs = 1024;
constexpr std::uint64_t ticks(std::uint64_t n) { return n * kTickNs; }

TEST(Latency, FromRequestLineToStatusLine) {
  Connection c;
  c.set_clock(ticks(1'000));
  c.request(request_line("GET"));
  c.set_clock(ticks(5'000));
  c.response(empty_response(200));
  ASSERT_EQ(c.exchanges().size(), 1U);
  EXPECT_TRUE(c.exchanges()[0].has_latency);
  EXPECT_EQ(c.exchanges()[0].latency_ns, ticks(4'000));
}

TEST(Latency, StartsAtTheFirstByteOfASplitRequestLine) {
  const std::string req = request_line("OPTIONS", "/a/b/c");
  const std::size_t line_end = req.find('\n') + 1;
  for (std::size_t at = 1; at <= line_end; at++) {
    SCOPED_TRACE(at);
    Connection c;
    c.set_clock(ticks(1'000));
    c.request(req.substr(0, at));
    c.set_clock(ticks(2'000));
    c.request(req.substr(at));
    c.set_clock(ticks(9'000));
    c.response(empty_response(200));
    ASSERT_EQ(c.exchanges().size(), 1U);
    EXPECT_EQ(c.exchanges()[0].latency_ns, ticks(8'000));
  }
}

TEST(Latency, RequestLineInManySegmentsAndWindows) {
  const std::string req = request_line("GET", "/" + std::string(3000, 'p'));
  Connection c;
  c.set_clock(ticks(100));
  c.send_pieces(Side::kRequest, req.substr(0, 700), 300);
  c.set_clock(ticks(200));
  c.send_pieces(Side::kRequest, req.substr(700), 1000);
  c.set_clock(ticks(1'100));
  c.response(empty_response(200));
  ASSERT_EQ(c.exchanges().size(), 1U);
  EXPECT_EQ(c.exchanges()[0].latency_ns, ticks(1'000));
}

TEST(Latency, StrayLineEndsBeforeTheRequestDoNotStartTheClock) {
  Connection c;
  c.set_clock(ticks(100));
  c.request("\r\n\r\n");
  c.set_clock(ticks(1'000));
  c.request(request_line("GET"));
  c.set_clock(ticks(1'500));
  c.response(empty_response(200));
  ASSERT_EQ(c.exchanges().size(), 1U);
  EXPECT_EQ(c.exchanges()[0].latency_ns, ticks(500));
}

TEST(Latency, EachPipelinedRequestHasItsOwnStart) {
  Connection c;
  const std::string second = request_line("PUT", "/second");
  c.set_clock(ticks(1'000));
  c.request(request_line("GET", "/first") + second.substr(0, 1));  // 'P' arrives now
  c.set_clock(ticks(3'000));
  c.request(second.substr(1));
  c.set_clock(ticks(4'000));
  c.request(request_line("DELETE"));
  c.set_clock(ticks(10'000));
  c.response(empty_response(200) + empty_response(201) + empty_response(202));
  ASSERT_EQ(c.exchanges().size(), 3U);
  EXPECT_EQ(c.exchanges()[0].latency_ns, ticks(9'000));
  EXPECT_EQ(c.exchanges()[1].latency_ns, ticks(9'000));
  EXPECT_EQ(c.exchanges()[2].latency_ns, ticks(6'000));
}

TEST(Latency, ResponseIsTimedWhenItsStatusLineIsComplete) {
  // The status is only known then.
  Connection c;
  c.set_clock(ticks(1'000));
  c.request(request_line("GET"));
  c.set_clock(ticks(2'000));
  c.response("HTTP/1.1 2");
  EXPECT_TRUE(c.exchanges().empty());
  c.set_clock(ticks(7'000));
  c.response("00 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(c.exchanges().size(), 1U);
  EXPECT_EQ(c.exchanges()[0].latency_ns, ticks(6'000));
}

TEST(Latency, NeverNegative) {
  // Request and response are stamped on different CPUs.
  Connection c;
  c.set_clock(ticks(5'000));
  c.request(request_line("GET"));
  c.set_clock(ticks(4'000));
  c.response(empty_response(200));
  ASSERT_EQ(c.exchanges().size(), 1U);
  EXPECT_TRUE(c.exchanges()[0].has_latency);
  EXPECT_EQ(c.exchanges()[0].latency_ns, ticks(0));
}

TEST(Latency, InterimResponsesDoNotStopTheClock) {
  Connection c;
  c.set_clock(ticks(1'000));
  c.request("POST /u HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  c.set_clock(ticks(1'200));
  c.response("HTTP/1.1 100 Continue\r\n\r\n");
  c.set_clock(ticks(1'300));
  c.request("ab");
  c.set_clock(ticks(4'000));
  c.response(empty_response(201));
  ASSERT_EQ(c.exchanges().size(), 1U);
  EXPECT_EQ(c.exchanges()[0].latency_ns, ticks(3'000));
}

TEST(Latency, AnyClockReadingIsWithinOneTick) {
  std::uint64_t start = 1'000'000'007;
  for (std::uint64_t spent : {1ULL, 999ULL, 1'023ULL, 1'025ULL, 123'456'789ULL, 9'999'999'999ULL}) {
    SCOPED_TRACE(spent);
    Connection c;
    c.set_clock(start);
    c.request(request_line("GET"));
    c.set_clock(start + spent);
    c.response(empty_response(200));
    ASSERT_EQ(c.exchanges().size(), 1U);
    const double got = static_cast<double>(c.exchanges()[0].latency_ns);
    EXPECT_NEAR(got, static_cast<double>(spent), static_cast<double>(kTickNs));
    start += 77'777;
  }
}

}  // namespace
}  // namespace hs_test
