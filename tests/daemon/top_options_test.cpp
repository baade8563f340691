// `http-statistics top` command line.
#include <gtest/gtest.h>

#include "top_options.h"

namespace hs {
namespace {

std::optional<TopOptions> parse(const std::vector<std::string>& args,
                                std::string* error = nullptr) {
  std::string e;
  auto o = parse_top_options(args, e);
  if (error) *error = e;
  return o;
}

TEST(TopOptions, Defaults) {
  const auto o = parse({});
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->help);
  EXPECT_EQ(o->iterations, 0u);
  EXPECT_EQ(o->limit, 20u);
  EXPECT_FALSE(o->plain);
  EXPECT_EQ(o->cgroup, "");
  EXPECT_EQ(o->endpoints_pid, 0u);
}

TEST(TopOptions, Values) {
  const auto o = parse({"--iterations", "3", "--limit=5", "--plain", "--cgroup", "/sys/fs/cgroup"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->iterations, 3u);
  EXPECT_EQ(o->limit, 5u);
  EXPECT_TRUE(o->plain);
  EXPECT_EQ(o->cgroup, "/sys/fs/cgroup");
  EXPECT_EQ(parse({"--once"})->iterations, 1u);
  EXPECT_EQ(parse({"--endpoints", "4242"})->endpoints_pid, 4242u);
  EXPECT_EQ(parse({"--endpoints=4294967295"})->endpoints_pid, 4294967295u);
  EXPECT_TRUE(parse({"-h"})->help);
  EXPECT_TRUE(parse({"--help"})->help);
}

TEST(TopOptions, Errors) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--iterations"},
                                               {"--iterations", "0"},
                                               {"--iterations", "x"},
                                               {"--limit", "-1"},
                                               {"--limit=2x"},
                                               {"--cgroup="},
                                               {"--endpoints"},
                                               {"--endpoints", "0"},
                                               {"--endpoints", "nginx"},
                                               {"--endpoints=4294967296"},
                                               {"--metrics-address", "1:2"},
                                               {"check"}}) {
    std::string error;
    EXPECT_FALSE(parse(args, &error)) << args[0];
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(TopOptions, UsageListsEveryOption) {
  const std::string u = top_usage();
  for (const char* flag : {"--iterations N", "--once", "--limit N", "--endpoints PID", "--plain",
                           "--cgroup DIR", "-h, --help"})
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace hs
