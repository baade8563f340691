// The Kubernetes pod a process belongs to, as its cgroup path names it.
#pragma once

#include <string>
#include <string_view>

namespace hs {

// The pod UID in /proc/<pid>/cgroup contents, or "" outside a pod. The
// kubelet creates one cgroup per pod below its "kubepods" cgroup:
//   systemd driver   .../kubepods.slice/kubepods-burstable.slice/
//                    kubepods-burstable-pod<uid with '_' for '-'>.slice/...
//                    (kubepods-besteffort-pod…, and kubepods-pod… for the
//                    Guaranteed class, which has no slice of its own)
//   cgroupfs driver  .../kubepods/burstable/pod<uid>/...  (besteffort/, or
//                    directly below kubepods/ for Guaranteed)
// Anything may come before the kubepods cgroup (kind and other nested
// nodes put it below a slice of their own). The UID is returned with its
// dashes: the spelling of /var/log/pods.
std::string pod_uid_from_cgroup(std::string_view cgroup_file);

// Is `uid` spelled like a pod UID: an API-server UUID (8-4-4-4-12 lower-case
// hex) or a static pod's 32-hex-digit manifest hash?
bool is_pod_uid(std::string_view uid);

}  // namespace hs
