// The per-process HTTP traffic families, named as the OpenTelemetry HTTP server
// conventions appear in Prometheus (dots become underscores, the unit becomes a
// suffix, counters end in _total).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

#include "series_selection.h"

namespace hs::prom {

inline constexpr std::string_view kDurationName = "http_server_request_duration_seconds";
inline constexpr std::string_view kDurationHelp =
    "Duration of HTTP/1.x server exchanges, from the request to the response, as seen by the "
    "kernel.";
inline constexpr std::string_view kRequestsName = "http_server_requests_total";
inline constexpr std::string_view kRequestsHelp =
    "HTTP/1.x server exchanges (request and response), including those without a measured "
    "duration.";

// The labels of a process's container, in the order written, each with its
// value ("" = the label is left out): OpenTelemetry's container.id and
// container.name, k8s.namespace.name, k8s.pod.name and k8s.container.name.
inline constexpr std::array<std::string_view, 5> kContainerLabels = {
    "container_id", "container_name", "k8s_namespace_name", "k8s_pod_name", "k8s_container_name"};
inline std::array<std::pair<std::string_view, const std::string*>, 5> container_labels(
    const ProcessInfo& p) {
  return {{{kContainerLabels[0], &p.container_id},
           {kContainerLabels[1], &p.names.container_name},
           {kContainerLabels[2], &p.names.k8s_namespace_name},
           {kContainerLabels[3], &p.names.k8s_pod_name},
           {kContainerLabels[4], &p.names.k8s_container_name}}};
}

// OpenTelemetry's url.scheme: HTTPS is what the OpenSSL probes saw.
inline std::string_view url_scheme(const SeriesKey& key) { return key.tls ? "https" : "http"; }

// Histogram bucket `i` as exported: cumulative, and at most latency_count.
// The per-CPU counters are read while the kernel updates them, so a bucket
// can be a few ahead of latency_count; clamping keeps every bucket at most the
// +Inf bucket (= _count), which histogram_quantile relies on. `cumulative`
// carries the running sum from bucket 0 up.
inline std::uint64_t exported_bucket(const SeriesStats& s, std::size_t i,
                                     std::uint64_t& cumulative) {
  cumulative += s.buckets[i];
  return std::min(cumulative, s.latency_count);
}

// Starts loading a series' key and counters (each lives in its own node of
// the snapshot's maps) before it is written, so that writing one series
// overlaps fetching the next ones.
void prefetch(const SeriesRef& s);

// Appends http_server_request_duration_seconds (histogram) and
// http_server_requests_total (counter), one metric per selected series;
// nothing when there are none. Labels: http_request_method,
// http_response_status_code, url_scheme, url_template (when the series has
// one), process_pid (unless not `pid_label`), process_executable_name and,
// for containerized processes, the kContainerLabels that have a value.
void append_traffic_families(const std::vector<SeriesRef>& series,
                             std::vector<prometheus::MetricFamily>& out, bool pid_label = true);

}  // namespace hs::prom
