// The engine's and the exporter's own metrics, under http_statistics_.
#pragma once

#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "series_selection.h"
#include "snapshot.h"

namespace hs::prom {

// Appends build info and the exporter's series drops (always), then, when there
// is a snapshot (`health` not null), the engine's health: programs, bpf_stats,
// kernel-side drops, map usage, processes tracked and attach duration.
void append_health_families(const EngineHealth* health, std::string_view version,
                            const SeriesDrops& series_dropped,
                            std::vector<prometheus::MetricFamily>& out);

}  // namespace hs::prom
