#include "scenario.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "parser_harness.h"
#include "reference_parser.h"

namespace hs_test {

// The reference has its own enums; they must mean the same numbers.
constexpr bool same(unsigned a, unsigned b) { return a == b; }
static_assert(same(hs_ref::kOther, HTTP_M_OTHER) && same(hs_ref::kGet, HTTP_M_GET) &&
              same(hs_ref::kHead, HTTP_M_HEAD) && same(hs_ref::kPost, HTTP_M_POST) &&
              same(hs_ref::kPut, HTTP_M_PUT) && same(hs_ref::kDelete, HTTP_M_DELETE) &&
              same(hs_ref::kConnect, HTTP_M_CONNECT) && same(hs_ref::kOptions, HTTP_M_OPTIONS) &&
              same(hs_ref::kTrace, HTTP_M_TRACE) && same(hs_ref::kPatch, HTTP_M_PATCH));
static_assert(same(hs_ref::kNotHttp, HN_NOT_HTTP) && same(hs_ref::kSeqGap, HN_SEQ_GAP) &&
              same(hs_ref::kStepBudget, HN_STEP_BUDGET) &&
              same(hs_ref::kPipelineOverflow, HN_PIPELINE_OVERFLOW) &&
              same(hs_ref::kUnmatchedResponse, HN_UNMATCHED_RESPONSE) &&
              same(hs_ref::kBadHeader, HN_BAD_HEADER) &&
              same(hs_ref::kRequestUnseen, HN_REQUEST_UNSEEN) &&
              same(hs_ref::kFramingGuessed, HN_FRAMING_GUESSED) &&
              same(hs_ref::kNoteCount, HN_COUNT));

namespace {

// Bounds that keep one input cheap: a segment never needs more parser steps than
// HTTP_MAX_STEPS (at most two per new byte), and streams stay small.
constexpr std::size_t kMaxStream = 256 * 1024;
constexpr std::size_t kMaxOps = 100;
constexpr std::size_t kMaxPieces = 4096;
constexpr std::size_t kDefaultSegment = 1460;

// Reads choices from the input; past its end every read is 0, so short inputs are
// still complete scenarios.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  // Generated messages stay valid and keep the connection countable, so that short
  // inputs reach pipelines, bodies and chunking instead of stopping at the first error.
  bool clean = false;
  bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; i++) v = v << 8 | byte();
    return v;
  }
  std::size_t below(std::size_t n) {
    return n ? (static_cast<std::size_t>(byte()) << 8 | byte()) % n : 0;
  }
  std::string bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

template <typename T, std::size_t N>
const T& pick(Input& in, const std::array<T, N>& options) {
  return options[in.byte() % N];
}

std::string hex(std::uint64_t v, bool upper) {
  static constexpr char kDigits[] = "0123456789abcdef0123456789ABCDEF";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[(v & 15) + (upper ? 16 : 0)]);
    v >>= 4;
  } while (v);
  return out;
}

// Body bytes, often ones that would count if they were parsed as messages.
std::string filler(Input& in, std::size_t n) {
  static constexpr std::array<std::string_view, 6> kPatterns = {
      "HTTP/1.1 200 OK\r\n", "GET / HTTP/1.1\r\n", "\r\n", "x", "0\r\n\r\n", "\n"};
  const std::uint8_t kind = in.byte() % (kPatterns.size() + 1);
  // Raw bytes repeat a short piece of the input, so a long body does not swallow it.
  const std::string raw = kind == kPatterns.size() ? in.bytes(1 + in.byte() % 16) : "";
  const std::string_view pattern =
      kind == kPatterns.size() ? std::string_view(raw) : kPatterns[kind];
  if (pattern.empty()) return std::string(n, 'r');
  std::string out;
  while (out.size() < n) out += pattern;
  out.resize(n);
  return out;
}

enum class Framing { kNone, kLength, kChunked, kLengthZero };

