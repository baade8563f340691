#include "report_cache.h"

namespace hs::scope {

std::shared_ptr<const std::string> ReportCache::get(
    const std::shared_ptr<const Snapshot>& snapshot) {
  std::lock_guard lock(mu_);
  if (!valid_ || snapshot_ != snapshot) {
    report_ = std::make_shared<const std::string>(
        render_report(snapshot ? *snapshot : Snapshot{}, options_));
    snapshot_ = snapshot;
    valid_ = true;
  }
  return report_;
}

}  // namespace hs::scope
