// One aggregation pass (hs::Aggregator::refresh) on a live engine: batch reads of
// the kernel's per-CPU maps, folding into per-process series, rates, and the
// published Snapshot. Needs root (loads and attaches the BPF programs).
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <set>

#include "aggregator.h"
#include "bpf_engine.h"
#include "server_fleet.h"

namespace hs_bench {
namespace {

// 20 (method, status) series per server process.
std::vector<FleetRequest> twenty_series() {
  std::vector<FleetRequest> r;
  for (int status : {200, 201, 204, 206, 301, 302, 304, 400, 401, 403, 404, 409, 422, 429, 500,
                     502, 503})
    r.push_back({"GET", status});
  r.push_back({"POST", 201});
  r.push_back({"PUT", 204});
  r.push_back({"DELETE", 204});
  return r;
}

// Arg: server processes with traffic (0: only what the rest of the machine does).
void BM_AggregatorRefresh(benchmark::State& state) {
  if (::geteuid() != 0) {
    state.SkipWithError("skipped: needs root to load and attach the BPF programs");
    return;
  }
  const auto requests = twenty_series();
  // Children listen before the engine attaches but accept after, as sockops
  // only follows connections established while it is attached.
  ServerFleet fleet(static_cast<std::size_t>(state.range(0)));
  std::unique_ptr<hs::BpfEngine> engine;
  try {
    engine = std::make_unique<hs::BpfEngine>();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const std::size_t exchanged = fleet.exchange(requests);
  hs::Aggregator aggregator(*engine, {});
  aggregator.refresh();  // the first pass reads /proc for each new process; later ones do not

  std::shared_ptr<const hs::Snapshot> snap;
  for (auto _ : state) {
    snap = aggregator.refresh();
    benchmark::DoNotOptimize(snap.get());
  }

  const auto pids = fleet.pids();
  const std::set<pid_t> fleet_pids(pids.begin(), pids.end());
  std::size_t series = 0, fleet_series = 0;
  for (const auto& p : snap->processes) {
    series += p.series.size();
    if (fleet_pids.count(static_cast<pid_t>(p.info.pid))) fleet_series += p.series.size();
  }
  state.counters["processes"] = static_cast<double>(snap->processes.size());
  state.counters["series"] = static_cast<double>(series);
  // Should be processes x 20: otherwise the engine missed the fleet's traffic.
  state.counters["fleet_series"] = static_cast<double>(fleet_series);
  state.counters["exchanges"] = static_cast<double>(exchanged);
}

// Fixed iterations: the function then runs once per argument, so the fleet and
// the engine are set up once and torn down (RAII) before the next benchmark.
BENCHMARK(BM_AggregatorRefresh)
    ->Arg(0)
    ->Arg(10)
    ->Arg(100)
    ->Iterations(300)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hs_bench
