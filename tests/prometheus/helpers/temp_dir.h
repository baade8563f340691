// A private temporary directory, removed with everything in it on destruction.
#pragma once

#include <filesystem>
#include <string>

namespace hs::testing {

class TempDir {
 public:
  // Under $TMPDIR (or /tmp), named <prefix>XXXXXX. Throws std::system_error.
  explicit TempDir(const std::string& prefix = "hs-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace hs::testing
