// The kernel's HTTP parser (kernel/http_parser.h) instantiated in userspace, exactly as
// kernel/http_statistics.bpf.c instantiates it, except that segments come from memory
// and exchanges and notes are recorded instead of aggregated.
#ifndef HTTP_STATISTICS_TESTS_PARSER_PARSER_HARNESS_H
#define HTTP_STATISTICS_TESTS_PARSER_PARSER_HARNESS_H

#include <linux/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reference_parser.h"

namespace hs_test {

struct Exchange {
  unsigned method;
  unsigned status;
  std::uint64_t latency_ns;
  bool has_latency;
  std::uint64_t url_template;  // id (HTTP_TMPL_NONE: none)
};

// What HTTP_LOAD reads from: one segment, header room included. `size` is exact, so a
// load past the payload is both reported here and caught by ASan.
struct SegmentBytes {
  const std::uint8_t* data;
  std::size_t size;
};

inline constexpr std::size_t kMaxNotes = 16;

// Receives the parser's callbacks through feed->user.
struct Recorder {
  std::vector<Exchange> exchanges;
  std::array<unsigned, kMaxNotes> notes{};
  unsigned bad_loads = 0;  // HTTP_LOAD outside the segment: always a parser bug
  unsigned bad_notes = 0;  // a note value outside enum http_note
  // HTTP_TEMPLATES: template the targets (the daemon's --url-templates).
  bool templates = true;
  // Every template named through HTTP_ON_TEMPLATE, by id, and how often a name
  // came for an id that already had another one (always a parser bug).
  std::map<std::uint64_t, std::string> template_names;
  unsigned template_conflicts = 0;
  unsigned templates_named = 0;

  void exchange(unsigned method, unsigned status, std::uint64_t latency_ns, int has_latency,
                std::uint64_t url_template) {
    exchanges.push_back({method, status, latency_ns, has_latency != 0, url_template});
  }
  void named(std::uint64_t id, std::string text) {
    templates_named++;
    const auto [it, fresh] = template_names.try_emplace(id, text);
    if (!fresh && it->second != text) template_conflicts++;
  }
  // The text of a template id: "" for none, "?" for an id never named.
  std::string template_text(std::uint64_t id) const {
    if (id == 0) return "";
    const auto it = template_names.find(id);
    return it == template_names.end() ? "?" : it->second;
  }
  void note(unsigned n) {
    if (n < notes.size())
      notes[n]++;
    else
      bad_notes++;
  }
  // bpf_skb_load_bytes() semantics: all of [off, off + len) or an error.
  int load(const void* src, std::uint32_t off, void* dst, std::int64_t len, std::size_t dst_room) {
    const auto* seg = static_cast<const SegmentBytes*>(src);
    if (len <= 0 || static_cast<std::uint64_t>(len) > dst_room || off > seg->size ||
        static_cast<std::uint64_t>(len) > seg->size - off) {
      bad_loads++;
      return -1;
    }
    std::memcpy(dst, seg->data + off, static_cast<std::size_t>(len));
    return 0;
  }
};

}  // namespace hs_test

struct http_url_tmpl;
namespace hs_test {
// HTTP_ON_TEMPLATE: defined below, once the header gave the struct.
void name_template(Recorder* r, const http_url_tmpl* t);
}  // namespace hs_test

#define HTTP_LOAD(f, off, dst, len)                                               \
  static_cast<hs_test::Recorder*>((f)->user)->load((f)->src, (off), (dst), (len), \
                                                   sizeof((f)->buf->b))
#define HTTP_ON_EXCHANGE(f, m, s, lat, has, t) \
  static_cast<hs_test::Recorder*>((f)->user)->exchange((m), (s), (lat), (has), (t))
#define HTTP_TEMPLATES(f) (static_cast<hs_test::Recorder*>((f)->user)->templates)
#define HTTP_ON_TEMPLATE(f, t) \
  hs_test::name_template(static_cast<hs_test::Recorder*>((f)->user), (t))
#define HTTP_ON_NOTE(f, n) static_cast<hs_test::Recorder*>((f)->user)->note(n)
// bpf_loop() without the verifier: same callback contract (non-zero stops). One
// statement, so that it fits wherever a call to bpf_loop() would.
#define HTTP_LOOP(nr, cb, ctx)                               \
  do {                                                       \
    for (__u32 hs_loop_i = 0; hs_loop_i < (nr); hs_loop_i++) \
      if ((cb)(hs_loop_i, (ctx))) break;                     \
  } while (0)

// The header is kernel C; keep its style out of this build's warnings: translation
// units that only need its enums never call the step callbacks, C++ (not C) frowns on
// mixing __u8 and enum constants in a conditional, and it keeps uniform signatures.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wextra"
#include "http_parser.h"
#pragma GCC diagnostic pop

