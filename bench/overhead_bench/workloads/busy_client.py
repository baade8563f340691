"""busy-client, a bystander: wrk itself, busy, in the cgroup the engine attaches to,
against nginx outside it. The engine sees only client sockets there: it must count
nothing, and what wrk's CPU per request gains under it is what the engine costs a
process it does not even count."""

import dataclasses

from . import HttpWorkload


@dataclasses.dataclass(frozen=True)
class BusyClient(HttpWorkload):
    def counted_pid(self, bench):
        return None  # no process in the engine's cgroup serves anything

    def expected_counts(self, run):
        return {}


WORKLOADS = [
    BusyClient(
        "busy-client",
        "bystander: wrk in the engine's cgroup against nginx outside it",
        chart=(
            ("requests_per_second", "throughput (requests/s; higher is better)"),
            ("wrk_cpu_us_per_request", "wrk CPU per request (us; lower is better)"),
        ),
    )
]
