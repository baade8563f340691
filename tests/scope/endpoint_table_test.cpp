// The endpoint table of a process node: its rows from the window's samples
// (order, bound, _OTHER, averaging, the empty cases) and how the report
// writes them for Scope (the table template, one `latest` cell per entry,
// keys Scope can split), with the existing metrics left as they were.
#include "endpoint_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "report.h"
#include "test_support.h"

namespace hs::scope {
namespace {

using namespace std::chrono_literals;
using testing::at;
using testing::process;
using testing::sample;

const ReportOptions kOptions{"test-host", "http-statistics"};
constexpr std::string_view kProbeId = "3f9a0c4e7d21b685";
constexpr const char* kNode = "test-host;7";

// A sample at `when` whose requests are those of its endpoints.
RateSample with_endpoints(Clock::time_point when, std::map<std::string, EndpointRate> endpoints) {
  RateSample s = sample(when, 0, {}, 1, 5);
  for (const auto& [name, e] : endpoints) s.requests_per_second += e.requests_per_second;
  s.responses_per_second[200] = s.requests_per_second;
  s.endpoints = std::move(endpoints);
  return s;
}

Snapshot one(ProcessSnapshot p, Clock::time_point taken_at = at(3s + 100ms)) {
  Snapshot s;
  s.taken_at = taken_at;
  s.processes.push_back(std::move(p));
  return s;
}

std::vector<std::string> templates_of(const std::vector<EndpointRow>& rows) {
  std::vector<std::string> out;
  for (const EndpointRow& r : rows) out.push_back(r.url_template);
  return out;
}

rapidjson::Document render(const Snapshot& s) {
  return testing::parse_json(render_report(s, kOptions, kProbeId));
}

// The node's table as the app builds it (report/table.go,
// ExtractMulticolumnTable): every `latest` key with the prefix, split at
// "___" into row id and column id; rows by id.
std::map<std::string, std::map<std::string, std::string>> table(const rapidjson::Document& d,
                                                                const char* node) {
  std::map<std::string, std::map<std::string, std::string>> rows;
  for (const auto& m : d["Process"]["nodes"][node]["latest"].GetObject()) {
    const std::string key = m.name.GetString();
    if (key.rfind(kEndpointPrefix, 0) != 0) continue;
    const std::string rest = key.substr(kEndpointPrefix.size());
    const auto sep = rest.find(kEndpointCellSeparator);
    EXPECT_NE(sep, std::string::npos) << key;  // the app would fail on it
    if (sep == std::string::npos) continue;
    const std::string column = rest.substr(sep + kEndpointCellSeparator.size());
    EXPECT_EQ(column.find(kEndpointCellSeparator), std::string::npos) << key;
    rows[rest.substr(0, sep)][column] = m.value["value"].GetString();
  }
  return rows;
}

TEST(EndpointRows, BusiestFirstAveragedOverTheWindow) {
  // /b is absent from the last sample: it counts as 0 there.
  const auto p = process(7, {with_endpoints(at(1s), {{"/a", {10, 0, 2}}, {"/b", {30, 3, 4}}}),
                             with_endpoints(at(2s), {{"/a", {20, 1, 8}}, {"/b", {36, 0, 1}}}),
                             with_endpoints(at(3s), {{"/a", {30, 2, 3}}})});
  const auto rows = endpoint_rows(p, at(3s + 100ms));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].url_template, "/b");
  EXPECT_DOUBLE_EQ(rows[0].requests_per_second, 22);
  EXPECT_DOUBLE_EQ(rows[0].server_errors_per_second, 1);
  EXPECT_DOUBLE_EQ(rows[0].latency_p99_ms, 4);  // the largest per-second p99
  EXPECT_EQ(rows[1].url_template, "/a");
  EXPECT_DOUBLE_EQ(rows[1].requests_per_second, 20);
  EXPECT_DOUBLE_EQ(rows[1].server_errors_per_second, 1);
  EXPECT_DOUBLE_EQ(rows[1].latency_p99_ms, 8);
}

TEST(EndpointRows, TiesGoByTemplate) {
  const auto p = process(7, {with_endpoints(at(1s), {{"/z", {5, 0, 1}}, {"/m", {5, 0, 1}}})});
  EXPECT_THAT(templates_of(endpoint_rows(p, at(2s))), ::testing::ElementsAre("/m", "/z"));
}

TEST(EndpointRows, BoundedToTheBusiestTen) {
  std::map<std::string, EndpointRate> many;
  for (int i = 1; i <= 14; ++i) many["/e" + std::to_string(i)] = {double(i), 0, -1};
  const auto rows = endpoint_rows(process(7, {with_endpoints(at(1s), many)}), at(2s));
  ASSERT_EQ(rows.size(), kMaxEndpointRows);
  EXPECT_EQ(rows.front().url_template, "/e14");
  EXPECT_EQ(rows.back().url_template, "/e5");
}

