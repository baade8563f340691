// /metrics as text exposition for one snapshot: what every scrape costs.
#include <benchmark/benchmark.h>

#include "metrics_exporter.h"
#include "snapshot_factory.h"

namespace hs_bench {
namespace {

void render(benchmark::State& state, const hs::prom::ExporterOptions& options) {
  const hs::Snapshot snap = make_snapshot({.processes = static_cast<std::size_t>(state.range(0))});
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = hs::prom::render_text(snap, options);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // processes
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
  state.counters["text_bytes"] = static_cast<double>(bytes);
}

// As the daemon serves it: the default series caps apply (at 1,000 processes
// x 20 series the total cap keeps the busiest 10,000).
void BM_PrometheusText(benchmark::State& state) { render(state, hs::prom::ExporterOptions{}); }

// Every series rendered: what the caps save at 1,000 processes.
void BM_PrometheusText_Uncapped(benchmark::State& state) {
  hs::prom::ExporterOptions options;
  options.max_series_per_process = 0;
  options.max_series_total = 0;
  render(state, options);
}

BENCHMARK(BM_PrometheusText)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PrometheusText_Uncapped)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hs_bench
