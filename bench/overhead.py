#!/usr/bin/env python3
"""Overhead of http-statistics under load, in one command.

nginx (1 worker, `return 200 "ok"`, keep-alive, access log on) is driven at
saturation by wrk, in rounds of three interleaved runs:

  A  untraced
  B  traced by the daemon (build/http-statistics), started before the run and
     stopped with SIGTERM after it
  C  traced by a hand-written bpftrace script on the syscalls nginx uses
  E  programs that do nothing on the engine's packet hooks (cgroup_skb ingress and
     egress): the floor any design on these hooks pays, under the engine's overhead
  T  (only when asked for) programs that do nothing on tc (tcx ingress and egress of
     lo): the floor of the other hook a packet design could use

Per run it measures throughput, nginx worker CPU per request, machine CPU per
request, the daemon's CPU and peak RSS, and (in separate runs, because the
accounting itself costs time) the BPF run time per request. Traced runs are
also checked for exactness: the engine's counts per status, read from the
daemon's /metrics, must equal nginx's access log, also for a mixed-status run
and a pipelined run.

Results go to <out>/<UTC timestamp>/: results.md, results.json, overhead.png.

Run as root from the repository root after a build:
    bench/overhead.py --pairs 5 --seconds 10 --out results/
    bench/overhead.py --quick --out /tmp/overhead     (a few seconds; for tests)

Only 127.0.0.1 and free ports are used; everything started is stopped and
every temporary directory removed, also on Ctrl-C and errors.
"""

import argparse
import collections
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from empty_hooks import EmptyHooks, EmptyHooksError, prog_id

CLK_TCK = os.sysconf("SC_CLK_TCK")
VARIANTS = {
    "A": "untraced",
    "B": "engine (http-statistics)",
    "S": "engine without bpf_loop (HS_BPF_LOOP=off)",
    "C": "bpftrace script",
    "E": "empty socket hooks",
    "M": "minimal status counting",
    "T": "empty tc hooks",
}
ALL_VARIANTS = "".join(VARIANTS)
DEFAULT_VARIANTS = "ABCE"
# Comparisons, not the subject: when one cannot run here, the benchmark goes on without it.
OPTIONAL_VARIANTS = "CMT"
# Requests per pipelined write; the engine pairs up to 16 per connection.
PIPELINE_DEPTH = 8


class SetupError(Exception):
    """Something the benchmark needs is missing or did not start."""


# ---- small utilities ---------------------------------------------------------------


def log(message):
    print(f"overhead: {message}", file=sys.stderr, flush=True)


def wait_for(predicate, timeout, interval=0.05):
    """Polls predicate until it returns a true value; returns it, or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def read_file(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


def command_output(args):
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
        return (r.stdout + r.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


# ---- /proc readings ----------------------------------------------------------------


def process_cpu_seconds(pid):
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    stat = read_file(f"/proc/{pid}/stat")
    if not stat:
        return None
    # The comm may contain spaces and parentheses: fields start after the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def process_oncpu_ns(pid):
    """Time on CPU in ns (scheduler accounting; finer than stat's ticks), or None."""
    text = read_file(f"/proc/{pid}/schedstat")
    return int(text.split()[0]) if text else None


def threads_oncpu_ns(pid):
    """Time on CPU in ns of all of a process's threads (stat's 10 ms ticks are too
    coarse for a daemon that wakes once a second)."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        text = read_file(f"/proc/{pid}/task/{tid}/schedstat")
        total += int(text.split()[0]) if text else 0
    return total


def machine_cpu_ticks():
    """(busy, total) ticks of all CPUs from /proc/stat; idle and iowait are not busy."""
    fields = [int(x) for x in read_file("/proc/stat").splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    return busy, busy + idle + iowait + steal


def peak_rss_kib(pid):
    m = re.search(r"^VmHWM:\s+(\d+) kB", read_file(f"/proc/{pid}/status"), re.M)
    return int(m.group(1)) if m else None


def bpf_prog_ids(pid):
    """Ids of the BPF programs a process holds file descriptors for."""
    try:
        entries = os.listdir(f"/proc/{pid}/fdinfo")
    except OSError:
        return set()
    ids = {prog_id(f"/proc/{pid}/fdinfo/{fd}") for fd in entries}
    return ids - {None}


def perf_event_fds(pid):
    """How many perf events a process holds (bpftrace attaches tracepoints with them)."""
    count = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[perf_event]":
                    count += 1
    except OSError:
        pass
    return count


def bpf_prog_stats(ids):
    """{id: {name, run_time_ns, run_cnt}} for the given program ids, via bpftool."""
    out = subprocess.run(
        ["bpftool", "prog", "show", "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    stats = {}
    for prog in json.loads(out or "[]"):
        if prog.get("id") in ids:
            stats[prog["id"]] = {
                "name": prog.get("name", "?"),
                "type": prog.get("type", "?"),
                "run_time_ns": prog.get("run_time_ns", 0),
                "run_cnt": prog.get("run_cnt", 0),
            }
    return stats


def bpftool_json(args):
    """bpftool's JSON answer, or [] when it has none (nothing attached, or no bpftool)."""
    try:
        r = subprocess.run(
            ["bpftool"] + args + ["--json"], capture_output=True, text=True, timeout=30, check=False
        )
        return json.loads(r.stdout or "[]") if r.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return []


def cgroup2_root():
    for line in read_file("/proc/self/mounts").splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2] == "cgroup2":
            return fields[1]
    return None


def hot_path_programs():
    """{prog id: what it is} for the programs that can run on nginx's and wrk's path:
    those on the cgroup v2 root (socket hooks) and those on tracepoints through perf
    events (syscall hooks, bpftrace). On a shared machine someone else's tracer there
    would make an "untraced" run traced."""
    found = {}
    root = cgroup2_root()
    if root:
        for a in bpftool_json(["cgroup", "show", root]):
            found[a["id"]] = f"{a.get('name', '?')} on {a.get('attach_type', '?')}"
    for a in bpftool_json(["perf", "show"]):
        if a.get("fd_type") == "tracepoint":
            found[a["prog_id"]] = f"{a.get('tracepoint', '?')} (pid {a.get('pid', '?')})"
    return found


def foreign_programs(own):
    """Hot-path programs that are not the measured tracer's (own: its program ids)."""
    return {i: what for i, what in hot_path_programs().items() if i not in own}


class BpfStatsEnabled(contextlib.AbstractContextManager):
    """kernel.bpf_stats_enabled=1 for the duration of a with-block, then what it was."""

    PATH = "/proc/sys/kernel/bpf_stats_enabled"

    def __enter__(self):
        self.previous = read_file(self.PATH).strip() or "0"
        self._write("1")
        return self

    def __exit__(self, *exc):
        self._write(self.previous)
        return False

    def _write(self, value):
        with open(self.PATH, "w", encoding="ascii") as f:
            f.write(value)


