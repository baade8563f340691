// The kernel's HTTP/1.x framing parser (kernel/http_parser.h) compiled in userspace
// and fed TCP segments the way hs_ingress/hs_egress feed it: payload behind 52
// bytes of IP+TCP headers, copied window by window, with advancing sequence
// numbers on a connection whose sequence numbers sockops preset.
//
// What this leaves out of the kernel's per-segment cost: the skb and socket
// storage lookups, bpf_skb_load_bytes' own overhead, bpf_loop's indirect call per
// step and the stats map update per exchange. The BPF run time per request
// measured by bench/overhead.py covers those.
#include <linux/types.h>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace hs_bench {

// What the parser's callbacks write to: enough to keep the work observable.
struct ParserSink {
  std::uint64_t exchanges = 0;
  std::uint64_t status_sum = 0;
  std::uint64_t notes = 0;
};

// One segment as the program sees it: header room, then payload.
struct SegmentView {
  const std::uint8_t* data;
  std::uint32_t size;
};

// bpf_skb_load_bytes() semantics: all of [off, off + len) or an error.
inline int load_bytes(const void* src, std::uint32_t off, void* dst, std::int64_t len) {
  const auto* seg = static_cast<const SegmentView*>(src);
  if (len <= 0 || off > seg->size || static_cast<std::uint64_t>(len) > seg->size - off)
    return -1;
  std::memcpy(dst, seg->data + off, static_cast<std::size_t>(len));
  return 0;
}

}  // namespace hs_bench

#define HTTP_LOAD(f, off, dst, len) hs_bench::load_bytes((f)->src, (off), (dst), (len))
#define HTTP_ON_EXCHANGE(f, m, s, lat, has, t)                 \
  do {                                                         \
    auto* sink_ = static_cast<hs_bench::ParserSink*>((f)->user); \
    sink_->exchanges++;                                        \
    sink_->status_sum += (s) + (m) + (has) + ((lat) & 1) + ((t) & 1); \
  } while (0)
// Templates on, as the daemon runs by default.
#define HTTP_TEMPLATES(f) 1
#define HTTP_ON_TEMPLATE(f, t) (static_cast<hs_bench::ParserSink*>((f)->user)->notes += (t)->flags)
#define HTTP_ON_NOTE(f, n) (static_cast<hs_bench::ParserSink*>((f)->user)->notes += 1 + (n))
// The kernel uses bpf_loop(); a plain loop has the same contract (non-zero stops).
#define HTTP_LOOP(nr, cb, ctx)                               \
  for (__u32 hs_loop_i = 0; hs_loop_i < (nr); hs_loop_i++) \
    if ((cb)(hs_loop_i, (ctx))) break;

// -Wextra's findings inside the header (enum/int conditionals, parameters only
// the BPF build uses) are the parser's business; keep this file's warnings
// about this file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "http_parser.h"
#pragma GCC diagnostic pop

namespace hs_bench {
namespace {

constexpr std::uint32_t kHeaderRoom = 52;  // IPv4 + TCP with timestamps

// A payload laid out behind header room, built once per benchmark.
class Segment {
 public:
  explicit Segment(std::string_view payload)
      : bytes_(kHeaderRoom + payload.size(), 0xA5), payload_len_(payload.size()) {
    std::memcpy(bytes_.data() + kHeaderRoom, payload.data(), payload.size());
  }
  SegmentView view() const { return {bytes_.data(), static_cast<std::uint32_t>(bytes_.size())}; }
  std::uint32_t payload_len() const { return static_cast<std::uint32_t>(payload_len_); }

 private:
  std::vector<std::uint8_t> bytes_;
  std::size_t payload_len_;
};

// One server-side connection: the receive side carries requests, the send side
// responses; both start where sockops would have preset them.
class Connection {
 public:
  Connection() {
    conn_.req.next_seq = req_seq_;
    conn_.req.flags = HF_SEQ;
    conn_.resp.next_seq = resp_seq_;
    conn_.resp.flags = HF_SEQ;
  }

