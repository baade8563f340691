// Container and pod names of real processes placed in real cgroups named as
// each runtime and cgroup driver names them (below this machine's cgroup v2
// mount), against kubelet and runtime directories laid out in temp dirs.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <ostream>
#include <string>

#include "cgroup.h"
#include "cgroup_dir.h"
#include "container_names.h"
#include "kubelet_log_tree.h"
#include "kubepods_cgroup.h"
#include "process_info.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait.h"

namespace hs {
namespace {

using test::CgroupDir;
using test::container_id_for;
using test::KubeletContainer;
using test::KubeletLogTree;
using test::TempDir;

const std::string kUid = "5f0c8b62-1d3a-4e7b-9c21-7a4e3b6d8f10";
const std::string kStaticUid = "0b4e9c2f7a1d3e5b6c8a9d0f1e2b3c4d";  // a static pod's hash

std::string underscored(std::string uid) {
  std::replace(uid.begin(), uid.end(), '-', '_');
  return uid;
}

// Where each kubelet cgroup driver and runtime put a pod's container.
struct Layout {
  const char* name;
  std::string (*path)(const std::string& uid, const std::string& id);
};

void PrintTo(const Layout& l, std::ostream* os) { *os << l.name; }

const Layout kLayouts[] = {
    {"SystemdContainerdBurstable",
     [](const std::string& uid, const std::string& id) {
       return "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + underscored(uid) +
              ".slice/cri-containerd-" + id + ".scope";
     }},
    {"SystemdCrioBestEffort",
     [](const std::string& uid, const std::string& id) {
       return "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" +
              underscored(uid) + ".slice/crio-" + id + ".scope";
     }},
    {"SystemdDockerGuaranteed",
     [](const std::string& uid, const std::string& id) {
       return "kubepods.slice/kubepods-pod" + underscored(uid) + ".slice/docker-" + id + ".scope";
     }},
    {"CgroupfsContainerdBurstable",
     [](const std::string& uid, const std::string& id) {
       return "kubepods/burstable/pod" + uid + "/" + id;
     }},
    {"CgroupfsCrioBestEffort",
     [](const std::string& uid, const std::string& id) {
       return "kubepods/besteffort/pod" + uid + "/crio-" + id;
     }},
    {"CgroupfsDockerGuaranteed",
     [](const std::string& uid, const std::string& id) { return "kubepods/pod" + uid + "/" + id; }},
    // kind and other nodes nested in a container: the kubelet's slices
    // below a slice of their own.
    {"SystemdNestedKind",
     [](const std::string& uid, const std::string& id) {
       return "kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/"
              "kubelet-kubepods-burstable-pod" +
              underscored(uid) + ".slice/cri-containerd-" + id + ".scope";
     }},
};

std::string cgroup_root() {
  const std::string root = find_cgroup2_mount();
  return access((root + "/cgroup.procs").c_str(), W_OK) == 0 ? root : "";
}

#define REQUIRE_CGROUP_ROOT(root)         \
  const std::string root = cgroup_root(); \
  if (root.empty()) GTEST_SKIP() << "needs a writable cgroup v2 mount (run as root)"

ProcessMetadata metadata_of(pid_t pid, const NameSources& sources) {
  return read_process_metadata(static_cast<std::uint32_t>(pid), sources);
}

NameSources sources_of(const KubeletLogTree& tree) {
  NameSources s = NameSources::none();
  s.kubelet = {tree.pods_dir(), tree.containers_dir()};
  return s;
}

class KubernetesLayouts : public ::testing::TestWithParam<Layout> {};

// A pod with an init container, the app and a sidecar, each with the
// kubelet's directory and symlink: each container's process gets its own
// container's name.
TEST_P(KubernetesLayouts, EachContainerOfAPodIsNamed) {
  REQUIRE_CGROUP_ROOT(root);
  const Layout& layout = GetParam();
  KubeletLogTree tree;
  const KubeletContainer init{"shop", "web-7d4b9c-x2kqp", kUid, "migrate", container_id_for(1)};
  const KubeletContainer app{"shop", "web-7d4b9c-x2kqp", kUid, "web", container_id_for(2)};
  const KubeletContainer sidecar{"shop", "web-7d4b9c-x2kqp", kUid, "envoy", container_id_for(3)};
  for (const auto& c : {init, app, sidecar}) tree.add(c);

  for (const auto& c : {app, sidecar}) {
    CgroupDir cg(root, layout.path(c.uid, c.container_id));
    test::Subprocess p = cg.start({"sleep", "30"});
    const ProcessMetadata m = metadata_of(p.pid(), sources_of(tree));
    EXPECT_EQ(m.container_id, c.container_id);
    EXPECT_EQ(m.names.k8s_namespace_name, "shop");
    EXPECT_EQ(m.names.k8s_pod_name, "web-7d4b9c-x2kqp");
    EXPECT_EQ(m.names.k8s_container_name, c.container);
    EXPECT_EQ(m.names.container_name, "");
    p.stop();
  }
}

INSTANTIATE_TEST_SUITE_P(Runtimes, KubernetesLayouts, ::testing::ValuesIn(kLayouts),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(KubernetesNames, AStaticPodIsFoundByItsManifestHash) {
  REQUIRE_CGROUP_ROOT(root);
  KubeletLogTree tree;
  const KubeletContainer etcd{"kube-system", "etcd-node-1", kStaticUid, "etcd",
                              container_id_for(4)};
  tree.add(etcd);
  CgroupDir cg(root, "kubepods/burstable/pod" + kStaticUid + "/" + etcd.container_id);
  test::Subprocess p = cg.start({"sleep", "30"});
  const ProcessMetadata m = metadata_of(p.pid(), sources_of(tree));
  EXPECT_EQ(m.names.k8s_namespace_name, "kube-system");
  EXPECT_EQ(m.names.k8s_pod_name, "etcd-node-1");
  EXPECT_EQ(m.names.k8s_container_name, "etcd");
}

TEST(KubernetesNames, WithoutSymlinksOnlyASingleContainerIsNamed) {
  REQUIRE_CGROUP_ROOT(root);
  KubeletLogTree tree;
  const std::string id = container_id_for(5);
  const KubeletContainer only{"batch", "report-x9", kUid, "report", ""};
  tree.add(only);
  CgroupDir cg(root, kLayouts[0].path(kUid, id));
  test::Subprocess p = cg.start({"sleep", "30"});
  EXPECT_EQ(metadata_of(p.pid(), sources_of(tree)).names.k8s_container_name, "report");

  // A second container directory: either could be the process's.
  tree.add({"batch", "report-x9", kUid, "uploader", ""});
  const ProcessMetadata m = metadata_of(p.pid(), sources_of(tree));
  EXPECT_EQ(m.names.k8s_namespace_name, "batch");
  EXPECT_EQ(m.names.k8s_pod_name, "report-x9");
  EXPECT_EQ(m.names.k8s_container_name, "");
  EXPECT_FALSE(m.names.complete());
}

TEST(KubernetesNames, ARestartedContainerIsNamedByItsNewIdAndLog) {
  REQUIRE_CGROUP_ROOT(root);
  KubeletLogTree tree;
  tree.add({"shop", "api-0", kUid, "api", container_id_for(6), 0});
  tree.add({"shop", "api-0", kUid, "worker", container_id_for(7), 0});
  const KubeletContainer restarted{"shop", "api-0", kUid, "api", container_id_for(8), 1};
  tree.add(restarted);
  CgroupDir cg(root, kLayouts[3].path(kUid, restarted.container_id));
  test::Subprocess p = cg.start({"sleep", "30"});
  EXPECT_EQ(metadata_of(p.pid(), sources_of(tree)).names.k8s_container_name, "api");
}

TEST(KubernetesNames, TurnedOffOrMissingDirectoriesGiveNoNames) {
  REQUIRE_CGROUP_ROOT(root);
  KubeletLogTree tree;
  const KubeletContainer app{"shop", "web-1", kUid, "web", container_id_for(9)};
  tree.add(app);
  CgroupDir cg(root, kLayouts[0].path(kUid, app.container_id));
  test::Subprocess p = cg.start({"sleep", "30"});
  EXPECT_EQ(metadata_of(p.pid(), NameSources::none()).names, ContainerNames{});
  NameSources elsewhere = NameSources::none();
  elsewhere.kubelet = {tree.pods_dir() + "/absent", tree.containers_dir() + "/absent"};
  EXPECT_EQ(metadata_of(p.pid(), elsewhere).names, ContainerNames{});
  // Without the symlinks the single container directory still names it.
  NameSources pods_only = sources_of(tree);
  pods_only.kubelet.containers_dir.clear();
  EXPECT_EQ(metadata_of(p.pid(), pods_only).names.k8s_container_name, "web");
}

TEST(KubernetesNames, AProcessOutsideAnyContainerGetsNone) {
  REQUIRE_CGROUP_ROOT(root);
  KubeletLogTree tree;
  tree.add({"shop", "web-1", kUid, "web", container_id_for(10)});
  CgroupDir plain(root);
  test::Subprocess p = plain.start({"sleep", "30"});
  NameSources all = sources_of(tree);
  TempDir docker;
  all.docker_dir = docker.path();
  for (const pid_t pid : {p.pid(), getpid()}) {
    const ProcessMetadata m = metadata_of(pid, all);
    EXPECT_EQ(m.container_id, "");
    EXPECT_EQ(m.names, ContainerNames{});
  }
}

// What the kubelet would never write: none of it names a container.
TEST(KubernetesNames, OddDirectoryContentsGiveNoNames) {
  REQUIRE_CGROUP_ROOT(root);
  KubeletLogTree tree;
  const std::string id = container_id_for(11);
  namespace fs = std::filesystem;
  // Not the kubelet's spelling of a pod directory for this UID.
  fs::create_directories(tree.pods_dir() + "/Shop_web_" + kUid + "/web");
  fs::create_directories(tree.pods_dir() + "/shop_web_x_" + kUid + "/web");
  fs::create_directories(tree.pods_dir() + "/shop_" + kUid);
  // A symlink in the pod directory's place, and a plain file.
  TempDir elsewhere;
  fs::create_directories(elsewhere.file("shop_web_" + kUid + "/web"));
  fs::create_directory_symlink(elsewhere.file("shop_web_" + kUid),
                               tree.pods_dir() + "/shop_web_" + kUid);
  elsewhere.write("file", "x");
  fs::create_symlink(elsewhere.file("file"), tree.pods_dir() + "/shop_api_" + kUid);
  CgroupDir cg(root, kLayouts[0].path(kUid, id));
  test::Subprocess p = cg.start({"sleep", "30"});
  EXPECT_EQ(metadata_of(p.pid(), sources_of(tree)).names, ContainerNames{});

  // The pod's real directory, with two containers and a symlink with the
  // right name that points into another pod: no container name.
  fs::remove(tree.pods_dir() + "/shop_web_" + kUid);
  tree.add({"shop", "web", kUid, "web", ""});
  tree.add({"shop", "web", kUid, "sidecar", ""});
  const KubeletContainer other{"shop", "other", "11111111-2222-3333-4444-555555555555", "web", ""};
  tree.add(other);
  fs::create_symlink(tree.pod_dir(other) + "/web/0.log",
                     tree.containers_dir() + "/web_shop_web-" + id + ".log");
  const ProcessMetadata m = metadata_of(p.pid(), sources_of(tree));
  EXPECT_EQ(m.names.k8s_namespace_name, "shop");
  EXPECT_EQ(m.names.k8s_pod_name, "web");
  EXPECT_EQ(m.names.k8s_container_name, "");
}

// Docker outside Kubernetes, both cgroup drivers: config.v2.json's Name.
TEST(RuntimeNames, DockerContainersAreNamedFromConfigV2) {
  REQUIRE_CGROUP_ROOT(root);
  TempDir docker;
  NameSources s = NameSources::none();
  s.docker_dir = docker.path();
  int seed = 20;
  for (const std::string& parent : {"system.slice/docker-", "docker/"}) {
    const std::string id = container_id_for(++seed);
    docker.write("containers/" + id + "/config.v2.json",
                 R"({"ID":")" + id + R"(","Name":"/shop_web.1","Config":{"Labels":{}}})");
    CgroupDir cg(root, parent + id + (parent.ends_with('-') ? ".scope" : ""));
    test::Subprocess p = cg.start({"sleep", "30"});
    const ProcessMetadata m = metadata_of(p.pid(), s);
    EXPECT_EQ(m.container_id, id);
    EXPECT_EQ(m.names.container_name, "shop_web.1") << parent;
    EXPECT_EQ(m.names.k8s_namespace_name, "");
  }
}

// containerd with nerdctl: the name is an annotation of the task's OCI spec.
TEST(RuntimeNames, NerdctlContainersAreNamedFromTheTaskSpec) {
  REQUIRE_CGROUP_ROOT(root);
  TempDir containerd;
  NameSources s = NameSources::none();
  s.containerd_dir = containerd.path();
  const std::string id = container_id_for(30);
  containerd.write("io.containerd.runtime.v2.task/default/" + id + "/config.json",
                   R"({"ociVersion":"1.1.0","annotations":{"nerdctl/name":"cache"}})");
  CgroupDir cg(root, "system.slice/nerdctl-" + id + ".scope");
  test::Subprocess p = cg.start({"sleep", "30"});
  EXPECT_EQ(metadata_of(p.pid(), s).names.container_name, "cache");
}

TEST(RuntimeNames, HostileFilesGiveNoNameAndNeverBlock) {
  REQUIRE_CGROUP_ROOT(root);
  TempDir docker;
  NameSources s = NameSources::none();
  s.docker_dir = docker.path();
  const std::string id = container_id_for(40);
  const std::string file = docker.file("containers/" + id + "/config.v2.json");
  CgroupDir cg(root, "system.slice/docker-" + id + ".scope");
  test::Subprocess p = cg.start({"sleep", "60"});
  const auto name = [&] { return metadata_of(p.pid(), s).names.container_name; };

  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string& contents :
       {std::string("not json"), std::string(R"({"Name":42})"), std::string(R"(["/web"])"),
        std::string(R"({"Name":"/we\"b"})"), std::string(R"({"Name":"/we\nb"})"),
        std::string(R"({"Name":"/-web"})"), std::string(R"({"Name":""})"), deep,
        R"({"Name":"/web","Pad":")" + std::string(2 << 20, 'x') + "\"}"}) {
    docker.write("containers/" + id + "/config.v2.json", contents);
    EXPECT_EQ(name(), "") << contents.substr(0, 40);
  }
  // A FIFO in the file's place would block a plain open.
  std::filesystem::remove(file);
  ASSERT_EQ(mkfifo(file.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(name(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // A symlink to a good file elsewhere is not followed.
  std::filesystem::remove(file);
  TempDir elsewhere;
  std::filesystem::create_symlink(elsewhere.write("c.json", R"({"Name":"/web"})"), file);
  EXPECT_EQ(name(), "");
}

TEST(PodUidFromCgroup, EveryDriverAndClass) {
  const std::string id = container_id_for(50);
  for (const Layout& l : kLayouts)
    EXPECT_EQ(pod_uid_from_cgroup("0::/" + l.path(kUid, id) + "\n"), kUid) << l.name;
  // Hybrid hosts: v1 hierarchies first, the unified one last.
  EXPECT_EQ(pod_uid_from_cgroup("12:pids:/kubepods/burstable/pod" + kUid + "/" + id +
                                "\n0::/kubepods/burstable/pod" + kUid + "/" + id + "\n"),
            kUid);
}

TEST(PodUidFromCgroup, NothingOutsideThePodsCgroups) {
  const std::string id = container_id_for(51);
  for (const std::string& f : {
           std::string("0::/\n"),
           "0::/system.slice/docker-" + id + ".scope\n",
           // Looks like a pod, but not below the kubelet's cgroup.
           "0::/user.slice/user-pod" + underscored(kUid) + ".slice\n",
           "0::/pod" + kUid + "/" + id + "\n",
           // Below it, but not a pod UID.
           "0::/kubepods/burstable/podnot-a-uid/" + id + "\n",
           "0::/kubepods/burstable/pod" + kUid.substr(1) + "/" + id + "\n",
           "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
               std::string(36, '_') + ".slice\n",
           "garbage without colons /kubepods/pod" + kUid,
       })
    EXPECT_EQ(pod_uid_from_cgroup(f), "") << f;
}

TEST(KubeletSymlinkName, CutAsTheKubeletCutsIt) {
  const std::string id = container_id_for(52);
  EXPECT_EQ(kubelet_log_symlink_name("web-1", "shop", "nginx", id),
            "web-1_shop_nginx-" + id + ".log");
  const std::string pod(200, 'p');
  const std::string name = kubelet_log_symlink_name(pod, "shop", "nginx", id);
  EXPECT_EQ(name.size(), 255u);
  EXPECT_TRUE(name.ends_with(".log"));
  EXPECT_TRUE(name.starts_with(pod + "_shop_nginx-"));
}

TEST(KubeletSymlinkName, AKubeletCutNameStillNamesTheContainer) {
  REQUIRE_CGROUP_ROOT(root);
  KubeletLogTree tree;
  const std::string pod = std::string(120, 'a') + "." + std::string(60, 'b');
  const KubeletContainer c{"shop", pod, kUid, "nginx", container_id_for(53)};
  tree.add(c);
  tree.add({"shop", pod, kUid, "nginx-exporter", container_id_for(54)});
  CgroupDir cg(root, kLayouts[1].path(kUid, c.container_id));
  test::Subprocess p = cg.start({"sleep", "30"});
  EXPECT_EQ(metadata_of(p.pid(), sources_of(tree)).names.k8s_container_name, "nginx");
}

}  // namespace
}  // namespace hs
