#include "latency.h"

namespace hs {

double latency_quantile_seconds(const std::array<std::uint64_t, kLog2Buckets>& buckets, double q) {
  std::uint64_t total = 0;
  for (std::uint64_t b : buckets) total += b;
  if (total == 0) return -1;
  const double rank = q * static_cast<double>(total);
  double below = 0;
  for (int i = 0; i < kLog2Buckets; ++i) {
    const double in = static_cast<double>(buckets[i]);
    // Bucket i is [2^(i-1), 2^i) us; bucket 0 is [0, 1) us.
    const double lower_us = i == 0 ? 0.0 : static_cast<double>(1ULL << (i - 1));
    if (in > 0 && below + in >= rank) {
      if (i == kLog2Buckets - 1) return lower_us / 1e6;
      const double upper_us = static_cast<double>(1ULL << i);
      return (lower_us + (upper_us - lower_us) * (rank - below) / in) / 1e6;
    }
    below += in;
  }
  return static_cast<double>(1ULL << (kLog2Buckets - 2)) / 1e6;
}

}  // namespace hs
