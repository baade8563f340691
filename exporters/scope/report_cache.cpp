#include "report_cache.h"

#include <algorithm>

namespace hs::scope {

std::shared_ptr<const std::string> ReportCache::get(const std::shared_ptr<const Snapshot>& snapshot,
                                                    std::string_view probe_id) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [probe_id](const Entry& e) { return e.probe_id == probe_id; });
  if (it == entries_.end()) {
    if (entries_.size() == kProbes) entries_.pop_back();
    entries_.push_back({std::string(probe_id), nullptr, nullptr});
    it = std::prev(entries_.end());
  }
  if (!it->report || it->snapshot != snapshot) {
    it->report = std::make_shared<const std::string>(
        render_report(snapshot ? *snapshot : Snapshot{}, options_, probe_id));
    it->snapshot = snapshot;
  }
  std::rotate(entries_.begin(), it, std::next(it));
  return entries_.front().report;
}

}  // namespace hs::scope
