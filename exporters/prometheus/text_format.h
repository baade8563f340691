// Metric families to text exposition format 0.0.4.
#pragma once

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace hs::prom {

// prometheus::TextSerializer into one string, without the extra copy of the
// whole body that TextSerializer::Serialize(families) makes.
std::string serialize_text(const std::vector<prometheus::MetricFamily>& families);

}  // namespace hs::prom
