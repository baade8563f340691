// Polling instead of fixed sleeps: tests wait exactly as long as needed.
#pragma once

#include <chrono>
#include <thread>

namespace hs::test {

// Calls pred() until it returns true or timeout passes; returns its last value.
template <typename Pred>
bool wait_until(Pred&& pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(every);
  }
}

}  // namespace hs::test
