// RFC 3339 timestamps as the Scope probe decodes them (Go's time.Time).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "snapshot.h"

namespace hs::scope {

// "2026-11-22T12:00:01.123456Z": UTC, always with microseconds, so every
// timestamp has the same length and sorts as text.
inline constexpr std::size_t kRfc3339Length = 27;
using Rfc3339 = std::array<char, kRfc3339Length>;

// Sub-microsecond digits are cut (floor), never rounded up into the next
// second. system_clock's range on Linux (1677 to 2262) always gives the
// four-digit years RFC 3339 requires.
Rfc3339 format_rfc3339(Clock::time_point t);

inline std::string to_rfc3339(Clock::time_point t) {
  const Rfc3339 text = format_rfc3339(t);
  return {text.data(), text.size()};
}

}  // namespace hs::scope
