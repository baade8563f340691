// The last rendered reports, reused while the snapshot is the same.
//
// The aggregation layer publishes a new immutable snapshot once a second,
// and render_report() is pure, so every poll in between (retries, a probe's
// shortcut after a control) can share one rendering. A report also names
// the probe that polls (latest.control_probe_id), so a rendering is kept per
// probe id: a few probes polling one plugin each get theirs, at most one
// render per snapshot and probe, however many times they poll.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "report.h"
#include "snapshot.h"

namespace hs::scope {

class ReportCache {
 public:
  // Probe ids whose rendering is kept; one more evicts the least recently
  // asked for. More than one probe on a host is rare; the checker makes two.
  static constexpr std::size_t kProbes = 4;

  explicit ReportCache(ReportOptions options) : options_(std::move(options)) {}

  // The report of `snapshot` (null: of an empty snapshot) for `probe_id`
  // (see render_report). Concurrent callers wait for one rendering rather
  // than each doing it.
  std::shared_ptr<const std::string> get(const std::shared_ptr<const Snapshot>& snapshot,
                                         std::string_view probe_id);

 private:
  struct Entry {
    std::string probe_id;
    // Held, not just compared: a freed snapshot's address could be reused.
    std::shared_ptr<const Snapshot> snapshot;
    std::shared_ptr<const std::string> report;
  };

  const ReportOptions options_;
  std::mutex mu_;
  std::vector<Entry> entries_;  // most recently asked for first
};

}  // namespace hs::scope
