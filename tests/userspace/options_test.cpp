#include <gtest/gtest.h>

#include "options.h"

namespace hs {
namespace {

std::optional<DaemonOptions> parse(std::vector<std::string> args, std::string* error = nullptr) {
  std::string e;
  auto o = parse_options(args, e);
  if (error) *error = e;
  return o;
}

TEST(Options, Defaults) {
  const auto o = parse({});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mode, DaemonOptions::Mode::Serve);
  EXPECT_EQ(o->metrics_address, "0.0.0.0:9464");
  EXPECT_EQ(o->scope_plugins_root, "/var/run/scope/plugins");
  EXPECT_EQ(o->scope_plugin_id, "http-statistics");
  EXPECT_EQ(o->exit_grace, std::chrono::seconds(60));
}

TEST(Options, BothSpellingsOfValues) {
  const auto o = parse({"--metrics-address=127.0.0.1:1", "--scope-plugins-root", "/tmp/x",
                        "--exit-grace", "5", "--scope-plugin-id=http-stats-2"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->metrics_address, "127.0.0.1:1");
  EXPECT_EQ(o->scope_plugins_root, "/tmp/x");
  EXPECT_EQ(o->exit_grace, std::chrono::seconds(5));
  EXPECT_EQ(o->scope_plugin_id, "http-stats-2");
}

TEST(Options, CheckModeAndOff) {
  const auto o = parse({"check", "--metrics-address", "off"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mode, DaemonOptions::Mode::Check);
  EXPECT_EQ(o->metrics_address, "off");
}

TEST(Options, ErrorsNameTheProblem) {
  std::string e;
  EXPECT_FALSE(parse({"--nope"}, &e));
  EXPECT_NE(e.find("--nope"), std::string::npos);
  EXPECT_FALSE(parse({"--exit-grace", "-3"}, &e));
  EXPECT_NE(e.find("--exit-grace"), std::string::npos);
  EXPECT_FALSE(parse({"--metrics-address", "localhost"}, &e));
  EXPECT_NE(e.find("HOST:PORT"), std::string::npos);
  EXPECT_FALSE(parse({"--scope-plugin-id", "bad id!"}, &e));
  EXPECT_NE(e.find("--scope-plugin-id"), std::string::npos);
  EXPECT_FALSE(parse({"--cgroup"}, &e));
  EXPECT_NE(e.find("needs a value"), std::string::npos);
  EXPECT_FALSE(parse({"--tls", "maybe"}, &e));
  EXPECT_NE(e.find("--tls"), std::string::npos);
}

TEST(Options, TlsIsOnUnlessTurnedOff) {
  std::string e;
  EXPECT_TRUE(parse({}, &e)->tls);
  EXPECT_TRUE(parse({"--tls", "on"}, &e)->tls);
  EXPECT_FALSE(parse({"--tls", "off"}, &e)->tls);
}

TEST(Options, UrlTemplatesAreOnWithABoundThatCanBeSet) {
  std::string e;
  EXPECT_TRUE(parse({}, &e)->url_templates);
  EXPECT_EQ(parse({}, &e)->max_url_templates, 64u);
  EXPECT_FALSE(parse({"--url-templates", "off"}, &e)->url_templates);
  EXPECT_EQ(parse({"--max-url-templates=1"}, &e)->max_url_templates, 1u);
  EXPECT_EQ(parse({"--max-url-templates", "1024"}, &e)->max_url_templates, 1024u);
  for (const char* bad : {"0", "1025", "-3", "12x", ""}) {
    e.clear();
    EXPECT_FALSE(parse({"--max-url-templates", bad}, &e)) << bad;
    EXPECT_NE(e.find("--max-url-templates wants a number from 1 to 1024"), std::string::npos) << e;
  }
  EXPECT_FALSE(parse({"--url-templates", "yes"}, &e));
  EXPECT_NE(e.find("--url-templates wants on or off"), std::string::npos);
}

TEST(Options, MetricsAreByExecutableUnlessAskedPerProcess) {
  std::string e;
  EXPECT_TRUE(parse({}, &e)->metrics_by_executable);
  EXPECT_TRUE(parse({"--metrics-by", "executable"}, &e)->metrics_by_executable);
  EXPECT_FALSE(parse({"--metrics-by=process"}, &e)->metrics_by_executable);
  for (const char* bad : {"pid", "", "Process", "executables"}) {
    e.clear();
    EXPECT_FALSE(parse({"--metrics-by", bad}, &e)) << bad;
    EXPECT_NE(e.find("--metrics-by wants process or executable, got '" + std::string(bad) + "'"),
              std::string::npos)
        << e;
  }
  EXPECT_FALSE(parse({"--metrics-by"}, &e));
  EXPECT_NE(e.find("needs a value"), std::string::npos);
}

TEST(Options, NameSourcesDefaultToTheNodesPathsAndTurnOff) {
  std::string e;
  const auto d = parse({}, &e);
  EXPECT_EQ(d->k8s_pods_dir, "/var/log/pods");
  EXPECT_EQ(d->k8s_containers_dir, "/var/log/containers");
  EXPECT_EQ(d->docker_dir, "/var/lib/docker");
  EXPECT_EQ(d->containerd_dir, "/run/containerd");
  const auto o = parse({"--k8s-pods-dir", "/host/pods", "--k8s-containers-dir=off",
                        "--docker-dir=/d", "--containerd-dir", "off"},
                       &e);
  ASSERT_TRUE(o) << e;
  EXPECT_EQ(o->k8s_pods_dir, "/host/pods");
  EXPECT_EQ(o->k8s_containers_dir, "");
  EXPECT_EQ(o->docker_dir, "/d");
  EXPECT_EQ(o->containerd_dir, "");
  EXPECT_FALSE(parse({"--k8s-pods-dir="}, &e));
  EXPECT_NE(e.find("--k8s-pods-dir"), std::string::npos);
  EXPECT_FALSE(parse({"--docker-dir"}, &e));
  EXPECT_NE(e.find("needs a value"), std::string::npos);
}

}  // namespace
}  // namespace hs
