// The Scope plugin's /report body for one snapshot: what the probe polls once a second.
#include <benchmark/benchmark.h>

#include "report.h"
#include "snapshot_factory.h"

namespace hs_bench {
namespace {

void BM_ScopeReport(benchmark::State& state) {
  const hs::Snapshot snap = make_snapshot({.processes = static_cast<std::size_t>(state.range(0))});
  hs::scope::ReportOptions options;
  options.hostname = "bench-host";
  std::size_t bytes = 0;
  for (auto _ : state) {
    // A probe id as the probe sends it: every node then carries its controls.
    const std::string report = hs::scope::render_report(snap, options, "6b1c2d3e4f5a6978");
    bytes = report.size();
    benchmark::DoNotOptimize(report.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // processes
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.counters["report_bytes"] = static_cast<double>(bytes);
}

BENCHMARK(BM_ScopeReport)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hs_bench
