// Decompressing gzip bodies in tests, independently of the code under test.
#pragma once

#include <string>
#include <string_view>

namespace hs::testing {

// The content of a single gzip member; throws std::runtime_error when `data`
// is not one (bad header, corrupt, truncated or followed by extra bytes).
std::string gunzip(std::string_view data);

}  // namespace hs::testing
