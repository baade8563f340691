// The per-process HTTP traffic families, named as the OpenTelemetry HTTP server
// conventions appear in Prometheus (dots become underscores, the unit becomes a
// suffix, counters end in _total).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
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
// http_response_status_code, url_scheme, process_pid,
// process_executable_name and, for containerized processes, container_id.
void append_traffic_families(const std::vector<SeriesRef>& series,
                             std::vector<prometheus::MetricFamily>& out);

}  // namespace hs::prom