TEST(EndpointRows, OtherRanksLikeAnyTemplateAndNoTemplateIsLeftOut) {
  const auto p = process(
      7, {with_endpoints(at(1s), {{"_OTHER", {7, 1, 9}}, {"/a", {3, 0, 1}}, {"", {50, 0, 1}}})});
  const auto rows = endpoint_rows(p, at(2s));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].url_template, "_OTHER");
  EXPECT_DOUBLE_EQ(rows[0].requests_per_second, 7);
  EXPECT_EQ(rows[1].url_template, "/a");
}

TEST(EndpointRows, NoneWithoutTemplatedTraffic) {
  EXPECT_TRUE(endpoint_rows(process(7, {}), at(2s)).empty());
  EXPECT_TRUE(endpoint_rows(process(7, {sample(at(1s), 5, {{200, 5}})}), at(2s)).empty());
  // --url-templates off: everything under "".
  EXPECT_TRUE(
      endpoint_rows(process(7, {with_endpoints(at(1s), {{"", {5, 0, 1}}})}), at(2s)).empty());
}

TEST(EndpointRows, PausedSamplesCountNothingAndAPausedProcessHasNone) {
  RateSample paused = sample(at(2s), 0);
  paused.paused = true;
  auto p = process(7, {with_endpoints(at(1s), {{"/a", {10, 0, 1}}}), paused});
  const auto rows = endpoint_rows(p, at(2s + 100ms));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].requests_per_second, 10);  // not 5: the paused second is unknown
  p.info.paused = true;
  EXPECT_TRUE(endpoint_rows(p, at(2s + 100ms)).empty());
}

TEST(EndpointRows, SamplesOlderThanTheWindowAreLeftOut) {
  // The aggregator stops sampling a quiet process; its old samples stay.
  const auto p = process(7, {with_endpoints(at(1s), {{"/old", {100, 0, 1}}}),
                             with_endpoints(at(30s), {{"/new", {4, 0, 1}}})});
  const auto rows = endpoint_rows(p, at(30s + 100ms));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].url_template, "/new");
  EXPECT_DOUBLE_EQ(rows[0].requests_per_second, 4);
}

