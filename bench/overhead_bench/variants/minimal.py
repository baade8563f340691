"""M: bench/minimal's counter, the least work a counter of responses can do on the
engine's hooks; checked to count what the server logged."""

import os
import re
import signal

from ..common import SetupError, read_file, wait_for
from ..measurement import stats_window
from ..processes import Managed, niced
from ..readings import bpf_prog_ids, cgroup2_root, hot_path_programs
from . import Variant


class MinimalCounter:
    """bench/minimal: the least work a counter of responses can do on the engine's hooks
    (variant M), on the cgroup v2 root or the given cgroup."""

    def __init__(self, binary, workdir, index, nice=0, cgroup=None):
        root = cgroup or cgroup2_root()
        if root is None:
            raise SetupError("no cgroup v2 mount: the socket hooks need one")
        if not os.access(binary, os.X_OK):
            raise SetupError(f"no minimal counter at {binary}: build the minimal_counting target")
        self.dir = os.path.join(workdir, f"minimal-{index}")
        os.makedirs(self.dir)
        self.stdout = os.path.join(self.dir, "stdout")
        self.stderr = os.path.join(self.dir, "stderr")
        self.proc = Managed(
            "minimal_counting", niced([binary, root], nice), self.stdout, self.stderr
        )
        self.pid = self.proc.pid
        ready = wait_for(
            lambda: not self.proc.running() or read_file(self.stdout).startswith("attached"),
            timeout=30,
        )
        if not ready or not self.proc.running():
            self.proc.stop(signal.SIGKILL)
            err = read_file(self.stderr)[-2000:]
            raise SetupError(f"the minimal counter did not attach:\n{err}")

    def prog_ids(self):
        return bpf_prog_ids(self.pid)

    def stop(self):
        """Returns its exit code and what it counted, by status code. It does not raise, so
        stopping it after a failed load leaves the load's own error to be reported."""
        code = self.proc.stop()
        text = read_file(self.stdout)
        return code, {k: int(v) for k, v in re.findall(r"^(\d+) (\d+)$", text, re.M)}

    def failure(self, code):
        return f"the minimal counter exited with {code}:\n" + read_file(self.stderr)



def run_minimal(bench, seconds, workload, bpf_stats=False):
    """A run under bench/minimal's counter: one storage lookup per segment, one load
    and one counter per response. A lower bound of the work, checked against the log
    (it frames nothing, so it is exact only for one response per segment, as here)."""
    bench.started += 1
    counter = MinimalCounter(
        bench.args.minimal, bench.workdir, bench.started, bench.args.nice,
        bench.topology.attach_cgroup,
    )
    try:
        own = counter.prog_ids()
        attached = [what for i, what in hot_path_programs(bench.cgroups()).items() if i in own]
        with stats_window(bpf_stats, own) as bpf:
            run = bench.measure(seconds, workload, own)
    finally:
        code, counted = counter.stop()
    if code != 0:
        raise SetupError(counter.failure(code))
    expected = workload.expected_counts(run)
    run["minimal"] = {
        "attached": sorted(attached),
        "counted": dict(sorted(counted.items())),
        "log_completed": expected,
        "matches_log": counted == expected,
    }
    if bpf_stats:
        run["bpf"] = bpf.result(run)
    return run


VARIANTS = [Variant("M", "minimal status counting", run_minimal, optional=True)]
