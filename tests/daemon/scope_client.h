// The daemon's Scope plugin socket, asked what the probe asks (over curl):
// /report and /control with a probe id, answers parsed.
#pragma once

#include <rapidjson/document.h>

#include <set>
#include <string>
#include <vector>

namespace hs::test {

// GET /report?api_version=1&probe_id=<probe_id>. Not an object on failure.
rapidjson::Document scope_report(const std::string& socket, const std::string& probe_id);

// POST /control with the app's body for `control` on `node`; the query
// carries probe_id unless it is empty. Not an object on failure.
rapidjson::Document scope_control(const std::string& socket, const std::string& probe_id,
                                  const std::string& node, const std::string& control);

// The node in a report's Process topology, or nullptr.
const rapidjson::Value* scope_node(const rapidjson::Value& report, const std::string& node);

// The status codes of the node's http_<code>_responses_per_second metrics.
std::set<int> scope_codes(const rapidjson::Value& node);

struct ScopeSample {
  std::string date;  // RFC 3339; the plugin's all have one length, so they sort as text
  double value = 0;
};
// The samples of one of the node's metrics (empty when it has none).
std::vector<ScopeSample> scope_samples(const rapidjson::Value& node, const std::string& metric);

// node.latest.<key>.value, or "" when absent.
std::string scope_latest(const rapidjson::Value& node, const std::string& key);

}  // namespace hs::test
