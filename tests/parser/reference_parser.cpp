#include "reference_parser.h"

#include "reference_template.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace hs_ref {
namespace {

using std::string_view;

// Trailing blanks the kernel parser strips from a Transfer-Encoding value.
constexpr int kTrailingBlanks = 8;

bool blank(char c) { return c == ' ' || c == '\t'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(string_view s, string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); i++)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

// Reads one direction as lines and bodies.
class Cursor {
 public:
  explicit Cursor(string_view s) : s_(s) {}

  // The next line without its '\n'; nullopt when the stream ends inside it (then
  // unfinished() is what there is of it).
  std::optional<string_view> line() {
    const std::size_t nl = s_.find('\n', pos_);
    if (nl == string_view::npos) {
      unfinished_ = s_.substr(pos_);
      pos_ = s_.size();
      return std::nullopt;
    }
    string_view l = s_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return l;
  }

  // False when the stream ends first.
  bool skip(std::uint64_t n) {
    if (n > s_.size() - pos_) {
      pos_ = s_.size();
      return false;
    }
    pos_ += static_cast<std::size_t>(n);
    return true;
  }

  // The next n bytes, without moving; nullopt when the stream has fewer.
  std::optional<string_view> peek(std::size_t n) const {
    if (n > s_.size() - pos_) return std::nullopt;
    return s_.substr(pos_, n);
  }

  string_view unfinished() const { return unfinished_; }

