#include <array>

#include "snapshot.h"

namespace hs {

std::string_view method_name(Method m) {
  static constexpr std::array<std::string_view, kMethodCount> kNames = {
      "_OTHER", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  const auto i = static_cast<std::size_t>(m);
  return i < kNames.size() ? kNames[i] : kNames[0];
}

}  // namespace hs
