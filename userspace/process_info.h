// Process metadata from procfs, read once when a process is first seen.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "container_names.h"

namespace hs {

struct ProcessMetadata {
  std::string comm;
  std::string executable_name;  // basename of the exe link; comm when unreadable
  std::string container_id;     // "" outside containers
  ContainerNames names;
};

ProcessMetadata read_process_metadata(std::uint32_t pid,
                                      const NameSources& sources = NameSources::none(),
                                      const std::string& proc_root = "/proc");

// The container names of a running process (its cgroup read again); empty
// names when it is gone.
ContainerNames read_container_names(std::uint32_t pid, const NameSources& sources,
                                    const std::string& proc_root = "/proc");

// Is (pid, start_ns) still running? start_ns is the kernel's start_boottime,
// which /proc/<pid>/stat reports in clock ticks: a reused pid has another start.
bool process_alive(std::uint32_t pid, std::uint64_t start_ns,
                   const std::string& proc_root = "/proc");

// The container id in /proc/<pid>/cgroup contents (docker, containerd, CRI-O,
// podman): the 64-hex-digit id in the path, or "".
std::string container_id_from_cgroup(std::string_view cgroup_file);

}  // namespace hs