// Headers and body of one message; the headers may well contradict the body. A
// bodiless message (a 1xx, 204 or 304, or the answer to HEAD) gets headers only.
void headers_and_body(Input& in, std::string& out, std::string_view eol, bool response,
                      bool bodiless) {
  Framing framing = static_cast<Framing>(in.byte() % 4);
  if (in.clean && response && framing == Framing::kNone) framing = Framing::kLength;
  const std::uint8_t size_byte = in.byte();
  const std::size_t body_size =
      size_byte < 200 ? size_byte % 50 : static_cast<std::size_t>(size_byte - 199) * 97;

  std::vector<std::string> headers = {"Host: example.test"};
  if (framing == Framing::kLength)
    headers.push_back("Content-Length: " + std::to_string(body_size));
  if (framing == Framing::kLengthZero) headers.push_back("content-length: 0");
  if (framing == Framing::kChunked)
    headers.push_back(
        std::string(pick(in, std::array<std::string_view, 5>{
                                 "Transfer-Encoding: chunked", "transfer-encoding: gzip, chunked",
                                 "Transfer-Encoding:chunked", "TRANSFER-ENCODING: Chunked   ",
                                 "Transfer-Encoding: chunked,chunked"})));

  // Extra headers, some harmless, some that change or break the framing.
  static constexpr std::array<std::uint8_t, 4> kHarmless = {0, 7, 10, 11};
  const int extra = in.byte() % 4;
  for (int i = 0; i < extra; i++) {
    std::uint8_t kind = in.byte() % 14;
    if (in.clean) kind = kHarmless[kind % kHarmless.size()];
    if (kind == 11 && framing != Framing::kLength) kind = 10;
    switch (kind) {
      case 0:
        // Clean values stay on one line.
        headers.push_back("X-Long: " + (in.clean ? std::string(1 + in.byte() * 4U, 'v')
                                                 : filler(in, 1 + in.byte() * 4U)));
        break;
      case 1:
        headers.push_back("Content-Length: " + std::to_string(body_size));  // same again
        break;
      case 2:
        headers.push_back("Content-Length: " + std::to_string(body_size + 1 + in.byte()));
        break;
      case 3:
        headers.push_back("Content-Length:\t " + std::to_string(body_size) + " \t");
        break;
      case 4:
        headers.push_back(std::string(
            pick(in, std::array<std::string_view, 8>{
                         "Content-Length: ", "Content-Length: 1 2", "Content-Length: -1",
                         "Content-Length: 5x", "Content-Length: 99999999999999999999",
                         "Content-Length : 3", "Content-Length: 0000000000000000000000001",
                         "Content-Length: 999999999999999999"})));
        break;
      case 5:
        headers.push_back("Transfer-Encoding: gzip");
        break;
      case 6:
        headers.push_back("Transfer-Encoding: chunked" + std::string(in.byte() % 12, ' '));
        break;
      case 7:
        // Names that only look like framing headers.
        headers.push_back(std::string(pick(
            in, std::array<std::string_view, 6>{
                    "Content\rLength: 7", "Content-Length\x1a 7", "Transfer\rEncoding: chunked",
                    "X-Content-Length: 7", "Content-Lengths: 7", "Transfer-Encoding2: chunked"})));
        break;
      case 8:
        headers.push_back("Transfer-Encoding: " + std::string(60, 'g') + ", chunked");
        break;
      case 9:
        headers.push_back("Content-Length: " + std::string(in.byte() % 60, ' ') +
                          std::to_string(body_size));
        break;
      case 10:
        headers.push_back(" folded continuation");
        break;
      case 11:
        headers.push_back("cOnTeNt-LeNgTh: " + std::to_string(body_size));
        break;
      case 12:
        headers.push_back(in.byte() & 1 ? "Transfer-Encoding: xchunked"
                                        : "Transfer-Encoding:" + std::string(in.byte() % 10, ' '));
        break;
      default:
        headers.push_back(in.bytes(in.byte() % 24));
        break;
    }
  }
  if (in.byte() & 1) std::swap(headers.front(), headers.back());
  for (const std::string& h : headers) out += h + std::string(eol);
  out += eol;
  if (bodiless) return;

  switch (framing) {
    case Framing::kLength:
      out += filler(in, body_size);
      break;
    case Framing::kChunked: {
      const int chunks = in.byte() % 4;
      for (int i = 0; i < chunks; i++) {
        const std::size_t n = 1 + in.byte() % 40 + (in.byte() == 7 ? 300 : 0);
        out += hex(n, in.byte() & 1);
        if (in.byte() & 1) out += ";ext=\"v\"";
        out += eol;
        out += filler(in, n);
        out += eol;
      }
      out += in.byte() & 1 ? "0" : "000;last";
      out += eol;
      if (in.byte() & 1) out += "X-Trailer: t" + std::string(eol);
      out += eol;
      break;
    }
    case Framing::kNone:
      // A request without framing has no body; a response's body lasts until the end.
      if (response && (in.byte() & 1)) out += filler(in, body_size);
      break;
    case Framing::kLengthZero:
      break;
  }
}

// Methods of generated requests not answered yet, so that clean responses know when
// they must not have a body.
using Unanswered = std::vector<std::string_view>;

