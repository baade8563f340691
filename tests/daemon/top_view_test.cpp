// The `top` frame as a pure function of a snapshot: order, limit, status mix,
// latency, which processes appear, and that nothing but plain text comes out.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <sstream>

#include "top_view.h"

namespace hs {
namespace {

using namespace std::chrono_literals;

// Fixed wall clock, shown in UTC.
const Clock::time_point kNow = Clock::from_time_t(1700000000);  // 22:13:20 UTC

class TopView : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }

  // A process whose last sample (at kNow - age) has these responses per
  // second by status, and earlier samples with `earlier_rate` req/s.
  static ProcessSnapshot process(std::uint32_t pid, const std::string& comm,
                                 std::map<std::uint16_t, double> responses,
                                 std::chrono::milliseconds age = 0ms, double earlier_rate = 0) {
    ProcessSnapshot p;
    p.info.pid = pid;
    p.info.comm = comm;
    RateSample earlier;
    earlier.at = kNow - age - 1s;
    earlier.requests_per_second = earlier_rate;
    RateSample last;
    last.at = kNow - age;
    for (const auto& [status, rate] : responses) last.requests_per_second += rate;
    last.responses_per_second = std::move(responses);
    last.latency_p50_ms = 1.5;
    last.latency_p99_ms = 12.25;
    p.recent = {earlier, last};
    return p;
  }

  static Snapshot snapshot(std::vector<ProcessSnapshot> processes) {
    Snapshot s;
    s.taken_at = kNow;
    s.processes = std::move(processes);
    return s;
  }

  static std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
};

TEST_F(TopView, BusiestFirstThenByPid) {
  const Snapshot s =
      snapshot({process(30, "small", {{200, 1}}), process(10, "big", {{200, 50}, {404, 50}}),
                process(20, "tie-b", {{200, 5}}), process(5, "tie-a", {{200, 5}})});
  const auto rows = top_rows(s, {});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].pid, 10u);
  EXPECT_EQ(rows[1].pid, 5u);
  EXPECT_EQ(rows[2].pid, 20u);
  EXPECT_EQ(rows[3].pid, 30u);

  const auto l = lines(render_top(s, {}));
  ASSERT_EQ(l.size(), 6u);
  EXPECT_EQ(l[0], "http-statistics top  22:13:20  4 processes  111.0 req/s");
  EXPECT_EQ(l[1], "    PID COMMAND             REQ/S   2XX   3XX   4XX   5XX   P50 MS   P99 MS");
  EXPECT_EQ(l[2], "     10 big                 100.0   50%    0%   50%    0%    1.500    12.25");
  EXPECT_EQ(l[3], "      5 tie-a                 5.0  100%    0%    0%    0%    1.500    12.25");
}

TEST_F(TopView, StatusClassMix) {
  const Snapshot s = snapshot(
      {process(1, "web", {{200, 6}, {201, 1}, {301, 1}, {404, 1}, {418, 0.5}, {503, 0.5}})});
  const auto rows = top_rows(s, {});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].requests_per_second, 10);
  EXPECT_DOUBLE_EQ(rows[0].status_share[0], 0.7);
  EXPECT_DOUBLE_EQ(rows[0].status_share[1], 0.1);
  EXPECT_DOUBLE_EQ(rows[0].status_share[2], 0.15);
  EXPECT_DOUBLE_EQ(rows[0].status_share[3], 0.05);
  EXPECT_NE(render_top(s, {}).find(" 70%   10%   15%    5% "), std::string::npos);
}

TEST_F(TopView, SwitchingProtocolsCountsButIsInNoClass) {
  const auto rows = top_rows(snapshot({process(1, "ws", {{101, 1}, {200, 1}})}), {});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].requests_per_second, 2);
  EXPECT_DOUBLE_EQ(rows[0].status_share[0], 0.5);
  EXPECT_DOUBLE_EQ(rows[0].status_share[1] + rows[0].status_share[2] + rows[0].status_share[3], 0);
}

TEST_F(TopView, LimitKeepsTheBusiestAndSaysHowManyMore) {
  std::vector<ProcessSnapshot> ps;
  for (std::uint32_t pid = 1; pid <= 5; ++pid)
    ps.push_back(process(pid, "p" + std::to_string(pid), {{200, double(pid)}}));
  TopViewOptions o;
  o.limit = 2;
  const auto l = lines(render_top(snapshot(ps), o));
  ASSERT_EQ(l.size(), 5u);
  EXPECT_EQ(l[0], "http-statistics top  22:13:20  5 processes  15.0 req/s");
  EXPECT_EQ(l[2].substr(0, 10), "      5 p5");
  EXPECT_EQ(l[3].substr(0, 10), "      4 p4");
  EXPECT_EQ(l[4], "(3 more not shown)");
}

