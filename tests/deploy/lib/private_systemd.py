"""A private systemd manager for running a unit file for real on any host with
systemd installed, whether or not systemd is PID 1 there.

systemd runs as a system manager only as PID 1, so this starts a user
manager as root (private-systemd.sh sets the stage in a mount namespace of
its own) in cgroups of its own. As root it applies a unit's sandboxing
(capabilities, seccomp, mount namespaces, ...) as the system manager does.
"""

import os
import signal
import subprocess
import time

from processes import wait_until

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "private-systemd.sh")
# SIGRTMIN+24: a user manager exits at once (its SIGTERM would start
# exit.target, which this manager cannot load).
EXIT_SIGNAL = signal.SIGRTMIN + 24


def cgroup_hierarchies():
    """Mount points of the cgroup v2 tree and of systemd's v1 tree (hybrid
    layout), the ones a manager keeps its processes in."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            before, _, after = line.partition(" - ")
            fields, (fstype, _, options) = before.split(), after.split()[:3]
            if fstype == "cgroup2" or (fstype == "cgroup" and "name=systemd" in options):
                found.append(fields[4])
    return found


def _remove_cgroup_tree(path):
    """Kills what is left in a cgroup tree and removes it, deepest first."""
    for _ in range(50):
        if not os.path.isdir(path):
            return
        busy = False
        for root, dirs, _ in os.walk(path, topdown=False):
            for d in dirs + [""]:
                cg = os.path.join(root, d) if d else root
                try:
                    with open(os.path.join(cg, "cgroup.procs")) as f:
                        pids = [int(p) for p in f.read().split()]
                except OSError:
                    continue
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    os.rmdir(cg)
                except OSError:
                    busy = True
        if not busy:
            return
        time.sleep(0.1)


class PrivateSystemd:
    def __init__(self, unit_dir, bin_dir, target, log_path):
        self.name = f"hs-deploy-systemd-{os.getpid()}"
        self.cgroups = [os.path.join(h, self.name) for h in cgroup_hierarchies()]
        for cg in self.cgroups:
            os.mkdir(cg)
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.proc = subprocess.Popen(
                [
                    "unshare",
                    "--mount",
                    "--propagation",
                    "private",
                    SCRIPT,
                    unit_dir,
                    bin_dir,
                    target,
                    *self.cgroups,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        up = wait_until(
            lambda: self.proc.poll() is not None
            or self.systemctl("is-active", target).stdout.strip() == "active",
            30,
        )
        if not up or self.proc.poll() is not None:
            self.close()
            raise RuntimeError(f"the private systemd did not start:\n{self.log()}")

    def systemctl(self, *args):
        """systemctl --user ARGS against this manager."""
        env = dict(os.environ, XDG_RUNTIME_DIR="/run/user/0")
        return subprocess.run(
            [
                "nsenter",
                "-t",
                str(self.proc.pid),
                "-m",
                "--",
                "systemctl",
                "--user",
                "--no-pager",
                *args,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    def show(self, unit, *properties):
        out = self.systemctl("show", unit, *[f"--property={p}" for p in properties]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def path(self, path):
        """`path` as this manager's mount namespace sees it."""
        return f"/proc/{self.proc.pid}/root{path}"

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(EXIT_SIGNAL)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for cg in self.cgroups:
            _remove_cgroup_tree(cg)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
