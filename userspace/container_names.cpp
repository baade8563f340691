#include "container_names.h"

#include "kubepods_cgroup.h"
#include "runtime_names.h"

namespace hs {

ContainerNames container_names(const NameSources& sources, std::string_view cgroup_file,
                               std::string_view container_id) {
  ContainerNames names;
  if (const std::string uid = pod_uid_from_cgroup(cgroup_file); !uid.empty()) {
    if (const auto k8s = kubernetes_names(sources.kubelet, uid, container_id)) {
      names.k8s_namespace_name = k8s->namespace_name;
      names.k8s_pod_name = k8s->pod_name;
      names.k8s_container_name = k8s->container_name;
    }
    return names;
  }
  if (container_id.empty()) return names;
  names.container_name = docker_container_name(sources.docker_dir, container_id);
  if (names.container_name.empty())
    names.container_name = containerd_container_name(sources.containerd_dir, container_id);
  return names;
}

}  // namespace hs
