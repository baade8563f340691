// Loopback ports and polling, for tests that talk to servers.
#pragma once

#include <chrono>
#include <functional>

namespace hs::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it
// for a socket that is closed again). Another process can still take it
// before the caller binds: servers started on it should be retried.
int free_loopback_port();

// Polls `ready` every `interval` until it returns true (true) or `timeout`
// passes (false). Use instead of sleeping for "long enough".
bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(100));

}  // namespace hs::testing
