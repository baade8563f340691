// A node's kubelet log directories in a temp dir, laid out as the kubelet
// lays them out, for the container-name lookups (userspace/kubelet_logs.h):
//   pods/<namespace>_<pod>_<uid>/<container>/<restart>.log
//   containers/<pod>_<namespace>_<container>-<container id>.log -> the above
#pragma once

#include <string>

#include "temp_dir.h"

namespace hs::test {

struct KubeletContainer {
  std::string namespace_name;
  std::string pod;
  std::string uid;  // with dashes, as in the API
  std::string container;
  std::string container_id;  // 64 hex digits; "" = a directory but no symlink
  int restart = 0;
};

class KubeletLogTree {
 public:
  KubeletLogTree();

  std::string pods_dir() const { return dir_.file("pods"); }
  std::string containers_dir() const { return dir_.file("containers"); }

  // The pod's directory, the container's and its log file, and (with an id)
  // the kubelet's symlink to that file. Returns the symlink's path ("" without).
  std::string add(const KubeletContainer& c) const;
  // What the kubelet removes when the pod is deleted: its directory and the
  // symlinks into it.
  void remove_pod(const KubeletContainer& any_container_of_it) const;

  std::string pod_dir(const KubeletContainer& c) const;

 private:
  TempDir dir_{"hs-kubelet-"};
};

// A random-looking 64-hex-digit container id, different for each seed.
std::string container_id_for(int seed);

}  // namespace hs::test
