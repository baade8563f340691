// The HOST:PORT the exporter listens on.
#pragma once

#include <string>
#include <string_view>

namespace hs::prom {

struct ListenAddress {
  std::string host;  // without brackets; "0.0.0.0" when the address had none
  int port = 0;      // 0: any free port
};

// Parses "HOST:PORT", "[IPv6]:PORT" or ":PORT". Throws std::runtime_error
// naming the address when it is malformed.
ListenAddress parse_listen_address(std::string_view address);

}  // namespace hs::prom
