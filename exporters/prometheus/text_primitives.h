// The pieces every exposition line is written from, each appending at a raw
// pointer into room the caller reserved. The spellings are prometheus-cpp 1.0
// TextSerializer's, so that text written from them is byte-identical to its.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace hs::prom::text {

// The longest number written: "-1.797693134862316e+308" (23), an int64 (20).
inline constexpr std::size_t kMaxNumber = 24;

inline char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

inline char* put_int(char* p, std::int64_t v) { return std::to_chars(p, p + kMaxNumber, v).ptr; }

inline char* put_uint(char* p, std::uint64_t v) { return std::to_chars(p, p + kMaxNumber, v).ptr; }

// TextSerializer writes a double to a classic-locale ostream with precision 16
// in the default float field, i.e. printf's "%.16g", which std::to_chars
// reproduces; NaN and the infinities it spells itself.
inline char* put_double(char* p, double v) {
  if (std::isnan(v)) return put(p, "Nan");
  if (std::isinf(v)) return put(p, v < 0 ? "-Inf" : "+Inf");
  // Counts held in doubles are the common case. An integer below 10^16 has at
  // most 16 digits, which %.16g prints in full without an exponent; integer
  // formatting is several times cheaper. -0 keeps its sign ("-0") below.
  if (std::fabs(v) < 1e16 && v != 0) {
    const auto whole = static_cast<std::int64_t>(v);
    if (static_cast<double>(whole) == v) return put_int(p, whole);
  }
  return std::to_chars(p, p + kMaxNumber, v, std::chars_format::general, 16).ptr;
}

// Label values escape backslash, double quote and line feed (as "\n"); at most
// twice the value's size.
inline char* put_escaped(char* p, std::string_view s) {
  // Most values need no escape: a branch-free scan the compiler vectorises,
  // then one copy.
  bool plain = true;
  for (const char c : s) plain &= (c != '\\') & (c != '"') & (c != '\n');
  if (plain) return put(p, s);
  for (const char c : s) {
    if (c == '\\' || c == '"' || c == '\n') *p++ = '\\';
    *p++ = c == '\n' ? 'n' : c;
  }
  return p;
}

}  // namespace hs::prom::text
