#include "health_metrics.h"

#include <set>
#include <string>

namespace hs::prom {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

// One sample; the value goes where the family's type reads it.
void add(MetricFamily& f, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

// Families without samples are left out: a lone # TYPE line says nothing.
void push(std::vector<MetricFamily>& out, MetricFamily f) {
  if (!f.metric.empty()) out.push_back(std::move(f));
}

double seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }

void append_programs(const EngineHealth& h, std::vector<MetricFamily>& out) {
  auto attached = family("http_statistics_bpf_programs_attached",
                         "BPF programs of the engine attached to the kernel.", MetricType::Gauge);
  add(attached, static_cast<double>(h.programs.size()));
  push(out, std::move(attached));

  auto enabled = family("http_statistics_bpf_stats_enabled",
                        "1 when kernel.bpf_stats_enabled is set, so program run time and run "
                        "count are measured.",
                        MetricType::Gauge);
  add(enabled, h.bpf_stats_enabled ? 1 : 0);
  push(out, std::move(enabled));

  // Without bpf_stats the kernel reports zeros, which would read as "free".
  if (!h.bpf_stats_enabled) return;
  auto run_time = family("http_statistics_bpf_program_run_time_seconds_total",
                         "Time spent running the BPF program (needs kernel.bpf_stats_enabled).",
                         MetricType::Counter);
  auto run_count =
      family("http_statistics_bpf_program_run_count_total",
             "Runs of the BPF program (needs kernel.bpf_stats_enabled).", MetricType::Counter);
  // A program attached at several points has one set of statistics: report it
  // once, or the exposition would repeat a series.
  std::set<std::string> seen;
  for (const ProgramHealth& p : h.programs) {
    if (!seen.insert(p.name).second) continue;
    add(run_time, seconds(p.run_time_ns), {{"program", p.name}});
    add(run_count, static_cast<double>(p.run_count), {{"program", p.name}});
  }
  push(out, std::move(run_time));
  push(out, std::move(run_count));
}

void append_engine(const EngineHealth& h, std::vector<MetricFamily>& out) {
  append_programs(h, out);

  auto dropped = family("http_statistics_dropped_total",
                        "Exchanges or events the kernel side skipped or could not record, "
                        "by cause.",
                        MetricType::Counter);
  for (const auto& [cause, n] : h.drops) add(dropped, static_cast<double>(n), {{"cause", cause}});
  push(out, std::move(dropped));

  auto entries =
      family("http_statistics_map_entries", "Entries in use in the BPF map.", MetricType::Gauge);
  auto capacity = family("http_statistics_map_capacity",
                         "Maximum entries of the BPF map (max_entries).", MetricType::Gauge);
  for (const MapHealth& m : h.maps) {
    add(entries, static_cast<double>(m.used), {{"map", m.name}});
    add(capacity, static_cast<double>(m.capacity), {{"map", m.name}});
  }
  push(out, std::move(entries));
  push(out, std::move(capacity));

  auto tracked = family("http_statistics_processes_tracked",
                        "Server processes with traffic the engine currently tracks, including "
                        "exited ones in their grace period.",
                        MetricType::Gauge);
  add(tracked, static_cast<double>(h.processes_tracked));
  push(out, std::move(tracked));

  auto attach =
      family("http_statistics_attach_duration_seconds",
             "Time it took to load and attach the BPF programs at startup.", MetricType::Gauge);
  add(attach, std::chrono::duration<double>(h.attach_duration).count());
  push(out, std::move(attach));
}

}  // namespace

void append_health_families(const EngineHealth* health, std::string_view version,
                            const SeriesDrops& series_dropped, std::vector<MetricFamily>& out) {
  auto build = family("http_statistics_build_info",
                      "Always 1; the version label tells which http-statistics is running.",
                      MetricType::Gauge);
  // An empty label value would read as no label at all.
  add(build, 1, {{"version", version.empty() ? "unknown" : std::string(version)}});
  push(out, std::move(build));

  // Every reason is always present, so rate() works from the first scrape.
  auto series = family("http_statistics_series_dropped_total",
                       "Traffic series left out of /metrics responses, summed over responses: "
                       "per_process and total are the series caps, pid_reused an exited "
                       "process hidden by a newer one with the same labels, retired a sum "
                       "per executable without live processes forgotten early under its bound.",
                       MetricType::Counter);
  add(series, static_cast<double>(series_dropped.per_process), {{"reason", "per_process"}});
  add(series, static_cast<double>(series_dropped.total), {{"reason", "total"}});
  add(series, static_cast<double>(series_dropped.pid_reused), {{"reason", "pid_reused"}});
  add(series, static_cast<double>(series_dropped.retired), {{"reason", "retired"}});
  push(out, std::move(series));

  if (health) append_engine(*health, out);
}

}  // namespace hs::prom
