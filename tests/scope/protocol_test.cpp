// The plugin over its socket: what the probe (and the checker that polls
// exactly like it) sees.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "plugin_fixture.h"

#ifndef HS_SCOPE_PROBE_CHECK
#define HS_SCOPE_PROBE_CHECK ""
#endif

namespace hs::scope::testing {
namespace {

using Steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

double ms_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

std::shared_ptr<const Snapshot> thousand_processes() {
  auto s = std::make_shared<Snapshot>(busy_snapshot());
  for (std::uint32_t pid = 10000; pid < 11000; ++pid) {
    std::vector<RateSample> recent;
    recent.reserve(15);
    for (int i = 0; i < 15; ++i) {
      recent.push_back(
          sample(at(std::chrono::seconds(i)), 50 + i, {{200, 45.0 + i}, {404, 5}}, 2.5, 40));
    }
    s->processes.push_back(process(pid, std::move(recent)));
  }
  return s;
}

class Protocol : public PluginTest {
 protected:
  std::string sock() const { return root_.path() + "/http-statistics/http-statistics.sock"; }

  // Runs the probe checker against the temporary root; returns its exit code.
  int check(const std::string& args, std::string& output,
            const std::string& probe_hostname = "test-host") {
    const std::string tool = HS_SCOPE_PROBE_CHECK;
    if (tool.empty()) {
      output = "checker disabled (HS_SCOPE_PROBE_CHECK is empty)";
      return -2;
    }
    if (::access(tool.c_str(), X_OK) != 0) {
      ADD_FAILURE() << "scope-probe-check not found at " << tool
                    << " (configure with -DHS_SCOPE_PROBE_CHECK=<path>, or empty to skip)";
      return -1;
    }
    const std::string cmd = "SCOPE_HOSTNAME=" + shell_quote(probe_hostname) + " " +
                            shell_quote(tool) + " --root " + shell_quote(root_.path()) +
                            " --polls 2 --interval 0.2 " + args;
    const int rc = run_shell(cmd, output);
    std::printf("$ %s\n%s(exit %d)\n", cmd.c_str(), output.c_str(), rc);
    return rc;
  }
};

#define SKIP_WITHOUT_CHECKER(rc) \
  if ((rc) == -2) GTEST_SKIP() << "scope-probe-check disabled"

TEST_F(Protocol, ProbeCheckerAcceptsTheReportAndSeesTheTraffic) {
  auto p = start(options());
  std::string out;
  const int rc = check(
      "--expect 'test-host;4242:http_requests_per_second>0'"
      " --expect 'test-host;4242:http_200_responses_per_second>=10'"
      " --expect 'test-host;4242:http_request_latency_p99_ms==8'",
      out);
  SKIP_WITHOUT_CHECKER(rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("scope-probe-check: ok"), std::string::npos);
}

TEST_F(Protocol, ProbeCheckerAcceptsTheReportWithEndpointTables) {
  auto s = std::make_shared<Snapshot>(busy_snapshot());
  for (RateSample& r : s->processes[0].recent) {
    r.endpoints = {{"/api/users/{id}", {6, 1, 8}}, {"_OTHER", {3, 0, -1}}, {"", {1, 0, 2}}};
    for (int i = 0; i < 12; ++i) r.endpoints["/e" + std::to_string(i)] = {0.5, 0, 1};
  }
  set_snapshot(s);
  auto p = start(options());
  std::string out;
  const int rc = check(
      "--expect 'test-host;4242:http_requests_per_second>0'"
      " --expect 'test-host;4242:http_request_latency_p99_ms==8'",
      out);
  SKIP_WITHOUT_CHECKER(rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("scope-probe-check: ok"), std::string::npos);
  // And the table is what the probe passed on.
  const auto r = http_get(sock(), "/report?api_version=1&probe_id=5ca1ab1e");
  ASSERT_TRUE(r);
  const auto doc = parse_json(r->body);
  const auto& latest = doc["Process"]["nodes"]["test-host;4242"]["latest"];
  EXPECT_STREQ(latest["http_endpoint_00___template"]["value"].GetString(), "/api/users/{id}");
  EXPECT_STREQ(latest["http_endpoint_01___template"]["value"].GetString(), "_OTHER");
  EXPECT_TRUE(latest.HasMember("http_endpoint_09___template"));
  EXPECT_FALSE(latest.HasMember("http_endpoint_10___template"));
}

TEST_F(Protocol, ProbeCheckerAcceptsThePauseControlAndItsShortcutReport) {
  auto p = start(options());
  std::string out;
  const int rc = check("--control 'test-host;4242:http_pause'", out);
  SKIP_WITHOUT_CHECKER(rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("control http_pause on test-host;4242 ok"), std::string::npos) << out;
  const auto calls = controls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0], (std::pair<std::uint32_t, bool>{4242, true}));
  // The next report offers resume instead.
  const auto r = http_get(sock(), "/report?api_version=1&probe_id=5ca1ab1e");
  ASSERT_TRUE(r);
  const auto d = parse_json(r->body);
  EXPECT_FALSE(
      d["Process"]["nodes"]["test-host;4242"]["latestControls"]["http_resume"]["value"]["dead"]
          .GetBool());
}