// A target for the URL template rules: segments of every class, escapes, queries,
// absolute- and asterisk-form, and paths deeper than the template keeps.
std::string url_target(Input& in) {
  static constexpr std::array<std::string_view, 20> kSegments = {
      "api", "v1",        "users",      "1042",      "9f86d081884c7d65",
      "",    "u123456",   "index.html", "%31%32%33", "2026-12-07",
      "a%2", "%7Euser",   "x",          "{id}",      "123e4567-e89b-12d3-a456-426614174000",
      "**",  "caf%C3%A9", "deadbeef",   "base64",    "%zz"};
  static constexpr std::array<std::string_view, 8> kPrefixes = {
      "", "", "", "", "http://example.test", "HTTPS://h:8443", "http://h", "*"};
  const std::string_view prefix = pick(in, kPrefixes);
  std::string out(prefix);
  if (prefix == "*") return out;
  for (int n = in.byte() % 8; n > 0; n--) {
    out += '/';
    out += pick(in, kSegments);
  }
  const std::uint8_t tail = in.byte();
  if (tail % 4 == 1) out += "?tab=orders/1";
  if (tail % 4 == 2) out += "#frag";
  return out;
}

void generated_request(Input& in, std::string& out, Unanswered& unanswered) {
  static constexpr std::array<std::string_view, 14> kMethods = {
      "GET",   "HEAD",  "POST", "PUT", "DELETE",   "CONNECT", "OPTIONS",
      "TRACE", "PATCH", "get",  "PRI", "PROPFIND", "GET ",    "GETS"};
  // CONNECT is left out: its 2xx answer ends counting on the connection.
  static constexpr std::array<std::string_view, 8> kCleanMethods = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"};
  const std::string_view eol = in.byte() & 1 ? "\r\n" : "\n";
  const std::uint8_t t = in.byte();
  const std::size_t target = t < 200 ? t % 40 : static_cast<std::size_t>(t - 199) * 97;
  const std::string_view method = in.clean ? pick(in, kCleanMethods) : pick(in, kMethods);
  unanswered.push_back(method);
  out += method;
  out += ' ';
  if (t < 200 && (t & 1)) {
    out += url_target(in);
  } else {
    out += '/';
    out += std::string(target, 'u');
  }
  const std::uint8_t version = in.byte() % (in.clean ? 3 : 4);
  out += std::array<std::string_view, 4>{" HTTP/1.1", " HTTP/1.0", "", " HTTP/2"}[version];
  out += eol;
  headers_and_body(in, out, eol, false, false);
}

void generated_response(Input& in, std::string& out, Unanswered& unanswered) {
  static constexpr std::array<std::string_view, 20> kStatus = {
      "200", "200", "204", "304", "404", "500", "100", "101", "103", "201",
      "599", "099", "600", "2xx", "102", "302", "206", "400", "20",  "1000"};
  // Valid statuses that neither end counting (101) nor need a pending request.
  static constexpr std::array<std::string_view, 12> kCleanStatus = {
      "200", "200", "200", "204", "304", "404", "500", "100", "103", "201", "302", "206"};
  const std::string_view eol = in.byte() & 1 ? "\r\n" : "\n";
  const std::uint8_t version = in.byte() % (in.clean ? 3 : 5);
  out += std::array<std::string_view, 5>{"HTTP/1.1 ", "HTTP/1.1 ", "HTTP/1.0 ", "HTTP/2 ",
                                         "http/1.1 "}[version];
  const std::uint8_t s = in.byte();
  const std::size_t status_at = out.size();
  if (in.clean) {
    out += kCleanStatus[s % kCleanStatus.size()];
  } else if (s < 230) {
    out += kStatus[s % kStatus.size()];
  } else {
    const unsigned code = 100 + (s - 230) * 19 + in.byte() % 19;
    out += std::to_string(code);
  }
  const std::uint8_t reason = in.byte() % (in.clean ? 3 : 4);
  const std::string code = out.substr(status_at);
  out += std::array<std::string_view, 4>{" OK", "", " Some Reason", "\t"}[reason];
  out += eol;

  bool bodiless = false;
  if (in.clean) {
    const bool interim = code.starts_with('1');
    const bool head = !interim && !unanswered.empty() && unanswered.front() == "HEAD";
    bodiless = interim || code == "204" || code == "304" || head;
    if (!interim && !unanswered.empty()) unanswered.erase(unanswered.begin());
  }
  headers_and_body(in, out, eol, true, bodiless);
}

