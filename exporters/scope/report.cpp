#include "report.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include "endpoint_table.h"
#include "probe_id.h"
#include "report_values.h"

namespace hs::scope {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Template priorities, lower first. The original plugin's: requests 0.1 and
// code/1000 for a status code (0.1 to 0.599 for 100-599). Latency comes after
// every rate and before the probe's own process metrics (priorities 1 to 3).
constexpr double kRequestsPriority = 0.1;
constexpr double kLatencyP50Priority = 0.7;
constexpr double kLatencyP99Priority = 0.71;
// The metadata row comes after the probe's own process rows (PID, command,
// parent PID, threads, open files: priorities 1 to 5).
constexpr double kTracingPriority = 10;

// Status codes that get a metric: the three digits of an HTTP status line.
// The kernel only counts 100-599; anything else cannot come from a status
// line and would make ids like "http_0_responses_per_second".
constexpr std::uint16_t kFirstCode = 100;
constexpr std::uint16_t kLastCode = 999;

constexpr std::string_view kPluginLabel = "HTTP Statistics";
constexpr std::string_view kPluginDescription = "Adds http request metrics to processes";

// Bytes per sample and per node in the JSON, to size the buffer up front.
constexpr std::size_t kSampleBytes = 64;
constexpr std::size_t kNodeBytes = 640;

double requests(const RateSample& s) { return s.requests_per_second; }
double latency_p50(const RateSample& s) { return s.latency_p50_ms; }
double latency_p99(const RateSample& s) { return s.latency_p99_ms; }

bool positive(double v) { return to_thousandths(v).value_or(0) > 0; }

// Whether a pause shows in the node: the process is paused, or was when a
// sample of the window was read. Until the window has moved past the pause,
// the node stays with every code it answered, so the app gets the state
// change (controls, "HTTP tracing") and the graphs go on at zero.
bool pause_in_window(const ProcessSnapshot& p) {
  return p.info.paused || std::any_of(p.recent.begin(), p.recent.end(),
                                      [](const RateSample& s) { return s.paused; });
}

// Status codes of the node's metrics, ascending: those with a non-zero rate
// somewhere in the window (a code whose traffic stopped, zero across the
// window, is left out, and so is its metric), and while a pause shows, every
// code the process has answered: nothing is counted then, so the window
// would soon hold none.
std::vector<std::uint16_t> node_codes(const ProcessSnapshot& p) {
  std::vector<std::uint16_t> codes;
  const auto add = [&codes](std::uint16_t code) {
    if (code >= kFirstCode && code <= kLastCode) codes.push_back(code);
  };
  for (const RateSample& s : p.recent) {
    for (const auto& [code, rate] : s.responses_per_second) {
      if (positive(rate)) add(code);
    }
  }
  if (pause_in_window(p)) {
    for (const auto& [key, stats] : p.series) {
      if (stats.count > 0) add(key.status);
    }
  }
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  return codes;
}

// Which processes the report shows. Scope lists every process anyway (from
// the probe's own process reporter); a node from this plugin only adds
// metrics, a metadata row and controls. So the report carries:
// - processes with HTTP traffic somewhere in the recent window: the metrics
//   stay visible (dropping to zero) for the window's length after the
//   traffic stops, then the node goes, which keeps a busy host's report small;
// - paused processes, traffic or not, so their "resume" control stays
//   reachable, and for a window's length after a resume, so the app learns
//   that the process is active again;
// - no exited process: the probe no longer reports it, and a node made only
//   of this plugin's metrics would show up as a nameless process.
bool shown(const ProcessSnapshot& p, const std::vector<std::uint16_t>& codes) {
  if (p.info.exited) return false;
  if (!codes.empty() || pause_in_window(p)) return true;
  return std::any_of(p.recent.begin(), p.recent.end(),
                     [](const RateSample& s) { return positive(s.requests_per_second); });
}

class Renderer {
 public:
  explicit Renderer(std::size_t expected_bytes) : buffer_(nullptr, expected_bytes), w_(buffer_) {}

  std::string render(const Snapshot& snapshot, const ReportOptions& options,
                     std::string_view probe_id);

