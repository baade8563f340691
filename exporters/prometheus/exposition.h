// One /metrics body: what a scrape exports, written as text (gzipped or not),
// in parts on several threads when it is large.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "series_selection.h"
#include "snapshot.h"

namespace hs::prom {

// What one scrape exports: the traffic series chosen from a snapshot, then the
// engine's and the exporter's own families.
struct Scrape {
  std::shared_ptr<const Snapshot> snapshot;  // null: no snapshot yet; keeps the series alive
  // The per-executable sums the series point into instead (MetricsBy::Executable).
  std::shared_ptr<const Snapshot> rolled;
  SeriesSelection selection;
  bool pid_label = true;  // process_pid on the traffic series
  std::vector<prometheus::MetricFamily> health;
};

// Below this many series a body is written on the calling thread alone: a
// part is not worth a thread.
inline constexpr std::size_t kSeriesPerPart = 1000;

// The exposition text of `scrape`, in text format 0.0.4: the traffic families
// written straight from the series, then the health families. As a gzip
// member when `gzip`. Written in up to `threads` parts at once (the calling
// thread is one), each compressed on its own when gzipped; the pieces
// returned, in order, are the body, so the text is never copied into one
// string. Throws std::runtime_error if the compressor fails.
std::vector<std::string> render_exposition(const Scrape& scrape, bool gzip, std::size_t threads);

}  // namespace hs::prom
