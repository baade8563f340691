// The traffic families' exposition text written straight from the selected
// series: the same bytes as serialize_text(append_traffic_families(series)),
// without first building a MetricFamily per scrape (at the 10,000-series cap,
// 20,000 metrics with 130,000 label strings, which cost more than writing the
// text itself). append_traffic_families stays the Collectable's view, and the
// tests hold the two to the same bytes.
#pragma once

#include <cstddef>
#include <span>

#include "series_selection.h"
#include "text_buffer.h"

namespace hs::prom {

class TrafficText {
 public:
  // `series` (and the snapshot it points into) must outlive this.
  // Without `pid_label`, no process_pid (per-executable sums).
  explicit TrafficText(std::span<const SeriesRef> series, bool pid_label = true)
      : series_(series), pid_label_(pid_label) {}

  // About how many bytes the whole text takes, for reserving.
  std::size_t expected_size() const;

  // Part `index` of `parts` consecutive parts of about equal size: the parts
  // of one `parts`, written in order, are the whole text. Parts can be written
  // at the same time by different threads, each into its own buffer.
  void write_part(std::size_t index, std::size_t parts, TextBuffer& out) const;

  void write(TextBuffer& out) const { write_part(0, 1, out); }

 private:
  std::span<const SeriesRef> series_;
  bool pid_label_;
};

}  // namespace hs::prom