// Pieces stay inside [begin, end): bytes before `begin` were never on the wire here.
std::vector<Piece> plan_pieces(Input& in, std::size_t begin, std::size_t end) {
  std::vector<Piece> pieces;
  std::size_t cursor = begin;  // first byte not yet sent
  while (cursor < end && pieces.size() < kMaxPieces) {
    if (in.empty()) {
      pieces.push_back({cursor, std::min(kDefaultSegment, end - cursor), 1});
      cursor += pieces.back().len;
      continue;
    }
    const std::uint8_t kind = in.byte() % 8;
    const std::size_t amount = in.byte();
    const auto fresh = [&](std::size_t back, std::size_t len) {
      len = std::min(len, end - cursor);
      pieces.push_back({cursor - back, back + len, 1});
      cursor += len;
    };
    switch (kind) {
      case 0:
      case 1:
        fresh(0, 1 + amount);
        break;
      case 2:
        fresh(0, 1 + amount * 8);  // the largest: 2041 new bytes
        break;
      case 3:
        fresh(0, 1 + amount % 8);
        break;
      case 4:  // overlaps bytes already sent
        fresh(std::min(cursor - begin, 1 + amount), 1 + in.byte());
        break;
      case 5:  // only old bytes
        if (cursor > begin) {
          const std::size_t from = begin + amount % (cursor - begin);
          pieces.push_back({from, std::min<std::size_t>(1 + in.byte(), cursor - from), 1});
        }
        break;
      case 6:
        if (!pieces.empty()) pieces.back().copies++;
        break;
      default:
        pieces.push_back({cursor, 0, 1});
        break;
    }
  }
  // Whatever the input did not shape goes in MSS-sized segments.
  while (cursor < end) {
    pieces.push_back({cursor, std::min(kDefaultSegment, end - cursor), 1});
    cursor += pieces.back().len;
  }
  return pieces;
}

void plan_side(Input& in, SideScenario& side, bool gap, bool preset_seq, bool request) {
  if (gap) {
    const std::size_t at = in.below(side.stream.size() + 1);
    const std::size_t skip = 1 + in.byte();
    if (at == 0 && preset_seq && request) {
      // Missing bytes before the first request byte seen: TCP Fast Open data.
      if (skip < side.stream.size()) side.skipped = skip;
    } else if (at > 0 || preset_seq) {
      // Without a preset sequence number the first segment defines it: no gap is
      // possible before anything was seen.
      side.gap_at = at;
      side.gap_skip = skip;
    }
  }
  side.pieces = plan_pieces(in, side.skipped, side.gap_at.value_or(side.stream.size()));
}

void replay_side(Connection& c, Side side, const SideScenario& s) {
  const std::string_view stream = s.stream;
  for (const Piece& p : s.pieces) {
    for (int i = 0; i < p.copies; i++) {
      c.feed_at(side, p.from, stream.substr(p.from, p.len));
      c.advance_clock(1'000);
    }
  }
  if (s.gap_at) {
    const std::size_t at = *s.gap_at + s.gap_skip;
    c.feed_at(side, at, at < stream.size() ? stream.substr(at) : std::string_view("X\r\n"));
    // Everything after the gap, including the missed bytes, must be ignored now.
    c.feed_at(side, *s.gap_at, stream.substr(*s.gap_at, kDefaultSegment));
  }
}

std::string describe(const hs_ref::Outcome& o) {
  std::vector<Pair> list;
  for (const hs_ref::Exchange& e : o.exchanges) list.push_back({e.method, e.status});
  return describe(list);
}

template <std::size_t N>
std::string describe_notes(const std::array<unsigned, N>& notes) {
  std::string out;
  for (unsigned i = 0; i < HN_COUNT && i < N; i++) out += " " + std::to_string(notes[i]);
  return out;
}

}  // namespace

Scenario scenario_from_bytes(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  Scenario s;
  const std::uint8_t config = in.byte();
  s.preset_seq = !(config & 1);
  const bool request_gap = config & 2;
  const bool response_gap = config & 4;
  static constexpr std::array<std::string_view, 4> kScratch = {
      "\n", std::string_view("\0", 1), "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n",
      "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\n"};
  s.scratch_pattern = kScratch[(config >> 3) & 3];
  in.clean = config & 0x20;
  s.request_isn = in.u32();
  s.response_isn = in.u32();
  s.header_room = in.byte() % 64;

  Unanswered unanswered;
  for (std::size_t op = 0; op < kMaxOps && !in.empty(); op++) {
    if (s.request.stream.size() > kMaxStream || s.response.stream.size() > kMaxStream) break;
    const std::uint8_t kind = in.byte();
    if (kind == 0xff) break;  // the rest of the input shapes the segments
    switch (in.clean && kind % 8 < 2 ? 7 : kind % 8) {
      case 0:
        s.request.stream += in.bytes(in.byte() % 48);
        break;
      case 1:
        s.response.stream += in.bytes(in.byte() % 48);
        break;
      case 2:
      case 3:
        generated_request(in, s.request.stream, unanswered);
        break;
      case 4:
      case 5:
        generated_response(in, s.response.stream, unanswered);
        break;
      case 6:
        (kind & 8 ? s.response : s.request).stream += kind & 16 ? "\r\n" : "\n";
        break;
      default:  // an exchange that belongs together
        generated_request(in, s.request.stream, unanswered);
        generated_response(in, s.response.stream, unanswered);
        break;
    }
  }
  plan_side(in, s.request, request_gap, s.preset_seq, true);
  plan_side(in, s.response, response_gap, s.preset_seq, false);
  s.skipped_at_setup = s.request.skipped && (config & 0x40);
  return s;
}