class TracefsMounted(contextlib.AbstractContextManager):
    """tracefs at /sys/kernel/tracing for the duration of a with-block, if nothing had
    mounted it (hosts without systemd): bpftrace attaches its syscall tracepoints
    through it. The daemon mounts it by itself when it needs to, and unmounts it."""

    PATH = "/sys/kernel/tracing"

    def __enter__(self):
        self.mounted = False
        mounts = read_file("/proc/self/mounts").splitlines()
        if any(line.split()[2:3] == ["tracefs"] for line in mounts):
            return self
        r = subprocess.run(
            ["mount", "-t", "tracefs", "-o", "nosuid,nodev,noexec", "tracefs", self.PATH],
            capture_output=True,
            text=True,
            check=False,
        )
        if r.returncode == 0:
            self.mounted = True
        else:
            log(f"tracefs is not mounted and mounting it failed: {r.stderr.strip()}")
        return self

    def __exit__(self, *exc):
        if self.mounted:
            subprocess.run(["umount", self.PATH], capture_output=True, check=False)
        return False


# ---- processes this script starts ----------------------------------------------------


class Managed:
    """A child in its own session, so the terminal's Ctrl-C reaches only this script,
    which then stops it (and only it, by its process group id).

    Every instance is remembered until stopped, so that an interruption anywhere, even
    while a constructor still waits for its child to come up, leaves nothing running."""

    started = []

    def __init__(self, name, args, stdout_path, stderr_path, **popen_args):
        self.name = name
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                args,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **popen_args,
            )
        self.pid = self.proc.pid
        Managed.started.append(self)

    @classmethod
    def stop_all(cls):
        """Stops whatever is still running, the most recently started first."""
        while cls.started:
            cls.started.pop().stop()

    def running(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signals the child, waits, then kills its process group. Returns the exit code."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop on {sig.name}: killing it")
        if self.running() or self._group_alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait(5)
        if self in Managed.started:
            Managed.started.remove(self)
        return self.proc.returncode

    def _group_alive(self):
        try:
            os.killpg(self.pid, 0)
            return True
        except (ProcessLookupError, PermissionError):
            return False


def niced(cmd, nice):
    """cmd run at the given nice value (nice execs it: the pid stays the child's)."""
    return ["nice", "-n", str(nice)] + cmd if nice else cmd


def child_pids(pid):
    text = read_file(f"/proc/{pid}/task/{pid}/children")
    if text or os.path.exists("/proc/self/task/1/children"):
        return [int(x) for x in text.split()]
    # Kernels without CONFIG_PROC_CHILDREN: look for the parent in every process.
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = read_file(f"/proc/{entry}/stat")
            if stat and int(stat[stat.rfind(")") + 2 :].split()[1]) == pid:
                found.append(int(entry))
    return found


class Nginx:
    """nginx with one worker on 127.0.0.1:<free port>, logging each request's status."""

    def __init__(self, workdir, cpu=None, nice=0, https=False):
        self.dir = os.path.join(workdir, "nginx")
        self.nice = nice
        self.https = https
        os.makedirs(os.path.join(self.dir, "tmp"))
        if https:
            # A self-signed certificate: wrk does not verify it.
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=localhost", "-keyout", os.path.join(self.dir, "key.pem"),
                 "-out", os.path.join(self.dir, "cert.pem")],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        self.access_log = os.path.join(self.dir, "access.log")
        self.proc = None
        for _ in range(5):  # the free port may be taken before nginx binds it
            self.port = free_port()
            if self._start(cpu):
                return
        raise SetupError("nginx did not start:\n" + read_file(os.path.join(self.dir, "error.log")))

    def _config(self, cpu):
        d = self.dir
        # Workers run as nobody by default and could not write to the 0700 temp dir.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        affinity = f"worker_cpu_affinity {1 << cpu:b};\n" if cpu is not None else ""
        temp_paths = "".join(
            f"  {kind}_temp_path {d}/tmp/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            "daemon off;\nmaster_process on;\nworker_processes 1;\n"
            f"{affinity}{user}pid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            # $request_completion is "OK" only for responses sent in full: a request
            # read while wrk was closing its connections is logged without it.
            "  log_format bench '$status $request_completion $pipe';\n"
            f"  access_log {self.access_log} bench;\n"
            f"{temp_paths}"
            "  keepalive_timeout 75s;\n"
            # wrk's connections stay up for the whole run, as a busy client's would.
            "  keepalive_requests 100000000;\n"
            "  server {\n"
            f"    listen 127.0.0.1:{self.port}{' ssl' if self.https else ''};\n"
            + (
                f"    ssl_certificate {d}/cert.pem;\n    ssl_certificate_key {d}/key.pem;\n"
                if self.https
                else ""
            )
            + 
            '    location = /ok { return 200 "ok"; }\n'
            "    location = /missing { return 404; }\n"
            "    location = /unavailable { return 503; }\n"
            "  }\n"
            "}\n"
        )

    def _start(self, cpu):
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(self._config(cpu))
        # -e: errors before the config is read must not go to /var/log/nginx.
        self.proc = Managed(
            "nginx",
            niced(
                ["nginx", "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")],
                self.nice,
            ),
            os.path.join(self.dir, "stdout"),
            os.path.join(self.dir, "stderr"),
        )
        up = wait_for(
            lambda: not self.proc.running() or (port_open(self.port) and len(self.workers()) == 1),
            timeout=15,
        )
        if up and self.proc.running():
            self.worker = self.workers()[0]
            return True
        self.proc.stop()
        return False

    def workers(self):
        return child_pids(self.proc.pid)

    def url(self, path):
        scheme = "https" if self.https else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def log_offset(self):
        return os.path.getsize(self.access_log) if os.path.exists(self.access_log) else 0

    def wait_log_settled(self, timeout=10.0):
        """Waits until the access log stops growing (the last responses are logged)."""
        last = [-1, time.monotonic()]

        def settled():
            size = self.log_offset()
            if size != last[0]:
                last[:] = [size, time.monotonic()]
            return time.monotonic() - last[1] >= 0.3

        wait_for(settled, timeout)

    def log_since(self, offset):
        """Counts of the access log lines after offset."""
        with open(self.access_log, "rb") as f:
            f.seek(offset)
            lines = f.read().decode("ascii", "replace").splitlines()
        completed = collections.Counter()
        incomplete = collections.Counter()
        pipelined = 0
        for line in lines:
            parts = line.split()
            if len(parts) < 3:
                continue
            status, completion, pipe = parts[0], parts[1], parts[2]
            (completed if completion == "OK" else incomplete)[status] += 1
            pipelined += pipe == "p"
        return {
            "lines": len(lines),
            "completed": dict(sorted(completed.items())),
            "incomplete": dict(sorted(incomplete.items())),
            "pipelined": pipelined,
        }

    def stop(self):
        if self.proc:
            self.proc.stop(signal.SIGTERM)


class Daemon:
    """build/http-statistics on 127.0.0.1:<free port>, Scope socket in a temp dir."""

    # urllib would send even 127.0.0.1 through an http_proxy from the environment.
    _http = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __init__(self, binary, workdir, index, nice=0, env=None):
        self.dir = os.path.join(workdir, f"daemon-{index}")
        self.nice = nice
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
                ],
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

    def counts(self, pid):
        """http_server_requests_total of one process, summed by status code."""
        return requests_by_status(self.metrics() or "", pid)

    def prog_ids(self):
        return bpf_prog_ids(self.pid)

    def stop(self):
        """SIGTERM, as a service manager would; returns the exit code."""
        return self.proc.stop(signal.SIGTERM, timeout=15)


