// Pod, namespace and container names from the directories the kubelet keeps
// on every node for container logs: no API server, no runtime socket.
//
//   <pods_dir>/<namespace>_<pod>_<uid>/<container>/<restart>.log
//   <containers_dir>/<pod>_<namespace>_<container>-<container id>.log
//       -> <pods_dir>/<namespace>_<pod>_<uid>/<container>/<restart>.log
//
// The second is a symlink the kubelet makes for each container it starts;
// it is the one place on the node that ties a container id to the
// container's name. docs/design.md says how the two are used.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hs {

struct KubeletLogDirs {
  std::string pods_dir = "/var/log/pods";              // "" = not read
  std::string containers_dir = "/var/log/containers";  // "" = not read
};

struct KubernetesNames {
  std::string namespace_name;
  std::string pod_name;
  std::string container_name;  // "" when it cannot be told
};

// The names of the pod `pod_uid` and of its container `container_id` (may be
// ""); nullopt when the pod has no directory there (or the directories are
// off). Never throws: unreadable or odd entries count as absent.
std::optional<KubernetesNames> kubernetes_names(const KubeletLogDirs& dirs,
                                                std::string_view pod_uid,
                                                std::string_view container_id);

// The kubelet's name for a container's symlink in containers_dir, cut as it
// cuts it (to 255 bytes with the ".log").
std::string kubelet_log_symlink_name(std::string_view pod, std::string_view namespace_name,
                                     std::string_view container, std::string_view container_id);

// Names as the API server admits them: a DNS-1123 label (namespaces and
// containers, at most 63 characters) and subdomain (pods, at most 253). They
// never hold '_', which is what makes the directory names unambiguous.
bool is_dns_label(std::string_view s);
bool is_dns_subdomain(std::string_view s);

}  // namespace hs
