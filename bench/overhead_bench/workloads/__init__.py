"""The workloads: what load a run puts on which server. A workload is one module here
with a list WORKLOADS of HttpWorkload (or subclass) instances, its module named in
MODULES. A run's record is the workload's measure(bench, seconds, own_programs)."""

import dataclasses
import importlib


@dataclasses.dataclass(frozen=True)
class HttpWorkload:
    """wrk against one of the bench's servers, every response checked against that
    server's access log."""

    name: str
    description: str
    server: str = "nginx"
    path: str = "/ok"
    script: str = None  # a Lua script of wrk.py, by name
    # The two figures its chart shows: (run key, label) for throughput, then CPU.
    chart: tuple = (
        ("requests_per_second", "throughput (requests/s; higher is better)"),
        ("worker_cpu_us_per_request", "server worker CPU per request (us; lower is better)"),
    )

    def measure(self, bench, seconds, own_programs):
        return bench.load(seconds, self, own_programs)

    def counted_pid(self, bench):
        """The process the engine's counts are checked for (None: every process)."""
        return bench.server(self.server).worker

    def expected_counts(self, run):
        """What an exact counter counts in the run, by status code."""
        return run["log"]["completed"]


MODULES = ("http", "python_app", "bulk_tcp", "busy_client")


def _load():
    found = {}
    for name in MODULES:
        for w in importlib.import_module(f"{__name__}.{name}").WORKLOADS:
            found[w.name] = w
    return found


WORKLOADS = _load()
# Those --workload can name for the rounds (mixed and pipelined are exactness runs).
ROUND_WORKLOADS = (
    "ok",
    "templates-50",
    "new-connections",
    "static-4k",
    "static-256k",
    "python-app",
)
BYSTANDER_WORKLOADS = ("bulk-tcp", "busy-client")
