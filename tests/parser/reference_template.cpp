#include "reference_template.h"

#include <optional>
#include <vector>

namespace hs_ref {
namespace {

using std::string_view;

constexpr std::size_t kDepth = 4;       // path segments kept
constexpr std::size_t kMethodMax = 19;  // longest method token the parser counts

bool is_digit(int c) { return c >= '0' && c <= '9'; }
bool is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  return (c | 0x20) - 'a' + 10;
}
bool malformed(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x21 || u > 0x7e;
}
bool starts_with_nocase(string_view s, string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); i++) {
    const char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (c != lower_prefix[i]) return false;
  }
  return true;
}

std::vector<string_view> split(string_view s, char sep) {
  std::vector<string_view> out;
  for (;;) {
    const std::size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// The template of an origin-form path ("/..." up to its end). `cut`: what was read
// ends inside the path.
std::optional<std::string> path_template(string_view path, bool cut) {
  std::vector<string_view> segments = split(path.substr(1), '/');
  bool deep = false;
  if (segments.size() > kDepth) {
    segments.resize(kDepth);  // what follows the fifth '/' is not looked at
    deep = true;
  } else if (cut) {
    segments.pop_back();  // the segment being read when reading stopped
    deep = true;
    for (char c : path.substr(path.rfind('/')))
      if (malformed(c)) return std::nullopt;
  }
  std::string out;
  for (string_view s : segments) {
    for (char c : s)
      if (malformed(c)) return std::nullopt;
    out += '/';
    out += identifier_segment(s) ? "{id}" : std::string(s);
  }
  if (deep) out += "/**";
  return out;
}

}  // namespace

bool identifier_segment(string_view segment) {
  // Decoded characters: a %-escape of two hex digits is its byte; a '%' with anything
  // else takes the two characters after it (as many as the segment has) and is a
  // character of no class.
  std::vector<int> chars;
  for (std::size_t i = 0; i < segment.size(); i++) {
    if (segment[i] != '%') {
      chars.push_back(static_cast<unsigned char>(segment[i]));
      continue;
    }
    const string_view digits = segment.substr(i + 1, 2);
    if (digits.size() == 2 && is_hex(digits[0]) && is_hex(digits[1]))
      chars.push_back(hex_value(digits[0]) * 16 + hex_value(digits[1]));
    else
      chars.push_back(-1);
    i += digits.size();
  }
  std::size_t digits = 0, hex = 0;
  for (int c : chars) {
    digits += is_digit(c);
    hex += is_hex(c);
  }
  const std::size_t n = chars.size();
  if (n == 0) return false;
  if (digits == n || digits >= 3 || (n >= 8 && hex == n)) return true;
  if (n != 36) return false;
  for (std::size_t i = 0; i < n; i++) {
    const bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_here ? chars[i] != '-' : !is_hex(chars[i])) return false;
  }
  return true;
}

std::string url_template(string_view raw, std::size_t kept, bool connect) {
  if (connect) return "";
  const bool cut = raw.size() > kept;
  string_view line = raw.substr(0, kept);
  if (!cut && !line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t space = line.find(' ');
  if (space == string_view::npos || space > kMethodMax || space + 1 >= line.size()) return "";
  string_view target = line.substr(space + 1);
  // The target ends at the next space; without one, where reading stopped.
  const std::size_t target_end = target.find(' ');
  const bool target_cut = cut && target_end == string_view::npos;
  target = target.substr(0, target_end);

  if (target.front() == '*') return target == "*" ? "*" : "";
  if (target.front() != '/') {
    std::size_t scheme = 0;
    if (starts_with_nocase(target, "http://"))
      scheme = 7;
    else if (starts_with_nocase(target, "https://"))
      scheme = 8;
    else
      return "";  // authority-form, or not a target at all
    // The authority ends at the path, the query, the fragment or the target's end.
    const string_view rest = target.substr(scheme);
    const std::size_t slash = rest.find_first_of("/?#");
    for (char c : rest.substr(0, slash))
      if (malformed(c)) return "";
    if (slash == string_view::npos) return target_cut ? "/**" : "/";
    if (rest[slash] != '/') return "/";
    target = rest.substr(slash);
  }
  const std::size_t path_end = target.find_first_of("?#");
  const auto t =
      path_template(target.substr(0, path_end), target_cut && path_end == string_view::npos);
  return t.value_or("");
}

}  // namespace hs_ref
