#include "text_format.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

#include "text_primitives.h"

namespace hs::prom {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

using text::kMaxNumber;
using text::put;
using text::put_double;
using text::put_escaped;
using text::put_int;
using text::put_uint;

// Room a line needs besides the family name and the metric's labels: the
// longest suffix ("_bucket"), the braces, an extra label (`,quantile="` and a
// number and `"`), the space, the value, a timestamp and the newline.
constexpr std::size_t kLineExtra =
    7 + 2 + 11 + kMaxNumber + 1 + 1 + kMaxNumber + 1 + kMaxNumber + 1;

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      break;
  }
  return "untyped";
}

std::size_t line_count(MetricType type, const ClientMetric& m) {
  switch (type) {
    case MetricType::Summary:
      return 2 + m.summary.quantile.size();
    case MetricType::Histogram:
      return 3 + m.histogram.bucket.size();  // _count, _sum, buckets, maybe +Inf
    default:
      return 1;
  }
}

std::size_t label_bytes(const ClientMetric& m) {
  std::size_t bytes = 0;
  for (const auto& l : m.label) bytes += l.name.size() + l.value.size() + 4;
  return bytes;
}

// A size that is usually enough for the whole text, so the output is
// allocated once; open() grows it when escapes or uneven label sets need
// more. Label sizes come from three samples per family: reading every
// metric's labels costs a cache miss each, and a family's label sets are
// alike in length.
std::size_t expected_size(const std::vector<MetricFamily>& families) {
  std::size_t total = 0;
  for (const MetricFamily& f : families) {
    total += 2 * f.name.size() + f.help.size() + 32;  // # HELP and # TYPE lines
    if (f.metric.empty()) continue;
    const std::size_t labels =
        std::max({label_bytes(f.metric.front()), label_bytes(f.metric[f.metric.size() / 2]),
                  label_bytes(f.metric.back())});
    std::size_t lines = 0;
    for (const ClientMetric& m : f.metric) lines += line_count(f.type, m);
    total += lines * (f.name.size() + labels + kLineExtra);
  }
  return total;
}

// The text of histogram bounds for `le`: the series of a family share their
// bounds, so each is formatted once per rendering rather than once per line.
class BoundTexts {
 public:
  std::string_view get(std::size_t i, double bound) {
    if (i >= entries_.size()) entries_.resize(i + 1);
    Entry& e = entries_[i];
    const auto bits = std::bit_cast<std::uint64_t>(bound);
    if (e.size == 0 || e.bits != bits) {
      e.bits = bits;
      e.size = static_cast<std::size_t>(put_double(e.text.data(), bound) - e.text.data());
    }
    return {e.text.data(), e.size};
  }

 private:
  struct Entry {
    std::uint64_t bits = 0;
    std::size_t size = 0;
    std::array<char, kMaxNumber> text{};
  };
  std::vector<Entry> entries_;
};

// Writes families line by line. Each metric reserves room for all its lines,
// then writes them through a plain pointer; its labels are escaped once, not
// once per line.
class ExpositionWriter {
 public:
  explicit ExpositionWriter(TextBuffer& out) : out_(out) {}

  void family(const MetricFamily& f) {
    name_ = f.name;
    char* p = out_.open(2 * f.name.size() + f.help.size() + 32);
    if (!f.help.empty()) {
      p = put(p, "# HELP ");
      p = put(p, f.name);
      *p++ = ' ';
      p = put(p, f.help);
      *p++ = '\n';
    }
    p = put(p, "# TYPE ");
    p = put(p, f.name);
    *p++ = ' ';
    p = put(p, type_name(f.type));
    *p++ = '\n';
    out_.close(p);
    for (const ClientMetric& m : f.metric) metric(f.type, m);
  }

