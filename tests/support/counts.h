// Exchange counts as the kernel, reliability and daemon tests compare them.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace hs::test {

// Response counts of one process by "METHOD STATUS" ("GET 200"), the way
// failure messages should read. Only non-zero series appear.
using Counts = std::map<std::string, std::uint64_t>;

// What differs between two Counts, one line per series ("" when equal); for
// maps too large for gtest to print in full.
std::string counts_diff(const Counts& got, const Counts& want);

}  // namespace hs::test
