// Latency quantiles from the kernel's histogram buckets.
#pragma once

#include <array>
#include <cstdint>

#include "snapshot.h"

namespace hs {

// The q-quantile (0..1) of a non-cumulative histogram over kLatencyBounds, in
// seconds, interpolated linearly inside the bucket (as PromQL's
// histogram_quantile does); the overflow bucket reports the last bound.
// Negative when the histogram is empty.
double latency_quantile_seconds(const std::array<std::uint64_t, kLatencyBuckets>& buckets,
                                double q);

}  // namespace hs