 private:
  void metric(MetricType type, const ClientMetric& m) {
    set_labels(m);
    timestamp_ms_ = m.timestamp_ms;
    char* p = out_.open(line_count(type, m) * (name_.size() + labels_.size() + kLineExtra));
    switch (type) {
      case MetricType::Counter:
        p = put_double(head(p, ""), m.counter.value);
        p = tail(p);
        break;
      case MetricType::Gauge:
        p = put_double(head(p, ""), m.gauge.value);
        p = tail(p);
        break;
      case MetricType::Untyped:
        p = put_double(head(p, ""), m.untyped.value);
        p = tail(p);
        break;
      case MetricType::Summary:
        p = summary(p, m.summary);
        break;
      case MetricType::Histogram:
        p = histogram(p, m.histogram);
        break;
    }
    out_.close(p);
  }

  char* summary(char* p, const ClientMetric::Summary& s) const {
    p = tail(put_uint(head(p, "_count"), s.sample_count));
    p = tail(put_double(head(p, "_sum"), s.sample_sum));
    for (const auto& q : s.quantile) {
      std::array<char, kMaxNumber> text{};
      const std::size_t size =
          static_cast<std::size_t>(put_double(text.data(), q.quantile) - text.data());
      p = tail(put_double(head(p, "", "quantile", {text.data(), size}), q.value));
    }
    return p;
  }

  char* histogram(char* p, const ClientMetric::Histogram& h) {
    p = tail(put_uint(head(p, "_count"), h.sample_count));
    p = tail(put_double(head(p, "_sum"), h.sample_sum));
    // As TextSerializer: a last bucket other than +Inf gets a +Inf one after it.
    bool ends_at_inf = false;
    for (std::size_t i = 0; i < h.bucket.size(); ++i) {
      const auto& b = h.bucket[i];
      p = tail(
          put_uint(head(p, "_bucket", "le", bounds_.get(i, b.upper_bound)), b.cumulative_count));
      ends_at_inf = b.upper_bound == std::numeric_limits<double>::infinity();
    }
    if (!ends_at_inf) p = tail(put_uint(head(p, "_bucket", "le", "+Inf"), h.sample_count));
    return p;
  }

  // `{name="value",...` escaped, without the closing brace; empty without labels.
  void set_labels(const ClientMetric& m) {
    labels_.clear();
    if (m.label.empty()) return;
    std::size_t room = 1;
    for (const auto& l : m.label) room += l.name.size() + 2 * l.value.size() + 4;
    labels_.resize(room);
    char* p = labels_.data();
    char separator = '{';
    for (const auto& l : m.label) {
      *p++ = separator;
      separator = ',';
      p = put(p, l.name);
      *p++ = '=';
      *p++ = '"';
      p = put_escaped(p, l.value);
      *p++ = '"';
    }
    labels_.resize(static_cast<std::size_t>(p - labels_.data()));
  }

  // `name suffix{labels} ` or `name suffix `.
  char* head(char* p, std::string_view suffix) const {
    p = put(put(p, name_), suffix);
    if (!labels_.empty()) {
      p = put(p, labels_);
      *p++ = '}';
    }
    *p++ = ' ';
    return p;
  }

  // `name suffix{labels,extra="value"} `; `value` needs no escaping.
  char* head(char* p, std::string_view suffix, std::string_view extra,
             std::string_view value) const {
    p = put(put(p, name_), suffix);
    if (labels_.empty()) {
      *p++ = '{';
    } else {
      p = put(p, labels_);
      *p++ = ',';
    }
    p = put(p, extra);
    *p++ = '=';
    *p++ = '"';
    p = put(p, value);
    *p++ = '"';
    *p++ = '}';
    *p++ = ' ';
    return p;
  }

  char* tail(char* p) const {
    if (timestamp_ms_ != 0) {
      *p++ = ' ';
      p = put_int(p, timestamp_ms_);
    }
    *p++ = '\n';
    return p;
  }

  TextBuffer& out_;
  std::string labels_;
  std::string_view name_;
  std::int64_t timestamp_ms_ = 0;
  BoundTexts bounds_;
};

}  // namespace

void serialize_text(const std::vector<MetricFamily>& families, TextBuffer& out) {
  ExpositionWriter writer(out);
  for (const MetricFamily& f : families) writer.family(f);
}

std::string serialize_text(const std::vector<MetricFamily>& families) {
  TextBuffer out(expected_size(families));
  serialize_text(families, out);
  return std::move(out).take();
}

}  // namespace hs::prom
