// Realistic hs::Snapshot values for the exporter benchmarks.
#pragma once

#include <cstddef>

#include "snapshot.h"

namespace hs_bench {

struct SnapshotShape {
  std::size_t processes = 10;
  std::size_t series_per_process = 20;  // (method, status) pairs, at most 20
  std::size_t recent_samples = 15;      // the aggregator's default
};

// Deterministic: the same shape always gives the same snapshot, so runs compare.
hs::Snapshot make_snapshot(const SnapshotShape& shape);

}  // namespace hs_bench