TEST(EndpointRows, RowIdsSortInRankOrder) {
  std::vector<std::string> ids;
  for (std::size_t rank = 0; rank < kMaxEndpointRows; ++rank) ids.push_back(endpoint_row_id(rank));
  EXPECT_EQ(ids.front(), "00");
  EXPECT_EQ(ids.back(), "09");
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST(EndpointReport, CellsPerRowInRankOrder) {
  const auto d = render(one(process(
      7, {with_endpoints(at(1s), {{"/api/users/{id}", {12.5, 0.5, 3.25}}, {"_OTHER", {2, 0, -1}}}),
          with_endpoints(at(2s), {{"/api/users/{id}", {12.5, 1.5, 7}}})})));
  const auto rows = table(d, kNode);
  ASSERT_EQ(rows.size(), 2u);
  using Cells = std::map<std::string, std::string>;
  EXPECT_EQ(rows.at("00"), (Cells{{"template", "/api/users/{id}"},
                                  {"requests", "12.5"},
                                  {"server_errors", "1.0"},
                                  {"p99_ms", "7.0"}}));
  // _OTHER was never timed: "-", written so no older value lingers.
  EXPECT_EQ(
      rows.at("01"),
      (Cells{
          {"template", "_OTHER"}, {"requests", "1.0"}, {"server_errors", "0.0"}, {"p99_ms", "-"}}));
}

TEST(EndpointReport, TableTemplateNamesThePrefixAndTheColumnsOfTheCells) {
  const auto d = render(one(process(7, {with_endpoints(at(1s), {{"/a", {1, 0, 1}}})})));
  const auto& tables = d["Process"]["table_templates"];
  ASSERT_TRUE(tables.HasMember("http_endpoints"));
  const auto& t = tables["http_endpoints"];
  EXPECT_STREQ(t["id"].GetString(), "http_endpoints");
  EXPECT_STREQ(t["label"].GetString(), "HTTP endpoints (busiest 10)");
  EXPECT_STREQ(t["type"].GetString(), "multicolumn-table");
  EXPECT_STREQ(t["prefix"].GetString(), "http_endpoint_");
  std::vector<std::string> columns;
  for (const auto& c : t["columns"].GetArray()) {
    columns.emplace_back(c["id"].GetString());
    EXPECT_TRUE(c["label"].IsString());
    EXPECT_STREQ(c["dataType"].GetString(), columns.back() == "template" ? "" : "number");
  }
  // The UI sorts by the first column, descending: requests.
  EXPECT_THAT(columns, ::testing::ElementsAre("requests", "template", "server_errors", "p99_ms"));
  std::set<std::string> cells;
  for (const auto& [row, entries] : table(d, kNode))
    for (const auto& [column, value] : entries) cells.insert(column);
  EXPECT_EQ(cells, std::set<std::string>(columns.begin(), columns.end()));
}

TEST(EndpointReport, NoOtherLatestKeyStartsWithThePrefix) {
  const auto d = render(one(process(7, {with_endpoints(at(1s), {{"/a", {1, 0, 1}}})})));
  std::set<std::string> others;
  for (const auto& m : d["Process"]["nodes"][kNode]["latest"].GetObject()) {
    const std::string key = m.name.GetString();
    if (key.rfind(kEndpointPrefix, 0) != 0) {
      others.insert(key);
    } else {
      EXPECT_NE(key.find("___"), std::string::npos) << key;
    }
  }
  EXPECT_EQ(others, (std::set<std::string>{"http_tracing", "control_probe_id"}));
  EXPECT_EQ(table(d, kNode).size(), 1u);
}

TEST(EndpointReport, BoundedRowsInTheReport) {
  std::map<std::string, EndpointRate> many;
  for (int i = 1; i <= 25; ++i) many["/e" + std::to_string(i)] = {double(i), 0, 1};
  const auto rows = table(render(one(process(7, {with_endpoints(at(1s), many)}))), kNode);
  ASSERT_EQ(rows.size(), kMaxEndpointRows);
  EXPECT_EQ(rows.begin()->first, "00");
  EXPECT_EQ(rows.begin()->second.at("template"), "/e25");
  EXPECT_EQ(rows.rbegin()->first, "09");
  EXPECT_EQ(rows.rbegin()->second.at("template"), "/e16");
}

TEST(EndpointReport, NoTableWithoutTemplatedTraffic) {
  const auto d = render(testing::busy_snapshot());
  EXPECT_FALSE(d["Process"].HasMember("table_templates"));
  EXPECT_TRUE(table(d, "test-host;4242").empty());
  // A paused node neither.
  auto p = process(7, {with_endpoints(at(1s), {{"/a", {1, 0, 1}}})}, /*paused=*/true);
  const auto paused = render(one(p));
  EXPECT_FALSE(paused["Process"].HasMember("table_templates"));
  EXPECT_TRUE(table(paused, kNode).empty());
}

TEST(EndpointReport, OnlyNodesWithRowsGetCells) {
  Snapshot s = one(process(7, {with_endpoints(at(1s), {{"/a", {1, 0, 1}}})}));
  s.processes.push_back(process(8, {sample(at(1s), 3, {{200, 3}})}));
  const auto d = render(s);
  EXPECT_TRUE(d["Process"].HasMember("table_templates"));
  EXPECT_EQ(table(d, kNode).size(), 1u);
  EXPECT_TRUE(table(d, "test-host;8").empty());
}

TEST(EndpointReport, TemplatesAreEscapedAsJsonStrings) {
  const std::string odd = R"(/a"b\c/{id})";
  const auto rows =
      table(render(one(process(7, {with_endpoints(at(1s), {{odd, {1, 0, 1}}})}))), kNode);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.at("00").at("template"), odd);
}

TEST(EndpointReport, MetricsAreTheSameWithOrWithoutEndpoints) {
  auto p = process(7, {with_endpoints(at(1s), {{"/a", {4, 1, 2}}, {"/b", {6, 0, 3}}}),
                       with_endpoints(at(2s), {{"/a", {5, 0, 2}}})});
  const std::string with = render_report(one(p), kOptions, kProbeId);
  for (RateSample& s : p.recent) s.endpoints.clear();
  const std::string without = render_report(one(p), kOptions, kProbeId);
  const auto a = testing::parse_json(with);
  const auto b = testing::parse_json(without);
  EXPECT_EQ(a["Process"]["nodes"][kNode]["metrics"], b["Process"]["nodes"][kNode]["metrics"]);
  EXPECT_EQ(a["Process"]["metric_templates"], b["Process"]["metric_templates"]);
  EXPECT_EQ(a["Process"]["controls"], b["Process"]["controls"]);
  EXPECT_EQ(a["Process"]["nodes"][kNode]["latestControls"],
            b["Process"]["nodes"][kNode]["latestControls"]);
}

}  // namespace
}  // namespace hs::scope