 private:
  void key(std::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void string(std::string_view s) {
    w_.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  void date(Clock::time_point t) {
    const std::string_view quoted = dates_.quoted(t);
    w_.RawValue(quoted.data(), quoted.size(), rapidjson::kStringType);
  }
  // {"date":"...","value":...} as one raw value: a report has ~100,000 of
  // them, and their parts need no escaping.
  void sample(Clock::time_point at, std::int64_t value) {
    static constexpr std::string_view kDate = R"({"date":)";
    static constexpr std::string_view kValue = R"(,"value":)";
    std::array<char, kDate.size() + kRfc3339Length + 2 + kValue.size() + kMaxThousandthsLength + 1>
        text{};
    char* p = std::copy(kDate.begin(), kDate.end(), text.data());
    const std::string_view quoted = dates_.quoted(at);
    p = std::copy(quoted.begin(), quoted.end(), p);
    p = std::copy(kValue.begin(), kValue.end(), p);
    p += format_thousandths(value, p);
    *p++ = '}';
    w_.RawValue(text.data(), static_cast<std::size_t>(p - text.data()), rapidjson::kObjectType);
  }
  void thousandths(std::int64_t n) {
    std::array<char, kMaxThousandthsLength> text{};
    w_.RawValue(text.data(), format_thousandths(n, text.data()), rapidjson::kNumberType);
  }
  // Double() refuses NaN and infinities and then leaves the JSON broken: a
  // refusal must not pass silently. (Only constants come here.)
  void number(double v) {
    if (!w_.Double(v)) throw std::logic_error("non-finite number in the Scope report");
  }

  template <class Value>
  bool metric(std::string_view id, const std::vector<RateSample>& recent, Value value);
  void node(const ProcessSnapshot& p, const std::vector<std::uint16_t>& codes,
            const std::vector<EndpointRow>& endpoints, std::string_view node_id,
            Clock::time_point taken_at, std::string_view probe_id);
  void latest_entry(std::string_view id, Clock::time_point taken_at, std::string_view value);
  void endpoint_cells(const std::vector<EndpointRow>& rows, Clock::time_point taken_at);
  void endpoint_table_template();
  void control_state(std::string_view id, Clock::time_point taken_at, bool dead);
  void metric_template(std::string_view id, std::string_view label, double priority);
  void metadata_template(std::string_view id, std::string_view label, double priority);
  void control(std::string_view id, std::string_view human, std::string_view icon, int rank);
  void spec(std::string_view plugin_id);

  rapidjson::StringBuffer buffer_;
  Writer w_;
  DateCache dates_;
  std::vector<std::optional<std::int64_t>> values_;  // scratch: one metric's window
};

// Writes `id: {samples, min, max}` from every reportable value of the window
// (all of `recent`, so a poll the probe missed leaves no hole: the app merges
// samples by date). Writes nothing and returns false when no value is
// reportable.
template <class Value>
bool Renderer::metric(std::string_view id, const std::vector<RateSample>& recent, Value value) {
  values_.clear();
  std::int64_t max = 0;
  bool any = false;
  for (const RateSample& s : recent) {
    const auto v = to_thousandths(value(s));
    values_.push_back(v);
    if (v) {
      any = true;
      max = std::max(max, *v);
    }
  }
  if (!any) return false;
  key(id);
  w_.StartObject();
  key("samples");
  w_.StartArray();
  for (std::size_t i = 0; i < recent.size(); ++i) {
    if (values_[i]) sample(recent[i].at, *values_[i]);
  }
  w_.EndArray();
  // The UI draws min..max as the graph's range: from 0 to the largest
  // sample; 0..1 for a line of zeros, since 0..0 is no range at all.
  key("min");
  thousandths(0);
  key("max");
  thousandths(max > 0 ? max : 1000);
  w_.EndObject();
  return true;
}

void Renderer::latest_entry(std::string_view id, Clock::time_point taken_at,
                            std::string_view value) {
  key(id);
  w_.StartObject();
  key("timestamp");
  date(taken_at);
  key("value");
  string(value);
  w_.EndObject();
}

// Four cells a row, every one written in every report, "-" for a p99 not
// measured: the app merges the reports of its last 15 s by key, so a cell
// left out would show an older report's value. A row past the node's current
// count (its endpoints fell to fewer) lingers the same way until those
// reports leave the window; Scope has no way to delete a `latest` entry.
void Renderer::endpoint_cells(const std::vector<EndpointRow>& rows, Clock::time_point taken_at) {
  std::string cell;
  const auto value = [](double v) {
    const auto t = to_thousandths(v);
    if (!t) return std::string("-");
    std::array<char, kMaxThousandthsLength> text{};
    return std::string(text.data(), format_thousandths(*t, text.data()));
  };
  for (std::size_t rank = 0; rank < rows.size(); ++rank) {
    const EndpointRow& r = rows[rank];
    cell.assign(kEndpointPrefix).append(endpoint_row_id(rank)).append(kEndpointCellSeparator);
    const std::size_t column = cell.size();
    const auto write = [&](std::string_view id, std::string_view text) {
      cell.resize(column);
      cell.append(id);
      latest_entry(cell, taken_at, text);
    };
    write("template", r.url_template);
    write("requests", value(r.requests_per_second));
    write("server_errors", value(r.server_errors_per_second));
    write("p99_ms", value(r.latency_p99_ms));
  }
}

void Renderer::control_state(std::string_view id, Clock::time_point taken_at, bool dead) {
  key(id);
  w_.StartObject();
  key("timestamp");
  date(taken_at);
  key("value");
  w_.StartObject();
  key("dead");
  w_.Bool(dead);
  w_.EndObject();
  w_.EndObject();
}

void Renderer::node(const ProcessSnapshot& p, const std::vector<std::uint16_t>& codes,
                    const std::vector<EndpointRow>& endpoints, std::string_view node_id,
                    Clock::time_point taken_at, std::string_view probe_id) {
  const bool paused = p.info.paused;
  key(node_id);
  w_.StartObject();
  key("id");
  string(node_id);
  key("topology");
  string("process");

  // Written in both states, like the controls: the app keeps the newest
  // value of each entry from the reports of the last 15 s.
  key("latest");
  w_.StartObject();
  latest_entry(kTracingMetadata, taken_at, paused ? "paused" : "active");
  if (!probe_id.empty()) latest_entry(kControlProbeIdKey, taken_at, probe_id);
  endpoint_cells(endpoints, taken_at);
  w_.EndObject();

  key("metrics");
  w_.StartObject();
  if (!metric(kRequestsMetric, p.recent, requests)) {
    // A paused process without samples: one zero, so the node shows 0.
    RateSample zero;
    zero.at = taken_at;
    metric(kRequestsMetric, std::vector<RateSample>{zero}, requests);
  }
  for (const std::uint16_t code : codes) {
    metric(response_metric_id(code), p.recent, [code](const RateSample& s) {
      const auto it = s.responses_per_second.find(code);
      return it == s.responses_per_second.end() ? 0.0 : it->second;
    });
  }
  // Nothing is measured while paused: the window's last quantiles are from
  // before the pause, and shown as the node's latency they would pass for
  // current ones.
  if (!paused) {
    metric(kLatencyP50Metric, p.recent, latency_p50);
    metric(kLatencyP99Metric, p.recent, latency_p99);
  }
  w_.EndObject();

  // Both controls, the one that does not apply marked dead: the app merges
  // the reports of the last 15 s by timestamp, so a control that is merely
  // left out would linger from an older report after the state changed.
  // Without a probe id the app would offer neither.
  if (!probe_id.empty()) {
    key("latestControls");
    w_.StartObject();
    control_state(kPauseControl, taken_at, /*dead=*/paused);
    control_state(kResumeControl, taken_at, /*dead=*/!paused);
    w_.EndObject();
  }

  w_.EndObject();
}

void Renderer::metric_template(std::string_view id, std::string_view label, double priority) {
  key(id);
  w_.StartObject();
  key("id");
  string(id);
  key("label");
  string(label);
  key("format");
  string("");
  key("priority");
  number(priority);
  w_.EndObject();
}

void Renderer::metadata_template(std::string_view id, std::string_view label, double priority) {
  key(id);
  w_.StartObject();
  key("id");
  string(id);
  key("label");
  string(label);
  key("priority");
  number(priority);
  key("from");
  string("latest");
  w_.EndObject();
}

// Columns in the UI's order. Requests/s comes first because the UI sorts a
// table by its first column, descending (node-details-generic-table.js):
// with the template first, "/z" would come before the busiest endpoint.
void Renderer::endpoint_table_template() {
  struct Column {
    std::string_view id, label;
    bool number;
  };
  static constexpr std::array<Column, 4> kColumns{{{"requests", "Req/s", true},
                                                   {"template", "Endpoint", false},
                                                   {"server_errors", "5xx/s", true},
                                                   {"p99_ms", "p99 (ms)", true}}};
  key(kEndpointTable);
  w_.StartObject();
  key("id");
  string(kEndpointTable);
  key("label");
  string("HTTP endpoints (busiest " + std::to_string(kMaxEndpointRows) + ")");
  key("type");
  string("multicolumn-table");
  key("prefix");
  string(kEndpointPrefix);
  key("columns");
  w_.StartArray();
  for (const Column& c : kColumns) {
    w_.StartObject();
    key("id");
    string(c.id);
    key("label");
    string(c.label);
    // "number": right-aligned and sorted as numbers, not as text.
    key("dataType");
    string(c.number ? "number" : "");
    w_.EndObject();
  }
  w_.EndArray();
  w_.EndObject();
}

void Renderer::control(std::string_view id, std::string_view human, std::string_view icon,
                       int rank) {
  key(id);
  w_.StartObject();
  key("id");
  string(id);
  key("human");
  string(human);
  key("icon");
  string(icon);
  key("rank");
  w_.Int(rank);
  w_.EndObject();
}

void Renderer::spec(std::string_view plugin_id) {
  w_.StartObject();
  key("id");
  string(plugin_id);
  key("label");
  string(kPluginLabel);
  key("description");
  string(kPluginDescription);
  key("interfaces");
  w_.StartArray();
  string("reporter");
  string("controller");
  w_.EndArray();
  key("api_version");
  string("1");
  w_.EndObject();
}

std::string Renderer::render(const Snapshot& snapshot, const ReportOptions& options,
                             std::string_view probe_id) {
  std::bitset<kLastCode + 1> codes_seen;
  bool any_endpoints = false;
  w_.StartObject();
  key("Process");
  w_.StartObject();

  // Nodes first: the templates depend on which codes they carry.
  key("nodes");
  w_.StartObject();
  std::string node_id = options.hostname + ";";
  const std::size_t prefix = node_id.size();
  for (const ProcessSnapshot& p : snapshot.processes) {
    const std::vector<std::uint16_t> codes = node_codes(p);
    if (!shown(p, codes)) continue;
    for (const std::uint16_t code : codes) codes_seen.set(code);
    const std::vector<EndpointRow> endpoints = endpoint_rows(p, snapshot.taken_at);
    any_endpoints = any_endpoints || !endpoints.empty();
    std::array<char, 16> pid{};
    const auto end = std::to_chars(pid.data(), pid.data() + pid.size(), p.info.pid).ptr;
    node_id.resize(prefix);
    node_id.append(pid.data(), end);
    node(p, codes, endpoints, node_id, snapshot.taken_at, probe_id);
  }
  w_.EndObject();

  key("metric_templates");
  w_.StartObject();
  metric_template(kRequestsMetric, "HTTP Req/Second", kRequestsPriority);
  for (std::uint16_t code = kFirstCode; code <= kLastCode; ++code) {
    if (!codes_seen.test(code)) continue;
    metric_template(response_metric_id(code), "HTTP Resp " + std::to_string(code) + "/Second",
                    code / 1000.0);
  }
  metric_template(kLatencyP50Metric, "HTTP Latency p50 (ms)", kLatencyP50Priority);
  metric_template(kLatencyP99Metric, "HTTP Latency p99 (ms)", kLatencyP99Priority);
  w_.EndObject();

  key("metadata_templates");
  w_.StartObject();
  metadata_template(kTracingMetadata, "HTTP tracing", kTracingPriority);
  w_.EndObject();

  // Only when a node has a row, so a report without templated traffic stays
  // as it was; the app keeps the template from any report of its window.
  if (any_endpoints) {
    key("table_templates");
    w_.StartObject();
    endpoint_table_template();
    w_.EndObject();
  }

  key("controls");
  w_.StartObject();
  control(kPauseControl, "Pause HTTP tracing", "fa-pause", 1);
  control(kResumeControl, "Resume HTTP tracing", "fa-play", 2);
  w_.EndObject();

  w_.EndObject();  // Process

  key("Plugins");
  w_.StartArray();
  spec(options.plugin_id);
  w_.EndArray();
  w_.EndObject();

  if (!w_.IsComplete()) throw std::logic_error("Scope report JSON is incomplete");
  return {buffer_.GetString(), buffer_.GetSize()};
}

}  // namespace

std::string response_metric_id(std::uint16_t code) {
  return "http_" + std::to_string(code) + "_responses_per_second";
}

std::string render_report(const Snapshot& snapshot, const ReportOptions& options,
                          std::string_view probe_id) {
  std::size_t samples = 0;
  for (const ProcessSnapshot& p : snapshot.processes) samples += p.recent.size();
  // About six metrics per sample second (requests, a few codes, latency):
  // sized up front, the buffer is not copied while it grows.
  Renderer renderer(4096 + snapshot.processes.size() * kNodeBytes + samples * 6 * kSampleBytes);
  // Validated here too: the id is copied into the JSON as it is.
  return renderer.render(snapshot, options, is_probe_id(probe_id) ? probe_id : std::string_view{});
}

}  // namespace hs::scope