namespace hs_test {

// What userspace does with a name the kernel hands over: the text of its template.
inline std::string template_text(const http_url_tmpl& t) {
  char text[256];
  const __u32 n = http_tmpl_text(&t, text, sizeof(text));
  return std::string(text, n < sizeof(text) ? n : sizeof(text) - 1);
}

inline void name_template(Recorder* r, const http_url_tmpl* t) {
  r->named(t->id, template_text(*t));
}

static_assert(HN_COUNT <= kMaxNotes);

// The reference parser (reference_parser.h) judged with this header's sizes.
inline hs_ref::Limits reference_limits() { return {HTTP_LINE_MAX, HTTP_PIPELINE}; }

enum class Side { kRequest, kResponse };

// One server-side TCP connection as the kernel program sees it: bytes the client sends
// (the request stream) and bytes the server sends (the response stream), each cut into
// segments with real TCP sequence numbers. Stream offsets are relative to the side's
// initial sequence number, so a test can pick ISNs near 2^32 without changing anything else.
class Connection {
 public:
  struct Options {
    std::uint32_t request_isn = 1'000;
    std::uint32_t response_isn = 3'000'000'000U;
    // Like sockops: next_seq known before the first byte. Otherwise the first segment
    // defines it.
    bool preset_seq = true;
    // Request bytes carried by the packet that established the connection (TCP Fast
    // Open's SYN): like sockops, start past them and let responses that find no
    // request count. They take stream offsets [0, n) but are never fed.
    std::uint32_t handshake_payload = 0;
    // Bytes in front of the payload in each segment (the IP and TCP headers in an skb).
    std::uint32_t header_room = 52;
  };

  Connection() : Connection(Options{}) {}
  explicit Connection(const Options& options);

  // The clock every following segment is stamped with (feed.now_ns).
  void set_clock(std::uint64_t ns) { now_ns_ = ns; }
  void advance_clock(std::uint64_t ns) { now_ns_ += ns; }
  std::uint64_t clock() const { return now_ns_; }

  // The per-CPU scratch buffer is shared by all connections in the kernel; tests fill it
  // with this pattern before every segment to show that stale contents do not matter.
  void set_scratch_pattern(std::string pattern) { scratch_pattern_ = std::move(pattern); }

  // New bytes as one segment.
  void send(Side side, std::string_view bytes);
  // New bytes in segments of `piece` bytes (the last may be shorter).
  void send_pieces(Side side, std::string_view bytes, std::size_t piece);
  // New bytes cut at the given offsets into `bytes` (ascending; 0 and size are ignored).
  void send_cut(Side side, std::string_view bytes, const std::vector<std::size_t>& cuts);
  // The next `n` bytes of the side are never seen: a sequence gap.
  void skip(Side side, std::size_t n);
  // Bytes the side already sent, sent again from stream offset `from` (retransmission).
  void resend(Side side, std::size_t from, std::size_t len);
  // A raw segment at any stream offset, bypassing the bookkeeping above.
  void feed_at(Side side, std::uint64_t stream_offset, std::string_view payload);

  void request(std::string_view bytes) { send(Side::kRequest, bytes); }
  void response(std::string_view bytes) { send(Side::kResponse, bytes); }

  const std::vector<Exchange>& exchanges() const { return recorder_.exchanges; }
  // The template texts of the exchanges, in the order counted ("" for none).
  std::vector<std::string> templates() const;
  void set_templates(bool on) { recorder_.templates = on; }
  unsigned notes(http_note n) const { return recorder_.notes[n]; }
  const Recorder& recorder() const { return recorder_; }
  const http_conn& state() const { return conn_; }
  // Bytes of the side sent so far, skipped ones included.
  std::size_t sent(Side side) const { return direction(side).sent.size(); }

 private:
  struct Direction {
    std::uint32_t isn;
    std::string sent;  // every byte the side produced, in stream order
  };
  Direction& direction(Side side) { return side == Side::kRequest ? request_ : response_; }
  const Direction& direction(Side side) const {
    return side == Side::kRequest ? request_ : response_;
  }

  Options options_;
  Direction request_;
  Direction response_;
  std::uint64_t now_ns_ = 1'000'000'000;
  std::string scratch_pattern_ = "\n";
  http_conn conn_{};
  http_buf buf_{};
  Recorder recorder_;
};

// Shorthands for comparing outcomes: (method, status) in the order counted.
struct Pair {
  unsigned method;
  unsigned status;
  bool operator==(const Pair&) const = default;
};
std::vector<Pair> pairs(const std::vector<Exchange>& exchanges);
std::string describe(const std::vector<Pair>& pairs);
const char* method_name(unsigned method);

}  // namespace hs_test

#endif  // HTTP_STATISTICS_TESTS_PARSER_PARSER_HARNESS_H
