// Loopback TCP helpers for starting servers on ports nobody else uses.
#pragma once

#include <chrono>
#include <cstdint>

namespace hs::test {

// A port on 127.0.0.1 that was free a moment ago (bound to port 0 and
// released). Another process may still take it: servers started on it should
// retry with a new port when binding fails.
std::uint16_t free_tcp_port();

// Does something accept connections on 127.0.0.1:port? Polls connect() until
// timeout. The probe connection is closed without sending a byte.
bool wait_for_tcp(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Is a TCP socket listening on 127.0.0.1:port, per /proc/net/tcp? Unlike
// wait_for_tcp this makes no connection, so a server's accept counters stay
// untouched.
bool tcp_listening(std::uint16_t port);

}  // namespace hs::test
