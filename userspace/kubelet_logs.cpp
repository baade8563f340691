#include "kubelet_logs.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <vector>

#include "kubepods_cgroup.h"

namespace hs {
namespace {

// Directory scans stop here: a node runs at most a few hundred pods, and a
// directory grown without bound must not make one lookup take long.
constexpr std::size_t kMaxEntries = 20000;
// Containers of one pod that are considered, likewise.
constexpr std::size_t kMaxContainers = 256;

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};
using Dir = std::unique_ptr<DIR, DirCloser>;

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_directory(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A symlink's target (not followed); "" when it is not one.
std::string link_target(const std::string& path) {
  std::array<char, 4096> buffer{};
  const ssize_t n = readlink(path.c_str(), buffer.data(), buffer.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= buffer.size()) return "";
  return {buffer.data(), static_cast<std::size_t>(n)};
}

struct PodDir {
  std::string name;  // <namespace>_<pod>_<uid>
  std::string namespace_name;
  std::string pod_name;
};

// "<namespace>_<pod>_<uid>" split, when each part is what the kubelet puts there.
std::optional<PodDir> parse_pod_dir(std::string_view name, std::string_view uid) {
  const auto first = name.find('_');
  const auto last = name.rfind('_');
  if (first == std::string_view::npos || first == last) return std::nullopt;
  PodDir d{std::string(name), std::string(name.substr(0, first)),
           std::string(name.substr(first + 1, last - first - 1))};
  if (name.substr(last + 1) != uid || !is_dns_label(d.namespace_name) ||
      !is_dns_subdomain(d.pod_name))
    return std::nullopt;
  return d;
}

// The pod directory of `uid`: the one entry that ends in "_<uid>".
std::optional<PodDir> find_pod_dir(const std::string& pods_dir, std::string_view uid) {
  const Dir dir(opendir(pods_dir.c_str()));
  if (!dir) return std::nullopt;
  const std::string suffix = "_" + std::string(uid);
  std::size_t seen = 0;
  while (const dirent* e = readdir(dir.get())) {
    if (++seen > kMaxEntries) break;
    const std::string_view name = e->d_name;
    if (!name.ends_with(suffix)) continue;
    if (auto d = parse_pod_dir(name, uid); d && is_directory(pods_dir + "/" + d->name)) return d;
  }
  return std::nullopt;
}

// The container directories of a pod directory.
std::vector<std::string> containers_of(const std::string& pod_path) {
  std::vector<std::string> out;
  const Dir dir(opendir(pod_path.c_str()));
  if (!dir) return out;
  std::size_t seen = 0;
  while (const dirent* e = readdir(dir.get())) {
    if (++seen > kMaxEntries || out.size() >= kMaxContainers) break;
    const std::string name = e->d_name;
    if (is_dns_label(name) && is_directory(pod_path + "/" + name)) out.push_back(name);
  }
  return out;
}

// Does the kubelet's symlink for (pod, container, id) exist and point into
// that pod's directory for that container? The target is only read as text:
// it names a host path, which need not exist in this mount namespace.
bool symlink_names(const std::string& containers_dir, const PodDir& pod,
                   const std::string& container, std::string_view container_id) {
  const std::string link =
      containers_dir + "/" +
      kubelet_log_symlink_name(pod.pod_name, pod.namespace_name, container, container_id);
  const std::string target = link_target(link);
  // ".../<namespace>_<pod>_<uid>/<container>/<restart>.log"
  const std::string tail = "/" + pod.name + "/" + container + "/";
  const auto at = target.rfind(tail);
  if (at == std::string::npos) return false;
  const std::string_view file = std::string_view(target).substr(at + tail.size());
  return file.ends_with(".log") && file.find('/') == std::string_view::npos;
}

}  // namespace

bool is_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  for (const char c : s)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

bool is_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  for (;;) {
    const auto dot = s.find('.', start);
    const std::string_view label = s.substr(start, dot - start);
    // Labels of a subdomain follow the label rule, without its length limit
    // (the whole name has one).
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
    for (const char c : label)
      if (!is_alnum(c) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string kubelet_log_symlink_name(std::string_view pod, std::string_view namespace_name,
                                     std::string_view container, std::string_view container_id) {
  // pkg/kubelet/kuberuntime: "<pod>_<namespace>_<container>-<id>", cut so
  // that with ".log" it fits ext4's 255-byte file names.
  constexpr std::size_t kMaxName = 255;
  constexpr std::string_view kSuffix = ".log";
  std::string name;
  name.append(pod).append("_").append(namespace_name).append("_").append(container);
  name.append("-").append(container_id);
  if (name.size() > kMaxName - kSuffix.size()) name.resize(kMaxName - kSuffix.size());
  return name.append(kSuffix);
}

std::optional<KubernetesNames> kubernetes_names(const KubeletLogDirs& dirs,
                                                std::string_view pod_uid,
                                                std::string_view container_id) {
  if (dirs.pods_dir.empty() || !is_pod_uid(pod_uid)) return std::nullopt;
  const auto pod = find_pod_dir(dirs.pods_dir, pod_uid);
  if (!pod) return std::nullopt;
  KubernetesNames names{pod->namespace_name, pod->pod_name, ""};
  const std::vector<std::string> containers = containers_of(dirs.pods_dir + "/" + pod->name);
  // The container whose symlink carries this id. Init containers, sidecars
  // and earlier restarts all have directories here, so a directory alone
  // does not tell which one a process runs in.
  if (!dirs.containers_dir.empty() && !container_id.empty()) {
    for (const auto& c : containers) {
      if (symlink_names(dirs.containers_dir, *pod, c, container_id)) {
        names.container_name = c;
        return names;
      }
    }
  }
  // No symlink (not made yet, or a kubelet without them): a pod with a
  // single container directory can only be running that container. The
  // sandbox ("pause") container has no directory, but it serves nothing. A
  // process in the pod's cgroup but in no container's has no container.
  if (!container_id.empty() && containers.size() == 1) names.container_name = containers.front();
  return names;
}

}  // namespace hs
