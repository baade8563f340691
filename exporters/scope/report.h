// The plugin's /report: a Scope report built from one Snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "snapshot.h"

namespace hs::scope {

struct ReportOptions {
  // Node ids are "<hostname>;<pid>"; they must match the probe's own.
  std::string hostname;
  // Must equal the socket's name: the probe drops reports whose spec id differs.
  std::string plugin_id = "http-statistics";
};

// Ids shared by the report and the /control handler.
inline constexpr std::string_view kRequestsMetric = "http_requests_per_second";
inline constexpr std::string_view kLatencyP50Metric = "http_request_latency_p50_ms";
inline constexpr std::string_view kLatencyP99Metric = "http_request_latency_p99_ms";
inline constexpr std::string_view kPauseControl = "http_pause";
inline constexpr std::string_view kResumeControl = "http_resume";
// The node's metadata row "HTTP tracing": "active" or "paused".
inline constexpr std::string_view kTracingMetadata = "http_tracing";
// Scope's report.ControlProbeID: the app offers a node's controls only where
// the node names the probe to send them to.
inline constexpr std::string_view kControlProbeIdKey = "control_probe_id";

// "http_<code>_responses_per_second", the original plugin's naming.
std::string response_metric_id(std::uint16_t code);

// Pure: the same snapshot, options and probe id always give the same text.
// Every timestamp comes from the snapshot (samples: RateSample::at; controls
// and `latest` entries: Snapshot::taken_at), none from the clock. Only finite
// numbers reach the JSON.
//
// `probe_id` is the polling probe's (a probe id by is_probe_id()): every node
// carries it as latest.control_probe_id beside its controls. With "" (no
// probe known) the nodes offer no controls, since the app could not route
// them anyway.
std::string render_report(const Snapshot& snapshot, const ReportOptions& options,
                          std::string_view probe_id);

}  // namespace hs::scope
