"""The processes the benchmark starts: each in its own session (and, when asked, its
own cgroup), remembered until stopped so that nothing outlives the benchmark."""

import contextlib
import os
import signal
import subprocess
import time

from .common import log, read_file

class Managed:
    """A child in its own session, so the terminal's Ctrl-C reaches only this script,
    which then stops it (and only it, by its process group id).

    Every instance is remembered until stopped, so that an interruption anywhere, even
    while a constructor still waits for its child to come up, leaves nothing running."""

    started = []

    def __init__(self, name, args, stdout_path, stderr_path, cgroup=None, **popen_args):
        self.name = name
        if cgroup:
            # Joined before exec: sockets take the cgroup of the process creating them,
            # so a server must be in its cgroup before it opens its listening socket.
            popen_args["preexec_fn"] = lambda: join_cgroup(cgroup)
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


def join_cgroup(cgroup):
    """Moves the calling process into a cgroup v2 directory."""
    with open(os.path.join(cgroup, "cgroup.procs"), "w", encoding="ascii") as f:
        f.write(str(os.getpid()))


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



def wait_exited(managed, timeout):
    """Waits for a child to exit without reaping it, so that /proc still shows its final
    CPU times. False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, managed.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.02)
    return False
