// The per-process HTTP traffic families, named as the OpenTelemetry HTTP server
// conventions appear in Prometheus (dots become underscores, the unit becomes a
// suffix, counters end in _total).
#pragma once

#include <vector>

#include <prometheus/metric_family.h>

#include "series_selection.h"

namespace hs::prom {

// Appends http_server_request_duration_seconds (histogram) and
// http_server_requests_total (counter), one metric per selected series;
// nothing when there are none.
void append_traffic_families(const std::vector<SeriesRef>& series,
                             std::vector<prometheus::MetricFamily>& out);

}  // namespace hs::prom
