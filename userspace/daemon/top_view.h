// What `http-statistics top` shows, as a pure function of a snapshot: no
// clock, no terminal, no escape codes, so it is tested on its own.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "snapshot.h"

namespace hs {

// One process in the table.
struct TopRow {
  std::uint32_t pid = 0;
  std::string command;
  double requests_per_second = 0;
  // Share of the responses of the last second in 2xx, 3xx, 4xx, 5xx (0..1);
  // all negative when there were none.
  std::array<double, 4> status_share{-1, -1, -1, -1};
  double latency_p50_ms = -1;  // negative: no exchange completed
  double latency_p99_ms = -1;
};

// One URL template of a process, in its endpoint view.
struct TopEndpointRow {
  std::string url_template;  // "" for requests without one
  double requests_per_second = 0;
  double server_errors_per_second = 0;  // 5xx
  double latency_p99_ms = -1;           // negative: no exchange timed
};

struct TopViewOptions {
  std::size_t limit = 20;  // rows at most
  std::size_t width = 0;   // cut lines to this many columns; 0: never
  // A process's newest sample older than this (against the snapshot's time)
  // is not "the last second" any more: it shows 0 req/s.
  std::chrono::milliseconds max_sample_age{2500};
  // Non-zero: the endpoint view of this process instead of the table.
  std::uint32_t endpoints_pid = 0;
};

// Live processes with traffic in the snapshot's recent window, busiest first
// (by requests/s, then by pid), all of them (no limit).
std::vector<TopRow> top_rows(const Snapshot& snapshot, const TopViewOptions& options);

// The pid of the table's first row; 0 when the table is empty.
std::uint32_t busiest_pid(const Snapshot& snapshot, const TopViewOptions& options);

// The URL templates `p` answered in the last second (its newest sample, when
// not older than options.max_sample_age), busiest first (by requests/s, then
// by template), all of them.
std::vector<TopEndpointRow> top_endpoint_rows(const ProcessSnapshot& p, Clock::time_point now,
                                              const TopViewOptions& options);

// The frame: a title line, the column header, up to options.limit rows and,
// when some did not fit, a line saying how many. Every line ends with '\n'.
// The rows are processes, or with options.endpoints_pid that process's URL
// templates.
std::string render_top(const Snapshot& snapshot, const TopViewOptions& options);

}  // namespace hs