  void request(const Segment& s) { feed(s, false, req_seq_); }
  void response(const Segment& s) { feed(s, true, resp_seq_); }

  // Stands in for a request that was parsed, without parsing it: the parser's
  // own bookkeeping call that the request line makes, so the response side has
  // a request to pair with.
  void expect_response(__u8 method) {
    http_feed f{};
    f.conn = &conn_;
    f.st = &conn_.req;
    f.user = &sink_;
    f.now_ns = now_ns_;
    http_request_started(&f, method, now_ns_, HTTP_TMPL_NONE);
  }
  // Stands in for the responses to every request so far, so a request-only
  // benchmark never fills the pipeline queue.
  void answer_all() { conn_.responses = conn_.requests; }

  const ParserSink& sink() const { return sink_; }
  const http_conn& state() const { return conn_; }

 private:
  void feed(const Segment& s, bool response, std::uint32_t& seq) {
    const SegmentView view = s.view();
    now_ns_ += 1000;
    http_feed f{};
    f.src = const_cast<SegmentView*>(&view);
    f.conn = &conn_;
    f.st = response ? &conn_.resp : &conn_.req;
    f.buf = &buf_;
    f.user = &sink_;
    f.now_ns = now_ns_;
    f.response = response ? 1 : 0;
    http_feed_segment(&f, seq, kHeaderRoom, s.payload_len());
    seq += s.payload_len();
  }