TEST_F(Protocol, ProbeCheckerFailsOnAValueThatIsNotThere) {
  auto p = start(options());
  std::string out;
  const int rc = check(
      "--expect 'test-host;4242:http_requests_per_second>1000'"
      " --expect 'test-host;4242:http_500_responses_per_second>0'",
      out);
  SKIP_WITHOUT_CHECKER(rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("FAIL"), std::string::npos);
}

TEST_F(Protocol, ProbeCheckerFailsWhenTheProbeNamesItsHostDifferently) {
  auto p = start(options());  // nodes are "test-host;<pid>"
  std::string out;
  const int rc = check("", out, /*probe_hostname=*/"another-host");
  SKIP_WITHOUT_CHECKER(rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("differs from the probe's"), std::string::npos) << out;
}

TEST_F(Protocol, ProbeCheckerFailsOnAControlForAnUnknownProcess) {
  auto p = start(options());
  std::string out;
  const int rc = check("--control 'test-host;999:http_pause'", out);
  SKIP_WITHOUT_CHECKER(rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("unknown or exited"), std::string::npos) << out;
}

TEST_F(Protocol, ProbeCheckerAcceptsAThousandProcessReportInTime) {
  if (kSanitized) GTEST_SKIP() << "the checker's 500 ms limit does not scale with a sanitizer";
  set_snapshot(thousand_processes());
  auto p = start(options());
  std::string out;
  const int rc = check("--quiet --expect 'test-host;10999:http_404_responses_per_second==5'", out);
  SKIP_WITHOUT_CHECKER(rc);
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(Protocol, ReportIsPlainJsonEvenWhenGzipIsOffered) {
  auto p = start(options());
  UnixClient c(sock());
  const auto r = c.get("/report?api_version=1&probe_id=abc123");  // offers gzip
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.at("content-type"), "application/json");
  EXPECT_EQ(r->headers.count("content-encoding"), 0u);
  const auto d = parse_json(r->body);
  ASSERT_FALSE(d.HasParseError());
  EXPECT_STREQ(d["Plugins"][0]["id"].GetString(), "http-statistics");
  EXPECT_TRUE(d["Process"]["nodes"].HasMember("test-host;4242"));
}

TEST_F(Protocol, OfTheQueryOnlyTheProbeIdMatters) {
  auto p = start(options());
  const auto plain = http_get(sock(), "/report?probe_id=ff");
  const auto query = http_get(sock(), "/report?api_version=1&probe_id=ff&x=%zz");
  ASSERT_TRUE(plain && query);
  EXPECT_EQ(query->status, 200);
  EXPECT_EQ(plain->body, query->body);
}

// Each node of a report or shortcut report that offers controls, with the
// probe id it names ("" when it names none).
std::map<std::string, std::string> probe_ids_of_nodes_with_controls(
    const rapidjson::Value& report) {
  std::map<std::string, std::string> out;
  for (const auto& n : report["Process"]["nodes"].GetObject()) {
    if (!n.value.HasMember("latestControls")) continue;
    const auto& latest = n.value["latest"];
    out[n.name.GetString()] =
        latest.HasMember("control_probe_id") ? latest["control_probe_id"]["value"].GetString() : "";
  }
  return out;
}

