"""C: a hand-written bpftrace script on the syscalls nginx uses, the way one would
count requests and status codes by hand; for comparison, its counts not asserted."""

import os
import re
import signal
import time

from ..common import SetupError, read_file, wait_for
from ..measurement import stats_window
from ..processes import Managed, niced
from ..readings import bpf_prog_ids, perf_event_fds, process_cpu_seconds, threads_oncpu_ns
from . import Variant


BPFTRACE_SCRIPT = r"""
// Counts nginx's requests and response status codes the way one would by hand:
// requests on recvfrom, status codes from the status line in writev's first iovec.
tracepoint:syscalls:sys_enter_recvfrom /pid == $1/ { @requests = count(); }

tracepoint:syscalls:sys_enter_writev /pid == $1/ {
  $iov = (struct iovec *)args->vec;
  $line = (uint8 *)$iov->iov_base;  // iov_base is void *: no arithmetic on it
  if (strncmp(str($line, 9), "HTTP/1.1 ", 9) == 0) {
    @status[str($line + 9, 3)] = count();
  }
}
"""


class Bpftrace:
    """The bpftrace script on the nginx worker."""

    def __init__(self, workdir, worker, index, timeout, nice=0):
        self.dir = os.path.join(workdir, f"bpftrace-{index}")
        os.makedirs(self.dir)
        script = os.path.join(self.dir, "count.bt")
        with open(script, "w", encoding="utf-8") as f:
            f.write(BPFTRACE_SCRIPT)
        self.stdout = os.path.join(self.dir, "stdout")
        started = time.monotonic()
        self.proc = Managed(
            "bpftrace",
            niced(["bpftrace", script, str(worker)], nice),
            self.stdout,
            os.path.join(self.dir, "stderr"),
        )
        self.pid = self.proc.pid
        # Loaded programs and their perf events (one per tracepoint) mean attached.
        ready = wait_for(
            lambda: not self.proc.running()
            or (len(bpf_prog_ids(self.pid)) >= 2 and perf_event_fds(self.pid) >= 2),
            timeout=timeout,
        )
        if not ready or not self.proc.running():
            self.proc.stop(signal.SIGKILL)
            err = read_file(os.path.join(self.dir, "stderr"))[-2000:]
            raise SetupError(f"bpftrace did not attach within {timeout:.1f} s\n{err}")
        time.sleep(0.2)  # the last perf event's attach may still be under way
        self.attached_s = time.monotonic() - started

    def prog_ids(self):
        return bpf_prog_ids(self.pid)

    def stop(self):
        """SIGINT makes bpftrace print its maps; returns what it counted."""
        self.proc.stop(signal.SIGINT, timeout=15)
        text = read_file(self.stdout)
        m = re.search(r"^@requests:\s*(\d+)", text, re.M)
        return {
            "recvfrom_calls": int(m.group(1)) if m else 0,
            "status": {k: int(v) for k, v in re.findall(r"^@status\[(\d+)\]:\s*(\d+)", text, re.M)},
        }



def run_bpftrace(bench, seconds, workload, bpf_stats=False):
    if workload.counted_pid(bench) is None:
        raise SetupError(f"the script traces one server's process; {workload.name} has none")
    bench.started += 1
    tracer = Bpftrace(
        bench.workdir,
        workload.counted_pid(bench),
        bench.started,
        bench.args.bpftrace_timeout,
        bench.args.nice,
    )
    try:
        cpu0, oncpu0 = process_cpu_seconds(tracer.pid), threads_oncpu_ns(tracer.pid)
        own = tracer.prog_ids()
        with stats_window(bpf_stats, own) as bpf:
            run = bench.measure(seconds, workload, own)
        cpu1, oncpu1 = process_cpu_seconds(tracer.pid), threads_oncpu_ns(tracer.pid)
    finally:
        counted = tracer.stop()
    run["bpftrace"] = {
        "start_to_attached_ms": tracer.attached_s * 1e3,
        "cpu_s": cpu1 - cpu0,
        "oncpu_s": (oncpu1 - oncpu0) / 1e9,
        "counted": counted,
    }
    if bpf_stats:
        run["bpf"] = bpf.result(run)
    return run


VARIANTS = [Variant("C", "bpftrace script", run_bpftrace, optional=True)]
