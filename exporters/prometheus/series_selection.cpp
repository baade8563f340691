#include "series_selection.h"

#include <algorithm>
#include <functional>

namespace hs::prom {
namespace {

// Output order: snapshot order of the processes (their addresses in the
// snapshot's vector), then key.
bool output_order(const SeriesRef& a, const SeriesRef& b) {
  if (a.process != b.process) return std::less<>{}(a.process, b.process);
  return *a.key < *b.key;
}

// Busiest first; ties broken by output order so the result is deterministic.
bool busier(const SeriesRef& a, const SeriesRef& b) {
  if (a.stats->count != b.stats->count) return a.stats->count > b.stats->count;
  return output_order(a, b);
}

// Keeps the `keep` busiest of `refs` (keep < refs.size()), in output order.
void keep_busiest(std::vector<SeriesRef>& refs, std::size_t keep) {
  const auto cut = refs.begin() + static_cast<std::ptrdiff_t>(keep);
  std::nth_element(refs.begin(), cut, refs.end(), busier);
  refs.erase(cut, refs.end());
  std::sort(refs.begin(), refs.end(), output_order);
}

bool same_labels(const ProcessInfo& a, const ProcessInfo& b) {
  return a.pid == b.pid && a.executable_name == b.executable_name &&
         a.container_id == b.container_id;
}

// Is processes[k] hidden by a newer process in [first, last) (all with the
// same pid) that would export the same labels?
bool shadowed(const std::vector<ProcessSnapshot>& processes, std::size_t first, std::size_t last,
              std::size_t k) {
  const ProcessInfo& p = processes[k].info;
  for (std::size_t m = first; m < last; ++m) {
    const ProcessInfo& other = processes[m].info;
    if (m == k || !same_labels(p, other)) continue;
    if (other.start_ns > p.start_ns || (other.start_ns == p.start_ns && m < k)) return true;
  }
  return false;
}

}  // namespace

SeriesSelection select_series(const Snapshot& snapshot, std::size_t max_per_process,
                              std::size_t max_total) {
  SeriesSelection out;
  const auto& processes = snapshot.processes;
  std::size_t all = 0;
  for (const auto& p : processes) all += p.series.size();
  out.series.reserve(all);

  std::vector<SeriesRef> one;  // the series of one process over its cap
  for (std::size_t first = 0; first < processes.size();) {
    // Processes are sorted by pid: a reused pid forms a run.
    std::size_t last = first + 1;
    while (last < processes.size() && processes[last].info.pid == processes[first].info.pid) ++last;
    for (std::size_t k = first; k < last; ++k) {
      const ProcessSnapshot& p = processes[k];
      if (last - first > 1 && shadowed(processes, first, last, k)) {
        out.dropped.pid_reused += p.series.size();
        continue;
      }
      if (max_per_process == 0 || p.series.size() <= max_per_process) {
        for (const auto& [key, stats] : p.series) out.series.push_back({&p, &key, &stats});
        continue;
      }
      one.clear();
      for (const auto& [key, stats] : p.series) one.push_back({&p, &key, &stats});
      keep_busiest(one, max_per_process);
      out.series.insert(out.series.end(), one.begin(), one.end());
      out.dropped.per_process += p.series.size() - max_per_process;
    }
    first = last;
  }

  if (max_total != 0 && out.series.size() > max_total) {
    out.dropped.total = out.series.size() - max_total;
    keep_busiest(out.series, max_total);
  }
  return out;
}

}  // namespace hs::prom
