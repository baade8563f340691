#include "report_values.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace hs::scope {

std::optional<std::int64_t> to_thousandths(double v) {
  if (!std::isfinite(v) || v < 0 || v >= 1e12) return std::nullopt;
  // Round half up without libm (a call per value shows in the profile):
  // below 2^53 the fractional part `scaled - whole` is computed exactly, so
  // unlike adding 0.5 before truncating this never rounds 0.49999... up.
  const double scaled = v * 1000.0;
  auto whole = static_cast<std::int64_t>(scaled);
  if (scaled - static_cast<double>(whole) >= 0.5) ++whole;
  return whole;
}

std::size_t format_thousandths(std::int64_t n, char* out) {
  char* p = std::to_chars(out, out + kMaxThousandthsLength, n / 1000).ptr;
  *p++ = '.';
  int fraction = static_cast<int>(n % 1000);
  int digits = 3;
  while (digits > 1 && fraction % 10 == 0) {  // "3.0", "12.5", "0.667"
    fraction /= 10;
    --digits;
  }
  for (int i = digits - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  return static_cast<std::size_t>(p + digits - out);
}

std::string_view DateCache::quoted(Clock::time_point t) {
  const Clock::rep key = t.time_since_epoch().count();
  // Fibonacci hashing: the top 6 bits of key * 2^64/phi pick the home slot.
  const std::size_t home = (static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ULL) >> 58;
  Entry* free = nullptr;
  for (std::size_t i = home; i < home + kWays; ++i) {
    Entry& e = entries_[i];
    if (e.used && e.key == key) return {e.text.data(), e.text.size()};
    if (!e.used && free == nullptr) free = &e;
  }
  Entry& e = free != nullptr ? *free : entries_[home + next_victim_++ % kWays];
  const Rfc3339 text = format_rfc3339(t);
  e.text.front() = '"';
  std::memcpy(e.text.data() + 1, text.data(), text.size());
  e.text.back() = '"';
  e.key = key;
  e.used = true;
  return {e.text.data(), e.text.size()};
}

}  // namespace hs::scope
