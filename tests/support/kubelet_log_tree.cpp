#include "kubelet_log_tree.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

namespace hs::test {

namespace fs = std::filesystem;

KubeletLogTree::KubeletLogTree() {
  fs::create_directories(pods_dir());
  fs::create_directories(containers_dir());
}

std::string KubeletLogTree::pod_dir(const KubeletContainer& c) const {
  return pods_dir() + "/" + c.namespace_name + "_" + c.pod + "_" + c.uid;
}

std::string KubeletLogTree::add(const KubeletContainer& c) const {
  const std::string log = c.container + "/" + std::to_string(c.restart) + ".log";
  const std::string file = pod_dir(c) + "/" + log;
  fs::create_directories(pod_dir(c) + "/" + c.container);
  if (FILE* f = std::fopen(file.c_str(), "a")) {
    std::fputs("2024-01-01T00:00:00.000000000Z stdout F started\n", f);
    std::fclose(f);
  }
  if (c.container_id.empty()) return "";
  // The kubelet's own spelling (pkg/kubelet/kuberuntime, legacyLogSymlink);
  // written out here rather than taken from the code under test.
  std::string name = c.pod + "_" + c.namespace_name + "_" + c.container + "-" + c.container_id;
  if (name.size() > 251) name.resize(251);
  const std::string link = containers_dir() + "/" + name + ".log";
  if (symlink(file.c_str(), link.c_str()) != 0)
    throw std::runtime_error("symlink " + link + " failed");
  return link;
}

void KubeletLogTree::remove_pod(const KubeletContainer& c) const {
  const std::string dir = pod_dir(c);
  for (const auto& e : fs::directory_iterator(containers_dir())) {
    std::error_code ec;
    if (fs::read_symlink(e.path(), ec).string().starts_with(dir + "/")) fs::remove(e.path(), ec);
  }
  fs::remove_all(dir);
}

std::string container_id_for(int seed) {
  // 64 hex digits from a simple mix of the seed: distinct, not sequential.
  std::string id;
  std::uint64_t x = 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(seed + 1);
  static constexpr char kHex[] = "0123456789abcdef";
  while (id.size() < 64) {
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    id += kHex[x & 15];
    x ^= x >> 27;
  }
  return id;
}

}  // namespace hs::test
