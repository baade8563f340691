#include "probe_id.h"

#include <algorithm>

namespace hs::scope {

bool is_probe_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxProbeIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_' || c == '.';
  });
}

void LastProbeId::seen(std::string_view id) {
  if (!is_probe_id(id)) return;
  std::lock_guard lock(mu_);
  if (id_ != id) id_.assign(id);
}

std::string LastProbeId::get() const {
  std::lock_guard lock(mu_);
  return id_;
}

}  // namespace hs::scope
