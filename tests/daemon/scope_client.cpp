#include "scope_client.h"

#include <chrono>
#include <regex>

#include "subprocess.h"
#include "temp_dir.h"

namespace hs::test {
namespace {

rapidjson::Document curl_json(const std::string& socket, std::vector<std::string> args) {
  TempDir scratch("hs-scope-curl-");
  std::vector<std::string> argv = {"curl", "-s", "--max-time", "5", "--unix-socket", socket};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = run(argv, scratch.path(), std::chrono::seconds(10));
  rapidjson::Document d;
  if (r.status.exited_normally()) d.Parse(r.out.c_str());
  if (d.HasParseError()) d.SetNull();
  return d;
}

}  // namespace

rapidjson::Document scope_report(const std::string& socket, const std::string& probe_id) {
  return curl_json(socket, {"http://plugin/report?api_version=1&probe_id=" + probe_id});
}

rapidjson::Document scope_control(const std::string& socket, const std::string& probe_id,
                                  const std::string& node, const std::string& control) {
  const std::string body = R"({"AppID":"test-app","NodeID":")" + node + R"(","Control":")" +
                           control + R"(","ControlArgs":{}})";
  std::string target = "http://plugin/control?api_version=1";
  if (!probe_id.empty()) target += "&probe_id=" + probe_id;
  return curl_json(socket, {"-H", "Content-Type: application/json", "--data-binary", body, target});
}

const rapidjson::Value* scope_node(const rapidjson::Value& report, const std::string& node) {
  if (!report.IsObject() || !report.HasMember("Process")) return nullptr;
  const auto& nodes = report["Process"]["nodes"];
  const auto it = nodes.FindMember(node.c_str());
  return it == nodes.MemberEnd() ? nullptr : &it->value;
}

std::set<int> scope_codes(const rapidjson::Value& node) {
  static const std::regex id(R"(^http_(\d+)_responses_per_second$)");
  std::set<int> out;
  std::smatch m;
  for (const auto& metric : node["metrics"].GetObject()) {
    const std::string name = metric.name.GetString();
    if (std::regex_match(name, m, id)) out.insert(std::stoi(m[1]));
  }
  return out;
}

std::vector<ScopeSample> scope_samples(const rapidjson::Value& node, const std::string& metric) {
  std::vector<ScopeSample> out;
  const auto it = node["metrics"].FindMember(metric.c_str());
  if (it == node["metrics"].MemberEnd()) return out;
  for (const auto& s : it->value["samples"].GetArray())
    out.push_back({s["date"].GetString(), s["value"].GetDouble()});
  return out;
}

std::string scope_latest(const rapidjson::Value& node, const std::string& key) {
  if (!node.HasMember("latest")) return "";
  const auto it = node["latest"].FindMember(key.c_str());
  return it == node["latest"].MemberEnd() ? "" : it->value["value"].GetString();
}

}  // namespace hs::test
