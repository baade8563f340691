#include <unistd.h>

#include <array>
#include <cstdlib>

#include "scope_plugin.h"

namespace hs::scope {

std::string resolve_hostname(const std::string& configured) {
  if (!configured.empty()) return configured;
  // The probe names its process nodes the same way; a different host part
  // would make our nodes separate, metadata-less processes in the UI.
  if (const char* env = std::getenv("SCOPE_HOSTNAME"); env != nullptr && *env != '\0') return env;
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  return name.data();
}

}  // namespace hs::scope
