// Pod and container names on the running daemon's series, as a real
// Prometheus stores them: a server in a real cgroup named as the kubelet's
// systemd driver and containerd name it, a kubelet log tree in a temp dir,
// and a server outside any container beside it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "cgroup.h"
#include "cgroup_dir.h"
#include "daemon_process.h"
#include "helpers/prometheus_server.h"
#include "kubelet_log_tree.h"
#include "split_server.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait.h"

namespace hs::test {
namespace {

using namespace std::chrono_literals;

void get(const std::string& url, int n, const TempDir& dir) {
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(
        run({"curl", "-s", "-o", "/dev/null", url}, dir.path(), 30s).status.exited_normally());
}

std::string find_cgroup_root() {
  const std::string root = find_cgroup2_mount();
  return access((root + "/cgroup.procs").c_str(), W_OK) == 0 ? root : "";
}

TEST(DaemonContainerNames, PrometheusStoresPodNamesAndNoneForTheHost) {
  REQUIRE_ROOT();
  const std::string root = find_cgroup_root();
  ASSERT_FALSE(root.empty()) << "no writable cgroup v2 mount";
  TempDir dir;
  KubeletLogTree tree;
  const std::string uid = "7c1e5a90-3b2d-4f6e-8a17-c4d9e0b2f653";
  const KubeletContainer web{"shop", "web-7d4b9c-x2kqp", uid, "web", container_id_for(100)};
  tree.add(web);
  tree.add({"shop", "web-7d4b9c-x2kqp", uid, "envoy", container_id_for(101)});
  std::string slice_uid = uid;
  std::replace(slice_uid.begin(), slice_uid.end(), '-', '_');
  // Declared before the servers: removed once they are gone.
  CgroupDir cg(root, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + slice_uid +
                         ".slice/cri-containerd-" + web.container_id + ".scope");

  Daemon daemon({"--k8s-pods-dir", tree.pods_dir(), "--k8s-containers-dir", tree.containers_dir(),
                 "--docker-dir=off", "--containerd-dir=off"});
  SplitServerOptions in_pod;
  in_pod.launcher = {"sh", "-c", cg.enter_and_exec(), "sh"};
  SplitServer pod_server(in_pod);
  ASSERT_TRUE(cg.holds(pod_server.pid()));
  SplitServer host_server;

  hs::testing::PrometheusOptions po;
  po.targets = {"127.0.0.1:" + std::to_string(daemon.metrics_port())};
  hs::testing::PrometheusServer prometheus(po);
  ASSERT_TRUE(prometheus.wait_for_targets_up(60s)) << prometheus.log_tail();

  get(pod_server.url("/"), 5, dir);
  get(host_server.url("/status/404"), 3, dir);
  const auto series_of = [&](pid_t pid) {
    return prometheus.query("http_server_requests_total{process_pid=\"" + std::to_string(pid) +
                            "\"}");
  };
  std::vector<hs::testing::PromSample> pod_series, host_series;
  ASSERT_TRUE(wait_until(
      [&] {
        pod_series = series_of(pod_server.pid());
        host_series = series_of(host_server.pid());
        return pod_series.size() == 1 && pod_series[0].value == 5 && host_series.size() == 1 &&
               host_series[0].value == 3;
      },
      30s, 250ms))
      << daemon.get("/metrics");
  const auto& labels = pod_series[0].labels;
  EXPECT_EQ(labels.at("container_id"), web.container_id);
  EXPECT_EQ(labels.at("k8s_namespace_name"), "shop");
  EXPECT_EQ(labels.at("k8s_pod_name"), "web-7d4b9c-x2kqp");
  EXPECT_EQ(labels.at("k8s_container_name"), "web");
  EXPECT_FALSE(labels.contains("container_name"));
  for (const char* l : {"container_id", "container_name", "k8s_namespace_name", "k8s_pod_name",
                        "k8s_container_name"})
    EXPECT_FALSE(host_series[0].labels.contains(l)) << l;

  // The pod's directories go (the kubelet removes them when the pod is
  // deleted) while its process still serves: its series keep their names.
  tree.remove_pod(web);
  ASSERT_FALSE(std::filesystem::exists(tree.pod_dir(web)));
  get(pod_server.url("/"), 4, dir);
  EXPECT_TRUE(wait_until(
      [&] {
        const auto r = prometheus.query(
            "http_server_requests_total{k8s_namespace_name=\"shop\",k8s_pod_name=\"web-7d4b9c-"
            "x2kqp\","
            "k8s_container_name=\"web\"}");
        return r.size() == 1 && r[0].value == 9;
      },
      30s, 250ms))
      << daemon.get("/metrics");
  EXPECT_EQ(series_of(pod_server.pid()).size(), 1u) << "a series without the names appeared";

  // promtool lints what was scraped.
  const std::string text = daemon.get("/metrics");
  const RunResult lint = run({"promtool", "check", "metrics"}, dir.path(), 30s, text);
  EXPECT_TRUE(lint.status.exited_normally()) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "");
  pod_server.stop();
}

}  // namespace
}  // namespace hs::test
