// Which traffic series /metrics exports: the series caps, and processes whose
// pid was reused while the exited one is still in its grace period.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "snapshot.h"

namespace hs::prom {

// One exported series: a (method, status) of one process. Points into the
// snapshot, which must outlive it.
struct SeriesRef {
  const ProcessSnapshot* process;
  const SeriesKey* key;
  const SeriesStats* stats;
};

// Series left out, by reason (http_statistics_series_dropped_total{reason}).
struct SeriesDrops {
  std::uint64_t per_process = 0;  // over max_series_per_process
  std::uint64_t total = 0;        // over max_series_total
  std::uint64_t pid_reused = 0;   // shadowed by a newer process with the same labels
  std::uint64_t retired = 0;      // per-executable sums forgotten early under their bound
};

struct SeriesSelection {
  std::vector<SeriesRef> series;  // in snapshot order, then by key
  SeriesDrops dropped;
};

// Applies the caps (0 = no cap). Over a cap, the series with the most requests
// are kept (ties: snapshot order, then key), which keeps the choice stable from
// one scrape to the next because the counts are cumulative.
//
// Two snapshot processes with the same pid, executable name and container (id
// and names) would produce identical label sets, which Prometheus rejects as
// duplicates: only the newest one (largest start_ns) is exported. Relies on the snapshot's
// processes being sorted by pid, as the aggregator publishes them.
SeriesSelection select_series(const Snapshot& snapshot, std::size_t max_per_process,
                              std::size_t max_total);

}  // namespace hs::prom
