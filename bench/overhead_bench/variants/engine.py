"""B and S: the engine (build/http-statistics), a daemon started for each run and
stopped with SIGTERM after it; S loads the programs kernels without bpf_loop get.
Each run is checked for exactness against the server's access log."""

import collections
import os
import re
import signal
import time
import urllib.error
import urllib.request

from ..common import SetupError, free_port, read_file, wait_for
from ..measurement import per_request_us, stats_window
from ..processes import Managed, niced
from ..readings import bpf_prog_ids, peak_rss_kib, process_cpu_seconds, threads_oncpu_ns
from . import Variant


class Daemon:
    """build/http-statistics on 127.0.0.1:<free port>, Scope socket in a temp dir."""

    # urllib would send even 127.0.0.1 through an http_proxy from the environment.
    _http = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __init__(self, binary, workdir, index, nice=0, env=None, cgroup=None, args=()):
        self.dir = os.path.join(workdir, f"daemon-{index}")
        self.nice = nice
        self.cgroup = cgroup
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
        os.makedirs(self.dir)
        self.stderr = os.path.join(self.dir, "stderr")
        for attempt in range(3):
            try:
                self._start(binary)
                return
            except SetupError as e:
                # The free port may have been taken before the daemon bound it.
                if attempt == 2 or "bind" not in str(e):
                    raise

    def _start(self, binary):
        self.port = free_port()
        started = time.monotonic()
        self.proc = Managed(
            "http-statistics",
            niced(
                [
                    binary,
                    "--metrics-address",
                    f"127.0.0.1:{self.port}",
                    "--scope-plugins-root",
                    os.path.join(self.dir, "plugins"),
                    # Counts are checked per worker pid, as in the reference runs.
                    "--metrics-by",
                    "process",
                ]
                # Attached to a cgroup, only its processes' sockets run the programs.
                + (["--cgroup", self.cgroup] if self.cgroup else [])
                + self.args,
                self.nice,
            ),
            os.path.join(self.dir, "stdout"),
            self.stderr,
            env=self.env,
        )
        self.pid = self.proc.pid
        attached = wait_for(self._attached, timeout=60, interval=0.01)
        self.attached_s = time.monotonic() - started
        if attached is None:
            self.stop()
            raise SetupError("the daemon did not attach:\n" + read_file(self.stderr)[-3000:])
        self.attach_ms_logged = int(attached.group(1))
        if not wait_for(lambda: self.metrics() is not None, timeout=30, interval=0.02):
            self.stop()
            raise SetupError("the daemon's /metrics did not answer:\n" + read_file(self.stderr))
        self.ready_s = time.monotonic() - started
        self.startup_cpu_s = process_cpu_seconds(self.pid)

    def _attached(self):
        if not self.proc.running():
            self.stop()
            raise SetupError("the daemon exited:\n" + read_file(self.stderr)[-3000:])
        return re.search(r"attached in (\d+) ms", read_file(self.stderr))

    def metrics(self):
        try:
            with self._http.open(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
                return r.read().decode("utf-8", "replace") if r.status == 200 else None
        except (urllib.error.URLError, OSError):
            return None

    def notes(self):
        """http_statistics_dropped_total by cause: what the kernel side skipped."""
        notes = collections.Counter()
        for line in (self.metrics() or "").splitlines():
            m = DROPPED.match(line)
            if m:
                notes[m.group(1)] += int(float(m.group(2)))
        return notes

    def counts(self, pid):
        """http_server_requests_total of one process (None: of all), summed by status code."""
        return requests_by_status(self.metrics() or "", pid)

    def prog_ids(self):
        return bpf_prog_ids(self.pid)

    def stop(self):
        """SIGTERM, as a service manager would; returns the exit code."""
        return self.proc.stop(signal.SIGTERM, timeout=15)


SAMPLE = re.compile(r"^http_server_requests_total\{(.*)\}\s+(\S+)")
DROPPED = re.compile(r'^http_statistics_dropped_total\{cause="(\w+)"\}\s+(\S+)')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def request_series(text, pid):
    """(labels, value) of http_server_requests_total of one process (None: of all)."""
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m:
            continue
        labels = dict(LABEL.findall(m.group(1)))
        if pid is None or labels.get("process_pid") == str(pid):
            yield labels, int(float(m.group(2)))


def requests_by_status(text, pid):
    counts = collections.Counter()
    for labels, value in request_series(text, pid):
        counts[labels.get("http_response_status_code", "?")] += value
    return counts


def url_templates(text, pid):
    """The url_template values one process's requests counted under ("": none)."""
    return sorted({labels.get("url_template", "") for labels, _ in request_series(text, pid)})



def run_engine(bench, seconds, workload, bpf_stats=False, env=None, args=()):
    """A run under a daemon started for it; exactness checked against the log."""
    bench.started += 1
    daemon = Daemon(
        bench.args.daemon,
        bench.workdir,
        bench.started,
        bench.args.nice,
        env,
        bench.topology.attach_cgroup,
        args,
    )
    try:
        run = traced_load(bench, daemon, seconds, workload, bpf_stats)
    finally:
        code = daemon.stop()
    run["daemon"]["exit_code"] = code
    return run


def traced_load(bench, daemon, seconds, workload, bpf_stats):
    # The process whose counts are checked (None: every process, for bystanders,
    # where the engine must count nothing at all).
    counted = workload.counted_pid(bench)
    before = daemon.counts(counted)
    notes_before = daemon.notes()
    cpu0, oncpu0 = process_cpu_seconds(daemon.pid), threads_oncpu_ns(daemon.pid)
    own = daemon.prog_ids()
    with stats_window(bpf_stats, own) as bpf:
        run = bench.measure(seconds, workload, own)
    cpu1, oncpu1 = process_cpu_seconds(daemon.pid), threads_oncpu_ns(daemon.pid)
    expected = workload.expected_counts(run)
    after = settled_counts(daemon, counted, sum(expected.values()), before)
    engine = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
    notes_after = daemon.notes()
    run["exactness"] = {
        "engine": dict(sorted(engine.items())),
        "log_completed": expected,
        "log_incomplete": run.get("log", {}).get("incomplete", {}),
        "exact": engine == expected,
        # What the URL templates variants differ in: the templates the run counted under.
        "url_templates": url_templates(daemon.metrics() or "", counted),
        # The kernel side's own account of what it skipped or guessed in the run
        # (unmatched responses, sequence gaps, ...): where to look when not exact.
        "engine_notes": {
            k: v - notes_before.get(k, 0)
            for k, v in sorted(notes_after.items())
            if v - notes_before.get(k, 0)
        },
    }
    if not run["exactness"]["exact"]:
        # The run's own log lines (status, completion, pipelined, connection, its
        # request number, time), so a surplus can be traced to the connections.
        run["exactness"]["log_tail"] = bench.last_log_tail
    requests = run.get("requests_logged")
    run["daemon"] = {
        "attach_ms_logged": daemon.attach_ms_logged,
        "start_to_attached_ms": daemon.attached_s * 1e3,
        "start_to_ready_ms": daemon.ready_s * 1e3,
        "startup_cpu_ms": daemon.startup_cpu_s * 1e3,
        "cpu_s": cpu1 - cpu0,
        "oncpu_s": (oncpu1 - oncpu0) / 1e9,
        "cpu_us_per_request": per_request_us((oncpu1 - oncpu0) / 1e9, requests),
        "peak_rss_kib": peak_rss_kib(daemon.pid),
    }
    if bpf_stats:
        run["bpf"] = bpf.result(run)
    return run


def settled_counts(daemon, pid, expected_total, before):
    """The engine's counts once the aggregator has read the kernel after the run.

    It publishes once a second: wait at least that long so a late surplus would
    show, and up to a few seconds for a shortfall to resolve."""
    start = time.monotonic()
    counts = daemon.counts(pid)
    while time.monotonic() - start < 8:
        total = sum(counts.values()) - sum(before.values())
        if total == expected_total and time.monotonic() - start >= 1.5:
            break
        time.sleep(0.25)
        counts = daemon.counts(pid)
    return counts


VARIANTS = [
    Variant("B", "engine (http-statistics)", run_engine, starts_daemon=True),
    Variant(
        "U",
        "engine without URL templates (--url-templates off)",
        lambda bench, seconds, workload, bpf_stats=False: run_engine(
            bench, seconds, workload, bpf_stats, args=["--url-templates", "off"]
        ),
        starts_daemon=True,
    ),
    Variant(
        "S",
        "engine without bpf_loop (HS_BPF_LOOP=off)",
        # The programs kernels without bpf_loop load, on this one.
        lambda bench, seconds, workload, bpf_stats=False: run_engine(
            bench, seconds, workload, bpf_stats, env={"HS_BPF_LOOP": "off"}
        ),
        starts_daemon=True,
    ),
]
