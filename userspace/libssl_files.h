// Finds the OpenSSL 3 libraries (libssl.so.3) that processes on this host
// use, each file once, so the TLS probes can be attached to them.
#pragma once
#include <string>
#include <vector>

namespace hs {

// Paths, reachable from this mount namespace, of every distinct libssl.so.3
// file (by device and inode): the system's own, and those mapped by running
// processes, also inside containers (through /proc/<pid>/root).
// `procfs` and `extra_paths` are for tests.
std::vector<std::string> find_libssl_files(const std::string& procfs = "/proc",
                                           const std::vector<std::string>& extra_paths = {});

}  // namespace hs
