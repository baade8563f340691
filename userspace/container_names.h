// The names of the container a process runs in, from node files only.
#pragma once

#include <string>
#include <string_view>

#include "kubelet_logs.h"
#include "snapshot.h"

namespace hs {

// Where names are read from; "" turns a source off.
struct NameSources {
  KubeletLogDirs kubelet;
  std::string docker_dir = "/var/lib/docker";
  std::string containerd_dir = "/run/containerd";

  static NameSources none() { return {{"", ""}, "", ""}; }
};

// The names for a process with this /proc/<pid>/cgroup content and
// container id (container_id_from_cgroup). A process in a pod gets the
// Kubernetes names and no runtime name: in a pod the runtime's name is the
// kubelet's mangling of the same three.
ContainerNames container_names(const NameSources& sources, std::string_view cgroup_file,
                               std::string_view container_id);

}  // namespace hs
