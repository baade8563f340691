#include "top_options.h"

#include "arguments.h"

#include <charconv>

namespace hs {

std::string top_usage() {
  return R"(Usage: http-statistics top [OPTIONS]

A live table of the busiest HTTP server processes on this host, by requests
per second, refreshed every second: pid, command, requests/s, the mix of
2xx/3xx/4xx/5xx responses and p50/p99 latency. It loads its own copy of the
kernel side, so it needs root like the daemon (and drops every capability once
attached). Only connections accepted after it started are counted. q, Ctrl-C
or SIGTERM quits. e switches between the table and the endpoint view of
its busiest process: that process's URL templates (requests/s, 5xx/s and
p99 latency over the last second, busiest first). With --iterations, --once
or --plain, or when stdout is not a terminal, it prints plain text frames
without escape codes, one after another, each followed by a blank line.

Options:
  --iterations N             print N frames (one per second), then exit
  --once                     the same as --iterations 1
  --limit N                  show at most N rows, processes or endpoints
                             (default 20)
  --endpoints PID            start on the endpoint view of process PID
  --plain                    plain text frames even on a terminal
  --cgroup DIR               cgroup v2 directory to attach to (default: the root
                             of the cgroup v2 mount, which covers every process)
  -h, --help                 show this help
)";
}

namespace {

// A whole, positive count ("3", not "3x", "0" or "-1"), of std::size_t or
// of a pid's std::uint32_t (from_chars refuses what does not fit).
template <class Count>
bool parse_count(const std::string& v, Count& out) {
  Count n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n == 0) return false;
  out = n;
  return true;
}

}  // namespace

std::optional<TopOptions> parse_top_options(const std::vector<std::string>& args,
                                            std::string& error) {
  TopOptions o;
  Arguments in(args);
  while (in.next()) {
    const std::string& a = in.current();
    auto is = [&](const char* name) { return in.is(name); };
    auto value = [&](std::string& out) { return in.value(out, error); };
    auto count = [&](const char* name, auto& out) {
      std::string v;
      if (!value(v)) return false;
      if (!parse_count(v, out)) {
        error = std::string(name) + " wants a whole number above 0, got '" + v + "'";
        return false;
      }
      return true;
    };
    if (a == "-h" || a == "--help") {
      o.help = true;
    } else if (a == "--once") {
      o.iterations = 1;
    } else if (a == "--plain") {
      o.plain = true;
    } else if (is("--iterations")) {
      if (!count("--iterations", o.iterations)) return std::nullopt;
    } else if (is("--limit")) {
      if (!count("--limit", o.limit)) return std::nullopt;
    } else if (is("--endpoints")) {
      if (!count("--endpoints", o.endpoints_pid)) return std::nullopt;
    } else if (is("--cgroup")) {
      if (!value(o.cgroup)) return std::nullopt;
      if (o.cgroup.empty()) {
        error = "--cgroup needs a directory";
        return std::nullopt;
      }
    } else {
      error = "top: unknown argument '" + a + "' (see top --help)";
      return std::nullopt;
    }
  }
  return o;
}

}  // namespace hs
