#include <gtest/gtest.h>

#include "latency.h"

namespace hs {
namespace {

using Buckets = std::array<std::uint64_t, kLog2Buckets>;

TEST(LatencyQuantile, EmptyHistogramIsNegative) {
  EXPECT_LT(latency_quantile_seconds(Buckets{}, 0.5), 0);
}

TEST(LatencyQuantile, InterpolatesInsideTheBucket) {
  Buckets b{};
  b[7] = 100;  // [64, 128) us
  EXPECT_DOUBLE_EQ(latency_quantile_seconds(b, 0.5), 96e-6);
  EXPECT_DOUBLE_EQ(latency_quantile_seconds(b, 1.0), 128e-6);
}

TEST(LatencyQuantile, PicksTheBucketThatHoldsTheRank) {
  Buckets b{};
  b[1] = 90;  // [1, 2) us
  b[11] = 10; // [1024, 2048) us
  EXPECT_LT(latency_quantile_seconds(b, 0.5), 2e-6);
  const double p99 = latency_quantile_seconds(b, 0.99);
  EXPECT_GE(p99, 1024e-6);
  EXPECT_LE(p99, 2048e-6);
}

TEST(LatencyQuantile, OverflowBucketReportsItsLowerBound) {
  Buckets b{};
  b[kLog2Buckets - 1] = 3;
  EXPECT_DOUBLE_EQ(latency_quantile_seconds(b, 0.5), static_cast<double>(1ULL << 25) / 1e6);
}

}  // namespace
}  // namespace hs
