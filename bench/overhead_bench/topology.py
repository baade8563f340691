"""Where the server, its clients and the measured programs are.

local (the default): everything on 127.0.0.1 in the benchmark's own cgroup; the
engine and the floors attach to the cgroup v2 root, so both ends of every
connection run their programs (the worst case).

remote-client: wrk in its own network namespace, reaching the server over a veth
pair on a private /30, and in its own cgroup; the server in another, the one the
engine and the floors attach to. Only the server's side of each connection runs the
programs, as on a server whose clients are on other machines.

bystanders: the processes the engine should not count (iperf3 at both ends, a busy
wrk) in the cgroup it attaches to; nginx, which that wrk loads, outside it.

Everything created is removed by close(), which the benchmark's cleanup calls after
every process it started is stopped (also on Ctrl-C and errors)."""

import contextlib
import os
import subprocess
import time

from .common import SetupError, log, read_file
from .readings import cgroup2_root


class Local:
    name = "local"
    server_host = "127.0.0.1"
    server_cgroup = None
    client_cgroup = None
    client_netns = None
    attach_cgroup = None  # None: the cgroup v2 root
    tc_interface = "lo"

    def close(self):
        pass

    def describe(self):
        return {
            "name": self.name,
            "server_host": self.server_host,
            "server_cgroup": self.server_cgroup,
            "client_cgroup": self.client_cgroup,
            "client_netns": self.client_netns,
            "attach_cgroup": self.attach_cgroup or cgroup2_root(),
            "tc_interface": self.tc_interface,
        }


class _Created(Local):
    """A topology with cgroups (and a namespace) of its own, undone in reverse order."""

    def __init__(self):
        self.undo = []
        root = cgroup2_root()
        if root is None:
            raise SetupError("no cgroup v2 mount: the cgroups of this topology need one")
        self.parent = os.path.join(root, f"hs-bench-{os.getpid()}")
        try:
            self._make_cgroup(self.parent)
            self.build()
        except BaseException:
            self.close()
            raise

    def build(self):
        raise NotImplementedError

    def _make_cgroup(self, path):
        os.mkdir(path)
        self.undo.append(lambda: remove_cgroup(path))
        return path

    def close(self):
        while self.undo:
            try:
                self.undo.pop()()
            except (OSError, subprocess.SubprocessError) as e:
                log(f"cleanup: {e}")


class RemoteClient(_Created):
    name = "remote-client"

    def build(self):
        self.server_cgroup = self._make_cgroup(os.path.join(self.parent, "server"))
        self.client_cgroup = self._make_cgroup(os.path.join(self.parent, "client"))
        self.attach_cgroup = self.server_cgroup
        tag = f"hsb{os.getpid() % 100000}"
        self.client_netns = f"{tag}-client"
        self.tc_interface, peer = f"{tag}s", f"{tag}c"  # the server's end, the client's
        subnet = free_subnet()
        self.server_host, client_host = f"{subnet}.1", f"{subnet}.2"
        ip("netns", "add", self.client_netns)
        self.undo.append(lambda: ip("netns", "del", self.client_netns))
        ip("link", "add", self.tc_interface, "type", "veth", "peer", "name", peer,
           "netns", self.client_netns)
        # Deleting the namespace deletes the peer, and with it this end; in case not:
        self.undo.append(lambda: ip("link", "del", self.tc_interface, check=False))
        ip("addr", "add", f"{self.server_host}/30", "dev", self.tc_interface)
        ip("link", "set", self.tc_interface, "up")
        inside = ("-n", self.client_netns)
        ip(*inside, "addr", "add", f"{client_host}/30", "dev", peer)
        ip(*inside, "link", "set", peer, "up")
        ip(*inside, "link", "set", "lo", "up")


class Bystanders(_Created):
    name = "bystanders"

    def build(self):
        self.server_cgroup = self._make_cgroup(os.path.join(self.parent, "server"))
        self.client_cgroup = self._make_cgroup(os.path.join(self.parent, "bystanders"))
        self.attach_cgroup = self.client_cgroup


TOPOLOGIES = {t.name: t for t in (Local, RemoteClient, Bystanders)}


def ip(*args, check=True):
    r = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if check and r.returncode != 0:
        raise SetupError(f"ip {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def free_subnet():
    """The first three octets of a 10.254.N.0/30 that no address or route here uses."""
    used = ip("-4", "-o", "addr", "show") + ip("-4", "route", "show", "table", "all")
    for n in range(os.getpid() % 200, 256):
        if f"10.254.{n}." not in used:
            return f"10.254.{n}"
    raise SetupError("no free 10.254.N.0/30 for the veth pair")


def remove_cgroup(path, timeout=5.0):
    """rmdir once empty: the processes in it were all started by the benchmark and are
    stopped by then, but their exit can trail it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() >= deadline:
                left = read_file(os.path.join(path, "cgroup.procs")).split()
                raise OSError(f"cgroup {path} not removed; processes still in it: {left}")
            time.sleep(0.1)


@contextlib.contextmanager
def created(name):
    """The named topology for the duration of a with-block."""
    topology = TOPOLOGIES[name]()
    try:
        yield topology
    finally:
        topology.close()
