// The aggregation layer: the only reader of the BPF maps.
//
// Once a second (or on refresh()) it reads the kernel's per-CPU counters in
// batches, folds them into per-process cumulative series, derives per-second
// rates and latency quantiles, attaches process metadata, forgets processes
// that exited (after a grace period) and publishes an immutable Snapshot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "bpf_engine.h"
#include "container_names.h"
#include "snapshot.h"

namespace hs {

struct AggregatorOptions {
  std::chrono::milliseconds interval{1000};
  // How long an exited process stays in snapshots after its exit or its last
  // count, whichever is later, so every exporter reports its last counts
  // before it disappears.
  std::chrono::seconds exit_grace{60};
  // Per-second samples kept per process (the Scope report carries them).
  // A process gets one each interval while its window holds traffic or a
  // pause, so the window keeps moving for as long as either lasts.
  std::size_t recent_samples = 15;
  // Where container and pod names are read from (the daemon's --k8s-pods-dir
  // and the like).
  NameSources names;
};

class Aggregator {
 public:
  Aggregator(BpfEngine& engine, AggregatorOptions options);
  ~Aggregator();
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  // Starts the once-per-interval refresh thread. Its first refresh comes
  // one interval after counting began (BpfEngine::counting_since()).
  void start();
  void stop();

  // Reads the kernel now and publishes a new snapshot (also what the thread does).
  std::shared_ptr<const Snapshot> refresh();

  // The latest published snapshot; never null after construction.
  std::shared_ptr<const Snapshot> snapshot() const;

  // Pauses or resumes counting for a process in the kernel. Returns false when
  // the process is unknown or the kernel refused. Publishes a new snapshot.
  bool set_paused(std::uint32_t pid, bool paused);

 private:
  struct Process;
  void refresh_locked(Clock::time_point now);
  void on_event(const BpfEngine::Event& ev, Clock::time_point now);
  Process& process_for(std::uint32_t pid, std::uint64_t start_ns, Clock::time_point now);
  // Looks again for names a containerized process lacked when first seen.
  void retry_names(Process& p);
  // Moves an exited process's quiet series from the kernel into userspace.
  void fold_quiet_series(Process& p);
  std::shared_ptr<const Snapshot> publish(Clock::time_point now);

  BpfEngine& engine_;
  AggregatorOptions options_;

  mutable std::mutex mu_;  // guards everything below and engine_ reads
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::unique_ptr<Process>> processes_;
  std::shared_ptr<const Snapshot> latest_;
  Clock::time_point last_read_{};
  Clock::time_point last_liveness_check_{};

  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hs