std::string check_scenario(const Scenario& s) {
  Connection::Options options;
  options.request_isn = s.request_isn;
  options.response_isn = s.response_isn;
  options.preset_seq = s.preset_seq;
  options.header_room = s.header_room;
  if (s.skipped_at_setup) options.handshake_payload = static_cast<std::uint32_t>(s.request.skipped);
  Connection c(options);
  c.set_scratch_pattern(s.scratch_pattern);
  replay_side(c, Side::kRequest, s.request);
  replay_side(c, Side::kResponse, s.response);

  hs_ref::Streams streams;
  const std::size_t skipped = s.request.skipped;
  streams.requests = s.request.stream.substr(
      skipped, s.request.gap_at ? *s.request.gap_at - skipped : std::string::npos);
  streams.request_skipped = skipped > 0;
  streams.responses = s.response.stream.substr(0, s.response.gap_at.value_or(std::string::npos));
  streams.request_gap = s.request.gap_at.has_value();
  streams.response_gap = s.response.gap_at.has_value();
  const hs_ref::Outcome want = hs_ref::parse(streams, reference_limits());

  const Recorder& got = c.recorder();
  std::string problems;
  const http_conn& conn = c.state();
  // One more when the last request line is unfinished and was answered already.
  const bool unfinished = conn.req.state == HS_LINE && conn.req.line_kind == LK_START &&
                          (conn.req.flags & HF_LINE_KEPT);
  if (conn.responses > conn.requests + (unfinished ? 1 : 0))
    problems += "more responses answered than requests seen\n";
  for (const http_stream* st : {&conn.req, &conn.resp}) {
    if (st->line_len > HTTP_LINE_MAX || st->state > HS_LOST || st->line_kind > LK_TRAILER)
      problems += "stream state out of range\n";
  }
  if (got.bad_loads) problems += "HTTP_LOAD outside the segment\n";
  if (got.bad_notes) problems += "note outside enum http_note\n";
  if (got.template_conflicts) problems += "one template id named with two texts\n";
  std::vector<Pair> want_pairs;
  for (const hs_ref::Exchange& e : want.exchanges) want_pairs.push_back({e.method, e.status});
  if (pairs(got.exchanges) != want_pairs)
    problems += "exchanges: parser " + describe(pairs(got.exchanges)) + ", reference " +
                describe(want) + "\n";
  if (got.exchanges.size() == want.exchanges.size()) {
    for (std::size_t i = 0; i < got.exchanges.size(); i++) {
      if (got.exchanges[i].has_latency != want.exchanges[i].timed)
        problems += "exchange " + std::to_string(i) + ": latency " +
                    (got.exchanges[i].has_latency ? "given" : "missing") + "\n";
      const std::string tmpl = got.template_text(got.exchanges[i].url_template);
      if (tmpl != want.exchanges[i].url_template)
        problems += "exchange " + std::to_string(i) + ": template \"" + tmpl + "\", reference \"" +
                    want.exchanges[i].url_template + "\"\n";
    }
  }
  // Every exchange without a latency is counted in a note: its request was pushed out
  // of the pipeline, or not seen.
  std::size_t untimed = 0;
  for (const Exchange& e : got.exchanges) untimed += !e.has_latency;
  if (untimed != got.notes[HN_PIPELINE_OVERFLOW] + got.notes[HN_REQUEST_UNSEEN])
    problems += std::to_string(untimed) + " exchanges without latency, not all noted\n";
  for (unsigned i = 0; i < HN_COUNT; i++) {
    if (got.notes[i] != want.notes[i]) {
      problems += "notes (by enum http_note): parser" + describe_notes(got.notes) + ", reference" +
                  describe_notes(want.notes) + "\n";
      break;
    }
  }
  return problems;
}

}  // namespace hs_test
