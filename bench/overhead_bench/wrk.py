"""wrk, the load generator: its command line (pinned, niced, in the client's network
namespace and cgroup when the topology has them), the Lua scripts of the mixed,
pipelined, templates-50 and new-connections workloads, and its report."""

import re

from .processes import niced

# Requests per pipelined write; the engine pairs up to 16 per connection.
PIPELINE_DEPTH = 8


MIXED_LUA = """
-- Cycles through three paths so the run has 200, 404 and 503 responses.
local paths = { "/ok", "/missing", "/unavailable" }
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, paths[n % #paths + 1])
end
"""

PIPELINED_LUA = (
    """
-- Several requests in one write; wrk counts them and waits for as many responses.
local paths = { "/ok", "/missing", "/ok", "/unavailable" }
local batch
init = function(args)
  local r = {}
  for i = 1, %d do r[i] = wrk.format(nil, paths[(i - 1) %% #paths + 1]) end
  batch = table.concat(r)
end
request = function() return batch end
"""
    % PIPELINE_DEPTH
)


CLOSE_LUA = """
-- Every request on a connection of its own: the server closes after answering, and
-- wrk connects again (what accept, sockops and the accept hook cost per connection).
wrk.headers["Connection"] = "close"
"""


# Distinct URL templates of the templates-50 workload: words, no identifiers.
TEMPLATE_PATHS = 50

TEMPLATES_LUA = """
-- Cycles through %d paths, each its own URL template (words: nothing becomes {id}).
local paths = {}
for i = 0, %d do
  paths[i + 1] = "/t/" .. string.char(97 + math.floor(i / 26), 97 + i %% 26)
end
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, paths[n %% #paths + 1])
end
""" % (TEMPLATE_PATHS, TEMPLATE_PATHS - 1)


def wrk_command(url, seconds, connections, cpu, script, nice, netns=None):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    if script:
        cmd += ["-s", script]
    cmd = niced(cmd + [url], nice)
    cmd = ["taskset", "-c", str(cpu)] + cmd if cpu is not None else cmd
    # ip netns exec execs the command (no fork): the pid stays wrk's, for its CPU times.
    return ["ip", "netns", "exec", netns] + cmd if netns else cmd


def parse_wrk(text):
    def number(pattern, cast=float):
        m = re.search(pattern, text)
        return cast(m.group(1)) if m else None

    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", text)
    scale = {"us": 1, "ms": 1e3, "s": 1e6}
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    return {
        "requests": number(r"(\d+) requests in", int),
        "requests_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "latency_avg_us": float(latency.group(1)) * scale[latency.group(2)] if latency else None,
        "non_2xx_3xx": number(r"Non-2xx or 3xx responses: (\d+)", int) or 0,
        "socket_errors": sum(int(x) for x in socket_errors.groups()) if socket_errors else 0,
    }

