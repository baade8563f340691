#include "counts.h"

#include <sstream>

namespace hs::test {

std::string counts_diff(const Counts& got, const Counts& want) {
  std::ostringstream out;
  Counts all = got;
  all.insert(want.begin(), want.end());
  for (const auto& [key, unused] : all) {
    const auto g = got.find(key);
    const auto w = want.find(key);
    const std::uint64_t gv = g == got.end() ? 0 : g->second;
    const std::uint64_t wv = w == want.end() ? 0 : w->second;
    if (gv != wv) out << key << ": got " << gv << ", want " << wv << "\n";
  }
  return out.str();
}

}  // namespace hs::test
