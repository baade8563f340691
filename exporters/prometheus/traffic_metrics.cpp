#include "traffic_metrics.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>

namespace hs::prom {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// The labels shared by every series of a process. The container's only exist
// for containerized processes, and each name only where it was found, as in
// OpenTelemetry's resource attributes.
std::vector<ClientMetric::Label> process_labels(const ProcessInfo& p, bool pid_label) {
  std::vector<ClientMetric::Label> labels;
  labels.reserve(2 + kContainerLabels.size());
  if (pid_label) labels.push_back({"process_pid", std::to_string(p.pid)});
  labels.push_back({"process_executable_name", p.executable_name});
  for (const auto& [name, value] : container_labels(p))
    if (!value->empty()) labels.push_back({std::string(name), *value});
  return labels;
}

ClientMetric::Histogram duration_histogram(const SeriesStats& s) {
  ClientMetric::Histogram h;
  h.sample_count = s.latency_count;
  h.sample_sum = static_cast<double>(s.latency_sum_ns) / 1e9;
  h.bucket.reserve(kLatencyBuckets);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i)
    h.bucket.push_back({exported_bucket(s, i, cumulative), kLatencyBounds[i]});
  h.bucket.push_back({s.latency_count, std::numeric_limits<double>::infinity()});
  return h;
}

}  // namespace

void prefetch(const SeriesRef& s) {
  __builtin_prefetch(s.key);
  const auto* stats = reinterpret_cast<const char*>(s.stats);
  for (std::size_t at = 0; at < offsetof(SeriesStats, log2_buckets); at += 64)
    __builtin_prefetch(stats + at);
}

void append_traffic_families(const std::vector<SeriesRef>& series, std::vector<MetricFamily>& out,
                             bool pid_label) {
  MetricFamily duration;
  duration.name = kDurationName;
  duration.help = kDurationHelp;
  duration.type = MetricType::Histogram;
  duration.metric.reserve(series.size());

  MetricFamily requests;
  requests.name = kRequestsName;
  requests.help = kRequestsHelp;
  requests.type = MetricType::Counter;
  requests.metric.reserve(series.size());

  const ProcessSnapshot* current = nullptr;
  std::vector<ClientMetric::Label> shared;
  for (std::size_t i = 0; i < series.size(); ++i) {
    // Each series lives in its own node of the snapshot's maps: request the
    // one after next while this one is built, or every series waits for memory.
    if (i + 2 < series.size()) prefetch(series[i + 2]);
    const SeriesRef& s = series[i];
    if (s.process != current) {  // series come grouped by process
      current = s.process;
      shared = process_labels(current->info, pid_label);
    }
    ClientMetric counter;
    counter.label.reserve(4 + shared.size());
    counter.label.push_back({"http_request_method", std::string(method_name(s.key->method))});
    counter.label.push_back({"http_response_status_code", std::to_string(s.key->status)});
    counter.label.push_back({"url_scheme", std::string(url_scheme(*s.key))});
    if (!s.key->url_template.empty())
      counter.label.push_back({"url_template", s.key->url_template});
    counter.label.insert(counter.label.end(), shared.begin(), shared.end());
    counter.counter.value = static_cast<double>(s.stats->count);

    ClientMetric histogram;
    histogram.label = counter.label;
    histogram.histogram = duration_histogram(*s.stats);

    requests.metric.push_back(std::move(counter));
    duration.metric.push_back(std::move(histogram));
  }
  if (series.empty()) return;  // no traffic yet: no lone # TYPE lines
  out.push_back(std::move(duration));
  out.push_back(std::move(requests));
}

}  // namespace hs::prom