TEST_F(TopView, IdleRecentlyShowsZeroAndDashes) {
  // Traffic two seconds ago, none in the last second.
  ProcessSnapshot p = process(7, "quiet", {}, 0ms, 3);
  const auto rows = top_rows(snapshot({p}), {});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].requests_per_second, 0);
  const auto l = lines(render_top(snapshot({p}), {}));
  EXPECT_EQ(l[2], "      7 quiet                 0.0     -     -     -     -    1.500    12.25");
}

TEST_F(TopView, StaleSampleIsNotTheLastSecond) {
  // The newest sample is 10 s old: the aggregator has stopped sampling it.
  ProcessSnapshot p = process(7, "stale", {{200, 9}}, 10s);
  const auto rows = top_rows(snapshot({p}), {});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].requests_per_second, 0);
  EXPECT_LT(rows[0].status_share[0], 0);
  EXPECT_LT(rows[0].latency_p50_ms, 0);
}

TEST_F(TopView, LeavesOutExitedAndSilentProcesses) {
  ProcessSnapshot exited = process(1, "gone", {{200, 5}});
  exited.info.exited = true;
  ProcessSnapshot silent = process(2, "silent", {});
  ProcessSnapshot never;  // seen accepting, nothing answered yet
  never.info.pid = 3;
  const Snapshot s = snapshot({exited, silent, never, process(4, "live", {{200, 1}})});
  const auto rows = top_rows(s, {});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].pid, 4u);
}

TEST_F(TopView, EmptySnapshot) {
  const auto l = lines(render_top(snapshot({}), {}));
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0], "http-statistics top  22:13:20  0 processes  0.0 req/s");
  EXPECT_EQ(l[2], "(no HTTP server traffic seen yet)");
}

TEST_F(TopView, LatencyFormatting) {
  ProcessSnapshot p = process(1, "lat", {{200, 1}});
  p.recent.back().latency_p50_ms = 0.0421;
  p.recent.back().latency_p99_ms = 2345.6;
  EXPECT_NE(render_top(snapshot({p}), {}).find("   0.042     2346"), std::string::npos);
  p.recent.back().latency_p50_ms = p.recent.back().latency_p99_ms = -1;
  EXPECT_NE(render_top(snapshot({p}), {}).find("0%        -        -"), std::string::npos);
}

TEST_F(TopView, CommandFallsBackAndIsCutAndMadePrintable) {
  ProcessSnapshot a = process(1, "", {{200, 3}});
  a.info.executable_name = "a-very-long-executable-name";
  ProcessSnapshot b = process(2, "evil\x1b[2Jname", {{200, 2}});
  const std::string text = render_top(snapshot({a, b}), {});
  EXPECT_NE(text.find(" a-very-long-exe "), std::string::npos) << text;
  EXPECT_NE(text.find(" evil?[2Jname "), std::string::npos) << text;
  for (const char c : text) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << int(c);
}

TEST_F(TopView, WidthCutsEveryLine) {
  TopViewOptions o;
  o.width = 20;
  for (const auto& l : lines(render_top(snapshot({process(1, "w", {{200, 1}})}), o)))
    EXPECT_LE(l.size(), 20u) << l;
}

// A process whose last sample (at kNow - age) answered these endpoints.
ProcessSnapshot endpoints_process(std::uint32_t pid, std::map<std::string, EndpointRate> endpoints,
                                  std::chrono::milliseconds age = 0ms) {
  ProcessSnapshot p;
  p.info.pid = pid;
  p.info.comm = "api";
  RateSample last;
  last.at = kNow - age;
  for (const auto& [name, e] : endpoints) last.requests_per_second += e.requests_per_second;
  last.responses_per_second[200] = last.requests_per_second;
  last.endpoints = std::move(endpoints);
  p.recent = {last};
  return p;
}

TopViewOptions endpoints_of(std::uint32_t pid) {
  TopViewOptions o;
  o.endpoints_pid = pid;
  return o;
}

