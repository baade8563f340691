// How the report writes metric values and sample dates, fast: a busy host's
// report holds ~100,000 of each, and the probe allows 500 ms per poll.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "rfc3339.h"
#include "snapshot.h"

namespace hs::scope {

// A metric value in whole thousandths (of a request per second, or of a
// millisecond): finer digits are noise that only grows a report that can
// reach megabytes. nullopt when the value must not be reported: NaN or
// infinite (RapidJSON's Writer fails on them and leaves broken JSON),
// negative (a latency of -1 means "nothing completed"; a negative rate is an
// upstream bug), or 1e12 and above (no real rate or latency; it would also
// lose digits).
std::optional<std::int64_t> to_thousandths(double v);

// Writes n/1000 as a JSON number with one to three decimals ("12.5",
// "0.667", "3.0"), as RapidJSON's Double() would print the rounded value.
// Returns the length; `out` needs kMaxThousandthsLength bytes.
inline constexpr std::size_t kMaxThousandthsLength = 24;
std::size_t format_thousandths(std::int64_t n, char* out);

// Quoted RFC 3339 dates ("\"2026-11-22T12:00:01.123456Z\""), each distinct
// time formatted once: the aggregator reads every process in the same tick,
// so a report's samples share a handful of timestamps.
class DateCache {
 public:
  std::string_view quoted(Clock::time_point t);

 private:
  struct Entry {
    Clock::rep key = 0;
    bool used = false;
    std::array<char, kRfc3339Length + 2> text{};
  };
  // Each time has a home slot and may sit in the next kWays - 1 slots, so
  // two times with the same home do not evict each other on every sample.
  static constexpr std::size_t kSlots = 64;
  static constexpr std::size_t kWays = 4;
  std::array<Entry, kSlots + kWays - 1> entries_{};
  std::size_t next_victim_ = 0;
};

}  // namespace hs::scope
