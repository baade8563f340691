// The exposition text built from hand-made snapshots: names, labels, values.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "helpers/exposition.h"
#include "metrics_exporter.h"
#include "snapshot_builder.h"

namespace hs::prom {
namespace {

using hs::testing::Buckets;
using hs::testing::Labels;
using hs::testing::parse_exposition;
using hs::testing::process;
using hs::testing::sample_value;
using hs::testing::series_stats;

constexpr const char* kRequests = "http_server_requests_total";
constexpr const char* kDuration = "http_server_request_duration_seconds";

Labels series_labels(const std::string& method, int status, int pid, const std::string& exe,
                     const std::string& container = "", const std::string& scheme = "http") {
  Labels l{{"http_request_method", method},
           {"http_response_status_code", std::to_string(status)},
           {"url_scheme", scheme},
           {"process_pid", std::to_string(pid)},
           {"process_executable_name", exe}};
  if (!container.empty()) l["container_id"] = container;
  return l;
}

Labels with_le(Labels l, const std::string& le) {
  l["le"] = le;
  return l;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// One GET 200 series of nginx (pid 42): 10 exchanges, 7 of them timed.
Snapshot one_series_snapshot() {
  Snapshot s;
  auto p = process(42, "nginx");
  // 1 exchange <= 5 ms, 2 <= 10 ms, 3 <= 50 ms and 1 over 10 s (the overflow bucket).
  const Buckets b = {1, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  p.series[{Method::Get, 200}] = series_stats(10, b, 12'345'000'000);
  s.processes.push_back(std::move(p));
  return s;
}

TEST(RenderText, CounterCountsEveryExchange) {
  const std::string text = render_text(one_series_snapshot(), {});
  EXPECT_TRUE(has_line(text,
                       "http_server_requests_total{http_request_method=\"GET\","
                       "http_response_status_code=\"200\",url_scheme=\"http\",process_pid=\"42\","
                       "process_executable_name=\"nginx\"} 10"))
      << text;
}

TEST(RenderText, HistogramHasCumulativeBucketsSumInSecondsAndCount) {
  const std::string text = render_text(one_series_snapshot(), {});
  const auto e = parse_exposition(text);
  const Labels l = series_labels("GET", 200, 42, "nginx");
  const std::vector<std::pair<std::string, double>> expected = {
      {"0.005", 1}, {"0.01", 3}, {"0.025", 3}, {"0.05", 6}, {"0.075", 6},
      {"0.1", 6},   {"0.25", 6}, {"0.5", 6},   {"0.75", 6}, {"1", 6},
      {"2.5", 6},   {"5", 6},    {"7.5", 6},   {"10", 6},   {"+Inf", 7}};
  for (const auto& [le, n] : expected)
    EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_bucket", with_le(l, le)), n)
        << "le=" << le;
  EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_sum", l), 12.345);
  EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_count", l), 7);
  EXPECT_TRUE(has_line(text,
                       "http_server_request_duration_seconds_bucket{http_request_method=\"GET\","
                       "http_response_status_code=\"200\",url_scheme=\"http\",process_pid=\"42\","
                       "process_executable_name=\"nginx\",le=\"+Inf\"} 7"))
      << text;
}

TEST(RenderText, BucketBoundsAreTheOpenTelemetryDefaultsInOrder) {
  const auto e = parse_exposition(render_text(one_series_snapshot(), {}));
  std::vector<std::string> les;
  for (const auto& s : hs::testing::find_samples(e, "http_server_request_duration_seconds_bucket"))
    les.push_back(s.labels.at("le"));
  EXPECT_EQ(les, (std::vector<std::string>{"0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25",
                                           "0.5", "0.75", "1", "2.5", "5", "7.5", "10", "+Inf"}));
}

TEST(RenderText, FamiliesHaveTypesHelpAndCountersEndInTotal) {
  Snapshot s = one_series_snapshot();
  s.health.bpf_stats_enabled = true;
  s.health.programs = {{"hs_ingress", "cgroup_skb/ingress /sys/fs/cgroup", 10, 2}};
  s.health.drops = {{"no_owner", 1}};
  s.health.maps = {{"stats", 1, 16384}};
  const auto e = parse_exposition(render_text(s, {}));
  EXPECT_EQ(e.types.at(kRequests), "counter");
  EXPECT_EQ(e.types.at(kDuration), "histogram");
  EXPECT_GE(e.types.size(), 12u);
  for (const auto& [name, type] : e.types) {
    const bool total = name.ends_with("_total");
    EXPECT_EQ(type == "counter", total) << name << " is a " << type;
    EXPECT_FALSE(e.helps.at(name).empty()) << name;
  }
}

TEST(RenderText, ContainerIdOnlyForContainerizedProcesses) {
  Snapshot s;
  auto host = process(10, "host-app");
  host.series[{Method::Get, 200}] = series_stats(1);
  auto boxed = process(11, "boxed-app", "4f2a9c");
  boxed.series[{Method::Get, 200}] = series_stats(2);
  s.processes = {host, boxed};
  const auto e = parse_exposition(render_text(s, {}));
  EXPECT_EQ(sample_value(e, kRequests, series_labels("GET", 200, 10, "host-app")), 1);
  EXPECT_EQ(sample_value(e, kRequests, series_labels("GET", 200, 11, "boxed-app", "4f2a9c")), 2);
  for (const auto& sample : e.samples) {
    if (!sample.labels.contains("process_pid")) continue;
    EXPECT_EQ(sample.labels.contains("container_id"), sample.labels.at("process_pid") == "11")
        << sample.name;
  }
}

TEST(RenderText, ContainerNamesOnlyWhereTheyWereFound) {
  const std::string id(64, 'a');
  Snapshot s;
  auto host = process(10, "host-app");
  host.series[{Method::Get, 200}] = series_stats(1);
  auto pod = process(11, "nginx", id);
  pod.info.names = hs::testing::pod_names("shop", "web-7d4b9c-x2kqp", "web");
  pod.series[{Method::Get, 200}] = series_stats(2);
  auto half = process(12, "job", id);
  half.info.names = hs::testing::pod_names("batch", "report-x9", "");
  half.series[{Method::Get, 200}] = series_stats(3);
  auto docker = process(13, "redis", id);
  docker.info.names.container_name = "cache_1";
  docker.series[{Method::Get, 200}] = series_stats(4);
  s.processes = {host, pod, half, docker};
  const std::string text = render_text(s, {});
  const auto e = parse_exposition(text);
  Labels l = series_labels("GET", 200, 11, "nginx", id);
  l["k8s_namespace_name"] = "shop";
  l["k8s_pod_name"] = "web-7d4b9c-x2kqp";
  l["k8s_container_name"] = "web";
  EXPECT_EQ(sample_value(e, kRequests, l), 2);
  l = series_labels("GET", 200, 12, "job", id);
  l["k8s_namespace_name"] = "batch";
  l["k8s_pod_name"] = "report-x9";
  EXPECT_EQ(sample_value(e, kRequests, l), 3);
  l = series_labels("GET", 200, 13, "redis", id);
  l["container_name"] = "cache_1";
  EXPECT_EQ(sample_value(e, kRequests, l), 4);
  EXPECT_EQ(sample_value(e, kRequests, series_labels("GET", 200, 10, "host-app")), 1);
  // The labels come in one order, after container_id.
  EXPECT_NE(text.find("container_id=\"" + id +
                      "\",k8s_namespace_name=\"shop\",k8s_pod_name=\"web-7d4b9c-x2kqp\","
                      "k8s_container_name=\"web\"}"),
            std::string::npos)
      << text;
}

TEST(RenderText, ContainerNamesAreEscaped) {
  Snapshot s;
  auto p = process(8, "srv", "c1");
  p.info.names = hs::testing::pod_names("n\"s", "p\\od", "c\no");
  p.info.names.container_name = "x\"y";
  p.series[{Method::Get, 200}] = series_stats(4);
  s.processes.push_back(p);
  const std::string text = render_text(s, {});
  EXPECT_NE(text.find(R"(container_name="x\"y",k8s_namespace_name="n\"s",k8s_pod_name="p\\od",)"
                      R"(k8s_container_name="c\no")"),
            std::string::npos)
      << text;
}

TEST(RenderText, HttpsSeriesAreApartFromPlaintextByUrlScheme) {
  Snapshot s;
  auto p = process(12, "nginx");
  p.series[{Method::Get, 200, false}] = series_stats(3);
  p.series[{Method::Get, 200, true}] = series_stats(5);
  s.processes.push_back(p);
  const auto e = parse_exposition(render_text(s, {}));
  EXPECT_EQ(sample_value(e, kRequests, series_labels("GET", 200, 12, "nginx", "", "http")), 3);
  EXPECT_EQ(sample_value(e, kRequests, series_labels("GET", 200, 12, "nginx", "", "https")), 5);
}

TEST(RenderText, MethodsUseOpenTelemetryNamesAndOtherForUnknown) {
  Snapshot s;
  auto p = process(5, "srv");
  for (int m = 0; m < kMethodCount; ++m)
    p.series[{static_cast<Method>(m), 200}] = series_stats(static_cast<std::uint64_t>(m) + 1);
  s.processes.push_back(p);
  const auto e = parse_exposition(render_text(s, {}));
  const std::vector<std::string> names = {"_OTHER", "GET",     "HEAD",    "POST",  "PUT",
                                          "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (int m = 0; m < kMethodCount; ++m)
    EXPECT_EQ(sample_value(e, kRequests,
                           series_labels(names[static_cast<std::size_t>(m)], 200, 5, "srv")),
              m + 1)
        << names[static_cast<std::size_t>(m)];
}

TEST(RenderText, ExitedProcessesAreStillExported) {
  Snapshot s;
  auto p = process(77, "gone");
  p.info.exited = true;
  p.info.exited_at = Clock::now();
  p.series[{Method::Post, 201}] = series_stats(3, {0, 3});
  s.processes.push_back(p);
  const auto e = parse_exposition(render_text(s, {}));
  EXPECT_EQ(sample_value(e, kRequests, series_labels("POST", 201, 77, "gone")), 3);
  EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_count",
                         series_labels("POST", 201, 77, "gone")),
            3);
}

TEST(RenderText, LabelValuesAreEscaped) {
  const std::string weird = "we\"ird\\na\nme {x=\"1\"}, caf\xc3\xa9";
  Snapshot s;
  auto p = process(8, weird, "c\"id");
  p.series[{Method::Get, 200}] = series_stats(4);
  s.processes.push_back(p);
  const std::string text = render_text(s, {});
  EXPECT_NE(text.find(R"(process_executable_name="we\"ird\\na\nme {x=\"1\"}, café")"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(container_id="c\"id")"), std::string::npos) << text;
  const auto e = parse_exposition(text);
  EXPECT_EQ(sample_value(e, kRequests, series_labels("GET", 200, 8, weird, "c\"id")), 4);
}

TEST(RenderText, BucketsNeverExceedTheCount) {
  // Counters read while the kernel updates them: buckets ahead of latency_count.
  Snapshot s;
  auto p = process(3, "racy");
  SeriesStats st = series_stats(9, {4, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
  st.latency_count = 6;  // the buckets add up to 9
  p.series[{Method::Get, 200}] = st;
  s.processes.push_back(p);
  const auto e = parse_exposition(render_text(s, {}));
  const Labels l = series_labels("GET", 200, 3, "racy");
  EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_bucket", with_le(l, "0.005")), 4);
  EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_bucket", with_le(l, "0.025")), 6);
  EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_bucket", with_le(l, "10")), 6);
  EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_bucket", with_le(l, "+Inf")), 6);
  EXPECT_EQ(sample_value(e, "http_server_request_duration_seconds_count", l), 6);
}

TEST(RenderText, EmptySnapshotHasOnlySelfMetrics) {
  const auto e = parse_exposition(render_text(Snapshot{}, {}));
  EXPECT_FALSE(e.types.contains(kRequests));
  EXPECT_FALSE(e.types.contains(kDuration));
  EXPECT_EQ(sample_value(e, "http_statistics_build_info", {{"version", "unknown"}}), 1);
}

}  // namespace
}  // namespace hs::prom
