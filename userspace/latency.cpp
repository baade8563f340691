#include "latency.h"

namespace hs {

double latency_quantile_seconds(const std::array<std::uint64_t, kLatencyBuckets>& buckets,
                                double q) {
  std::uint64_t total = 0;
  for (std::uint64_t b : buckets) total += b;
  if (total == 0) return -1;
  const double rank = q * static_cast<double>(total);
  double below = 0;
  for (int i = 0; i < kLatencyBuckets; ++i) {
    const double in = static_cast<double>(buckets[i]);
    if (in > 0 && below + in >= rank) {
      if (i == kLatencyBuckets - 1) return kLatencyBounds.back();
      const double lower = i == 0 ? 0.0 : kLatencyBounds[i - 1];
      const double upper = kLatencyBounds[i];
      return lower + (upper - lower) * (rank - below) / in;
    }
    below += in;
  }
  return kLatencyBounds.back();
}

}  // namespace hs
