// A private directory under /tmp, removed with everything in it on scope exit.
#pragma once

#include <string>

namespace hs::test {

class TempDir {
 public:
  // mkdtemp("/tmp/<prefix>XXXXXX"); throws std::runtime_error.
  explicit TempDir(const std::string& prefix = "hs-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes a file below path() (creating parent directories) and returns its path.
  std::string write(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

}  // namespace hs::test
