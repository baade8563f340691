// Metric families to text exposition format 0.0.4.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "text_buffer.h"

namespace hs::prom {

// The same bytes as prometheus-cpp 1.0's TextSerializer writes for `families`
// (numbers as printf's %.16g in the C locale, NaN as "Nan", infinities as
// "+Inf"/"-Inf", label values escaped, HELP text as given), written into one
// string sized up front instead of through an ostream: a scrape of 10,000
// histogram series is tens of megabytes, and the ostream's per-token overhead
// was most of its cost.
std::string serialize_text(const std::vector<prometheus::MetricFamily>& families);

// The same text appended to `out` (kept whole or handed on in pieces).
void serialize_text(const std::vector<prometheus::MetricFamily>& families, TextBuffer& out);

}  // namespace hs::prom
