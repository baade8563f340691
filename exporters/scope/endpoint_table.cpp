#include "endpoint_table.h"

#include <algorithm>
#include <map>

namespace hs::scope {
namespace {

static_assert(kMaxEndpointRows <= 100, "row ids have two digits");

// Sums of one template over the window.
struct Totals {
  double requests = 0;
  double server_errors = 0;
  double p99_ms = -1;
};

bool in_window(const RateSample& s, Clock::time_point now) {
  return !s.paused && now - s.at < kEndpointWindow;
}

}  // namespace

std::vector<EndpointRow> endpoint_rows(const ProcessSnapshot& p, Clock::time_point now) {
  if (p.info.paused) return {};
  std::map<std::string_view, Totals> by_template;
  std::size_t samples = 0;
  for (const RateSample& s : p.recent) {
    if (!in_window(s, now)) continue;
    ++samples;
    for (const auto& [name, rate] : s.endpoints) {
      if (name.empty()) continue;
      Totals& t = by_template[name];
      t.requests += rate.requests_per_second;
      t.server_errors += rate.server_errors_per_second;
      // The window's p99 is at most its largest per-second p99 (no second
      // has more than 1% of its exchanges above its own); a mean of
      // quantiles would be no quantile at all.
      t.p99_ms = std::max(t.p99_ms, rate.latency_p99_ms);
    }
  }
  std::vector<EndpointRow> rows;
  rows.reserve(by_template.size());
  for (const auto& [name, t] : by_template) {
    const double n = static_cast<double>(samples);
    rows.push_back({std::string(name), t.requests / n, t.server_errors / n, t.p99_ms});
  }
  std::sort(rows.begin(), rows.end(), [](const EndpointRow& a, const EndpointRow& b) {
    if (a.requests_per_second != b.requests_per_second)
      return a.requests_per_second > b.requests_per_second;
    return a.url_template < b.url_template;
  });
  if (rows.size() > kMaxEndpointRows) rows.resize(kMaxEndpointRows);
  return rows;
}

std::string endpoint_row_id(std::size_t rank) {
  return {static_cast<char>('0' + rank / 10 % 10), static_cast<char>('0' + rank % 10)};
}

}  // namespace hs::scope
