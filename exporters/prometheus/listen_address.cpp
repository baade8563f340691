#include "listen_address.h"

#include <charconv>
#include <stdexcept>

namespace hs::prom {
namespace {

[[noreturn]] void invalid(std::string_view address, std::string_view why) {
  throw std::runtime_error("invalid metrics address \"" + std::string(address) +
                           "\": " + std::string(why));
}

}  // namespace

ListenAddress parse_listen_address(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) invalid(address, "expected HOST:PORT");
  std::string_view host = address.substr(0, colon);
  const std::string_view port = address.substr(colon + 1);

  if (host.starts_with('[')) {
    if (!host.ends_with(']') || host.size() < 3) invalid(address, "unterminated IPv6 bracket");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    // "::1:9464" is ambiguous; the bracketed form is what URLs use too.
    invalid(address, "IPv6 hosts go in brackets, as in [::1]:9464");
  }

  ListenAddress out;
  out.host = host.empty() ? "0.0.0.0" : std::string(host);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || out.port < 0 ||
      out.port > 65535)
    invalid(address, "the port must be a number from 0 to 65535");
  return out;
}

}  // namespace hs::prom