SAMPLE = re.compile(r"^http_server_requests_total\{(.*)\}\s+(\S+)")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def requests_by_status(text, pid):
    counts = collections.Counter()
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m:
            continue
        labels = dict(LABEL.findall(m.group(1)))
        if labels.get("process_pid") == str(pid):
            counts[labels.get("http_response_status_code", "?")] += int(float(m.group(2)))
    return counts


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


class MinimalCounter:
    """bench/minimal: the least work a counter of responses can do on the engine's hooks
    (variant M), on the cgroup v2 root."""

    def __init__(self, binary, workdir, index, nice=0):
        root = cgroup2_root()
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


# ---- wrk ---------------------------------------------------------------------------

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


def wrk_command(url, seconds, connections, cpu, script, nice):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    if script:
        cmd += ["-s", script]
    cmd = niced(cmd + [url], nice)
    return ["taskset", "-c", str(cpu)] + cmd if cpu is not None else cmd


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


# ---- one run -----------------------------------------------------------------------


class Bench:
    """Everything the runs share: options, nginx, the temp dir and the cleanup stack."""

    def __init__(self, args, workdir, stack):
        self.args = args
        self.workdir = workdir
        self.stack = stack
        pin = args.pin and os.cpu_count() >= 2
        self.nginx_cpu, self.wrk_cpu = (0, 1) if pin else (None, None)
        self.nginx = Nginx(workdir, self.nginx_cpu, args.nice, args.https)
        stack.callback(self.nginx.stop)
        self.scripts = {}
        for name, text in (("mixed", MIXED_LUA), ("pipelined", PIPELINED_LUA)):
            path = os.path.join(workdir, f"{name}.lua")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            self.scripts[name] = path
        self.started = 0  # daemons and bpftrace instances, for unique dirs

    def load(self, seconds, workload="ok", own_programs=frozenset()):
        """Runs wrk once and measures around it. Returns the run's record."""
        worker = self.nginx.worker
        foreign = foreign_programs(own_programs)
        script = self.scripts.get(workload)
        cmd = wrk_command(
            self.nginx.url("/ok"),
            seconds,
            self.args.connections,
            self.wrk_cpu,
            script,
            self.args.nice,
        )
        offset = self.nginx.log_offset()
        cpu0, oncpu0, machine0 = (
            process_cpu_seconds(worker),
            process_oncpu_ns(worker),
            machine_cpu_ticks(),
        )
        self.started += 1
        out_path = os.path.join(self.workdir, f"wrk-{self.started}.out")
        t0 = time.monotonic()
        wrk_proc = Managed("wrk", cmd, out_path, out_path + ".err")
        exited = wait_exited(wrk_proc, seconds + 60)
        wall = time.monotonic() - t0
        cpu1, oncpu1, machine1 = (
            process_cpu_seconds(worker),
            process_oncpu_ns(worker),
            machine_cpu_ticks(),
        )
        wrk_cpu = process_cpu_seconds(wrk_proc.pid)  # a zombie still shows its CPU times
        code = wrk_proc.stop()
        foreign.update(foreign_programs(own_programs))
        if not exited or code != 0:
            raise SetupError(f"wrk failed ({code}): {read_file(out_path + '.err').strip()}")
        self.nginx.wait_log_settled()
        logged = self.nginx.log_since(offset)
        requests = logged["lines"]
        busy = (machine1[0] - machine0[0]) / CLK_TCK
        wrk = parse_wrk(read_file(out_path))
        return {
            "workload": workload,
            "seconds": seconds,
            "wall_s": wall,
            "wrk": wrk,
            "log": logged,
            "requests_logged": requests,
            "requests_per_second": wrk["requests_per_second"],
            "worker_cpu_s": cpu1 - cpu0,
            "worker_cpu_us_per_request": per_request_us(cpu1 - cpu0, requests),
            "worker_oncpu_us_per_request": per_request_us(
                (oncpu1 - oncpu0) / 1e9 if oncpu0 is not None else None, requests
            ),
            "wrk_cpu_us_per_request": per_request_us(wrk_cpu, requests),
            # Other programs on the hot path at the start or the end of the run.
            "foreign_programs": sorted(set(foreign.values())),
            "machine_busy_cpus": busy / wall if wall else None,
            "machine_cpu_us_per_request": per_request_us(busy, requests),
        }

    # -- the variants --

    def run_untraced(self, seconds):
        return self.load(seconds)

    def run_engine(self, seconds, workload="ok", bpf_stats=False, env=None):
        """A run under a daemon started for it; exactness checked against the log."""
        self.started += 1
        daemon = Daemon(self.args.daemon, self.workdir, self.started, self.args.nice, env)
        try:
            run = self.traced_load(daemon, seconds, workload, bpf_stats)
        finally:
            code = daemon.stop()
        run["daemon"]["exit_code"] = code
        return run

    def traced_load(self, daemon, seconds, workload, bpf_stats):
        worker = self.nginx.worker
        before = daemon.counts(worker)
        cpu0, oncpu0 = process_cpu_seconds(daemon.pid), threads_oncpu_ns(daemon.pid)
        own = daemon.prog_ids()
        with stats_window(bpf_stats, own) as bpf:
            run = self.load(seconds, workload, own)
        cpu1, oncpu1 = process_cpu_seconds(daemon.pid), threads_oncpu_ns(daemon.pid)
        expected = run["log"]["completed"]
        after = self.settled_counts(daemon, worker, sum(expected.values()), before)
        engine = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
        run["exactness"] = {
            "engine": dict(sorted(engine.items())),
            "log_completed": expected,
            "log_incomplete": run["log"]["incomplete"],
            "exact": engine == expected,
        }
        run["daemon"] = {
            "attach_ms_logged": daemon.attach_ms_logged,
            "start_to_attached_ms": daemon.attached_s * 1e3,
            "start_to_ready_ms": daemon.ready_s * 1e3,
            "startup_cpu_ms": daemon.startup_cpu_s * 1e3,
            "cpu_s": cpu1 - cpu0,
            "oncpu_s": (oncpu1 - oncpu0) / 1e9,
            "cpu_us_per_request": per_request_us((oncpu1 - oncpu0) / 1e9, run["requests_logged"]),
            "peak_rss_kib": peak_rss_kib(daemon.pid),
        }
        if bpf_stats:
            run["bpf"] = bpf.result(run["requests_logged"])
        return run

    def settled_counts(self, daemon, worker, expected_total, before):
        """The engine's counts once the aggregator has read the kernel after the run.

        It publishes once a second: wait at least that long so a late surplus would
        show, and up to a few seconds for a shortfall to resolve."""
        start = time.monotonic()
        counts = daemon.counts(worker)
        while time.monotonic() - start < 8:
            total = sum(counts.values()) - sum(before.values())
            if total == expected_total and time.monotonic() - start >= 1.5:
                break
            time.sleep(0.25)
            counts = daemon.counts(worker)
        return counts

    def run_bpftrace(self, seconds, bpf_stats=False):
        self.started += 1
        tracer = Bpftrace(
            self.workdir,
            self.nginx.worker,
            self.started,
            self.args.bpftrace_timeout,
            self.args.nice,
        )
        try:
            cpu0, oncpu0 = process_cpu_seconds(tracer.pid), threads_oncpu_ns(tracer.pid)
            own = tracer.prog_ids()
            with stats_window(bpf_stats, own) as bpf:
                run = self.load(seconds, own_programs=own)
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
            run["bpf"] = bpf.result(run["requests_logged"])
        return run

    def run_minimal(self, seconds, bpf_stats=False):
        """A run under bench/minimal's counter: one storage lookup per segment, one load
        and one counter per response. A lower bound of the work, checked against the log
        (it frames nothing, so it is exact only for one response per segment, as here)."""
        self.started += 1
        counter = MinimalCounter(self.args.minimal, self.workdir, self.started, self.args.nice)
        try:
            own = counter.prog_ids()
            attached = [what for i, what in hot_path_programs().items() if i in own]
            with stats_window(bpf_stats, own) as bpf:
                run = self.load(seconds, own_programs=own)
        finally:
            code, counted = counter.stop()
        if code != 0:
            raise SetupError(counter.failure(code))
        expected = run["log"]["completed"]
        run["minimal"] = {
            "attached": sorted(attached),
            "counted": dict(sorted(counted.items())),
            "log_completed": expected,
            "matches_log": counted == expected,
        }
        if bpf_stats:
            run["bpf"] = bpf.result(run["requests_logged"])
        return run

    def run_empty_hooks(self, seconds, bpf_stats=False, tc=False):
        """A run with programs that do nothing on the engine's hooks (cgroup_skb of
        the cgroup v2 root), or with tc=True on tcx of lo."""
        root = cgroup2_root()
        if root is None and not tc:
            raise SetupError("no cgroup v2 mount: the socket hooks need one")
        try:
            with EmptyHooks(interface="lo") if tc else EmptyHooks(cgroup=root) as hooks:
                attached = attached_links(hooks.prog_ids)
                with stats_window(bpf_stats, hooks.ids()) as bpf:
                    run = self.load(seconds, own_programs=hooks.ids())
        except EmptyHooksError as e:
            raise SetupError(f"the empty programs did not load or attach: {e}") from e
        run["empty_hooks"] = {"attached": sorted(attached)}
        if bpf_stats:
            run["bpf"] = bpf.result(run["requests_logged"])
        return run


