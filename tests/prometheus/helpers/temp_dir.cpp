#include "temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <system_error>
#include <vector>

namespace hs::testing {

TempDir::TempDir(const std::string& prefix) {
  const std::string pattern =
      (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  path_ = name.data();
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor cannot report it; nothing to retry
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace hs::testing
