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

}  // namespace hs::test