def attached_links(prog_ids):
    """What the kernel says is attached, as evidence that a run measured the hooks:
    "<program> on <attach type>" per BPF link of the given programs ({name: id})."""
    names = {i: name for name, i in prog_ids.items()}
    # Older bpftool has no name for tcx links (BPF_LINK_TYPE_TCX, 11) nor their side.
    kinds = {11: "tcx"}
    return [
        f"{names[link['prog_id']]} on "
        + str(link.get("attach_type") or kinds.get(link.get("type"), link.get("type", "?")))
        for link in bpftool_json(["link", "show"])
        if link.get("prog_id") in names
    ]


def wait_exited(managed, timeout):
    """Waits for a child to exit without reaping it, so that /proc still shows its final
    CPU times. False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, managed.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.02)
    return False


def per_request_us(seconds, requests):
    return seconds / requests * 1e6 if seconds is not None and requests else None


class stats_window(contextlib.AbstractContextManager):
    """Reads the programs' run time and count around a block, with the kernel's
    accounting on only inside it when enabled is true."""

    def __init__(self, enabled, prog_ids):
        self.enabled = enabled
        self.ids = prog_ids
        self.sysctl = BpfStatsEnabled() if enabled else contextlib.nullcontext()

    def __enter__(self):
        self.sysctl.__enter__()
        self.before = bpf_prog_stats(self.ids) if self.enabled else {}
        return self

    def __exit__(self, *exc):
        try:
            self.after = bpf_prog_stats(self.ids) if self.enabled and exc[0] is None else {}
        finally:
            self.sysctl.__exit__(*exc)
        return False

    def result(self, requests):
        programs = []
        for pid, after in sorted(self.after.items(), key=lambda kv: kv[1]["name"]):
            before = self.before.get(pid, {"run_time_ns": 0, "run_cnt": 0})
            ns = after["run_time_ns"] - before["run_time_ns"]
            runs = after["run_cnt"] - before["run_cnt"]
            programs.append(
                {
                    "id": pid,
                    "name": after["name"],
                    "type": after["type"],
                    "run_time_ns": ns,
                    "run_cnt": runs,
                    "ns_per_run": ns / runs if runs else None,
                    "runs_per_request": runs / requests if requests else None,
                    "ns_per_request": ns / requests if requests else None,
                }
            )
        total = sum(p["run_time_ns"] for p in programs)
        return {
            "requests": requests,
            "programs": programs,
            "ns_per_request": total / requests if requests else None,
        }


# ---- the plan ----------------------------------------------------------------------


def rounds_plan(pairs, variants):
    """Each round runs every variant once, the order rotated per round so no variant
    always runs first (right after the previous round's last, on a warmer machine)."""
    order = [v for v in ALL_VARIANTS if v in variants]
    return [order[i % len(order) :] + order[: i % len(order)] for i in range(pairs)]


def run_variant(bench, variant, seconds, bpf_stats=False):
    if variant == "A":
        return bench.run_untraced(seconds)
    if variant == "B":
        return bench.run_engine(seconds, bpf_stats=bpf_stats)
    if variant == "S":
        # The programs kernels without bpf_loop load, on this one.
        return bench.run_engine(seconds, bpf_stats=bpf_stats, env={"HS_BPF_LOOP": "off"})
    if variant == "C":
        return bench.run_bpftrace(seconds, bpf_stats=bpf_stats)
    if variant == "M":
        return bench.run_minimal(seconds, bpf_stats=bpf_stats)
    return bench.run_empty_hooks(seconds, bpf_stats=bpf_stats, tc=variant == "T")


def run_optional(bench, variant, seconds, bpf_stats=False):
    """(run_variant's record, None), or for a comparison (OPTIONAL_VARIANTS) that cannot
    run here (None, why): the benchmark goes on without it."""
    try:
        return run_variant(bench, variant, seconds, bpf_stats), None
    except SetupError as e:
        if variant not in OPTIONAL_VARIANTS:
            raise
        log(f"{VARIANTS[variant]} skipped: {e}")
        return None, str(e)


def run_all(bench, args):
    """The interleaved rounds, then the extra runs. Returns every run's record."""
    runs = []
    variants = set(args.variants)
    for i, order in enumerate(rounds_plan(args.pairs, variants)):
        for variant in order:
            if variant not in variants:  # a comparison given up on in an earlier round
                continue
            log(f"round {i + 1}/{args.pairs}: {variant} ({VARIANTS[variant]}), {args.seconds} s")
            run, skipped = run_optional(bench, variant, args.seconds)
            if skipped:
                variants.discard(variant)
                runs.append({"variant": variant, "kind": "pair", "round": i, "skipped": skipped})
                continue
            runs.append(dict(run, variant=variant, kind="pair", round=i))
            log("  " + describe_run(runs[-1]))
    runs += extra_runs(bench, args, variants)
    return runs


def extra_runs(bench, args, variants):
    extra = []
    short = max(1, args.seconds // 2) if not args.quick else 1
    if "B" in variants:
        for workload in ("mixed", "pipelined"):
            log(f"exactness: B with the {workload} workload, {short} s")
            extra.append(dict(bench.run_engine(short, workload), variant="B", kind=workload))
            log("  " + describe_run(extra[-1]))
    if args.quick:
        return extra
    for variant in (v for v in ALL_VARIANTS if v in variants and v != "A"):
        log(f"BPF run time: {variant} with kernel.bpf_stats_enabled=1, {args.seconds} s")
        run, _ = run_optional(bench, variant, args.seconds, bpf_stats=True)
        if run:
            extra.append(dict(run, variant=variant, kind="bpf_stats"))
            log("  " + describe_run(extra[-1]))
    return extra


def describe_run(run):
    parts = [
        f"{run['requests_per_second'] or 0:,.0f} req/s",
        f"worker {fmt(run['worker_cpu_us_per_request'])} us/req",
        f"machine {fmt(run['machine_cpu_us_per_request'])} us/req",
    ]
    if "exactness" in run:
        parts.append(
            "exact"
            if run["exactness"]["exact"]
            else f"NOT EXACT engine={run['exactness']['engine']} log={run['exactness']['log_completed']}"
        )
    if "minimal" in run:
        m = run["minimal"]
        parts.append(
            "counted as logged"
            if m["matches_log"]
            else f"counted {m['counted']}, log {m['log_completed']}"
        )
    if "bpf" in run:
        parts.append(f"BPF {fmt(run['bpf']['ns_per_request'], 0)} ns/req")
    return ", ".join(parts)


# ---- summary -----------------------------------------------------------------------

# (key in the summary, label, how to get it from a run, digits)
METRICS = [
    ("requests_per_second", "throughput (req/s)", lambda r: r["requests_per_second"], 0),
    ("latency_avg_us", "wrk mean latency (us)", lambda r: r["wrk"]["latency_avg_us"], 0),
    (
        "worker_busy",
        "nginx worker busy (CPUs; 1.0 = saturated)",
        lambda r: r["worker_cpu_s"] / r["wall_s"] if r["wall_s"] else None,
        2,
    ),
    (
        "worker_cpu_us_per_request",
        "nginx worker CPU per request (us, utime+stime)",
        lambda r: r["worker_cpu_us_per_request"],
        2,
    ),
    (
        "worker_oncpu_us_per_request",
        "nginx worker on-CPU per request (us, schedstat)",
        lambda r: r["worker_oncpu_us_per_request"],
        2,
    ),
    (
        "wrk_cpu_us_per_request",
        "wrk CPU per request (us; includes the softirq work of packets it sends to nginx)",
        lambda r: r["wrk_cpu_us_per_request"],
        2,
    ),
    (
        "machine_cpu_us_per_request",
        "machine CPU per request (us, /proc/stat)",
        lambda r: r["machine_cpu_us_per_request"],
        2,
    ),
    ("machine_busy_cpus", "machine busy CPUs", lambda r: r["machine_busy_cpus"], 2),
    (
        "tracer_cpu_us_per_request",
        "daemon / bpftrace process CPU per request (us, schedstat)",
        lambda r: tracer_cpu_us_per_request(r),
        3,
    ),
]


def tracer_cpu_us_per_request(run):
    """CPU of the tracing process itself (the daemon or bpftrace) during the run."""
    if "daemon" in run:
        return run["daemon"]["cpu_us_per_request"]
    if "bpftrace" in run:
        return per_request_us(run["bpftrace"]["oncpu_s"], run["requests_logged"])
    return None


def clean_rounds(runs):
    """Rounds in which no run had someone else's BPF programs on the hot path."""
    pair_runs = [r for r in runs if r["kind"] == "pair" and "skipped" not in r]
    dirty = {r["round"] for r in pair_runs if r.get("foreign_programs")}
    return sorted({r["round"] for r in pair_runs} - dirty)


def ratio_keys(variants):
    """The ratios reported: each variant to the untraced runs, the engine and the minimal
    counter to the empty hooks (their own work above the floor of their hooks), and the
    engine to the minimal counter."""
    keys = [(v, "A") for v in variants if v != "A"]
    keys += [(v, "E") for v in "BM" if v in variants and "E" in variants]
    keys += [("S", "B")] if "S" in variants and "B" in variants else []
    return keys + ([("B", "M")] if "B" in variants and "M" in variants else [])


def summarize(runs, rounds=None):
    """Medians per variant and per-round ratios (ratio_keys), over the given rounds
    (all: None)."""
    pair_runs = [
        r
        for r in runs
        if r["kind"] == "pair" and "skipped" not in r and (rounds is None or r["round"] in rounds)
    ]
    variants = sorted({r["variant"] for r in pair_runs})
    rounds = sorted({r["round"] for r in pair_runs})
    by = {(r["round"], r["variant"]): r for r in pair_runs}
    summary = {}
    for key, _, get, _ in METRICS:
        entry = {"median": {}, "ratios": {}}
        for v in variants:
            entry["median"][v] = median([get(r) for r in pair_runs if r["variant"] == v])
        for v, base in ratio_keys(variants):
            per_round = [
                ratio(get(by[(i, v)]), get(by[(i, base)]))
                for i in rounds
                if (i, v) in by and (i, base) in by
            ]
            per_round = [x for x in per_round if x is not None]
            entry["ratios"][f"{v}/{base}"] = {
                "per_round": per_round,
                "median": median(per_round),
                "min": min(per_round) if per_round else None,
                "max": max(per_round) if per_round else None,
            }
        summary[key] = entry
    return summary


def summary_rounds(runs):
    """The rounds the summary is over: the clean ones, or all if none is clean (an
    'untraced' run with someone else's tracer attached is no baseline)."""
    clean = clean_rounds(runs)
    return clean or sorted({r["round"] for r in runs if r["kind"] == "pair"})


def exactness_rows(runs):
    return [r for r in runs if "exactness" in r]


def all_exact(runs):
    """True or False; None when no run was checked."""
    rows = exactness_rows(runs)
    return all(r["exactness"]["exact"] for r in rows) if rows else None


def minimal_matches_log(runs):
    """Whether variant M counted what the log holds in every run; None without M runs."""
    rows = [r for r in runs if "minimal" in r]
    return all(r["minimal"]["matches_log"] for r in rows) if rows else None


# ---- reports -----------------------------------------------------------------------


def fmt(value, digits=2):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def fmt_ratio(r):
    if not r or r["median"] is None:
        return "–"
    return f"{r['median']:.3f} [{r['min']:.3f}–{r['max']:.3f}]"


def fmt_counts(counts):
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items())) or "none"


