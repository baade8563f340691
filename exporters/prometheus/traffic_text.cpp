#include "traffic_text.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "text_primitives.h"
#include "traffic_metrics.h"

namespace hs::prom {
namespace {

using text::kMaxNumber;
using text::put;
using text::put_double;
using text::put_escaped;
using text::put_uint;

// A histogram takes 2 + 15 lines per series, the counter one: the weights by
// which the text is split into parts of equal size.
constexpr std::size_t kHistogramLines = 2 + kLatencyBuckets;
constexpr std::size_t kCounterLines = 1;

// The `le` values: the bounds as TextSerializer spells them, then +Inf.
struct BoundTexts {
  BoundTexts() {
    for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
      std::array<char, kMaxNumber> buffer{};
      texts[i].assign(buffer.data(), put_double(buffer.data(), kLatencyBounds[i]));
    }
    texts[kLatencyBounds.size()] = "+Inf";
  }
  std::array<std::string, kLatencyBuckets> texts;
};

const BoundTexts& bound_texts() {
  static const BoundTexts texts;
  return texts;
}

// The longest line besides the labels: name, "_bucket", braces, `,le="…"`,
// the space, a number and the newline.
constexpr std::size_t kLineExtra =
    kDurationName.size() + 7 + 2 + 6 + kMaxNumber + 1 + kMaxNumber + 1;

char* header(char* p, std::string_view name, std::string_view help, std::string_view type) {
  p = put(p, "# HELP ");
  p = put(p, name);
  *p++ = ' ';
  p = put(p, help);
  p = put(p, "\n# TYPE ");
  p = put(p, name);
  *p++ = ' ';
  p = put(p, type);
  *p++ = '\n';
  return p;
}

// The label text of one series, `{...` without the closing brace, in
// append_traffic_families' order; the process's part is escaped once per
// process, as series come grouped by process.
class SeriesLabels {
 public:
  explicit SeriesLabels(bool pid_label) : pid_label_(pid_label) {}

  std::string_view of(const SeriesRef& s) {
    if (s.process != process_) set_process(*s.process);
    labels_.resize(128 + 2 * s.key->url_template.size() + process_labels_.size());
    char* p = labels_.data();
    p = put(p, "{http_request_method=\"");
    p = put(p, method_name(s.key->method));
    p = put(p, "\",http_response_status_code=\"");
    p = put_uint(p, s.key->status);
    p = put(p, "\",url_scheme=\"");
    p = put(p, url_scheme(*s.key));
    if (!s.key->url_template.empty()) {
      p = put(p, "\",url_template=\"");
      p = put_escaped(p, s.key->url_template);
    }
    p = put(p, process_labels_);
    return {labels_.data(), static_cast<std::size_t>(p - labels_.data())};
  }

 private:
  void set_process(const ProcessSnapshot& process) {
    process_ = &process;
    const ProcessInfo& info = process.info;
    const auto container = container_labels(info);
    std::size_t room = 128 + 2 * info.executable_name.size();
    for (const auto& [name, value] : container) room += name.size() + 8 + 2 * value->size();
    process_labels_.resize(room);
    char* p = process_labels_.data();
    if (pid_label_) {
      p = put(p, "\",process_pid=\"");
      p = put_uint(p, info.pid);
    }
    p = put(p, "\",process_executable_name=\"");
    p = put_escaped(p, info.executable_name);
    for (const auto& [name, value] : container) {
      if (value->empty()) continue;
      p = put(p, "\",");
      p = put(p, name);
      p = put(p, "=\"");
      p = put_escaped(p, *value);
    }
    *p++ = '"';
    process_labels_.resize(static_cast<std::size_t>(p - process_labels_.data()));
  }

