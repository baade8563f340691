#include "series_selection.h"

#include <algorithm>
#include <cstdint>
#include <functional>

namespace hs::prom {
namespace {

// Keeps the `keep` busiest of `refs` (keep < refs.size()): most requests
// first, ties going to the earlier series. `refs` is in output order
// (snapshot order of the processes, then key) and stays so.
//
// Linear apart from one nth_element over plain counts: sorting the references
// themselves chased a pointer into the snapshot at every comparison, and
// these are tens of thousands of series.
void keep_busiest(std::vector<SeriesRef>& refs, std::size_t keep) {
  std::vector<std::uint64_t> counts(refs.size());
  for (std::size_t i = 0; i < refs.size(); ++i) counts[i] = refs[i].stats->count;
  std::vector<std::uint64_t> ranked = counts;
  const auto last_kept = ranked.begin() + static_cast<std::ptrdiff_t>(keep - 1);
  std::nth_element(ranked.begin(), last_kept, ranked.end(), std::greater<>{});
  const std::uint64_t threshold = *last_kept;
  // Everything busier than the threshold stays; of the series exactly at it,
  // the earliest fill the remaining places.
  std::size_t busier = 0;
  for (const std::uint64_t c : counts) busier += c > threshold;
  std::size_t ties_left = keep - busier;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const bool stays = counts[i] > threshold || (counts[i] == threshold && ties_left > 0);
    if (!stays) continue;
    if (counts[i] == threshold) --ties_left;
    refs[kept++] = refs[i];
  }
  refs.resize(kept);
}

bool same_labels(const ProcessInfo& a, const ProcessInfo& b) {
  return a.pid == b.pid && a.executable_name == b.executable_name &&
         a.container_id == b.container_id && a.names == b.names;
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
