#include "top_view.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace hs {
namespace {

constexpr const char* kRowFormat = "%7s %-15s %9s %5s %5s %5s %5s %8s %8s";
// The template last: up to 64 characters, it is what a narrow terminal cuts.
constexpr const char* kEndpointFormat = "%9s %9s %8s  %s";

// A process names itself: control characters (an escape sequence in a comm)
// must not reach the terminal.
std::string printable(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

bool had_traffic(const ProcessSnapshot& p) {
  return std::any_of(p.recent.begin(), p.recent.end(),
                     [](const RateSample& s) { return s.requests_per_second > 0; });
}

std::string format(const char* fmt, double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

std::string share_text(double share) { return share < 0 ? "-" : format("%.0f%%", share * 100.0); }

// Three significant digits are plenty on a screen: 0.123, 12.3, 123.
std::string latency_text(double ms) {
  if (ms < 0) return "-";
  return format(ms < 10 ? "%.3f" : ms < 100 ? "%.2f" : ms < 1000 ? "%.1f" : "%.0f", ms);
}

std::string line(const std::string& pid, const std::string& command, const std::string& rate,
                 const std::array<std::string, 4>& shares, const std::string& p50,
                 const std::string& p99) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), kRowFormat, pid.c_str(), command.substr(0, 15).c_str(),
                rate.c_str(), shares[0].c_str(), shares[1].c_str(), shares[2].c_str(),
                shares[3].c_str(), p50.c_str(), p99.c_str());
  return buf;
}

std::string endpoint_line(const std::string& rate, const std::string& errors,
                          const std::string& p99, const std::string& name) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), kEndpointFormat, rate.c_str(), errors.c_str(), p99.c_str(),
                name.c_str());
  return buf;
}

std::string clock_text(Clock::time_point at) {
  const std::time_t t = Clock::to_time_t(at);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
  return buf;
}

}  // namespace

std::vector<TopRow> top_rows(const Snapshot& snapshot, const TopViewOptions& options) {
  std::vector<TopRow> rows;
  for (const ProcessSnapshot& p : snapshot.processes) {
    if (p.info.exited || !had_traffic(p)) continue;
    TopRow row;
    row.pid = p.info.pid;
    row.command = printable(p.info.comm.empty() ? p.info.executable_name : p.info.comm);
    const RateSample& last = p.recent.back();
    if (snapshot.taken_at - last.at <= options.max_sample_age) {
      row.requests_per_second = last.requests_per_second;
      double total = 0;
      std::array<double, 4> by_class{};
      for (const auto& [status, rate] : last.responses_per_second) {
        total += rate;
        if (status >= 200 && status < 600) by_class[status / 100 - 2] += rate;
      }
      if (total > 0)
        for (std::size_t c = 0; c < by_class.size(); ++c) row.status_share[c] = by_class[c] / total;
      row.latency_p50_ms = last.latency_p50_ms;
      row.latency_p99_ms = last.latency_p99_ms;
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const TopRow& a, const TopRow& b) {
    if (a.requests_per_second != b.requests_per_second)
      return a.requests_per_second > b.requests_per_second;
    return a.pid < b.pid;
  });
  return rows;
}