  bool pid_label_;
  const ProcessSnapshot* process_ = nullptr;
  std::string process_labels_;
  std::string labels_;
};

// `name suffix{labels} `
char* head(char* p, std::string_view suffix, std::string_view labels) {
  p = put(put(put(p, kDurationName), suffix), labels);
  *p++ = '}';
  *p++ = ' ';
  return p;
}

void write_histogram(const SeriesRef& s, std::string_view labels, TextBuffer& out) {
  const SeriesStats& stats = *s.stats;
  const auto& le = bound_texts().texts;
  char* p = out.open(kHistogramLines * (labels.size() + kLineExtra));
  p = put_uint(head(p, "_count", labels), stats.latency_count);
  *p++ = '\n';
  p = put_double(head(p, "_sum", labels), static_cast<double>(stats.latency_sum_ns) / 1e9);
  *p++ = '\n';
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i) {
    p = put(put(put(put(p, kDurationName), "_bucket"), labels), ",le=\"");
    p = put(put(p, le[i]), "\"} ");
    p = put_uint(p, exported_bucket(stats, i, cumulative));
    *p++ = '\n';
  }
  p = put(put(put(put(p, kDurationName), "_bucket"), labels), ",le=\"+Inf\"} ");
  p = put_uint(p, stats.latency_count);
  *p++ = '\n';
  out.close(p);
}

void write_counter(const SeriesRef& s, std::string_view labels, TextBuffer& out) {
  char* p = out.open(labels.size() + kLineExtra);
  p = put(put(p, kRequestsName), labels);
  *p++ = '}';
  *p++ = ' ';
  p = put_double(p, static_cast<double>(s.stats->count));
  *p++ = '\n';
  out.close(p);
}

}  // namespace

std::size_t TrafficText::expected_size() const {
  if (series_.empty()) return 0;
  // Label sizes from three samples: reading every series' process costs a
  // cache miss each, and label sets are alike in length.
  SeriesLabels labels(pid_label_);
  const std::size_t label_bytes =
      std::max({labels.of(series_.front()).size(), labels.of(series_[series_.size() / 2]).size(),
                labels.of(series_.back()).size()});
  return 1024 + series_.size() * (kHistogramLines + kCounterLines) * (label_bytes + kLineExtra);
}

void TrafficText::write_part(std::size_t index, std::size_t parts, TextBuffer& out) const {
  const std::size_t n = series_.size();
  if (n == 0 || index >= parts) return;
  // The text as items of known weight: the histograms of every series, then
  // their counters. A part holds the items that start in its share of the
  // total weight; each family's header goes with its first item.
  const std::size_t total = n * (kHistogramLines + kCounterLines);
  const std::size_t lo = index * total / parts;
  const std::size_t hi = (index + 1) * total / parts;
  const auto first_at_or_after = [](std::size_t weight, std::size_t per_item) {
    return (weight + per_item - 1) / per_item;
  };
  const std::size_t histograms_end = n * kHistogramLines;
  const std::size_t h_from = std::min(n, first_at_or_after(lo, kHistogramLines));
  const std::size_t h_to = std::min(n, first_at_or_after(hi, kHistogramLines));
  const std::size_t c_from = std::min(n, lo > histograms_end ? lo - histograms_end : 0);
  const std::size_t c_to = std::min(n, hi > histograms_end ? hi - histograms_end : 0);

  SeriesLabels labels(pid_label_);
  const auto write_items = [&](std::size_t from, std::size_t to, std::string_view name,
                               std::string_view help, std::string_view type, auto write_one) {
    if (from == to) return;
    if (from == 0) {
      char* p = out.open(2 * name.size() + help.size() + type.size() + 32);
      out.close(header(p, name, help, type));
    }
    for (std::size_t i = from; i < to; ++i) {
      if (i + 2 < to) prefetch(series_[i + 2]);
      write_one(series_[i], labels.of(series_[i]), out);
    }
  };
  write_items(h_from, h_to, kDurationName, kDurationHelp, "histogram", write_histogram);
  write_items(c_from, c_to, kRequestsName, kRequestsHelp, "counter", write_counter);
}

}  // namespace hs::prom
