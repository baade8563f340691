"""Measuring one run: what the runs share (options, servers, topology, cleanup), the
HTTP load and the CPU per request around it, and the BPF run-time window."""

import contextlib
import os
import time

from .common import CLK_TCK, SetupError, read_file
from .processes import Managed, wait_exited
from .readings import (
    BpfStatsEnabled,
    bpf_prog_stats,
    foreign_programs,
    machine_cpu_ticks,
    process_cpu_seconds,
    process_oncpu_ns,
)
from .servers import Nginx
from .wrk import CLOSE_LUA, MIXED_LUA, PIPELINED_LUA, TEMPLATES_LUA, parse_wrk, wrk_command


class Bench:
    """Everything the runs share: options, the servers (started when first needed), the
    topology, the temp dir and the cleanup stack."""

    def __init__(self, args, workdir, stack, topology):
        self.args = args
        self.workdir = workdir
        self.stack = stack
        self.topology = topology
        pin = args.pin and os.cpu_count() >= 2
        self.nginx_cpu, self.wrk_cpu = (0, 1) if pin else (None, None)
        self.servers = {}
        self.scripts = {}
        for name, text in (
            ("mixed", MIXED_LUA),
            ("pipelined", PIPELINED_LUA),
            ("templates", TEMPLATES_LUA),
            ("close", CLOSE_LUA),
        ):
            path = os.path.join(workdir, f"{name}.lua")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            self.scripts[name] = path
        self.started = 0  # daemons and bpftrace instances, for unique dirs
        self.last_log_tail = []  # the last run's last access log lines

    @property
    def nginx(self):
        return self.server("nginx")

    def server(self, kind):
        """The server of that kind ("nginx", or a workload's own factory name), started on
        first use in the topology's server cgroup and address, stopped at the end."""
        if kind not in self.servers:
            if kind == "nginx":
                server = Nginx(
                    self.workdir,
                    self.nginx_cpu,
                    self.args.nice,
                    self.args.https,
                    host=self.topology.server_host,
                    cgroup=self.topology.server_cgroup,
                )
            else:
                server = SERVER_FACTORIES[kind](self)
            self.stack.callback(server.stop)
            self.servers[kind] = server
        return self.servers[kind]

    def cgroups(self):
        """The cgroups whose programs run on the measured path besides the root's."""
        return [c for c in (self.topology.attach_cgroup,) if c]

    def measure(self, seconds, workload, own_programs=frozenset()):
        """One run of a workload; returns its record."""
        return workload.measure(self, seconds, own_programs)

    def load(self, seconds, workload, own_programs=frozenset()):
        """Runs wrk once against the workload's server and measures around it. Returns
        the run's record."""
        server = self.server(workload.server)
        worker = server.worker
        foreign = foreign_programs(own_programs, self.cgroups())
        cmd = wrk_command(
            server.url(workload.path),
            seconds,
            self.args.connections,
            self.wrk_cpu,
            self.scripts.get(workload.script),
            self.args.nice,
            self.topology.client_netns,
        )
        offset = server.log_offset()
        cpu0, oncpu0, machine0 = (
            process_cpu_seconds(worker),
            process_oncpu_ns(worker),
            machine_cpu_ticks(),
        )
        self.started += 1
        out_path = os.path.join(self.workdir, f"wrk-{self.started}.out")
        t0 = time.monotonic()
        wrk_proc = Managed("wrk", cmd, out_path, out_path + ".err", self.topology.client_cgroup)
        exited = wait_exited(wrk_proc, seconds + 60)
        wall = time.monotonic() - t0
        cpu1, oncpu1, machine1 = (
            process_cpu_seconds(worker),
            process_oncpu_ns(worker),
            machine_cpu_ticks(),
        )
        wrk_cpu = process_cpu_seconds(wrk_proc.pid)  # a zombie still shows its CPU times
        code = wrk_proc.stop()
        foreign.update(foreign_programs(own_programs, self.cgroups()))
        if not exited or code != 0:
            raise SetupError(f"wrk failed ({code}): {read_file(out_path + '.err').strip()}")
        server.wait_log_settled()
        logged = server.log_since(offset)
        # Kept out of the record: only a run that is not exact reports it.
        self.last_log_tail = logged.pop("tail")
        requests = logged["lines"]
        busy = (machine1[0] - machine0[0]) / CLK_TCK
        wrk = parse_wrk(read_file(out_path))
        return {
            "workload": workload.name,
            "server_pid": worker,
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


# Servers other than nginx, by name: a workload module registers its own (kind -> a
# function of the Bench that starts it).
SERVER_FACTORIES = {}


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

    def result(self, run):
        """Per request of the run (per MiB too, for a run that moved bytes, not requests)."""
        requests, mib = run.get("requests_logged"), run.get("mib")
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
                    "ns_per_mib": ns / mib if mib else None,
                }
            )
        total = sum(p["run_time_ns"] for p in programs)
        return {
            "requests": requests,
            "programs": programs,
            "ns_per_request": total / requests if requests else None,
            "ns_per_mib": total / mib if mib else None,
        }
