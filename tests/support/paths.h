// Files: where the support files (split_server.py) live in the source tree,
// and reading what tests and servers wrote.
#pragma once

#include <cstddef>
#include <string>

namespace hs::test {

// Absolute path of a file in tests/support/.
std::string support_file(const std::string& name);

// Contents of a file ("" when it cannot be read).
std::string read_text(const std::string& path);

// The last `max_bytes` of a file (a server's log), for failure messages.
std::string tail_of_file(const std::string& path, std::size_t max_bytes = 4000);

}  // namespace hs::test
