#include "runtime_names.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>

#include <rapidjson/document.h>

namespace hs {
namespace {

// config.v2.json and an OCI spec are a few to a few tens of KiB; a bigger
// file is not read (a lookup must stay cheap whatever is on the disk).
constexpr std::size_t kMaxJsonBytes = 1 << 20;
// containerd namespaces looked at ("default", "k8s.io", "moby", ...).
constexpr std::size_t kMaxNamespaces = 64;

bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

struct OwnedFd {
  explicit OwnedFd(int f) : fd(f) {}
  int fd;
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() {
    if (fd >= 0) close(fd);
  }
};

// A regular file's contents when at most kMaxJsonBytes. Opened without
// blocking and without following a symlink: a FIFO or a link planted in its
// place must neither stall the lookup nor send it elsewhere.
std::optional<std::string> read_small_file(const std::string& path) {
  const OwnedFd owned{open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)};
  const int fd = owned.fd;
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) > kMaxJsonBytes)
    return std::nullopt;
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  return text;
}

// The string at doc[key] (then [sub] when given), or "".
std::string json_string(const std::string& text, const char* key, const char* sub = nullptr) {
  rapidjson::Document doc;
  // Depth is bounded by the parser's iterative mode: hostile nesting cannot
  // exhaust the stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return "";
  const auto it = doc.FindMember(key);
  if (it == doc.MemberEnd()) return "";
  const rapidjson::Value* v = &it->value;
  if (sub) {
    if (!v->IsObject()) return "";
    const auto inner = v->FindMember(sub);
    if (inner == v->MemberEnd()) return "";
    v = &inner->value;
  }
  if (!v->IsString()) return "";
  return {v->GetString(), v->GetStringLength()};
}

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

}  // namespace

bool is_runtime_container_name(std::string_view name) {
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (name.empty() || name.size() > 253 || !alnum(name.front())) return false;
  for (const char c : name)
    if (!alnum(c) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

std::string docker_container_name(const std::string& docker_dir, std::string_view id) {
  if (docker_dir.empty() || !is_hex64(id)) return "";
  const auto text =
      read_small_file(docker_dir + "/containers/" + std::string(id) + "/config.v2.json");
  if (!text) return "";
  std::string name = json_string(*text, "Name");
  if (name.starts_with('/')) name.erase(0, 1);
  return is_runtime_container_name(name) ? name : "";
}

std::string containerd_container_name(const std::string& containerd_dir, std::string_view id) {
  if (containerd_dir.empty() || !is_hex64(id)) return "";
  const std::string tasks = containerd_dir + "/io.containerd.runtime.v2.task";
  const std::unique_ptr<DIR, DirCloser> dir(opendir(tasks.c_str()));
  if (!dir) return "";
  std::size_t seen = 0;
  while (const dirent* e = readdir(dir.get())) {
    if (++seen > kMaxNamespaces + 2) break;
    const std::string ns = e->d_name;
    if (ns == "." || ns == "..") continue;
    const auto text = read_small_file(tasks + "/" + ns + "/" + std::string(id) + "/config.json");
    if (!text) continue;
    const std::string name = json_string(*text, "annotations", "nerdctl/name");
    return is_runtime_container_name(name) ? name : "";
  }
  return "";
}

}  // namespace hs
