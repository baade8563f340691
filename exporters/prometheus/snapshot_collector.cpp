#include <utility>

#include "exposition.h"
#include "health_metrics.h"
#include "metrics_exporter.h"
#include "series_selection.h"
#include "text_format.h"
#include "traffic_metrics.h"

namespace hs::prom {

SnapshotCollector::SnapshotCollector(SnapshotFn snapshots, ExporterOptions options)
    : snapshots_(std::move(snapshots)), options_(std::move(options)) {
  if (options_.metrics_by == MetricsBy::Executable)
    rollup_ = std::make_unique<ExecutableRollup>(options_.rollup);
}

Scrape SnapshotCollector::scrape() const {
  Scrape scrape;
  // Holding the shared_ptr keeps this snapshot alive while its series are
  // referenced, even if the aggregator publishes a new one meanwhile.
  scrape.snapshot = snapshots_ ? snapshots_() : nullptr;
  ExecutableRollup::Result rollup;
  if (rollup_) {
    // Per executable: the caps then apply to the sums, a "process" being an
    // executable in its container; no pid, so no pid is reused.
    rollup = rollup_->roll(scrape.snapshot);
    scrape.rolled = rollup.rolled;
    scrape.pid_label = false;
  }
  if (const Snapshot* traffic = rollup_ ? scrape.rolled.get() : scrape.snapshot.get())
    scrape.selection =
        select_series(*traffic, options_.max_series_per_process, options_.max_series_total);
  // Sums the rollup's bound left out are out of the 10,000 like those over
  // the total cap.
  scrape.selection.dropped.total += rollup.left_out;
  scrape.selection.dropped.retired += rollup.forgotten;
  // Series drops already accumulated, this scrape's included, are what the
  // exposition reports.
  const SeriesDrops& d = scrape.selection.dropped;
  const SeriesDrops so_far{dropped_per_process_.fetch_add(d.per_process) + d.per_process,
                           dropped_total_.fetch_add(d.total) + d.total,
                           dropped_pid_reused_.fetch_add(d.pid_reused) + d.pid_reused,
                           dropped_retired_.fetch_add(d.retired) + d.retired};
  append_health_families(scrape.snapshot ? &scrape.snapshot->health : nullptr, options_.version,
                         so_far, scrape.health);
  return scrape;
}

std::vector<prometheus::MetricFamily> SnapshotCollector::Collect() const {
  Scrape s = scrape();
  std::vector<prometheus::MetricFamily> families;
  families.reserve(2 + s.health.size());
  append_traffic_families(s.selection.series, families, s.pid_label);
  std::move(s.health.begin(), s.health.end(), std::back_inserter(families));
  return families;
}

std::string render_text(const Snapshot& snapshot, const ExporterOptions& options) {
  // A collector of its own, so the drops reported are this rendering's; the
  // snapshot is borrowed, not owned.
  const std::shared_ptr<const Snapshot> borrowed(std::shared_ptr<const Snapshot>{}, &snapshot);
  const SnapshotCollector collector([borrowed] { return borrowed; }, options);
  std::string text;
  for (const std::string& part : render_exposition(collector.scrape(), false, 1)) text += part;
  return text;
}

}  // namespace hs::prom
