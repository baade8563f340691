#include <utility>

#include "health_metrics.h"
#include "metrics_exporter.h"
#include "series_selection.h"
#include "text_format.h"
#include "traffic_metrics.h"

namespace hs::prom {
namespace {

// Series drops already accumulated (this collection's included) are what the
// exposition reports.
std::vector<prometheus::MetricFamily> build_families(const Snapshot* snapshot,
                                                     const SeriesSelection* selection,
                                                     const ExporterOptions& options,
                                                     const SeriesDrops& dropped_so_far) {
  std::vector<prometheus::MetricFamily> families;
  families.reserve(16);
  if (selection) append_traffic_families(selection->series, families);
  append_health_families(snapshot ? &snapshot->health : nullptr, options.version, dropped_so_far,
                         families);
  return families;
}

}  // namespace

SnapshotCollector::SnapshotCollector(SnapshotFn snapshots, ExporterOptions options)
    : snapshots_(std::move(snapshots)), options_(std::move(options)) {}

std::vector<prometheus::MetricFamily> SnapshotCollector::Collect() const {
  // Holding the shared_ptr keeps this snapshot alive while its series are
  // referenced, even if the aggregator publishes a new one meanwhile.
  const std::shared_ptr<const Snapshot> snapshot = snapshots_ ? snapshots_() : nullptr;
  if (!snapshot) {
    const SeriesDrops so_far{dropped_per_process_.load(), dropped_total_.load(),
                             dropped_pid_reused_.load()};
    return build_families(nullptr, nullptr, options_, so_far);
  }
  const SeriesSelection selection =
      select_series(*snapshot, options_.max_series_per_process, options_.max_series_total);
  const SeriesDrops& d = selection.dropped;
  const SeriesDrops so_far{dropped_per_process_.fetch_add(d.per_process) + d.per_process,
                           dropped_total_.fetch_add(d.total) + d.total,
                           dropped_pid_reused_.fetch_add(d.pid_reused) + d.pid_reused};
  return build_families(snapshot.get(), &selection, options_, so_far);
}

std::string render_text(const Snapshot& snapshot, const ExporterOptions& options) {
  const SeriesSelection selection =
      select_series(snapshot, options.max_series_per_process, options.max_series_total);
  return serialize_text(build_families(&snapshot, &selection, options, selection.dropped));
}

}  // namespace hs::prom