def markdown(report):
    cfg, env, runs, summary = (
        report["config"],
        report["environment"],
        report["runs"],
        report["summary"],
    )
    variants = [
        v
        for v in ALL_VARIANTS
        if any(r["variant"] == v and r["kind"] == "pair" and "skipped" not in r for r in runs)
    ]
    out = [f"# http-statistics: overhead under load ({report['started_utc']})", ""]
    out += setup_lines(cfg, env)
    out += warning_lines(env, runs)
    out += [
        "",
        "## Overhead",
        "",
        rounds_sentence(report),
        "Ratios are per round (that round's A), shown as median [min–max]."
        + (
            " E/A is the floor: what programs that do nothing cost on the engine's packet "
            "hooks. B/E is what the engine's work adds above it."
            if "E" in variants
            else ""
        )
        + (
            " M/A: the least work a counter of responses can do on those hooks; B/M what "
            "the engine does beyond it (framing, methods, latency, processes)."
            if "M" in variants
            else ""
        )
        + (" T/A: the same floor on tc." if "T" in variants else ""),
        "",
    ]
    ratios = [f"{v}/{base}" for v, base in ratio_keys(variants)]
    header = ["metric"] + [f"{v}: {VARIANTS[v]}" for v in variants] + ratios
    out += [table_row(header), table_row(["---"] * len(header))]
    for key, label, _, digits in METRICS:
        entry = summary[key]
        if all(entry["median"].get(v) is None for v in variants):
            continue
        row = [label] + [fmt(entry["median"].get(v), digits) for v in variants]
        row += [fmt_ratio(entry["ratios"].get(key)) for key in ratios]
        out.append(table_row(row))
    out += [""] + bpf_lines(runs) + [""] + daemon_lines(runs) + [""] + exactness_lines(runs)
    out += [""] + bpftrace_lines(runs) + [""] + minimal_lines(runs) + [""] + run_lines(runs)
    return "\n".join(out) + "\n"


