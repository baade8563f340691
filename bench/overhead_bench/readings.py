"""Readings of the kernel's state: CPU times from /proc, the BPF programs processes
hold and their run-time statistics, what is attached on the hot path, and the
sysctl and mount the measuring needs."""

import contextlib
import json
import os
import re
import subprocess

from empty_hooks import prog_id

from .common import CLK_TCK, log, read_file


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


def hot_path_programs(cgroups=()):
    """{prog id: what it is} for the programs that can run on nginx's and wrk's path:
    those on the cgroup v2 root and the given cgroups (socket hooks) and those on
    tracepoints through perf events (syscall hooks, bpftrace). On a shared machine
    someone else's tracer there would make an "untraced" run traced."""
    found = {}
    root = cgroup2_root()
    for cgroup in dict.fromkeys(([root] if root else []) + list(cgroups)):
        for a in bpftool_json(["cgroup", "show", cgroup]):
            found[a["id"]] = f"{a.get('name', '?')} on {a.get('attach_type', '?')}"
    for a in bpftool_json(["perf", "show"]):
        if a.get("fd_type") == "tracepoint":
            found[a["prog_id"]] = f"{a.get('tracepoint', '?')} (pid {a.get('pid', '?')})"
    return found


def foreign_programs(own, cgroups=()):
    """Hot-path programs that are not the measured tracer's (own: its program ids)."""
    return {i: what for i, what in hot_path_programs(cgroups).items() if i not in own}


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
