"""bulk-tcp, a bystander: a bulk TCP transfer that is not HTTP (iperf3, client and
server in the cgroup the engine attaches to, over loopback). The engine gives the
server's connections their state and looks at their first bytes, then must count
nothing; what the transfer's CPU per byte gains under it is its cost to such traffic."""

import dataclasses
import json
import os
import time

from ..common import CLK_TCK, SetupError, free_port, port_open, read_file, wait_for
from ..measurement import SERVER_FACTORIES
from ..processes import Managed, niced, wait_exited
from ..readings import foreign_programs, machine_cpu_ticks, process_cpu_seconds
from . import HttpWorkload

MIB = 1024 * 1024


class Iperf3Server:
    """iperf3 -s on 127.0.0.1:<free port>, pinned, in the bystanders' cgroup."""

    def __init__(self, workdir, cpu=None, nice=0, cgroup=None):
        self.dir = os.path.join(workdir, "iperf3")
        os.makedirs(self.dir)
        for _ in range(5):  # the free port may be taken before iperf3 binds it
            self.port = free_port()
            cmd = niced(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(self.port)], nice)
            cmd = ["taskset", "-c", str(cpu)] + cmd if cpu is not None else cmd
            self.proc = Managed(
                "iperf3 -s", cmd, self.dir + "/stdout", self.dir + "/stderr", cgroup=cgroup
            )
            if wait_for(lambda: not self.proc.running() or port_open(self.port), 15):
                if self.proc.running():
                    self.worker = self.proc.pid
                    return
            self.proc.stop()
        raise SetupError("iperf3 -s did not start:\n" + read_file(self.dir + "/stderr"))

    def stop(self):
        self.proc.stop()


SERVER_FACTORIES["iperf3"] = lambda bench: Iperf3Server(
    bench.workdir, bench.nginx_cpu, bench.args.nice, bench.topology.client_cgroup
)


@dataclasses.dataclass(frozen=True)
class BulkTcp(HttpWorkload):
    def counted_pid(self, bench):
        return None  # nothing here is HTTP: the engine must count nothing anywhere

    def expected_counts(self, run):
        return {}

    def measure(self, bench, seconds, own_programs):
        """One iperf3 client run; CPU per MiB of the server, the client and the machine."""
        server = bench.server("iperf3")
        foreign = foreign_programs(own_programs, bench.cgroups())
        cmd = niced(
            ["iperf3", "-c", "127.0.0.1", "-p", str(server.port), "-t", str(seconds), "-J"],
            bench.args.nice,
        )
        if bench.wrk_cpu is not None:
            cmd = ["taskset", "-c", str(bench.wrk_cpu)] + cmd
        bench.started += 1
        out = os.path.join(bench.workdir, f"iperf3-{bench.started}.json")
        server0, machine0 = process_cpu_seconds(server.worker), machine_cpu_ticks()
        t0 = time.monotonic()
        client = Managed("iperf3 -c", cmd, out, out + ".err", bench.topology.client_cgroup)
        exited = wait_exited(client, seconds + 30)
        wall = time.monotonic() - t0
        server1, machine1 = process_cpu_seconds(server.worker), machine_cpu_ticks()
        client_cpu = process_cpu_seconds(client.pid)  # a zombie still shows its CPU times
        code = client.stop()
        foreign.update(foreign_programs(own_programs, bench.cgroups()))
        if not exited or code != 0:
            raise SetupError(f"iperf3 -c failed ({code}): {read_file(out)[-2000:]}")
        received = json.loads(read_file(out))["end"]["sum_received"]["bytes"]
        mib = received / MIB
        busy = (machine1[0] - machine0[0]) / CLK_TCK
        return {
            "workload": self.name,
            "seconds": seconds,
            "wall_s": wall,
            "bytes": received,
            "mib": mib,
            "throughput_gbit_s": received * 8 / 1e9 / wall,
            "requests_logged": None,
            "requests_per_second": None,
            "worker_cpu_s": server1 - server0,
            "bystander_cpu_us_per_mib": (server1 - server0 + client_cpu) / mib * 1e6,
            "server_cpu_us_per_mib": (server1 - server0) / mib * 1e6,
            "client_cpu_us_per_mib": client_cpu / mib * 1e6,
            "foreign_programs": sorted(set(foreign.values())),
            "machine_busy_cpus": busy / wall if wall else None,
            "machine_cpu_us_per_mib": busy / mib * 1e6,
        }


WORKLOADS = [
    BulkTcp(
        "bulk-tcp",
        "bystander: an iperf3 bulk transfer (not HTTP) in the engine's cgroup",
        chart=(
            ("throughput_gbit_s", "throughput (Gbit/s; higher is better)"),
            ("bystander_cpu_us_per_mib", "iperf3 CPU per MiB (us; lower is better)"),
        ),
    )
]