def rounds_sentence(report):
    used = report["summary_rounds"]
    total = report["config"]["pairs"]
    clean = clean_rounds(report["runs"])
    if len(used) == total:
        return f"Medians over all {total} round(s)."
    if clean:
        left_out = sorted(set(range(total)) - set(used))
        return (
            f"Medians over the {len(used)} of {total} rounds without other BPF programs on the "
            f"hot path (left out: round {', '.join(str(i + 1) for i in left_out)}; "
            "results.json's summary_all_rounds has all of them)."
        )
    return f"Medians over all {total} round(s); none was free of other BPF programs."


def table_row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def warning_lines(env, runs):
    """What makes this run's timings less trustworthy, said up front."""
    out = []
    if max(env["load_average_at_start"][0], env["load_average_at_end"][0]) > env["cpus"]:
        out.append(
            "- **warning: the machine was busy with other work** (1-minute load average above "
            "the CPU count): nginx and wrk competed for the CPUs, so throughput and per-request "
            "CPU of single runs vary with that contention, not only with the tracer. The BPF run "
            "time per request and the exactness checks do not depend on it."
        )
    foreign = [r for r in runs if r.get("foreign_programs")]
    if foreign:
        names = sorted({p for r in foreign for p in r["foreign_programs"]})
        out.append(
            f"- **warning: {len(foreign)} run(s) had other BPF programs on the hot path** (someone "
            f"else's tracer on this machine; an 'untraced' run was then traced): "
            + ", ".join(names[:8])
            + (" ..." if len(names) > 8 else "")
        )
    return out


def setup_lines(cfg, env):
    pin = (
        f"nginx worker pinned to CPU {cfg['nginx_cpu']}, wrk to CPU {cfg['wrk_cpu']}"
        if cfg["nginx_cpu"] is not None
        else "no CPU pinning"
    )
    return [
        f"- machine: {env['kernel']}, {env['cpus']} CPUs; {env['nginx']}; {env['wrk']}; {env['bpftrace']}",
        f'- nginx: 1 worker, `location = /ok {{ return 200 "ok"; }}`, keep-alive, access log on '
        f"(one line per request, same in every variant); {pin}"
        + (
            "; **HTTPS** (TLS 1.3, self-signed certificate): the engine counts through its "
            "uprobes on libssl.so.3"
            if cfg.get("https")
            else ""
        ),
        f"- load: `wrk -t1 -c{cfg['connections']} -d{cfg['seconds']}s`, saturating; "
        f"{cfg['pairs']} round(s) of {', '.join(cfg['variants'])}, order rotated per round; "
        f"nginx, wrk, the daemon and bpftrace at nice {cfg['nice']}",
        "- A: untraced. B: `http-statistics` started before the run (attached, /metrics answering) and "
        "stopped with SIGTERM after it. C: a bpftrace script on `sys_enter_recvfrom` and "
        "`sys_enter_writev` (status from the first iovec). E: two programs that only return 1 "
        "(`hs_empty_in`, `hs_empty_out`) on cgroup_skb ingress and egress of the cgroup v2 "
        "root, attached through BPF links like the engine's. M: `bench/minimal` on the same "
        "hooks (one socket-storage lookup per segment; per response one 16-byte load and one "
        "per-CPU counter by status; no framing). T: the empty programs on tcx ingress and "
        "egress of lo",
        "- per request = divided by the requests nginx logged in that run; worker CPU = "
        "utime+stime of the worker from /proc/<pid>/stat; machine CPU = busy time of all CPUs "
        "from /proc/stat (includes wrk, the daemon and anything else on the machine)",
        f"- load average (1, 5, 15 min) at start: {', '.join(str(x) for x in env['load_average_at_start'])}; "
        f"at the end: {', '.join(str(x) for x in env['load_average_at_end'])}",
        f"- commit {env['commit']}; kernel.bpf_stats_enabled was {env['bpf_stats_enabled_at_start']} "
        "at start (and is 1 only inside the separate BPF run-time runs)",
    ]


def bpf_lines(runs):
    out = [
        "## BPF run time per request",
        "",
        "Separate runs with `kernel.bpf_stats_enabled=1` (the accounting itself costs time per "
        "program run, so these runs are not among the rounds above); run_time_ns and run_cnt "
        "deltas from `bpftool prog show --json` for the programs the tracer holds.",
        "",
    ]
    stats_runs = [r for r in runs if "bpf" in r]
    if not stats_runs:
        return out + ["Not measured (--quick, or no traced variant)."]
    out += [
        table_row(
            ["variant", "program", "type", "runs per request", "ns per run", "ns per request"]
        ),
        table_row(["---"] * 6),
    ]
    for r in stats_runs:
        for p in r["bpf"]["programs"]:
            out.append(
                table_row(
                    [
                        r["variant"],
                        p["name"],
                        p["type"],
                        fmt(p["runs_per_request"], 2),
                        fmt(p["ns_per_run"], 0),
                        fmt(p["ns_per_request"], 0),
                    ]
                )
            )
        out.append(
            table_row(
                [r["variant"], "**all**", "", "", "", f"**{fmt(r['bpf']['ns_per_request'], 0)}**"]
            )
        )
    return out


def daemon_lines(runs):
    daemon_runs = [r for r in runs if "daemon" in r]
    out = ["## Daemon", ""]
    if not daemon_runs:
        return out + ["No traced run."]

    def med(key):
        return median([r["daemon"][key] for r in daemon_runs])

    codes = sorted({r["daemon"]["exit_code"] for r in daemon_runs})
    out += [
        table_row(["measure", f"median of {len(daemon_runs)} daemon starts"]),
        table_row(["---", "---"]),
        table_row(
            ['start → "attached in N ms" logged (ms, wall)', fmt(med("start_to_attached_ms"), 0)]
        ),
        table_row(["attach time the daemon reports (ms)", fmt(med("attach_ms_logged"), 0)]),
        table_row(["start → /metrics answering (ms)", fmt(med("start_to_ready_ms"), 0)]),
        table_row(["CPU used by start-up (ms)", fmt(med("startup_cpu_ms"), 0)]),
        table_row(
            [
                "CPU during a run (us per request, schedstat, all threads)",
                fmt(med("cpu_us_per_request"), 3),
            ]
        ),
        table_row(
            [
                "CPU during a run (ms per second)",
                fmt(median([r["daemon"]["oncpu_s"] / r["wall_s"] * 1e3 for r in daemon_runs]), 2),
            ]
        ),
        table_row(
            [
                "peak RSS, VmHWM (MiB)",
                fmt(med("peak_rss_kib") / 1024 if med("peak_rss_kib") else None, 1),
            ]
        ),
        table_row(["exit codes after SIGTERM", ", ".join(str(c) for c in codes)]),
    ]
    return out


