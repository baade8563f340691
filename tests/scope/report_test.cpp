#include "report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <regex>
#include <set>
#include <string>

#include "rfc3339.h"
#include "test_support.h"

namespace hs::scope {
namespace {

using namespace std::chrono_literals;
using testing::at;
using ::testing::ElementsAre;
using testing::process;
using testing::sample;

const ReportOptions kOptions{"test-host", "http-statistics"};
// As the probe sends it: its random id in hex.
constexpr std::string_view kProbeId = "3f9a0c4e7d21b685";

struct Rendered {
  std::string text;
  rapidjson::Document doc;
};

Rendered render(const Snapshot& s, const ReportOptions& o = kOptions,
                std::string_view probe_id = kProbeId) {
  Rendered r{render_report(s, o, probe_id), {}};
  r.doc.Parse(r.text.c_str());
  EXPECT_FALSE(r.doc.HasParseError()) << r.text;
  return r;
}

std::set<std::string> keys(const rapidjson::Value& object) {
  std::set<std::string> out;
  for (const auto& m : object.GetObject()) out.insert(m.name.GetString());
  return out;
}

const rapidjson::Value& nodes(const rapidjson::Document& d) { return d["Process"]["nodes"]; }
const rapidjson::Value& templates(const rapidjson::Document& d) {
  return d["Process"]["metric_templates"];
}

const rapidjson::Value* metric(const rapidjson::Document& d, const std::string& node,
                               const std::string& id) {
  const auto& n = nodes(d);
  if (!n.HasMember(node.c_str())) return nullptr;
  const auto& metrics = n[node.c_str()]["metrics"];
  return metrics.HasMember(id.c_str()) ? &metrics[id.c_str()] : nullptr;
}

std::vector<double> values(const rapidjson::Value& m) {
  std::vector<double> out;
  for (const auto& s : m["samples"].GetArray()) out.push_back(s["value"].GetDouble());
  return out;
}

std::vector<std::string> dates(const rapidjson::Value& m) {
  std::vector<std::string> out;
  for (const auto& s : m["samples"].GetArray()) out.emplace_back(s["date"].GetString());
  return out;
}

Snapshot one(ProcessSnapshot p, Clock::time_point taken_at = at(20s)) {
  Snapshot s;
  s.taken_at = taken_at;
  s.processes.push_back(std::move(p));
  return s;
}

TEST(Report, PluginSpecIsExactlyOneWithTheProbesRequiredFields) {
  const auto r = render(testing::busy_snapshot());
  EXPECT_EQ(keys(r.doc), (std::set<std::string>{"Process", "Plugins"}));
  ASSERT_TRUE(r.doc["Plugins"].IsArray());
  ASSERT_EQ(r.doc["Plugins"].Size(), 1u);
  const auto& spec = r.doc["Plugins"][0];
  EXPECT_EQ(keys(spec),
            (std::set<std::string>{"id", "label", "description", "interfaces", "api_version"}));
  EXPECT_STREQ(spec["id"].GetString(), "http-statistics");
  EXPECT_STREQ(spec["label"].GetString(), "HTTP Statistics");
  EXPECT_STREQ(spec["description"].GetString(), "Adds http request metrics to processes");
  ASSERT_EQ(spec["interfaces"].Size(), 2u);
  EXPECT_STREQ(spec["interfaces"][0].GetString(), "reporter");
  EXPECT_STREQ(spec["interfaces"][1].GetString(), "controller");
  ASSERT_TRUE(spec["api_version"].IsString());  // "1", not 1
  EXPECT_STREQ(spec["api_version"].GetString(), "1");
}

TEST(Report, PluginIdFollowsTheOptions) {
  const auto r = render(testing::busy_snapshot(), {"test-host", "http-stats-2"});
  EXPECT_STREQ(r.doc["Plugins"][0]["id"].GetString(), "http-stats-2");
}

TEST(Report, ProcessTopologyWithNodeIdsHostSemicolonPid) {
  const auto r = render(testing::busy_snapshot());
  EXPECT_EQ(keys(r.doc["Process"]),
            (std::set<std::string>{"nodes", "metric_templates", "metadata_templates", "controls"}));
  EXPECT_EQ(keys(nodes(r.doc)), (std::set<std::string>{"test-host;4242"}));
  const auto& node = nodes(r.doc)["test-host;4242"];
  EXPECT_EQ(keys(node),
            (std::set<std::string>{"id", "topology", "latest", "metrics", "latestControls"}));
  EXPECT_STREQ(node["id"].GetString(), "test-host;4242");
  EXPECT_STREQ(node["topology"].GetString(), "process");  // must match or the probe panics
}

TEST(Report, RequestRateCarriesEverySampleWithItsOwnMeasurementTime) {
  Snapshot s = one(process(7, {sample(at(1s + 123456us), 4, {{200, 4}}),
                               sample(at(2s + 250ms), 0),  // a quiet second stays a zero
                               sample(at(3s + 5us), 12.5, {{200, 12.5}})}),
                   /*taken_at=*/at(10s));
  const auto r = render(s);
  const auto* m = metric(r.doc, "test-host;7", "http_requests_per_second");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(keys(*m), (std::set<std::string>{"samples", "min", "max"}));
  EXPECT_THAT(values(*m), ElementsAre(4.0, 0.0, 12.5));
  EXPECT_THAT(dates(*m), ElementsAre("2026-11-22T12:00:01.123456Z", "2026-11-22T12:00:02.250000Z",
                                     "2026-11-22T12:00:03.000005Z"));
  EXPECT_EQ((*m)["min"].GetDouble(), 0.0);
  EXPECT_EQ((*m)["max"].GetDouble(), 12.5);
}

TEST(Report, EveryDateIsRfc3339WithAZone) {
  const auto r = render(testing::busy_snapshot());
  const std::regex rfc3339(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$)");
  const std::regex any_date(R"re("(date|timestamp)":"([^"]*)")re");
  int seen = 0;
  for (auto it = std::sregex_iterator(r.text.begin(), r.text.end(), any_date);
       it != std::sregex_iterator(); ++it, ++seen) {
    EXPECT_TRUE(std::regex_match((*it)[2].str(), rfc3339)) << (*it)[2].str();
  }
  EXPECT_GT(seen, 10);
}

TEST(Report, TemplatesForRequestsAndEveryCodeWithOriginalIdsLabelsPriorities) {
  Snapshot s = one(process(7, {sample(at(1s), 6, {{200, 3}, {404, 2}, {503, 1}})}));
  const auto r = render(s);
  const auto& t = templates(r.doc);
  EXPECT_EQ(keys(t),
            (std::set<std::string>{"http_requests_per_second", "http_200_responses_per_second",
                                   "http_404_responses_per_second", "http_503_responses_per_second",
                                   "http_request_latency_p50_ms", "http_request_latency_p99_ms"}));
  const auto& req = t["http_requests_per_second"];
  EXPECT_EQ(keys(req), (std::set<std::string>{"id", "label", "format", "priority"}));
  EXPECT_STREQ(req["id"].GetString(), "http_requests_per_second");
  EXPECT_STREQ(req["label"].GetString(), "HTTP Req/Second");
  EXPECT_STREQ(req["format"].GetString(), "");
  EXPECT_DOUBLE_EQ(req["priority"].GetDouble(), 0.1);
  // 503 stays 503 (the original reported it as 501).
  const auto& c503 = t["http_503_responses_per_second"];
  EXPECT_STREQ(c503["id"].GetString(), "http_503_responses_per_second");
  EXPECT_STREQ(c503["label"].GetString(), "HTTP Resp 503/Second");
  EXPECT_DOUBLE_EQ(c503["priority"].GetDouble(), 0.503);
  EXPECT_THAT(values(*metric(r.doc, "test-host;7", "http_404_responses_per_second")),
              ElementsAre(2.0));
}

TEST(Report, CodesOutsideTheOriginalSixteenKeepTheirOwnIds) {
  Snapshot s = one(process(7, {sample(at(1s), 3, {{418, 1}, {599, 1}, {202, 1}})}));
  const auto r = render(s);
  const auto& t = templates(r.doc);
  for (const char* id : {"http_418_responses_per_second", "http_599_responses_per_second",
                         "http_202_responses_per_second"}) {
    EXPECT_TRUE(t.HasMember(id)) << id;
    EXPECT_NE(metric(r.doc, "test-host;7", id), nullptr) << id;
  }
  EXPECT_DOUBLE_EQ(t["http_418_responses_per_second"]["priority"].GetDouble(), 0.418);
  EXPECT_STREQ(t["http_599_responses_per_second"]["label"].GetString(), "HTTP Resp 599/Second");
  EXPECT_EQ(r.text.find("OTHERS"), std::string::npos);
  EXPECT_EQ(r.text.find("http_102_"), std::string::npos);  // the original's 202 bug
}

TEST(Report, CodeWithZeroRateAcrossTheWindowDisappearsWithItsTemplate) {
  // 404 stopped inside the window: still shown (dropping to zero);
  // 500 is listed only with zero rates: gone, metric and template.
  Snapshot s = one(process(7, {sample(at(1s), 2, {{200, 1}, {404, 1}, {500, 0}}),
                               sample(at(2s), 1, {{200, 1}, {500, 0}})}));
  const auto r = render(s);
  EXPECT_THAT(values(*metric(r.doc, "test-host;7", "http_404_responses_per_second")),
              ElementsAre(1.0, 0.0));
  EXPECT_EQ(metric(r.doc, "test-host;7", "http_500_responses_per_second"), nullptr);
  EXPECT_FALSE(templates(r.doc).HasMember("http_500_responses_per_second"));

  // Once 404 is out of the window it disappears too.
  Snapshot later = one(process(7, {sample(at(2s), 1, {{200, 1}}), sample(at(3s), 1, {{200, 1}})}));
  const auto r2 = render(later);
  EXPECT_EQ(metric(r2.doc, "test-host;7", "http_404_responses_per_second"), nullptr);
  EXPECT_FALSE(templates(r2.doc).HasMember("http_404_responses_per_second"));
}

TEST(Report, TemplateOfACodeStaysWhileAnyNodeHasIt) {
  Snapshot s;
  s.taken_at = at(5s);
  s.processes.push_back(process(1, {sample(at(1s), 1, {{200, 1}})}));
  s.processes.push_back(process(2, {sample(at(1s), 1, {{418, 1}})}));
  const auto r = render(s);
  EXPECT_TRUE(templates(r.doc).HasMember("http_418_responses_per_second"));
  EXPECT_EQ(metric(r.doc, "test-host;1", "http_418_responses_per_second"), nullptr);
  EXPECT_NE(metric(r.doc, "test-host;2", "http_418_responses_per_second"), nullptr);
}

TEST(Report, LatencyQuantilesOnlyForSecondsWithCompletedExchanges) {
  Snapshot s = one(process(7, {sample(at(1s), 2, {{200, 2}}, 1.25, 9.5),
                               sample(at(2s), 0, {}, -1, -1),  // nothing completed
                               sample(at(3s), 1, {{200, 1}}, 0.75, 3)}));
  const auto r = render(s);
  const auto* p50 = metric(r.doc, "test-host;7", "http_request_latency_p50_ms");
  const auto* p99 = metric(r.doc, "test-host;7", "http_request_latency_p99_ms");
  ASSERT_NE(p50, nullptr);
  ASSERT_NE(p99, nullptr);
  EXPECT_THAT(values(*p50), ElementsAre(1.25, 0.75));
  EXPECT_THAT(dates(*p50),
              ElementsAre("2026-11-22T12:00:01.000000Z", "2026-11-22T12:00:03.000000Z"));
  EXPECT_THAT(values(*p99), ElementsAre(9.5, 3.0));
  EXPECT_EQ((*p99)["max"].GetDouble(), 9.5);
}

TEST(Report, LatencyTemplatesSortAfterEveryRate) {
  const auto r = render(testing::busy_snapshot());
  const auto& t = templates(r.doc);
  for (const char* id : {"http_request_latency_p50_ms", "http_request_latency_p99_ms"}) {
    ASSERT_TRUE(t.HasMember(id)) << id;
    EXPECT_STREQ(t[id]["format"].GetString(), "");
    EXPECT_GT(t[id]["priority"].GetDouble(), 0.599) << id;  // after http_599
    EXPECT_LT(t[id]["priority"].GetDouble(), 1.0) << id;    // before the probe's CPU
  }
  EXPECT_LT(t["http_request_latency_p50_ms"]["priority"].GetDouble(),
            t["http_request_latency_p99_ms"]["priority"].GetDouble());
  EXPECT_STREQ(t["http_request_latency_p50_ms"]["label"].GetString(), "HTTP Latency p50 (ms)");
}

TEST(Report, NoLatencyMetricWhenNothingCompleted) {
  Snapshot s = one(process(7, {sample(at(1s), 1, {{200, 1}})}));
  const auto r = render(s);
  EXPECT_EQ(metric(r.doc, "test-host;7", "http_request_latency_p50_ms"), nullptr);
  EXPECT_EQ(metric(r.doc, "test-host;7", "http_request_latency_p99_ms"), nullptr);
}

TEST(Report, NumbersAreShortDecimalsRoundedToThousandths) {
  Snapshot s = one(
      process(7, {sample(at(1s), 41.987403778866, {{200, 41.987403778866}}, 0.0004, 2.0 / 3.0)}));
  const auto r = render(s);
  EXPECT_NE(r.text.find(R"("value":41.987})"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find(R"("value":0.667})"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find(R"("value":0.0})"), std::string::npos) << r.text;  // 0.0004 ms
  EXPECT_NE(r.text.find(R"("priority":0.2})"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find(R"("min":0.0,"max":41.987})"), std::string::npos) << r.text;
}

TEST(Report, NonFiniteAndNegativeValuesNeverReachTheJson) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Snapshot s = one(process(7, {sample(at(1s), nan, {{200, nan}, {404, inf}}, nan, inf),
                               sample(at(2s), 5, {{200, 5}, {404, -inf}}, 2, -inf),
                               sample(at(3s), inf, {{200, -1}}, -inf, nan)}));
  const auto r = render(s);
  ASSERT_FALSE(r.doc.HasParseError());
  for (const char* bad : {"NaN", "nan", "Infinity", "inf"}) {
    EXPECT_EQ(r.text.find(bad), std::string::npos) << bad << " in " << r.text;
  }
  for (const auto& m : nodes(r.doc)["test-host;7"]["metrics"].GetObject()) {
    for (const double v : values(m.value)) EXPECT_GE(v, 0.0) << m.name.GetString();
  }
  // Unusable values leave their second out; the others stay.
  EXPECT_THAT(values(*metric(r.doc, "test-host;7", "http_requests_per_second")), ElementsAre(5.0));
  EXPECT_THAT(dates(*metric(r.doc, "test-host;7", "http_200_responses_per_second")),
              ElementsAre("2026-11-22T12:00:02.000000Z"));
  // 404 never had a finite positive rate.
  EXPECT_EQ(metric(r.doc, "test-host;7", "http_404_responses_per_second"), nullptr);
  EXPECT_THAT(values(*metric(r.doc, "test-host;7", "http_request_latency_p50_ms")),
              ElementsAre(2.0));
  EXPECT_EQ(metric(r.doc, "test-host;7", "http_request_latency_p99_ms"), nullptr);
}

TEST(Report, GraphRangeIsNeverZeroToZero) {
  // A paused process with only quiet seconds: zeros, drawn on 0..1.
  Snapshot s = one(process(7, {sample(at(1s), 0), sample(at(2s), 0)}, /*paused=*/true));
  const auto r = render(s);
  const auto* m = metric(r.doc, "test-host;7", "http_requests_per_second");
  ASSERT_NE(m, nullptr);
  EXPECT_THAT(values(*m), ElementsAre(0.0, 0.0));
  EXPECT_EQ((*m)["min"].GetDouble(), 0.0);
  EXPECT_GT((*m)["max"].GetDouble(), 0.0);
}

TEST(Report, ProcessesWithoutRecentTrafficAreLeftOut) {
  Snapshot s;
  s.taken_at = at(20s);
  s.processes.push_back(process(1, {}));                                      // never served
  s.processes.push_back(process(2, {sample(at(1s), 0), sample(at(2s), 0)}));  // quiet window
  s.processes.push_back(process(3, {sample(at(1s), 0), sample(at(2s), 1, {{200, 1}})}));
  s.processes.push_back(process(4, {sample(at(1s), 0, {{200, 0.5}})}));  // response, no request
  ProcessSnapshot gone = process(5, {sample(at(1s), 9, {{200, 9}})});
  gone.info.exited = true;
  s.processes.push_back(gone);
  const auto r = render(s);
  EXPECT_EQ(keys(nodes(r.doc)), (std::set<std::string>{"test-host;3", "test-host;4"}));
}

TEST(Report, PausedProcessesStayWithZeroSamplesSoTheyCanBeResumed) {
  Snapshot s = one(process(9, {}, /*paused=*/true), /*taken_at=*/at(20s + 500ms));
  const auto r = render(s);
  const auto* m = metric(r.doc, "test-host;9", "http_requests_per_second");
  ASSERT_NE(m, nullptr);
  EXPECT_THAT(values(*m), ElementsAre(0.0));
  EXPECT_THAT(dates(*m), ElementsAre("2026-11-22T12:00:20.500000Z"));
}

TEST(Report, PausedProcessKeepsItsRatesButShowsNoLatency) {
  Snapshot s = one(process(9, {sample(at(1s), 3, {{201, 3}}, 4, 7)}, /*paused=*/true));
  const auto r = render(s);
  EXPECT_THAT(values(*metric(r.doc, "test-host;9", "http_201_responses_per_second")),
              ElementsAre(3.0));
  EXPECT_THAT(values(*metric(r.doc, "test-host;9", "http_requests_per_second")), ElementsAre(3.0));
  // Quantiles from before the pause would read as the current latency.
  EXPECT_EQ(metric(r.doc, "test-host;9", "http_request_latency_p50_ms"), nullptr);
  EXPECT_EQ(metric(r.doc, "test-host;9", "http_request_latency_p99_ms"), nullptr);
  // Templates stay: other nodes may carry the metrics.
  EXPECT_TRUE(templates(r.doc).HasMember("http_request_latency_p50_ms"));
}

// A process paused for longer than the window: every sample was read while
// paused, and none counted anything.
ProcessSnapshot paused_for_a_window(std::uint32_t pid, bool still_paused) {
  std::vector<RateSample> recent;
  for (int i = 0; i < 15; ++i) {
    RateSample quiet = sample(at(std::chrono::seconds(100 + i)), 0);
    quiet.paused = true;
    recent.push_back(quiet);
  }
  ProcessSnapshot p = process(pid, std::move(recent), still_paused);
  p.series[{Method::Get, 200, false}].count = 120;
  p.series[{Method::Get, 404, false}].count = 7;
  p.series[{Method::Post, 503, true}].count = 2;
  p.series[{Method::Other, 0, false}].count = 1;  // no status line: never a metric
  return p;
}

TEST(Report, PausedProcessGoesOnWithZerosForEveryCodeItAnswered) {
  Snapshot s = one(paused_for_a_window(9, /*still_paused=*/true), at(115s));
  const auto r = render(s);
  ASSERT_TRUE(nodes(r.doc).HasMember("test-host;9"));
  for (const char* id : {"http_requests_per_second", "http_200_responses_per_second",
                         "http_404_responses_per_second", "http_503_responses_per_second"}) {
    const auto* m = metric(r.doc, "test-host;9", id);
    ASSERT_NE(m, nullptr) << id;
    EXPECT_EQ(values(*m), std::vector<double>(15, 0.0)) << id;
    EXPECT_EQ(dates(*m).back(), "2026-11-22T12:01:54.000000Z") << id;
    EXPECT_TRUE(templates(r.doc).HasMember(id)) << id;
  }
  EXPECT_EQ(r.text.find("http_0_responses"), std::string::npos);
  EXPECT_EQ(metric(r.doc, "test-host;9", "http_request_latency_p50_ms"), nullptr);
}

TEST(Report, ResumedProcessStaysForTheWindowAsActive) {
  // Resumed, and quiet since: the app must still learn that it is active.
  Snapshot s = one(paused_for_a_window(9, /*still_paused=*/false), at(115s));
  const auto r = render(s);
  ASSERT_TRUE(nodes(r.doc).HasMember("test-host;9"));
  const auto& node = nodes(r.doc)["test-host;9"];
  EXPECT_STREQ(node["latest"]["http_tracing"]["value"].GetString(), "active");
  EXPECT_FALSE(node["latestControls"]["http_pause"]["value"]["dead"].GetBool());
  EXPECT_NE(metric(r.doc, "test-host;9", "http_404_responses_per_second"), nullptr);

  // Once the pause has left the window, a quiet process goes as any other.
  ProcessSnapshot later = process(9, {sample(at(116s), 0), sample(at(117s), 0)});
  later.series = paused_for_a_window(9, false).series;
  EXPECT_TRUE(nodes(render(one(later, at(118s))).doc).ObjectEmpty());
}

TEST(Report, EveryNodeSaysWhetherItsTracingIsPaused) {
  Snapshot s;
  s.taken_at = at(30s + 1ms);
  s.processes.push_back(process(1, {sample(at(1s), 1, {{200, 1}})}, /*paused=*/false));
  s.processes.push_back(process(2, {sample(at(1s), 1, {{200, 1}})}, /*paused=*/true));
  const auto r = render(s);
  const auto& t = r.doc["Process"]["metadata_templates"];
  EXPECT_EQ(keys(t), (std::set<std::string>{"http_tracing"}));
  // Scope's MetadataTemplate; the row's value comes from the node's latest.
  EXPECT_EQ(keys(t["http_tracing"]), (std::set<std::string>{"id", "label", "priority", "from"}));
  EXPECT_STREQ(t["http_tracing"]["id"].GetString(), "http_tracing");
  EXPECT_STREQ(t["http_tracing"]["label"].GetString(), "HTTP tracing");
  EXPECT_STREQ(t["http_tracing"]["from"].GetString(), "latest");
  EXPECT_GT(t["http_tracing"]["priority"].GetDouble(), 5.0);  // after the probe's own rows
  for (const auto& [node, state] :
       {std::pair{"test-host;1", "active"}, std::pair{"test-host;2", "paused"}}) {
    const auto& entry = nodes(r.doc)[node]["latest"]["http_tracing"];
    EXPECT_EQ(keys(entry), (std::set<std::string>{"timestamp", "value"})) << node;
    EXPECT_STREQ(entry["value"].GetString(), state) << node;
    // The newer snapshot wins the app's merge, as for the controls.
    EXPECT_STREQ(entry["timestamp"].GetString(), "2026-11-22T12:00:30.001000Z") << node;
  }
}

TEST(Report, EveryNodeWithControlsNamesTheProbeThatPolled) {
  Snapshot s;
  s.taken_at = at(30s + 1ms);
  s.processes.push_back(process(1, {sample(at(1s), 1, {{200, 1}})}, /*paused=*/false));
  s.processes.push_back(process(2, {}, /*paused=*/true));
  const auto r = render(s, kOptions, "scope-probe-check");
  ASSERT_EQ(nodes(r.doc).MemberCount(), 2u);
  for (const auto& n : nodes(r.doc).GetObject()) {
    ASSERT_TRUE(n.value.HasMember("latestControls")) << n.name.GetString();
    const auto& id = n.value["latest"]["control_probe_id"];
    EXPECT_EQ(keys(id), (std::set<std::string>{"timestamp", "value"}));
    EXPECT_STREQ(id["value"].GetString(), "scope-probe-check") << n.name.GetString();
    EXPECT_STREQ(id["timestamp"].GetString(), "2026-11-22T12:00:30.001000Z");
  }
}

TEST(Report, WithoutAProbeIdNoNodeOffersControls) {
  // Over the length limit, JSON-breaking or not UTF-8: not a probe's id.
  for (const std::string& bad : {std::string(), std::string(65, 'a'), std::string("a\"b"),
                                 std::string("id\xff"), std::string("a b")}) {
    const auto r = render(testing::busy_snapshot(), kOptions, bad);
    const auto& node = nodes(r.doc)["test-host;4242"];
    EXPECT_FALSE(node.HasMember("latestControls")) << bad;
    EXPECT_FALSE(node["latest"].HasMember("control_probe_id")) << bad;
    EXPECT_TRUE(node["latest"].HasMember("http_tracing")) << bad;
    // The topology still declares them, for nodes of reports that name a probe.
    EXPECT_TRUE(r.doc["Process"]["controls"].HasMember("http_pause"));
  }
  // 64 characters is still an id.
  const auto r = render(testing::busy_snapshot(), kOptions, std::string(64, 'f'));
  EXPECT_TRUE(nodes(r.doc)["test-host;4242"].HasMember("latestControls"));
}

TEST(Report, TopologyDeclaresPauseAndResumeControls) {
  const auto r = render(testing::busy_snapshot());
  const auto& controls = r.doc["Process"]["controls"];
  EXPECT_EQ(keys(controls), (std::set<std::string>{"http_pause", "http_resume"}));
  EXPECT_STREQ(controls["http_pause"]["id"].GetString(), "http_pause");
  EXPECT_STREQ(controls["http_pause"]["human"].GetString(), "Pause HTTP tracing");
  EXPECT_STREQ(controls["http_pause"]["icon"].GetString(), "fa-pause");
  EXPECT_STREQ(controls["http_resume"]["human"].GetString(), "Resume HTTP tracing");
  EXPECT_STREQ(controls["http_resume"]["icon"].GetString(), "fa-play");
  EXPECT_TRUE(controls["http_pause"]["rank"].IsInt());
}

TEST(Report, EachNodeOffersTheControlThatApplies) {
  Snapshot s;
  s.taken_at = at(30s + 1ms);
  s.processes.push_back(process(1, {sample(at(1s), 1, {{200, 1}})}, /*paused=*/false));
  s.processes.push_back(process(2, {sample(at(1s), 1, {{200, 1}})}, /*paused=*/true));
  const auto r = render(s);
  const auto& running = nodes(r.doc)["test-host;1"]["latestControls"];
  const auto& paused = nodes(r.doc)["test-host;2"]["latestControls"];
  EXPECT_FALSE(running["http_pause"]["value"]["dead"].GetBool());
  EXPECT_TRUE(running["http_resume"]["value"]["dead"].GetBool());
  EXPECT_TRUE(paused["http_pause"]["value"]["dead"].GetBool());
  EXPECT_FALSE(paused["http_resume"]["value"]["dead"].GetBool());
  // The state's time is the snapshot's, so a newer snapshot wins the app's merge.
  EXPECT_STREQ(running["http_pause"]["timestamp"].GetString(), "2026-11-22T12:00:30.001000Z");
  EXPECT_EQ(keys(paused["http_resume"]), (std::set<std::string>{"timestamp", "value"}));
}

TEST(Report, EmptySnapshotIsAValidReport) {
  const auto r = render(Snapshot{});
  EXPECT_TRUE(nodes(r.doc).ObjectEmpty());
  EXPECT_TRUE(templates(r.doc).HasMember("http_requests_per_second"));
  EXPECT_EQ(r.doc["Plugins"].Size(), 1u);
}

TEST(Report, SameSnapshotSameText) {
  const Snapshot s = testing::busy_snapshot();
  EXPECT_EQ(render_report(s, kOptions, kProbeId), render_report(s, kOptions, kProbeId));
}

Snapshot thousand_busy_processes() {
  Snapshot s;
  s.taken_at = at(15s);
  for (std::uint32_t pid = 1000; pid < 2000; ++pid) {
    std::vector<RateSample> recent;
    for (int i = 0; i < 15; ++i) {
      const double rate = 100.0 + pid % 17 + i / 7.0;
      recent.push_back(sample(at(std::chrono::seconds(i) + 12345us), rate,
                              {{200, rate * 0.9}, {404, rate * 0.07}, {500, rate * 0.03}},
                              1.0 + i / 3.0, 20.0 + i));
    }
    s.processes.push_back(process(pid, std::move(recent)));
  }
  return s;
}

// CPU time of this thread: other builds and tests share the machine, and
// wall time would measure them too.
double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

TEST(Report, ThousandProcessesRenderWellUnder20Milliseconds) {
  const Snapshot s = thousand_busy_processes();
  double best_cpu = 1e9;
  double best_wall = 1e9;
  std::size_t size = 0;
  for (int i = 0; i < 5; ++i) {
    const auto wall = std::chrono::steady_clock::now();
    const double cpu = thread_cpu_ms();
    size = render_report(s, kOptions, kProbeId).size();
    best_cpu = std::min(best_cpu, thread_cpu_ms() - cpu);
    best_wall = std::min(
        best_wall,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall).count());
  }
  std::printf("1000 processes x 15 samples: %zu bytes, best of 5: %.2f ms CPU, %.2f ms wall\n",
              size, best_cpu, best_wall);
  const auto r = render(s);
  EXPECT_EQ(nodes(r.doc).MemberCount(), 1000u);
#ifdef __OPTIMIZE__
  constexpr bool kOptimized = true;
#else
  constexpr bool kOptimized = false;
#endif
  if (testing::kSanitized || !kOptimized) {
    GTEST_SKIP() << "timing is only asserted in optimized builds without sanitizers";
  }
  EXPECT_LT(best_cpu, 20.0);
}

}  // namespace
}  // namespace hs::scope
