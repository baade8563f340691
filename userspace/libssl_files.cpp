#include "libssl_files.h"

#include <sys/stat.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>
#include <utility>

namespace hs {
namespace {

constexpr std::string_view kLibssl = "libssl.so.3";

// Where distributions install the library (Debian/Ubuntu multiarch, RHEL,
// Alpine, source builds).
const char* const kSystemPaths[] = {
    "/usr/lib/x86_64-linux-gnu/libssl.so.3",
    "/usr/lib/aarch64-linux-gnu/libssl.so.3",
    "/usr/lib64/libssl.so.3",
    "/usr/lib/libssl.so.3",
    "/lib/libssl.so.3",
    "/usr/local/lib64/libssl.so.3",
    "/usr/local/lib/libssl.so.3",
};

bool is_libssl(std::string_view path) {
  const auto slash = path.rfind('/');
  return path.substr(slash == std::string_view::npos ? 0 : slash + 1) == kLibssl;
}

}  // namespace

std::vector<std::string> find_libssl_files(const std::string& procfs,
                                           const std::vector<std::string>& extra_paths) {
  std::vector<std::string> found;
  std::set<std::pair<dev_t, ino_t>> seen;
  auto consider = [&](const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (seen.insert({st.st_dev, st.st_ino}).second) found.push_back(path);
  };

  for (const char* p : kSystemPaths) consider(p);
  for (const auto& p : extra_paths) consider(p);

  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(procfs, ec)) {
    const std::string pid = entry.path().filename();
    if (pid.empty() || !std::isdigit(static_cast<unsigned char>(pid[0]))) continue;
    std::ifstream maps(entry.path() / "maps");
    std::set<std::string> paths;  // per process: a library has several mappings
    for (std::string line; std::getline(maps, line);) {
      const auto slash = line.find('/');
      if (slash == std::string::npos) continue;
      std::string path = line.substr(slash);
      if (is_libssl(path)) paths.insert(std::move(path));
    }
    // The path is the process's own view: inside a container, its root.
    for (const auto& p : paths) consider(entry.path().string() + "/root" + p);
  }
  return found;
}

}  // namespace hs