TEST_F(Protocol, EveryNodeWithControlsNamesTheProbeOfTheQuery) {
  auto p = start(options());
  for (const char* probe : {"5ca1ab1e", "0123456789abcdef"}) {
    const auto r = http_get(sock(), std::string("/report?api_version=1&probe_id=") + probe);
    ASSERT_TRUE(r);
    const auto d = parse_json(r->body);
    EXPECT_EQ(probe_ids_of_nodes_with_controls(d),
              (std::map<std::string, std::string>{{"test-host;4242", probe}}));
  }
  // Not the probe (it always sends its id): the app could route no control.
  for (const char* target : {"/report", "/report?probe_id=", "/report?probe_id=%22x%22"}) {
    const auto r = http_get(sock(), target);
    ASSERT_TRUE(r) << target;
    const auto d = parse_json(r->body);
    EXPECT_TRUE(probe_ids_of_nodes_with_controls(d).empty()) << target;
    EXPECT_TRUE(d["Process"]["nodes"].HasMember("test-host;4242")) << target;
  }
}

TEST_F(Protocol, ShortcutReportNamesTheProbeOfTheControlOrOfTheLatestPoll) {
  auto p = start(options());
  const auto control = [&](const std::string& target, const char* which) {
    const auto r = http_post(sock(), target,
                             std::string(R"({"AppID":"a","NodeID":"test-host;4242","Control":")") +
                                 which + R"(","ControlArgs":{}})");
    EXPECT_TRUE(r);
    const auto d = parse_json(r ? r->body : "{}");
    EXPECT_TRUE(d.HasMember("shortcutReport")) << (r ? r->body : "");
    return d.HasMember("shortcutReport") ? probe_ids_of_nodes_with_controls(d["shortcutReport"])
                                         : std::map<std::string, std::string>{};
  };
  ASSERT_TRUE(http_get(sock(), "/report?api_version=1&probe_id=aaaa1111"));
  // The probe sends its id with a control as with a poll.
  EXPECT_EQ(control("/control?api_version=1&probe_id=bbbb2222", "http_pause"),
            (std::map<std::string, std::string>{{"test-host;4242", "bbbb2222"}}));
  // Without one: the latest poll's, not the other control's.
  EXPECT_EQ(control("/control", "http_resume"),
            (std::map<std::string, std::string>{{"test-host;4242", "aaaa1111"}}));
  ASSERT_TRUE(http_get(sock(), "/report?api_version=1&probe_id=cccc3333"));
  EXPECT_EQ(control("/control?api_version=1", "http_pause"),
            (std::map<std::string, std::string>{{"test-host;4242", "cccc3333"}}));
}

TEST_F(Protocol, OtherPathsAnswer404) {
  auto p = start(options());
  for (const char* target : {"/", "/reports", "/report/x", "/Report", "/metrics"}) {
    const auto r = http_get(sock(), target);
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 404) << target;
  }
}

TEST_F(Protocol, MalformedRequestsAnswer400) {
  auto p = start(options());
  for (const char* garbage : {"BLAH\r\n\r\n", "GET\r\n\r\n", "\x01\x02\x03 / HTTP/1.1\r\n\r\n",
                              "GET /report HTTP/9.9\r\n\r\n"}) {
    UnixClient c(sock());
    c.send(garbage);
    const auto r = c.read_response();
    ASSERT_TRUE(r) << garbage;
    EXPECT_EQ(r->status, 400) << garbage;
  }
  EXPECT_EQ(http_get(sock(), "/report")->status, 200);
}

TEST_F(Protocol, ControlOverHttpAnswers200WithShortcutReportOrError) {
  auto p = start(options());
  const auto ok = http_post(
      sock(), "/control?api_version=1",
      R"({"AppID":"a","NodeID":"test-host;4242","Control":"http_pause","ControlArgs":{}})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_TRUE(parse_json(ok->body).HasMember("shortcutReport")) << ok->body;

  const auto bad = http_post(sock(), "/control", "{nope");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 200);  // the probe only relays errors of 200 answers
  EXPECT_TRUE(parse_json(bad->body).HasMember("error")) << bad->body;
}

TEST_F(Protocol, OversizedControlBodyIsRefused) {
  auto p = start(options());
  const auto r = http_post(sock(), "/control", std::string(std::size_t{100} * 1024, ' '));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(controls().empty());
}

TEST_F(Protocol, NoSnapshotYetGivesAnEmptyValidReport) {
  set_snapshot(nullptr);
  auto p = start(options());
  const auto r = http_get(sock(), "/report");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const auto d = parse_json(r->body);
  ASSERT_FALSE(d.HasParseError());
  EXPECT_TRUE(d["Process"]["nodes"].ObjectEmpty());
  EXPECT_EQ(d["Plugins"].Size(), 1u);
}

