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

// For a log that grows while a server finishes its last requests: waits
// until size() has been the same on five polls 100 ms apart.
template <typename Size>
bool wait_until_unchanged(Size&& size, std::chrono::milliseconds timeout) {
  decltype(size()) last{};
  int same = 0;
  return wait_until(
      [&] {
        const auto now = size();
        same = now == last ? same + 1 : 0;
        last = now;
        return same >= 5;
      },
      timeout, std::chrono::milliseconds(100));
}

}  // namespace hs::test
