// Latency quantiles from the kernel's histogram buckets.
#pragma once

#include <array>
#include <cstdint>

#include "snapshot.h"

namespace hs {

// The q-quantile (0..1) of a non-cumulative power-of-two histogram
// (SeriesStats::log2_buckets), in seconds, interpolated linearly inside the
// bucket; the overflow bucket reports its lower bound. Negative when empty.
double latency_quantile_seconds(const std::array<std::uint64_t, kLog2Buckets>& buckets, double q);

}  // namespace hs
