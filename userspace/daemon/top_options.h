// Command line of `http-statistics top`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hs {

struct TopOptions {
  bool help = false;
  std::size_t iterations = 0;  // frames to draw before exiting; 0: until q, SIGINT or SIGTERM
  std::size_t limit = 20;      // processes shown (in a terminal, also what fits)
  bool plain = false;          // plain text even on a terminal
  std::string cgroup;          // "" = the cgroup v2 mount
  // --endpoints PID: start on that process's endpoint view; 0: on the table.
  std::uint32_t endpoints_pid = 0;
};

// Parses the arguments after "top"; on error returns nullopt and sets `error`
// to a one-line message.
std::optional<TopOptions> parse_top_options(const std::vector<std::string>& args,
                                            std::string& error);

std::string top_usage();

}  // namespace hs
