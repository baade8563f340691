// --metrics-by executable: the aggregation layer's per-process series summed
// by everything but the pid, so that pre-fork workers and restarts do not
// make new Prometheus series.
//
// A rolled series is one (executable name, container id and names, method,
// status, scheme, URL template). Its value is what its live processes have
// counted plus the last totals of its processes that are gone ("retired"),
// so it never goes down while it is held: a worker that exits and the one
// that replaces it add up, as one counter.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "snapshot.h"

namespace hs::prom {

struct RollupOptions {
  // Rolled series held at most (0 = no bound): live ones, and those whose
  // processes are all gone but whose counts are kept for a returning one.
  std::size_t max_series = 10000;
  // How long a rolled series with no live process left is kept (and
  // exported, unchanging) for a process with the same labels to continue
  // it. Past that it is forgotten: one that comes later starts from zero,
  // which Prometheus reads as a counter reset.
  std::chrono::seconds retention{3600};
};

class ExecutableRollup {
 public:
  explicit ExecutableRollup(RollupOptions options = {}) : options_(options) {}

  struct Result {
    // One ProcessSnapshot per (executable, container): pid is its rank, not
    // a process (only there so select_series sees distinct processes), and
    // series are the sums. Null when the input was null.
    std::shared_ptr<const Snapshot> rolled;
    // Rolled series of live processes left out because the bound was full
    // of series that still have live processes: in this result only.
    std::uint64_t left_out = 0;
    // Rolled series without live processes forgotten before their retention
    // ended, to make room under the bound: once, when it happened.
    std::uint64_t forgotten = 0;
  };

  // The rollup of `snapshot`, with what earlier calls retired. Snapshots
  // must be the aggregator's, passed as they come; one older than the last
  // one rolled (two scrapes racing) is answered with that last one, so that
  // the counters never go back. The same snapshot again gives the same
  // rollup. Safe to call from several threads at once.
  Result roll(std::shared_ptr<const Snapshot> snapshot);

  // Rolled series held (for tests).
  std::size_t held() const;

 private:
  struct GroupKey {
    std::string executable_name;
    std::string container_id;
    ContainerNames names;
    bool operator<(const GroupKey& o) const;
    bool operator==(const GroupKey& o) const = default;
    // Ordered against a process's labels too.
    bool before(const ProcessInfo& p) const;
    bool after(const ProcessInfo& p) const;
    friend bool operator<(const GroupKey& k, const ProcessInfo& p) { return k.before(p); }
    friend bool operator<(const ProcessInfo& p, const GroupKey& k) { return k.after(p); }
  };
  struct Held {
    SeriesStats retired;          // last totals of the processes gone
    Clock::time_point last_live;  // when a live process last had this series
  };
  using Group = std::map<SeriesKey, Held>;
  // Transparent: a process's group is found from its ProcessInfo.
  using Groups = std::map<GroupKey, Group, std::less<>>;
  struct ProcessId {
    std::uint32_t pid;
    std::uint64_t start_ns;
    auto operator<=>(const ProcessId&) const = default;
  };

  static GroupKey key_of(const ProcessInfo& info);
  static ProcessId id_of(const ProcessInfo& info) { return {info.pid, info.start_ns}; }
  const std::map<SeriesKey, SeriesStats>* baseline(const ProcessId& id) const;
  void retire_gone(const Snapshot& now);
  Result fold(const Snapshot& now);

  RollupOptions options_;
  mutable std::mutex mutex_;
  Groups groups_;
  std::size_t held_ = 0;
  // Processes whose labels changed while they lived (container names found
  // late): their totals when they changed, which their old series kept.
  // Their new series count only what came after.
  std::map<ProcessId, std::map<SeriesKey, SeriesStats>> baselines_;
  // The last snapshot rolled, to see which processes are gone at the next
  // one and with which totals (their last ones); and its result.
  std::shared_ptr<const Snapshot> previous_;
  Result last_;
};

}  // namespace hs::prom
