#include "request_framing.h"

#include <cstdint>
#include <optional>

namespace hs::http {
namespace {

// No method is longer (the registered ones stop at 16 characters): a longer
// first word is not a request line, and waiting for more of it only helps a
// client that holds connections open.
constexpr std::size_t kMaxMethodLength = 32;

// RFC 9110 token characters, the only ones a method is made of.
bool is_token_char(char c) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && kSymbols.find(c) != std::string_view::npos);
}

// The methods cpp-httplib routes; it answers 400 to any other.
bool known_method(std::string_view m) {
  for (const std::string_view known :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"}) {
    if (m == known) return true;
  }
  return false;
}

// "METHOD SP target SP HTTP/1.x", CRLF removed: 0 when httplib will parse it,
// else the status to refuse it with. Checked here so that the refusal comes
// at once and closes the connection, and never takes a worker.
int check_request_line(std::string_view line) {
  std::string_view parts[3];
  std::size_t count = 0;
  while (!line.empty()) {
    const std::size_t space = line.find(' ');
    if (space != 0) {
      if (count == 3) return 400;
      parts[count++] = line.substr(0, space);
    }
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  if (count != 3 || (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0")) return 400;
  return known_method(parts[0]) ? 0 : 501;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only; nullopt for anything else. Values past 10^18 come back as
// 10^18: far above any body limit, and no overflow.
std::optional<std::uint64_t> parse_length(std::string_view s) {
  constexpr std::uint64_t kHuge = 1'000'000'000'000'000'000ULL;
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v >= kHuge ? kHuge : v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace

Frame RequestFramer::refuse(int status) {
  frame_.state = Frame::State::Refused;
  frame_.status = status;
  return frame_;
}

Frame RequestFramer::update(std::string_view received) {
  if (frame_.state == Frame::State::Refused) return frame_;
  if (frame_.header_size != 0) {  // only the body was missing
    frame_.state =
        received.size() >= frame_.size() ? Frame::State::Complete : Frame::State::Incomplete;
    return frame_;
  }
  for (; scanned_ < received.size(); ++scanned_) {
    if (scanned_ == limits_.max_header_bytes) return refuse(request_line_seen_ ? 431 : 414);
    const char c = received[scanned_];
    if (!method_seen_) {
      // The first bytes show at once whether this is a request at all: TLS,
      // HTTP/2's binary frames, other protocols and garbage fail here.
      if (c == ' ' && scanned_ > 0) {
        method_seen_ = true;
      } else if (!is_token_char(c) || scanned_ == kMaxMethodLength) {
        return refuse(400);
      }
      continue;
    }
    if (c != '\n') continue;
    // httplib accepts only CRLF line ends; a bare LF would leave it waiting
    // for a blank line that never comes.
    if (scanned_ == line_start_ || received[scanned_ - 1] != '\r') return refuse(400);
    const std::size_t line_length = scanned_ + 1 - line_start_;
    line_start_ = scanned_ + 1;
    if (!request_line_seen_) {
      request_line_seen_ = true;
      const int status = check_request_line(received.substr(0, line_length - 2));
      if (status != 0) return refuse(status);
    } else if (line_length == 2) {  // the blank line: the header is complete
      ++scanned_;
      header_complete(received.substr(0, scanned_));
      return update(received);  // Refused, or whether the body is in
    }
  }
  return frame_;
}

void RequestFramer::header_complete(std::string_view header) {
  std::optional<std::uint64_t> content_length;
  bool chunked_or_other_coding = false;
  bool expects_continue = false;
  // Field lines run from after the request line to before the blank line.
  std::size_t pos = header.find('\n') + 1;
  while (pos + 2 < header.size()) {
    const std::size_t end = header.find('\n', pos);
    const std::string_view line = header.substr(pos, end - 1 - pos);  // without CRLF
    pos = end + 1;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // httplib ignores such lines too
    // The name exactly as httplib matches it: "Content-Length :" is another field.
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (same_name(name, "Content-Length")) {
      const auto length = parse_length(value);
      // Two different lengths make the body's end ambiguous.
      if (!length || (content_length && *content_length != *length)) {
        refuse(400);
        return;
      }
      content_length = length;
    } else if (same_name(name, "Transfer-Encoding")) {
      chunked_or_other_coding = true;
    } else if (same_name(name, "Expect")) {
      expects_continue = same_name(value, "100-continue");
    }
  }
  if (chunked_or_other_coding) {
    // With a length as well it is the classic request-smuggling shape.
    refuse(content_length ? 400 : 411);
    return;
  }
  const std::uint64_t body = content_length.value_or(0);
  if (body > limits_.max_body_bytes) {
    refuse(413);
    return;
  }

  frame_.header_size = header.size();
  frame_.body_size = static_cast<std::size_t>(body);
  frame_.expects_continue = expects_continue && body > 0;
}

}  // namespace hs::http
