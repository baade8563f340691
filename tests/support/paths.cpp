#include "paths.h"

#include <fstream>
#include <sstream>

namespace hs::test {

std::string support_file(const std::string& name) {
  return std::string(HS_TEST_SUPPORT_DIR) + "/" + name;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail_of_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return "(no " + path + ")";
  f.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(f.tellg());
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  f.seekg(static_cast<std::streamoff>(start));
  std::string text(size - start, '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

}  // namespace hs::test
