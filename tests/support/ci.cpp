#include "ci.h"

#include <cstdlib>
#include <string>

namespace hs::test {

bool running_in_ci() {
  const char* ci = std::getenv("CI");
  if (!ci) return false;
  const std::string v = ci;
  return !v.empty() && v != "0" && v != "false";
}

}  // namespace hs::test
