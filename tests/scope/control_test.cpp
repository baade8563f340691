#include "control.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.h"

namespace hs::scope {
namespace {

using namespace std::chrono_literals;
using testing::at;
using testing::parse_json;
using testing::process;
using testing::sample;

const ReportOptions kOptions{"test-host", "http-statistics"};
constexpr std::string_view kProbeId = "51c0ffee7a2b9d34";

// Stands in for the aggregator: pause state per pid, a snapshot reflecting it.
class FakeAggregator {
 public:
  FakeAggregator() { paused_[4242] = false; }

  std::shared_ptr<const Snapshot> snapshot() const {
    auto s = std::make_shared<Snapshot>();
    s->taken_at = at(std::chrono::seconds(10 + calls_.size()));
    for (const auto& [pid, paused] : paused_) {
      s->processes.push_back(process(pid, {sample(at(1s), 5, {{200, 5}})}, paused));
    }
    return s;
  }

  bool set_paused(std::uint32_t pid, bool pause) {
    calls_.emplace_back(pid, pause);
    const auto it = paused_.find(pid);
    if (it == paused_.end()) return false;
    it->second = pause;
    return true;
  }

  ControlFn control() {
    return [this](std::uint32_t pid, bool pause) { return set_paused(pid, pause); };
  }
  SnapshotFn snapshots() {
    return [this] { return snapshot(); };
  }

  std::vector<std::pair<std::uint32_t, bool>> calls_;

 private:
  std::map<std::uint32_t, bool> paused_;
};

std::string body(const std::string& node, const std::string& control) {
  return R"({"AppID":"app-1","NodeID":")" + node + R"(","Control":")" + control +
         R"(","ControlArgs":{}})";
}

std::string error_of(const std::string& reply) {
  const auto d = parse_json(reply);
  EXPECT_FALSE(d.HasParseError()) << reply;
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("error")) return {};
  EXPECT_FALSE(d.HasMember("shortcutReport")) << reply;
  return d["error"].GetString();
}

TEST(Control, PauseCallsTheControlAndAnswersWithAFreshReport) {
  FakeAggregator agg;
  const std::string reply = handle_control(body("test-host;4242", "http_pause"), kOptions, kProbeId,
                                           agg.control(), agg.snapshots());
  ASSERT_EQ(agg.calls_.size(), 1u);
  EXPECT_EQ(agg.calls_[0], (std::pair<std::uint32_t, bool>{4242, true}));

  const auto d = parse_json(reply);
  ASSERT_FALSE(d.HasParseError()) << reply;
  EXPECT_FALSE(d.HasMember("error"));
  ASSERT_TRUE(d.HasMember("shortcutReport"));
  const auto& report = d["shortcutReport"];
  // The probe reads the plugin id of a shortcut report as it does a report's.
  ASSERT_EQ(report["Plugins"].Size(), 1u);
  EXPECT_STREQ(report["Plugins"][0]["id"].GetString(), "http-statistics");
  // The report shows the state after the control: resume is now offered.
  const auto& node = report["Process"]["nodes"]["test-host;4242"];
  const auto& controls = node["latestControls"];
  EXPECT_FALSE(controls["http_resume"]["value"]["dead"].GetBool());
  EXPECT_TRUE(controls["http_pause"]["value"]["dead"].GetBool());
  EXPECT_STREQ(node["latest"]["http_tracing"]["value"].GetString(), "paused");
  // Without it the app would show the new state but no button to undo it.
  EXPECT_STREQ(node["latest"]["control_probe_id"]["value"].GetString(), kProbeId.data());
}

TEST(Control, ResumeCallsTheControlWithPauseFalse) {
  FakeAggregator agg;
  agg.set_paused(4242, true);
  agg.calls_.clear();
  const std::string reply = handle_control(body("test-host;4242", "http_resume"), kOptions,
                                           kProbeId, agg.control(), agg.snapshots());
  EXPECT_EQ(error_of(reply), "");
  ASSERT_EQ(agg.calls_.size(), 1u);
  EXPECT_EQ(agg.calls_[0], (std::pair<std::uint32_t, bool>{4242, false}));
}

TEST(Control, AcceptsTheProbesPrefixedControlId) {
  FakeAggregator agg;
  handle_control(body("test-host;4242", "http-statistics~http_pause"), kOptions, kProbeId,
                 agg.control(), agg.snapshots());
  ASSERT_EQ(agg.calls_.size(), 1u);
  EXPECT_TRUE(agg.calls_[0].second);
}

TEST(Control, UnknownControlIsAnErrorAndTouchesNothing) {
  FakeAggregator agg;
  for (const char* control : {"http_stop", "HTTP_PAUSE", "other-plugin~http_pause", "~"}) {
    EXPECT_NE(error_of(handle_control(body("test-host;4242", control), kOptions, kProbeId,
                                      agg.control(), agg.snapshots()))
                  .find("unknown control"),
              std::string::npos)
        << control;
  }
  EXPECT_TRUE(agg.calls_.empty());
}

TEST(Control, NodeMustBeAProcessOfThisHost) {
  FakeAggregator agg;
  for (const char* node :
       {"other-host;4242", "test-host", "test-host;", "test-host;abc", "test-host;12x",
        "test-host;-1", "test-host;0", "test-host;99999999999", ";4242", "test-host;4242;"}) {
    EXPECT_NE(error_of(handle_control(body(node, "http_pause"), kOptions, kProbeId, agg.control(),
                                      agg.snapshots()))
                  .find("is not a process of host"),
              std::string::npos)
        << node;
  }
  EXPECT_TRUE(agg.calls_.empty());
}

TEST(Control, MalformedRequestsAreErrors) {
  FakeAggregator agg;
  for (const char* bad : {"", "{", "not json", "[]", "42", R"({"NodeID":"test-host;4242"})",
                          R"({"NodeID":4242,"Control":"http_pause"})",
                          R"({"NodeID":"test-host;4242","Control":null})"}) {
    EXPECT_FALSE(
        error_of(handle_control(bad, kOptions, kProbeId, agg.control(), agg.snapshots())).empty())
        << bad;
  }
  EXPECT_TRUE(agg.calls_.empty());
}

TEST(Control, UnknownPidIsAnError) {
  FakeAggregator agg;
  const std::string e = error_of(handle_control(body("test-host;777", "http_pause"), kOptions,
                                                kProbeId, agg.control(), agg.snapshots()));
  EXPECT_NE(e.find("777"), std::string::npos) << e;
  EXPECT_EQ(agg.calls_.size(), 1u);
}

TEST(Control, ThrowingControlBecomesAnError) {
  const ControlFn boom = [](std::uint32_t, bool) -> bool { throw std::runtime_error("map full"); };
  const std::string e = error_of(
      handle_control(body("test-host;4242", "http_pause"), kOptions, kProbeId, boom, nullptr));
  EXPECT_NE(e.find("map full"), std::string::npos) << e;
}

TEST(Control, ErrorTextIsEscapedJson) {
  FakeAggregator agg;
  const std::string reply = handle_control(body("test-host;4242", R"(a\"b\u0001)"), kOptions,
                                           kProbeId, agg.control(), agg.snapshots());
  EXPECT_NE(error_of(reply).find("a\"b\x01"), std::string::npos) << reply;
}

TEST(Control, SuccessWithoutASnapshotIsAnEmptyObject) {
  FakeAggregator agg;
  EXPECT_EQ(handle_control(body("test-host;4242", "http_pause"), kOptions, kProbeId, agg.control(),
                           [] { return std::shared_ptr<const Snapshot>{}; }),
            "{}");
}

}  // namespace
}  // namespace hs::scope
