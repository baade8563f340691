#include "executable_rollup.h"

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

namespace hs::prom {
namespace {

std::uint64_t minus(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; }

// to += from - base (base: the part of `from` already counted elsewhere).
void add(SeriesStats& to, const SeriesStats& from, const SeriesStats* base) {
  static const SeriesStats zero;
  const SeriesStats& b = base ? *base : zero;
  to.count += minus(from.count, b.count);
  to.latency_count += minus(from.latency_count, b.latency_count);
  to.latency_sum_ns += minus(from.latency_sum_ns, b.latency_sum_ns);
  for (std::size_t i = 0; i < to.buckets.size(); ++i)
    to.buckets[i] += minus(from.buckets[i], b.buckets[i]);
  for (std::size_t i = 0; i < to.log2_buckets.size(); ++i)
    to.log2_buckets[i] += minus(from.log2_buckets[i], b.log2_buckets[i]);
}

const SeriesStats* find_in(const std::map<SeriesKey, SeriesStats>* m, const SeriesKey& k) {
  if (!m) return nullptr;
  const auto it = m->find(k);
  return it == m->end() ? nullptr : &it->second;
}

// Two scrapes that took their snapshots a refresh apart can reach the
// rollup in the other order; rolling the older one after the newer would
// retire the processes that are new in the newer one, and count them twice
// when they show again. A snapshot much older than the last one is the
// clock set back, not a race, and is rolled.
bool older(const Snapshot& s, const Snapshot& last) {
  return s.taken_at < last.taken_at && last.taken_at - s.taken_at < std::chrono::seconds(10);
}

// Calls fn(key, stats, match) for each series of `from`, `match` being the
// entry of `into` with the same key or into.end(): both maps are sorted by
// key, so one walk finds them all, where a lookup each cost most of a
// rollup (20,000 of them at 1,000 processes).
template <typename Into, typename From, typename Fn>
void walk(Into& into, const From& from, Fn fn) {
  auto it = into.begin();
  for (const auto& [key, stats] : from) {
    while (it != into.end() && it->first < key) ++it;
    fn(key, stats, it != into.end() && it->first == key ? it : into.end());
  }
}

bool is_zero(const SeriesStats& s) { return s.count == 0 && s.latency_count == 0; }

}  // namespace

namespace {

template <typename T>  // GroupKey or ProcessInfo: the labels but the pid
auto labels_of(const T& k) {
  return std::tie(k.executable_name, k.container_id, k.names.container_name,
                  k.names.k8s_namespace_name, k.names.k8s_pod_name, k.names.k8s_container_name);
}

}  // namespace

bool ExecutableRollup::GroupKey::operator<(const GroupKey& o) const {
  return labels_of(*this) < labels_of(o);
}
bool ExecutableRollup::GroupKey::before(const ProcessInfo& p) const {
  return labels_of(*this) < labels_of(p);
}
bool ExecutableRollup::GroupKey::after(const ProcessInfo& p) const {
  return labels_of(p) < labels_of(*this);
}

ExecutableRollup::GroupKey ExecutableRollup::key_of(const ProcessInfo& info) {
  return {info.executable_name, info.container_id, info.names};
}

const std::map<SeriesKey, SeriesStats>* ExecutableRollup::baseline(const ProcessId& id) const {
  const auto it = baselines_.find(id);
  return it == baselines_.end() ? nullptr : &it->second;
}

std::size_t ExecutableRollup::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

// Every process of the previous snapshot that is not in `now`, or is under
// other labels there, leaves its last totals to its series.
void ExecutableRollup::retire_gone(const Snapshot& now) {
  if (!previous_) return;
  std::map<ProcessId, const ProcessInfo*> present;
  for (const ProcessSnapshot& p : now.processes) present.emplace(id_of(p.info), &p.info);
  for (const ProcessSnapshot& p : previous_->processes) {
    const ProcessId id = id_of(p.info);
    const auto still = present.find(id);
    if (still != present.end() && labels_of(*still->second) == labels_of(p.info)) continue;
    const auto group = groups_.find(p.info);
    if (group != groups_.end()) {
      const auto* base = baseline(id);
      walk(group->second, p.series,
           [&](const SeriesKey& series, const SeriesStats& stats, auto held) {
             // A series never admitted under the bound has nothing to keep.
             if (held != group->second.end())
               add(held->second.retired, stats, find_in(base, series));
           });
    }
    if (still == present.end())
      baselines_.erase(id);
    else
      baselines_[id] = p.series;  // what its old labels kept
  }
}

ExecutableRollup::Result ExecutableRollup::fold(const Snapshot& now) {
  Result out;
  const Clock::time_point at = now.taken_at;

  // Each process's group, once; the series its live processes have are live.
  std::vector<Groups::iterator> group_of;
  group_of.reserve(now.processes.size());
  std::vector<std::pair<Groups::iterator, const SeriesKey*>> candidates;
  for (const ProcessSnapshot& p : now.processes) {
    auto group = groups_.find(p.info);  // without building a key: most groups exist
    if (group == groups_.end()) group = groups_.try_emplace(key_of(p.info)).first;
    group_of.push_back(group);
    walk(group->second, p.series, [&](const SeriesKey& series, const SeriesStats&, auto held) {
      if (held != group->second.end())
        held->second.last_live = at;
      else
        candidates.emplace_back(group, &series);
    });
  }

  // Forgotten without being counted: series with no live process past their
  // retention, and those with neither a live process nor counts to keep.
  for (auto& [key, group] : groups_) {
    std::erase_if(group, [&](const auto& entry) {
      const Held& h = entry.second;
      const bool live = h.last_live == at;
      const bool gone = !live && (at - h.last_live > options_.retention || is_zero(h.retired));
      held_ -= gone;
      return gone;
    });
  }

  // New series while there is room; under the bound, those without a live
  // process make room, longest unused first, and are counted.
  std::vector<std::pair<Groups::iterator, Group::iterator>> evictable;
  std::size_t next_evicted = 0;
  bool evictable_listed = false;
  for (const auto& [group, series] : candidates) {
    if (group->second.contains(*series)) continue;  // another process's, just admitted
    if (options_.max_series != 0 && held_ >= options_.max_series) {
      if (!evictable_listed) {
        for (auto g = groups_.begin(); g != groups_.end(); ++g)
          for (auto s = g->second.begin(); s != g->second.end(); ++s)
            if (s->second.last_live != at) evictable.emplace_back(g, s);
        std::sort(evictable.begin(), evictable.end(), [](const auto& a, const auto& b) {
          return a.second->second.last_live < b.second->second.last_live;
        });
        evictable_listed = true;
      }
      if (next_evicted == evictable.size()) {
        ++out.left_out;
        continue;
      }
      const auto [g, s] = evictable[next_evicted++];
      g->second.erase(s);
      --held_;
      ++out.forgotten;
    }
    group->second.emplace(*series, Held{{}, at});
    ++held_;
  }

  // The sums: what is retired, then what the live processes add.
  auto rolled = std::make_shared<Snapshot>();
  rolled->taken_at = now.taken_at;
  rolled->health = now.health;
  std::map<const GroupKey*, ProcessSnapshot*> rolled_of;
  rolled->processes.reserve(groups_.size());
  for (const auto& [key, group] : groups_) {
    if (group.empty()) continue;
    ProcessSnapshot& r = rolled->processes.emplace_back();
    r.info.pid = static_cast<std::uint32_t>(rolled->processes.size());
    r.info.executable_name = key.executable_name;
    r.info.comm = key.executable_name.substr(0, 15);
    r.info.container_id = key.container_id;
    r.info.names = key.names;
    for (const auto& [series, h] : group) r.series.emplace_hint(r.series.end(), series, h.retired);
    rolled_of.emplace(&key, &r);
  }
  for (std::size_t i = 0; i < now.processes.size(); ++i) {
    const ProcessSnapshot& p = now.processes[i];
    const auto r = rolled_of.find(&group_of[i]->first);
    if (r == rolled_of.end()) continue;  // none of its series admitted
    const auto* base = baseline(id_of(p.info));
    auto& sums = r->second->series;
    walk(sums, p.series, [&](const SeriesKey& series, const SeriesStats& stats, auto sum) {
      if (sum != sums.end()) add(sum->second, stats, find_in(base, series));
    });
  }
  // Only now: group_of points into groups_.
  std::erase_if(groups_, [](const auto& g) { return g.second.empty(); });
  out.rolled = std::move(rolled);
  return out;
}

ExecutableRollup::Result ExecutableRollup::roll(std::shared_ptr<const Snapshot> snapshot) {
  if (!snapshot) return {};
  std::lock_guard lock(mutex_);
  if (previous_ && (snapshot == previous_ || older(*snapshot, *previous_))) {
    Result again = last_;
    again.forgotten = 0;  // counted when it happened
    return again;
  }
  retire_gone(*snapshot);
  last_ = fold(*snapshot);
  previous_ = std::move(snapshot);
  return last_;
}

}  // namespace hs::prom
