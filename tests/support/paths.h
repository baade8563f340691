// Where the support files (split_server.py) live in the source tree.
#pragma once

#include <string>

namespace hs::test {

// Absolute path of a file in tests/support/.
std::string support_file(const std::string& name);

// Contents of a file ("" when it cannot be read).
std::string read_text(const std::string& path);

}  // namespace hs::test