namespace {

std::string command_of(const ProcessSnapshot& p) {
  return printable(p.info.comm.empty() ? p.info.executable_name : p.info.comm);
}

// Cuts every line to the width and ends it with '\n'.
std::string frame(std::vector<std::string>& lines, std::size_t width) {
  std::string out;
  for (std::string& l : lines) {
    if (width && l.size() > width) l.resize(width);
    out += l;
    out += '\n';
  }
  return out;
}

const ProcessSnapshot* find_process(const Snapshot& snapshot, std::uint32_t pid) {
  const auto it = std::find_if(snapshot.processes.begin(), snapshot.processes.end(),
                               [pid](const ProcessSnapshot& p) { return p.info.pid == pid; });
  return it == snapshot.processes.end() ? nullptr : &*it;
}

// Why a process's endpoint view has no rows.
std::string no_endpoints_text(const ProcessSnapshot* p, std::uint32_t pid) {
  if (!p) return "(no HTTP traffic seen from pid " + std::to_string(pid) + ")";
  if (p->info.exited) return "(pid " + std::to_string(pid) + " has exited)";
  if (p->info.paused) return "(counting is paused for pid " + std::to_string(pid) + ")";
  return "(no requests in the last second)";
}

std::string render_endpoints(const Snapshot& snapshot, const TopViewOptions& options) {
  const std::uint32_t pid = options.endpoints_pid;
  const ProcessSnapshot* p = find_process(snapshot, pid);
  std::vector<TopEndpointRow> rows;
  if (p && !p->info.exited) rows = top_endpoint_rows(*p, snapshot.taken_at, options);
  double total = 0;
  for (const TopEndpointRow& r : rows) total += r.requests_per_second;

  std::vector<std::string> lines;
  lines.push_back("http-statistics top  " + clock_text(snapshot.taken_at) + "  pid " +
                  std::to_string(pid) + (p ? " " + command_of(*p) : std::string()) + "  " +
                  std::to_string(rows.size()) + (rows.size() == 1 ? " endpoint" : " endpoints") +
                  "  " + format("%.1f", total) + " req/s");
  lines.push_back(endpoint_line("REQ/S", "5XX/S", "P99 MS", "ENDPOINT"));
  const std::size_t shown = std::min(rows.size(), options.limit);
  for (std::size_t i = 0; i < shown; ++i) {
    const TopEndpointRow& r = rows[i];
    lines.push_back(
        endpoint_line(format("%.1f", r.requests_per_second),
                      format("%.1f", r.server_errors_per_second), latency_text(r.latency_p99_ms),
                      r.url_template.empty() ? "(no template)" : printable(r.url_template)));
  }
  if (rows.empty()) lines.push_back(no_endpoints_text(p, pid));
  if (shown < rows.size())
    lines.push_back("(" + std::to_string(rows.size() - shown) + " more not shown)");
  return frame(lines, options.width);
}

std::string render_processes(const Snapshot& snapshot, const TopViewOptions& options) {
  const std::vector<TopRow> rows = top_rows(snapshot, options);
  double total = 0;
  for (const TopRow& r : rows) total += r.requests_per_second;

  std::vector<std::string> lines;
  lines.push_back("http-statistics top  " + clock_text(snapshot.taken_at) + "  " +
                  std::to_string(rows.size()) + (rows.size() == 1 ? " process" : " processes") +
                  "  " + format("%.1f", total) + " req/s");
  lines.push_back(
      line("PID", "COMMAND", "REQ/S", {"2XX", "3XX", "4XX", "5XX"}, "P50 MS", "P99 MS"));
  const std::size_t shown = std::min(rows.size(), options.limit);
  for (std::size_t i = 0; i < shown; ++i) {
    const TopRow& r = rows[i];
    std::array<std::string, 4> shares;
    for (std::size_t c = 0; c < shares.size(); ++c) shares[c] = share_text(r.status_share[c]);
    lines.push_back(line(std::to_string(r.pid), r.command, format("%.1f", r.requests_per_second),
                         shares, latency_text(r.latency_p50_ms), latency_text(r.latency_p99_ms)));
  }
  if (rows.empty()) lines.emplace_back("(no HTTP server traffic seen yet)");
  if (shown < rows.size())
    lines.push_back("(" + std::to_string(rows.size() - shown) + " more not shown)");
  return frame(lines, options.width);
}

}  // namespace

std::uint32_t busiest_pid(const Snapshot& snapshot, const TopViewOptions& options) {
  const std::vector<TopRow> rows = top_rows(snapshot, options);
  return rows.empty() ? 0 : rows.front().pid;
}

std::vector<TopEndpointRow> top_endpoint_rows(const ProcessSnapshot& p, Clock::time_point now,
                                              const TopViewOptions& options) {
  std::vector<TopEndpointRow> rows;
  if (p.recent.empty() || now - p.recent.back().at > options.max_sample_age) return rows;
  for (const auto& [name, e] : p.recent.back().endpoints)
    rows.push_back({name, e.requests_per_second, e.server_errors_per_second, e.latency_p99_ms});
  // Stable over the map's order: ties stay by template.
  std::stable_sort(rows.begin(), rows.end(), [](const TopEndpointRow& a, const TopEndpointRow& b) {
    return a.requests_per_second > b.requests_per_second;
  });
  return rows;
}

std::string render_top(const Snapshot& snapshot, const TopViewOptions& options) {
  return options.endpoints_pid ? render_endpoints(snapshot, options)
                               : render_processes(snapshot, options);
}

}  // namespace hs