TEST_F(Protocol, KeepAliveConnectionServesPollAfterPoll) {
  PluginOptions o = options();
  o.keep_alive_idle = 500ms;
  auto p = start(o);
  UnixClient c(sock());
  for (int i = 0; i < 8; ++i) {  // the probe's pattern, sped up
    const auto r = c.get("/report");
    ASSERT_TRUE(r) << "poll " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->headers.count("connection"), 0u);
    std::this_thread::sleep_for(100ms);
  }
  // Idle past the keep-alive limit: the server closes.
  EXPECT_TRUE(c.closed_by_server(2s));
}

TEST_F(Protocol, PipelinedRequestsAreAnsweredInOrder) {
  auto p = start(options());
  UnixClient c(sock());
  c.send("GET /report HTTP/1.1\r\nHost: plugin\r\n\r\nGET /nope HTTP/1.1\r\nHost: plugin\r\n\r\n");
  // Well below the keep-alive limit: an answer that waits for it fails.
  const auto first = c.read_response(2s);
  const auto second = c.read_response(2s);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->status, 404);
}

TEST_F(Protocol, IdleKeepAliveClientsDoNotStarveNewOnes) {
  PluginOptions o = options();
  o.worker_threads = 2;  // fewer threads than clients
  o.keep_alive_idle = 30s;
  auto p = start(o);
  std::vector<UnixClient> idle;
  double worst = 0;
  for (int i = 0; i < 6; ++i) {
    idle.emplace_back(sock());
    const auto start = Steady::now();
    const auto r = idle.back().get("/report");
    worst = std::max(worst, ms_since(start));
    ASSERT_TRUE(r) << "client " << i;
    EXPECT_EQ(r->status, 200);
  }
  const auto start = Steady::now();
  const auto r = http_get(sock(), "/report");
  const double ms = ms_since(start);
  std::printf("2 threads, 6 kept-alive clients: worst %.1f ms, new client %.1f ms\n", worst, ms);
  ASSERT_TRUE(r);
  // Not a timing check: a client queued behind the kept-alive ones would wait
  // for their 30 s idle limit; anything far below it means none did. The
  // figures printed are for a reader: unit tests assert no timing.
  EXPECT_LT(std::max(worst, ms), 10'000.0);
  // Idle connections hold no thread, so none had to be closed for the others.
  for (std::size_t i = 0; i < idle.size(); ++i) {
    const auto again = idle[i].get("/report");
    ASSERT_TRUE(again) << "client " << i;
    EXPECT_EQ(again->status, 200);
  }
}

TEST_F(Protocol, ReportIsNotQueuedBehindProbesPollingOverKeepAlive) {
  set_snapshot(thousand_processes());
  PluginOptions o = options();
  o.keep_alive_idle = 30s;
  auto p = start(o);
  std::atomic<int> polls{0};
  std::atomic<int> failures{0};
  std::vector<std::jthread> probes;  // stopped and joined on every way out
  probes.reserve(4);
  for (int i = 0; i < 4; ++i) {
    probes.emplace_back([&](const std::stop_token& stop) {
      try {
        UnixClient c(sock());  // one connection for every poll: none may be dropped
        while (!stop.stop_requested()) {
          if (c.get("/report")) {
            ++polls;
          } else {
            ++failures;
          }
          std::this_thread::sleep_for(50ms);
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  std::vector<double> latencies;
  for (int i = 0; i < 10; ++i) {
    const auto start = Steady::now();
    const auto r = http_get(sock(), "/report?api_version=1");
    latencies.push_back(ms_since(start));
    EXPECT_TRUE(r && r->status == 200);
    std::this_thread::sleep_for(50ms);
  }
  for (auto& t : probes) t.request_stop();
  probes.clear();
  std::sort(latencies.begin(), latencies.end());
  std::printf("1000-process report under 4 polling probes: median %.1f ms, max %.1f ms, %d polls\n",
              latencies[latencies.size() / 2], latencies.back(), polls.load());
  // As above: a request queued behind the polling connections would wait for
  // their 30 s idle limit.
  EXPECT_LT(latencies.back(), 10'000.0);
  EXPECT_GT(polls.load(), 4);
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(Protocol, ClientsHangingUpMidAnswerDoNotHurtTheServer) {
  set_snapshot(thousand_processes());  // megabytes: the write is still going when they leave
  auto p = start(options());
  for (int i = 0; i < 20; ++i) {
    UnixClient c(sock());
    c.send("GET /report HTTP/1.1\r\nHost: plugin\r\n\r\n");
  }
  const auto r = http_get(sock(), "/report");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace hs::scope::testing
