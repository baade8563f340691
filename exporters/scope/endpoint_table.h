// A process node's table of its busiest endpoints (URL templates), as Scope's
// multi-column tables take it: a table template on the topology and, per node,
// one `latest` entry per cell.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "snapshot.h"

namespace hs::scope {

struct EndpointRow {
  std::string url_template;
  double requests_per_second = 0;       // mean over the window's unpaused samples
  double server_errors_per_second = 0;  // 5xx, the same way
  double latency_p99_ms = -1;           // the window's largest; negative: none timed
};

// Ten rows at most: the details panel shows five before "show more", and a
// node's `latest` map grows by four entries a row in every report.
inline constexpr std::size_t kMaxEndpointRows = 10;
// The window the rates are averaged over: the app's (it merges the reports of
// its last 15 s), which is also what the aggregator keeps (15 samples).
inline constexpr std::chrono::seconds kEndpointWindow{15};

// Table and cell ids. Scope splits every `latest` key that starts with the
// prefix at "___" into a row id and a column id (and fails on a key with the
// prefix but no "___"), so no other key of the node may start with it.
inline constexpr std::string_view kEndpointTable = "http_endpoints";
inline constexpr std::string_view kEndpointPrefix = "http_endpoint_";
inline constexpr std::string_view kEndpointCellSeparator = "___";

// The node's rows, busiest first (by requests/s, then by template), at most
// kMaxEndpointRows: the templates that answered in the samples of the last
// kEndpointWindow before `now`, paused samples left out (they count nothing,
// which is not zero traffic). "_OTHER" (templates past the process's bound)
// ranks like any other; "" (requests without a template) is no endpoint and
// is left out. None while the process is paused: the window's values are from
// before the pause and would pass for current ones.
std::vector<EndpointRow> endpoint_rows(const ProcessSnapshot& p, Clock::time_point now);

// The id of the row at `rank` (0 first): two digits, "00" to "09". The app
// hands the UI the rows sorted by id and the UI keeps the first five before
// "show more": ids in rank order keep the busiest ones in view.
std::string endpoint_row_id(std::size_t rank);

}  // namespace hs::scope