TEST_F(TopView, EndpointViewBusiestFirst) {
  const Snapshot s = snapshot({endpoints_process(42, {{"/api/users/{id}", {80, 2, 12.25}},
                                                      {"/healthz", {5, 0, 0.0421}},
                                                      {"_OTHER", {10, 10, 2345.6}},
                                                      {"", {5, 0, -1}}})});
  const auto rows = top_endpoint_rows(s.processes[0], kNow, {});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].url_template, "/api/users/{id}");
  EXPECT_EQ(rows[1].url_template, "_OTHER");
  EXPECT_EQ(rows[2].url_template, "");  // ties by template: "" before "/healthz"
  EXPECT_EQ(rows[3].url_template, "/healthz");

  const auto l = lines(render_top(s, endpoints_of(42)));
  ASSERT_EQ(l.size(), 6u);
  EXPECT_EQ(l[0], "http-statistics top  22:13:20  pid 42 api  4 endpoints  100.0 req/s");
  EXPECT_EQ(l[1], "    REQ/S     5XX/S   P99 MS  ENDPOINT");
  EXPECT_EQ(l[2], "     80.0       2.0    12.25  /api/users/{id}");
  EXPECT_EQ(l[3], "     10.0      10.0     2346  _OTHER");
  EXPECT_EQ(l[4], "      5.0       0.0        -  (no template)");
  EXPECT_EQ(l[5], "      5.0       0.0    0.042  /healthz");
}

TEST_F(TopView, EndpointViewLimitSaysHowManyMore) {
  std::map<std::string, EndpointRate> many;
  for (int i = 1; i <= 5; ++i) many["/e" + std::to_string(i)] = {double(i), 0, 1};
  TopViewOptions o = endpoints_of(42);
  o.limit = 2;
  const auto l = lines(render_top(snapshot({endpoints_process(42, many)}), o));
  ASSERT_EQ(l.size(), 5u);
  EXPECT_EQ(l[0], "http-statistics top  22:13:20  pid 42 api  5 endpoints  15.0 req/s");
  EXPECT_EQ(l[2].substr(l[2].size() - 3), "/e5");
  EXPECT_EQ(l[3].substr(l[3].size() - 3), "/e4");
  EXPECT_EQ(l[4], "(3 more not shown)");
}

TEST_F(TopView, EndpointViewSaysWhyItIsEmpty) {
  const auto third = [](const Snapshot& s, std::uint32_t pid) {
    return lines(render_top(s, endpoints_of(pid))).at(2);
  };
  EXPECT_EQ(third(snapshot({}), 42), "(no HTTP traffic seen from pid 42)");
  ProcessSnapshot gone = endpoints_process(42, {{"/a", {1, 0, 1}}});
  gone.info.exited = true;
  EXPECT_EQ(third(snapshot({gone}), 42), "(pid 42 has exited)");
  ProcessSnapshot paused = endpoints_process(42, {});
  paused.info.paused = true;
  EXPECT_EQ(third(snapshot({paused}), 42), "(counting is paused for pid 42)");
  EXPECT_EQ(third(snapshot({endpoints_process(42, {})}), 42), "(no requests in the last second)");
  // The newest sample is 10 s old: not the last second.
  EXPECT_EQ(third(snapshot({endpoints_process(42, {{"/a", {9, 0, 1}}}, 10s)}), 42),
            "(no requests in the last second)");
  EXPECT_EQ(lines(render_top(snapshot({}), endpoints_of(42)))[0],
            "http-statistics top  22:13:20  pid 42  0 endpoints  0.0 req/s");
}

TEST_F(TopView, EndpointViewTemplatesArePrintableAndCutToTheWidth) {
  TopViewOptions o = endpoints_of(42);
  o.width = 40;
  const std::string text = render_top(
      snapshot({endpoints_process(42, {{"/a\x1b[2J/" + std::string(60, 'x'), {1, 0, 1}}})}), o);
  for (const auto& l : lines(text)) EXPECT_LE(l.size(), 40u) << l;
  EXPECT_NE(text.find("/a?[2J/xx"), std::string::npos) << text;
  for (const char c : text) EXPECT_TRUE(c == '\n' || (c >= 0x20 && c < 0x7f)) << int(c);
}

TEST_F(TopView, BusiestPidIsTheTablesFirstRow) {
  EXPECT_EQ(busiest_pid(snapshot({}), {}), 0u);
  const Snapshot s = snapshot({process(3, "a", {{200, 1}}), process(9, "b", {{200, 7}})});
  EXPECT_EQ(busiest_pid(s, {}), 9u);
}

}  // namespace
}  // namespace hs