def run_name(run):
    """How the report tables name a run: its round, or the kind of an extra run."""
    return f"round {run['round'] + 1}" if run["kind"] == "pair" else run["kind"]


def exactness_lines(runs):
    rows = exactness_rows(runs)
    verdict = {True: "all exact", False: "**NOT EXACT**", None: "not checked: no traced run"}[
        all_exact(runs)
    ]
    out = [
        "## Exactness (" + verdict + ")",
        "",
        "Engine: `http_server_requests_total{process_pid=<worker>}` from the daemon's /metrics, "
        "summed by `http_response_status_code`, after minus before the run. nginx: access log lines "
        "of that run with `$request_completion` = OK (a request read while wrk closed its "
        "connections is logged without it; its response never left, so it is not counted).",
        "",
    ]
    out += [
        table_row(
            [
                "run",
                "logged",
                "nginx completed, by status",
                "engine, by status",
                "incomplete (not sent)",
                "pipelined lines",
                "exact",
            ]
        ),
        table_row(["---"] * 7),
    ]
    for r in rows:
        e = r["exactness"]
        out.append(
            table_row(
                [
                    run_name(r),
                    fmt(r["requests_logged"]),
                    fmt_counts(e["log_completed"]),
                    fmt_counts(e["engine"]),
                    fmt_counts(e["log_incomplete"]),
                    fmt(r["log"]["pipelined"]),
                    "yes" if e["exact"] else "**NO**",
                ]
            )
        )
    return out


def bpftrace_lines(runs):
    rows = [r for r in runs if "bpftrace" in r]
    skipped = [r for r in runs if r.get("skipped") and r["variant"] == "C"]
    out = ["## What the bpftrace script counted (for comparison, not asserted)", ""]
    if skipped and not rows:
        return out + [f"bpftrace skipped: {skipped[0]['skipped'].splitlines()[0]}"]
    if not rows:
        return out + ["Not run."]
    out += [
        table_row(
            [
                "run",
                "nginx logged",
                "recvfrom calls (its 'requests')",
                "status lines seen",
                "start → attached (ms)",
            ]
        ),
        table_row(["---"] * 5),
    ]
    for r in rows:
        b = r["bpftrace"]
        out.append(
            table_row(
                [
                    run_name(r),
                    fmt(r["requests_logged"]),
                    fmt(b["counted"]["recvfrom_calls"]),
                    fmt_counts(b["counted"]["status"]),
                    fmt(b["start_to_attached_ms"], 0),
                ]
            )
        )
    return out


def minimal_lines(runs):
    rows = [r for r in runs if "minimal" in r]
    if not rows:
        return []
    out = ["## What the minimal counter (M) counted", ""]
    out += [
        table_row(["run", "nginx completed, by status", "counted, by status", "as logged"]),
        table_row(["---"] * 4),
    ]
    for r in rows:
        m = r["minimal"]
        out.append(
            table_row(
                [
                    run_name(r),
                    fmt_counts(m["log_completed"]),
                    fmt_counts(m["counted"]),
                    "yes" if m["matches_log"] else "**NO**",
                ]
            )
        )
    return out


def run_lines(runs):
    out = [
        "## Every run",
        "",
        table_row(
            [
                "round",
                "variant",
                "workload",
                "req/s",
                "logged",
                "worker us/req",
                "wrk us/req",
                "machine us/req",
                "tracer us/req",
                "wrk errors",
                "other BPF programs",
            ]
        ),
        table_row(["---"] * 11),
    ]
    for r in runs:
        if "skipped" in r:
            continue
        tracer = tracer_cpu_us_per_request(r)
        errors = r["wrk"]["socket_errors"]
        out.append(
            table_row(
                [
                    r["round"] + 1 if r["kind"] == "pair" else r["kind"],
                    r["variant"],
                    r["workload"],
                    fmt(r["requests_per_second"], 0),
                    fmt(r["requests_logged"]),
                    fmt(r["worker_cpu_us_per_request"]),
                    fmt(r["wrk_cpu_us_per_request"]),
                    fmt(r["machine_cpu_us_per_request"]),
                    fmt(tracer, 3),
                    errors,
                    len(r.get("foreign_programs", [])),
                ]
            )
        )
    return out


def plot(report, path, workdir):
    """overhead.png: throughput and worker CPU per request per variant, each run a point,
    the median a bar."""
    runs = [r for r in report["runs"] if r["kind"] == "pair" and "skipped" not in r]
    variants = [v for v in ALL_VARIANTS if any(r["variant"] == v for r in runs)]
    pairs = max(1, report["config"]["pairs"])
    used = set(report["summary_rounds"])
    points = os.path.join(workdir, "runs.dat")
    left_out = os.path.join(workdir, "left_out.dat")
    bars = os.path.join(workdir, "medians.dat")
    with open(points, "w", encoding="ascii") as f, open(left_out, "w", encoding="ascii") as g:
        for r in runs:
            x = variants.index(r["variant"]) - 0.25 + 0.5 * (r["round"] + 0.5) / pairs
            line = (
                f"{x:.3f} {r['requests_per_second'] or 0} {r['worker_cpu_us_per_request'] or 0}\n"
            )
            (f if r["round"] in used else g).write(line)
    with open(bars, "w", encoding="ascii") as f:
        for i, v in enumerate(variants):
            rps = report["summary"]["requests_per_second"]["median"].get(v) or 0
            cpu = report["summary"]["worker_cpu_us_per_request"]["median"].get(v) or 0
            f.write(f"{i} {rps} {cpu}\n")
    # Two lines per label (gnuplot reads \n in double quotes): five one-line names
    # overlap at this width.
    labels = [VARIANTS[v].replace(" ", "\\n", 1) for v in variants]
    xtics = ", ".join(f'"{label}" {i}' for i, label in enumerate(labels))

    def left_out_points(column):
        if all(r["round"] in used for r in runs):
            return ""
        return (
            f', \\\n     "{left_out}" using 1:{column} with points pt 6 ps 0.8 lc rgb "#888888" '
            'title "left out (other BPF programs)"'
        )

    # Room above the tallest point for the key.
    top_rps = 1.3 * max([r["requests_per_second"] or 0 for r in runs] + [1])
    top_cpu = 1.3 * max([r["worker_cpu_us_per_request"] or 0 for r in runs] + [1])
    script = f"""
set terminal pngcairo size 1100,480 font ",10"
set output "{path}"
set multiplot layout 1,2 title "http-statistics overhead: nginx return 200, wrk -t1 -c{report['config']['connections']}, {pairs} round(s) x {report['config']['seconds']} s"
set style fill solid 0.35 border -1
set boxwidth 0.6
set bmargin 4
set xrange [-0.6:{len(variants) - 0.4}]
set xtics ({xtics})
set grid ytics
set key top right opaque box
set title "throughput (requests/s; higher is better)"
set yrange [0:{top_rps}]
plot "{bars}" using 1:2 with boxes lc rgb "#4477aa" title "median", \\
     "{points}" using 1:2 with points pt 7 ps 0.8 lc rgb "#222222" title "runs"{left_out_points(2)}
set title "nginx worker CPU per request (us; lower is better)"
set yrange [0:{top_cpu}]
plot "{bars}" using 1:3 with boxes lc rgb "#cc6677" title "median", \\
     "{points}" using 1:3 with points pt 7 ps 0.8 lc rgb "#222222" title "runs"{left_out_points(3)}
unset multiplot
"""
    gp = os.path.join(workdir, "overhead.gp")
    with open(gp, "w", encoding="utf-8") as f:
        f.write(script)
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True, timeout=60, check=False)
    if r.returncode != 0:
        raise SetupError("gnuplot failed: " + r.stderr.strip())