  http_conn conn_{};
  http_buf buf_{};
  ParserSink sink_;
  std::uint32_t req_seq_ = 4'294'000'000U;  // wraps during long runs, as TCP does
  std::uint32_t resp_seq_ = 17;
  std::uint64_t now_ns_ = 1'000'000'000;
};

// ---- payloads --------------------------------------------------------------

// wrk's request: the line and Host only.
constexpr std::string_view kWrkRequest = "GET /ok HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

constexpr std::string_view kCurlRequest =
    "GET /api/v1/items?page=2 HTTP/1.1\r\n"
    "Host: shop.example.com\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "\r\n";

// A browser's request: longer than the parser's 256-byte window, so lines cross it.
constexpr std::string_view kBrowserRequest =
    "GET /static/app.3f9c2d.js HTTP/1.1\r\n"
    "Host: shop.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: */*\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://shop.example.com/cart\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark; consent=1\r\n"
    "Sec-Fetch-Dest: script\r\n"
    "Sec-Fetch-Mode: no-cors\r\n"
    "Sec-Fetch-Site: same-origin\r\n"
    "\r\n";

// nginx answering `return 200 "ok"`, headers and body in one segment.
constexpr std::string_view kNginxResponse =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Sun, 22 Nov 2026 03:50:00 GMT\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 2\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "ok";

std::string nginx_response_with_body(std::size_t body) {
  std::string r =
      "HTTP/1.1 200 OK\r\n"
      "Server: nginx/1.22.1\r\n"
      "Date: Sun, 22 Nov 2026 03:50:00 GMT\r\n"
      "Content-Type: text/html\r\n"
      "Content-Length: " +
      std::to_string(body) +
      "\r\n"
      "Last-Modified: Tue, 11 Apr 2023 01:45:34 GMT\r\n"
      "Connection: keep-alive\r\n"
      "ETag: \"6434bbbe-264\"\r\n"
      "Accept-Ranges: bytes\r\n"
      "\r\n";
  r.append(body, 'x');
  return r;
}

constexpr std::string_view kChunkedResponse =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Sun, 22 Nov 2026 03:50:00 GMT\r\n"
    "Content-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "1a\r\n{\"items\":[1,2,3],\"next\":4}\r\n"
    "10\r\n,\"more\":[5,6,7]}\r\n"
    "0\r\n\r\n";

std::string repeated(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(s);
  return out;
}

void report(benchmark::State& state, const Connection& c, std::int64_t messages_per_iteration,
            std::size_t bytes_per_iteration) {
  state.SetItemsProcessed(state.iterations() * messages_per_iteration);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes_per_iteration));
  // Anything noted means the benchmark fed something the parser rejected:
  // it would then measure an error path, not the common one.
  if (c.sink().notes != 0) state.SkipWithError("the parser noted a problem: payload not framed");
}

// ---- benchmarks ------------------------------------------------------------

void request_benchmark(benchmark::State& state, std::string_view payload) {
  const Segment seg(payload);
  Connection c;
  for (auto _ : state) {
    c.request(seg);
    c.answer_all();
  }
  benchmark::DoNotOptimize(c.state().requests);
  report(state, c, 1, payload.size());
  if (c.state().requests != state.iterations()) state.SkipWithError("requests were not counted");
}

void BM_Request_Wrk(benchmark::State& state) { request_benchmark(state, kWrkRequest); }
void BM_Request_Curl(benchmark::State& state) { request_benchmark(state, kCurlRequest); }
void BM_Request_Browser(benchmark::State& state) { request_benchmark(state, kBrowserRequest); }

void response_benchmark(benchmark::State& state, std::string_view payload) {
  const Segment seg(payload);
  Connection c;
  for (auto _ : state) {
    c.expect_response(HTTP_M_GET);
    c.response(seg);
  }
  report(state, c, 1, payload.size());
  if (c.sink().exchanges != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("responses were not counted");
}

void BM_Response_NginxSmall(benchmark::State& state) { response_benchmark(state, kNginxResponse); }
void BM_Response_Nginx612ByteBody(benchmark::State& state) {
  response_benchmark(state, nginx_response_with_body(612));
}
void BM_Response_Chunked(benchmark::State& state) { response_benchmark(state, kChunkedResponse); }

// One full exchange as the kernel sees it: a request segment in, a response out.
void BM_Exchange_CurlNginx(benchmark::State& state) {
  const Segment req(kCurlRequest), resp(kNginxResponse);
  Connection c;
  for (auto _ : state) {
    c.request(req);
    c.response(resp);
  }
  report(state, c, 1, kCurlRequest.size() + kNginxResponse.size());
  if (c.sink().exchanges != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("exchanges were not counted");
}

// 16 pipelined requests in one segment (HTTP_PIPELINE is the most the
// parser pairs per connection); items are requests.
void BM_Pipelined16_Requests(benchmark::State& state) {
  constexpr int kDepth = 16;
  static_assert(kDepth <= HTTP_PIPELINE);
  const std::string payload = repeated(kWrkRequest, kDepth);
  const Segment seg(payload);
  Connection c;
  for (auto _ : state) {
    c.request(seg);
    c.answer_all();
  }
  report(state, c, kDepth, payload.size());
  if (c.state().requests != state.iterations() * kDepth)
    state.SkipWithError("pipelined requests were not all counted");
}

// The same 16 requests, then their 16 responses in one segment; items are exchanges.
void BM_Pipelined16_Exchanges(benchmark::State& state) {
  constexpr int kDepth = 16;
  const std::string requests = repeated(kWrkRequest, kDepth);
  const std::string responses = repeated(kNginxResponse, kDepth);
  const Segment req(requests), resp(responses);
  Connection c;
  for (auto _ : state) {
    c.request(req);
    c.response(resp);
  }
  report(state, c, kDepth, requests.size() + responses.size());
  if (c.sink().exchanges != static_cast<std::uint64_t>(state.iterations() * kDepth))
    state.SkipWithError("pipelined exchanges were not all counted");
}

BENCHMARK(BM_Request_Wrk);
BENCHMARK(BM_Request_Curl);
BENCHMARK(BM_Request_Browser);
BENCHMARK(BM_Response_NginxSmall);
BENCHMARK(BM_Response_Nginx612ByteBody);
BENCHMARK(BM_Response_Chunked);
BENCHMARK(BM_Exchange_CurlNginx);
BENCHMARK(BM_Pipelined16_Requests);
BENCHMARK(BM_Pipelined16_Exchanges);

}  // namespace
}  // namespace hs_bench
