// Metric families to text exposition format 0.0.4.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

namespace hs::prom {

// The same bytes as prometheus-cpp 1.0's TextSerializer writes for `families`
// (numbers as printf's %.16g in the C locale, NaN as "Nan", infinities as
// "+Inf"/"-Inf", label values escaped, HELP text as given), written into one
// string sized up front instead of through an ostream: a scrape of 10,000
// histogram series is tens of megabytes, and the ostream's per-token overhead
// was most of its cost.
std::string serialize_text(const std::vector<prometheus::MetricFamily>& families);

// Receives the text piece by piece, in order.
using TextSink = std::function<void(std::string_view)>;

// The same text handed to `sink` in pieces of about `piece_size` bytes (whole
// metrics) as they are written, so the whole text never exists at once.
void serialize_text(const std::vector<prometheus::MetricFamily>& families, std::size_t piece_size,
                    const TextSink& sink);

// The text as a gzip member (gzip_compress(serialize_text(families), level)),
// compressed piece by piece while it is written: a large scrape then never
// holds its uncompressed text, nor faults it into fresh memory.
std::string serialize_text_gzip(const std::vector<prometheus::MetricFamily>& families, int level);

}  // namespace hs::prom
