// `http-statistics top`: the busiest HTTP server processes, live, in the
// terminal, for someone on the host without Prometheus or Scope.
//
// It runs its own engine and aggregator in this process rather than asking a
// running daemon: the daemon has no query interface besides its exporters,
// and reading Prometheus text or the Scope socket back would tie `top` to one
// of them being enabled. The cost is that it needs root to attach (like the
// daemon) and counts only connections accepted after it started.
#pragma once

#include <string>
#include <vector>

namespace hs {

// Runs `top` with the arguments that follow it; returns the exit status
// (0, or 2 for bad arguments). Throws EngineError when attaching fails.
int run_top(const std::vector<std::string>& args);

}  // namespace hs