 private:
  string_view s_;
  std::size_t pos_ = 0;
  string_view unfinished_;
};

// A line as it is judged: only lines short enough to be kept whole lose a final CR.
string_view content(string_view raw, std::size_t kept) {
  if (raw.size() <= kept && !raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
  return raw;
}

Method request_method(string_view line) {
  static constexpr std::pair<string_view, Method> kMethods[] = {
      {"GET", kGet},         {"HEAD", kHead},     {"POST", kPost},
      {"PUT", kPut},         {"DELETE", kDelete}, {"CONNECT", kConnect},
      {"OPTIONS", kOptions}, {"TRACE", kTrace},   {"PATCH", kPatch},
  };
  // METHOD, one space, then the start of a target.
  for (const auto& [name, method] : kMethods) {
    const std::size_t n = name.size();
    if (line.size() >= n + 2 && line.substr(0, n) == name && line[n] == ' ' && line[n + 1] != ' ' &&
        line[n + 1] != '\r')
      return method;
  }
  return kOther;
}

bool token_char(char c) { return (c >= 'A' && c <= 'Z') || c == '-' || c == '_'; }

// A well-formed request line with a method that has no name here (PROPFIND, MKCOL...):
// TOKEN SP target SP HTTP/1.0 or HTTP/1.1, at least 16 bytes, however long.
bool other_request(string_view l) {
  if (l.size() < 16) return false;
  if (l.back() == '\r') l.remove_suffix(1);  // a long line keeps its CR until here
  const std::size_t space = l.find(' ');
  if (space == 0 || space >= 20 || space == string_view::npos) return false;
  if (!std::all_of(l.begin(), l.begin() + static_cast<std::ptrdiff_t>(space), token_char))
    return false;
  if (space + 1 >= l.size() || l[space + 1] == ' ') return false;
  const string_view version = l.substr(l.size() - 9);
  return version == " HTTP/1.0" || version == " HTTP/1.1";
}

// The code of an HTTP/1.0 or HTTP/1.1 status line, or 0.
unsigned status_code(string_view line) {
  if (line.substr(0, 9) != "HTTP/1.0 " && line.substr(0, 9) != "HTTP/1.1 ") return 0;
  if (line.size() < 12) return 0;
  const string_view code = line.substr(9, 3);
  if (code[0] < '1' || code[0] > '5' || !digit(code[1]) || !digit(code[2])) return 0;
  if (line.size() > 12 && line[12] != ' ') return 0;
  return (code[0] - '0') * 100U + (code[1] - '0') * 10U + (code[2] - '0');
}

// A Content-Length value: digits with optional blanks around them, below 10^18.
std::optional<std::uint64_t> decimal(string_view v) {
  while (!v.empty() && blank(v.front())) v.remove_prefix(1);
  while (!v.empty() && blank(v.back())) v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  for (char c : v)
    if (!digit(c)) return std::nullopt;
  while (v.size() > 1 && v.front() == '0') v.remove_prefix(1);
  if (v.size() > 18) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v) n = n * 10 + static_cast<unsigned>(c - '0');
  return n;
}

// Whether a Transfer-Encoding line's last coding is "chunked".
bool ends_in_chunked(string_view line) {
  std::size_t end = line.size();
  for (int i = 0; i < kTrailingBlanks && end > 18 && blank(line[end - 1]); i++) end--;
  const string_view header_and_value = line.substr(0, end);
  if (header_and_value.size() < 18 + 7) return false;
  if (!starts_with_nocase(header_and_value.substr(end - 7), "chunked")) return false;
  const char before = header_and_value[end - 8];
  return before == ':' || before == ',' || blank(before);
}

// A chunk size: 1 to 15 hex digits, then the end, ';' or a blank.
std::optional<std::uint64_t> chunk_size(string_view line) {
  std::uint64_t n = 0;
  std::size_t digits = 0;
  for (; digits < line.size(); digits++) {
    const char c = lower(line[digits]);
    if (digit(c))
      n = n * 16 + static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      n = n * 16 + static_cast<unsigned>(c - 'a' + 10);
    else
      break;
    if (digits >= 15) return std::nullopt;
  }
  if (digits == 0) return std::nullopt;
  if (digits < line.size() && line[digits] != ';' && !blank(line[digits])) return std::nullopt;
  return n;
}

struct Headers {
  bool bad = false;
  bool has_length = false;
  std::uint64_t length = 0;
  bool chunked = false;
};

// Header lines up to the empty one; nullopt when the stream ends first.
// Framing values must fit in the kept part of their line.
std::optional<Headers> read_headers(Cursor& in, std::size_t kept) {
  Headers h;
  for (;;) {
    const std::optional<string_view> raw = in.line();
    if (!raw) return std::nullopt;
    const string_view l = content(*raw, kept);
    if (l.empty()) return h;
    if (starts_with_nocase(l, "content-length:")) {
      const auto v = raw->size() <= kept ? decimal(l.substr(15)) : std::nullopt;
      if (!v || (h.has_length && h.length != *v)) {
        h.bad = true;
        return h;
      }
      h.has_length = true;
      h.length = *v;
    } else if (starts_with_nocase(l, "transfer-encoding:")) {
      if (raw->size() > kept) {
        h.bad = true;
        return h;
      }
      h.chunked = ends_in_chunked(l);
    }
  }
}

// How a direction stands once all its bytes are read.
enum class End {
  kFraming,  // still reading messages (possibly inside one)
  kNotHttp,  // a message start that was not HTTP/1.x
  kLost,     // framing lost: an unusable header, or bytes missed
  kStopped,  // the rest is a tunnel or a body that lasts until the connection closes
};

enum class Body { kComplete, kIncomplete, kBad };

Body chunked_body(Cursor& in, std::size_t kept) {
  for (;;) {
    const auto raw = in.line();
    if (!raw) return Body::kIncomplete;
    const auto size = chunk_size(content(*raw, kept));
    if (!size) return Body::kBad;
    if (*size == 0) break;
    // The data and the CRLF after it, which is not checked.
    if (!in.skip(*size + 2)) return Body::kIncomplete;
  }
  for (;;) {  // trailers
    const auto raw = in.line();
    if (!raw) return Body::kIncomplete;
    if (content(*raw, kept).empty()) return Body::kComplete;
  }
}

// The body after the headers of a message that has one; nullopt when it is complete.
std::optional<End> body(Cursor& in, const Headers& h, std::size_t kept, Outcome& out) {
  if (h.chunked) {
    switch (chunked_body(in, kept)) {
      case Body::kComplete:
        return std::nullopt;
      case Body::kIncomplete:
        return End::kFraming;
      case Body::kBad:
        out.notes[kBadHeader]++;
        return End::kLost;
    }
  }
  if (h.has_length) return in.skip(h.length) ? std::nullopt : std::optional(End::kFraming);
  return End::kStopped;
}

struct Requests {
  std::vector<Method> methods;
  std::vector<std::string> templates;
  End end = End::kFraming;
  bool skipped = false;  // the first requests were never seen
  // The stream ends inside a request line: its method by the kept prefix.
  std::optional<Method> unfinished;
};

End read_requests(Cursor& in, const Limits& limits, Requests& r, Outcome& out) {
  for (;;) {
    const auto raw = in.line();
    if (!raw) {
      if (!in.unfinished().empty())
        r.unfinished = request_method(in.unfinished().substr(0, limits.kept_line));
      return End::kFraming;
    }
    const string_view l = content(*raw, limits.kept_line);
    if (l.empty()) continue;  // stray line ends between messages
    const Method m = request_method(l);
    if (m == kOther && !other_request(l)) {
      out.notes[kNotHttp]++;
      return End::kNotHttp;
    }
    r.methods.push_back(m);
    r.templates.push_back(url_template(*raw, limits.kept_line, m == kConnect));

    const auto h = read_headers(in, limits.kept_line);
    if (!h) return End::kFraming;
    if (h->bad) {
      out.notes[kBadHeader]++;
      return End::kLost;
    }
    // A request without Content-Length or chunked coding has no body.
    if (!h->chunked && !(h->has_length && h->length > 0)) continue;
    if (const auto end = body(in, *h, limits.kept_line, out)) return *end;
  }
}

End read_responses(Cursor& in, const Limits& limits, const Requests& req, Outcome& out) {
  std::size_t answered = 0;
  for (;;) {
    const auto raw = in.line();
    if (!raw) return End::kFraming;
    const string_view l = content(*raw, limits.kept_line);
    if (l.empty()) continue;
    const unsigned status = status_code(l);
    if (status == 0) {
      out.notes[kNotHttp]++;
      return End::kNotHttp;
    }
    // 1xx other than 101 are interim: they answer nothing.
    Method method = kOther;
    bool unseen = false;  // its request was not seen: framing cannot go by it
    if (status >= 200 || status == 101) {
      if (answered < req.methods.size()) {
        // All requests came first, so only the last `pipeline` of them are still
        // remembered: an earlier one's response has an unknown method.
        const bool remembered = answered + limits.pipeline >= req.methods.size();
        if (!remembered) out.notes[kPipelineOverflow]++;
        method = remembered ? req.methods[answered] : kOther;
        unseen = !remembered;
        out.exchanges.push_back(
            {method, status, remembered, remembered ? req.templates[answered] : ""});
        answered++;
      } else if (req.end == End::kLost || req.skipped) {
        out.notes[kRequestUnseen]++;
        out.exchanges.push_back({kOther, status, false, ""});  // its request was missed
        unseen = true;
      } else if (req.unfinished && answered == req.methods.size()) {
        // Answered before its line was complete: the server did not read it, so the
        // response is framed as for any request.
        out.exchanges.push_back({*req.unfinished, status, true, ""});
        answered++;
      } else {
        out.notes[kUnmatchedResponse]++;
      }
    }

    const auto h = read_headers(in, limits.kept_line);
    if (!h) return End::kFraming;
    if (h->bad) {
      out.notes[kBadHeader]++;
      return End::kLost;
    }
    if (status == 101 || (method == kConnect && status >= 200 && status < 300))
      return End::kStopped;
    if (status < 200 || status == 204 || status == 304 || method == kHead) continue;
    if (!h->chunked && h->has_length && h->length == 0) continue;
    if (unseen) {
      // Had the request been HEAD, there is no body and a status line follows. A
      // chunk-size line cannot start with 'H'; otherwise up to 8 bytes decide (no more
      // than the announced length).
      const std::size_t need = h->chunked ? 1
                               : h->has_length
                                   ? static_cast<std::size_t>(std::min<std::uint64_t>(8, h->length))
                                   : 8;
      const auto next = in.peek(need);
      if (!next) return End::kFraming;  // not decided yet
      out.notes[kFramingGuessed]++;
      bool status_line = true;
      for (std::size_t i = 0; i < need && i < 7; i++) status_line &= (*next)[i] == "HTTP/1."[i];
      if (need == 8) status_line &= (*next)[7] == '0' || (*next)[7] == '1';
      if (h->chunked) status_line = (*next)[0] == 'H';
      if (status_line) continue;
    }
    if (const auto end = body(in, *h, limits.kept_line, out)) return *end;
  }
}

}  // namespace

Outcome parse(const Streams& streams, const Limits& limits) {
  Outcome out;
  Requests req;
  req.skipped = streams.request_skipped;
  Cursor requests(streams.requests);
  req.end = read_requests(requests, limits, req, out);
  if (streams.request_gap && req.end == End::kFraming) {
    out.notes[kSeqGap]++;
    req.end = End::kLost;
  }

  Cursor responses(streams.responses);
  const End end = read_responses(responses, limits, req, out);
  if (streams.response_gap && end == End::kFraming) out.notes[kSeqGap]++;
  return out;
}

}  // namespace hs_ref