def environment(args):
    commit = command_output(
        ["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--short", "HEAD"]
    )
    return {
        "kernel": f"Linux {platform.release()}",
        "cpus": os.cpu_count(),
        "nginx": command_output(["nginx", "-v"]).replace("nginx version: ", ""),
        "wrk": (command_output(["wrk", "--version"]).splitlines() or ["wrk"])[0]
        .split(" Copyright")[0]
        .strip(),
        "bpftrace": command_output(["bpftrace", "--version"])
        if "C" in args.variants
        else "bpftrace not used",
        "commit": commit or "unknown",
        "bpf_stats_enabled_at_start": read_file(BpfStatsEnabled.PATH).strip(),
        # Other work on the machine competes with nginx and wrk: worth knowing.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "daemon": os.path.abspath(args.daemon) if set("BS") & set(args.variants) else None,
    }


def write_reports(report, out_dir, workdir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(os.path.join(out_dir, "results.md"), "w", encoding="utf-8") as f:
        f.write(markdown(report))
    plot(report, os.path.join(out_dir, "overhead.png"), workdir)


# ---- main --------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--pairs", type=int, default=5, help="rounds of every variant (default 5)")
    p.add_argument("--seconds", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--out", default="results", help="results go to OUT/<UTC timestamp>/")
    p.add_argument(
        "--quick",
        action="store_true",
        help="1 round of 2 s runs, 1 s exactness runs, no BPF run-time runs",
    )
    p.add_argument("--daemon", default="build/http-statistics", help="the daemon binary")
    p.add_argument(
        "--minimal",
        default=None,
        help="variant M's counter (default: minimal_counting beside the daemon)",
    )
    p.add_argument(
        "--variants",
        default=DEFAULT_VARIANTS,
        help=f"which of {', '.join(VARIANTS)} to run (default {DEFAULT_VARIANTS})",
    )
    p.add_argument("--connections", type=int, default=20, help="wrk connections (default 20)")
    p.add_argument(
        "--https",
        action="store_true",
        help="nginx and wrk over TLS (the engine counts through its OpenSSL uprobes); "
        "implies --variants AB: the bpftrace script reads syscalls, which carry only ciphertext",
    )
    p.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="do not pin the nginx worker to CPU 0 and wrk to CPU 1",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=None,
        help="nice value for nginx, wrk, the daemon and bpftrace (default -20, 0 with --quick): "
        "on a shared machine the measured processes then get the CPU before other work",
    )
    p.add_argument(
        "--bpftrace-timeout",
        type=float,
        default=30.0,
        help="give up on bpftrace (and skip C) if it takes longer to attach",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.pairs, args.seconds = 1, 2
        args.bpftrace_timeout = min(args.bpftrace_timeout, 10.0)
    if args.nice is None:
        args.nice = 0 if args.quick else -20
    if args.minimal is None:
        args.minimal = os.path.join(os.path.dirname(args.daemon), "minimal_counting")
    args.variants = "".join(v for v in ALL_VARIANTS if v in args.variants.upper())
    if args.https:
        args.variants = args.variants.replace("C", "")
    if "A" not in args.variants or args.pairs < 1 or args.seconds < 1:
        p.error("need variant A (the baseline), --pairs >= 1 and --seconds >= 1")
    return args


def check_prerequisites(args):
    if os.geteuid() != 0:
        raise SetupError("run as root: the daemon and bpftrace load BPF programs")
    tools = ["nginx", "wrk", "gnuplot", "taskset"] + (["bpftool"] if not args.quick else [])
    tools += ["openssl"] if args.https else []
    tools += ["bpftrace"] if "C" in args.variants else []
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        raise SetupError(
            "missing tools: " + ", ".join(missing) + " (scripts/install-deps.sh installs them)"
        )
    if set("BS") & set(args.variants) and not os.access(args.daemon, os.X_OK):
        raise SetupError(
            f"no daemon at {args.daemon}: build it (cmake --build build --target "
            "http-statistics) or pass --daemon PATH"
        )


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def raise_on_signal(signum, _frame):
    # A second Ctrl-C must not cut the cleanup that the first one starts.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv):
    args = parse_args(argv)
    # Every stop signal unwinds like Ctrl-C, so every cleanup below runs (SIGINT too:
    # a shell starting this in the background would otherwise have it ignored).
    for sig in STOP_SIGNALS:
        signal.signal(sig, raise_on_signal)
    started = datetime.datetime.now(datetime.timezone.utc)
    out_dir = os.path.join(args.out, started.strftime("%Y%m%dT%H%M%SZ"))
    try:
        check_prerequisites(args)
        with contextlib.ExitStack() as stack:
            workdir = tempfile.mkdtemp(prefix="hs-overhead-")
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
            if "C" in args.variants:
                stack.enter_context(TracefsMounted())  # unmounted once bpftrace is gone
            stack.callback(Managed.stop_all)  # before the directory they write to goes
            env = environment(args)
            if env["bpf_stats_enabled_at_start"] == "1":
                log("warning: kernel.bpf_stats_enabled is already 1: every traced run pays for it")
            bench = Bench(args, workdir, stack)
            log(f"nginx on 127.0.0.1:{bench.nginx.port}, worker {bench.nginx.worker}")
            runs = run_all(bench, args)
            env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            report = {
                "started_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
                "config": {
                    "pairs": args.pairs,
                    "seconds": args.seconds,
                    "quick": args.quick,
                    "variants": list(args.variants),
                    "connections": args.connections,
                    "https": args.https,
                    "nginx_cpu": bench.nginx_cpu,
                    "wrk_cpu": bench.wrk_cpu,
                    "nice": args.nice,
                    "pipeline_depth": PIPELINE_DEPTH,
                },
                "environment": env,
                "runs": runs,
                "summary_rounds": summary_rounds(runs),
                "summary": summarize(runs, summary_rounds(runs)),
                "summary_all_rounds": summarize(runs),
                "all_exact": all_exact(runs),
                "minimal_matches_log": minimal_matches_log(runs),
            }
            write_reports(report, out_dir, workdir)
    except SetupError as e:
        log(f"error: {e}")
        return 2
    except KeyboardInterrupt:
        log("interrupted: everything started was stopped")
        return 130
    log(f"results in {out_dir}/ (results.md, results.json, overhead.png)")
    if report["all_exact"] is False:
        log("exactness FAILED: see the Exactness table in results.md")
        return 1
    if report["minimal_matches_log"] is False:
        # M's figures are a lower bound only if M did the work it stands for.
        log("the minimal counter's counts differ from the log: see results.md")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
