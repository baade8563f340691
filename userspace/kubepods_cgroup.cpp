#include "kubepods_cgroup.h"

#include <algorithm>

namespace hs {
namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The kubelet's top cgroup: "kubepods" (cgroupfs), "kubepods.slice", or a
// slice nested in another one ("kubelet-kubepods.slice" on kind nodes).
bool is_kubepods(std::string_view part) {
  return part == "kubepods" || part == "kubepods.slice" || part.ends_with("-kubepods.slice");
}

// The UID a pod's cgroup component names, or "" when it names none.
std::string pod_uid_of(std::string_view part) {
  std::string uid;
  if (part.ends_with(".slice")) {
    // systemd: "<parent slice name>-pod<uid>.slice", dashes escaped as '_'
    // because systemd reads '-' as the slice hierarchy's separator.
    part.remove_suffix(6);
    const auto at = part.rfind("-pod");
    if (at == std::string_view::npos || !part.substr(0, at).starts_with("kube")) return "";
    uid = part.substr(at + 4);
    std::replace(uid.begin(), uid.end(), '_', '-');
  } else if (part.starts_with("pod")) {
    uid = part.substr(3);
  }
  return is_pod_uid(uid) ? uid : "";
}

}  // namespace

bool is_pod_uid(std::string_view uid) {
  if (uid.size() == 32) return std::all_of(uid.begin(), uid.end(), is_lower_hex);
  if (uid.size() != 36) return false;
  for (std::size_t i = 0; i < uid.size(); ++i) {
    const bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_here ? uid[i] != '-' : !is_lower_hex(uid[i])) return false;
  }
  return true;
}

std::string pod_uid_from_cgroup(std::string_view cgroup_file) {
  // Lines are "<hierarchy>:<controllers>:<path>"; on hybrid hosts the pod
  // shows in several of them, each giving the same UID.
  while (!cgroup_file.empty()) {
    const auto eol = cgroup_file.find('\n');
    std::string_view line = cgroup_file.substr(0, eol);
    cgroup_file.remove_prefix(eol == std::string_view::npos ? cgroup_file.size() : eol + 1);
    const auto colon = line.find(':', line.find(':') + 1);
    if (colon == std::string_view::npos) continue;
    line.remove_prefix(colon + 1);
    bool below_kubepods = false;
    while (!line.empty()) {
      const auto slash = line.find('/');
      const std::string_view part = line.substr(0, slash);
      line.remove_prefix(slash == std::string_view::npos ? line.size() : slash + 1);
      if (below_kubepods) {
        if (std::string uid = pod_uid_of(part); !uid.empty()) return uid;
      } else {
        below_kubepods = is_kubepods(part);
      }
    }
  }
  return "";
}

}  // namespace hs
