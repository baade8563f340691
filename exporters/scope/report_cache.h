// The last rendered report, reused while the snapshot is the same.
//
// The aggregation layer publishes a new immutable snapshot once a second,
// and render_report() is pure, so every poll in between (several probes,
// retries, a probe's shortcut after a control) can share one rendering: at
// most one render per snapshot, however many clients poll.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "report.h"
#include "snapshot.h"

namespace hs::scope {

class ReportCache {
 public:
  explicit ReportCache(ReportOptions options) : options_(std::move(options)) {}

  // The report of `snapshot` (null: of an empty snapshot). Concurrent
  // callers wait for one rendering rather than each doing it.
  std::shared_ptr<const std::string> get(const std::shared_ptr<const Snapshot>& snapshot);

 private:
  const ReportOptions options_;
  std::mutex mu_;
  bool valid_ = false;
  // Held, not just compared: a freed snapshot's address could be reused.
  std::shared_ptr<const Snapshot> snapshot_;
  std::shared_ptr<const std::string> report_;
};

}  // namespace hs::scope
