#!/usr/bin/env python3
"""ctest deploy_capabilities: the capability set the deployment files grant
(lib/required_capabilities.py) is enough, and each member is needed.

The real daemon runs with its bounding set cut to a set (setpriv), in a
private mount namespace where tracefs is either mounted or not, whatever the
host has, and counts (or fails to count) real plaintext and HTTPS requests.
CAP_SYS_RESOURCE is the exception: kernels that charge BPF memory to the
memory cgroup (5.11 on, so every kernel the daemon supports) never ask for
it; it stays for the RLIMIT_MEMLOCK fallback. Needs root.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import test_main  # noqa: E402

import exposition  # noqa: E402
from processes import (
    NOBODY,
    SYSTEM_PYTHON,
    HttpsServer,
    PythonHttpServer,  # noqa: E402
    free_port,
    http_get,
    http_request,
    stop_process,
    wait_until,
)
from required_capabilities import REQUIRED  # noqa: E402

ARGS = None
STARTED = "dropped all capabilities"

# Run inside `unshare --mount`: only this namespace sees the change.
TRACEFS_SETUP = {
    "mounted": "mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing",
    "unmounted": "for m in /sys/kernel/tracing /sys/kernel/debug/tracing /sys/kernel/debug; do "
    "while mountpoint -q $m; do umount -l $m; done; done",
}


class Run:
    """The daemon with a given bounding set, until it has dropped its
    capabilities (started) or exited."""

    def __init__(self, caps, tracefs):
        self.dir = tempfile.mkdtemp(prefix="hs-deploy-caps-")
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.port = free_port()
        bounding = ",".join(["-all"] + [f"+{c.lower()}" for c in sorted(caps)])
        daemon = [
            ARGS.daemon,
            "--metrics-address",
            f"127.0.0.1:{self.port}",
            "--scope-plugins-root",
            "off",
            # Its counts are checked per pid.
            "--metrics-by",
            "process",
        ]
        argv = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            TRACEFS_SETUP[tracefs] + ' && exec "$@"',
            "sh",
            "setpriv",
            "--bounding-set",
            bounding,
            *daemon,
        ]
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: self.proc.poll() is not None or STARTED in self.log(), 30)
        self.started = self.proc.poll() is None and STARTED in self.log()

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def requests(self, pid):
        status, body = http_get(f"http://127.0.0.1:{self.port}/metrics")
        samples = exposition.parse(body) if status == 200 else []
        return exposition.value(samples, "http_server_requests_total", process_pid=pid)

    def stop(self):
        """SIGTERM; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        finally:
            stop_process(self.proc)
            shutil.rmtree(self.dir, ignore_errors=True)


def system_libssl():
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"libssl\.so\.3 \(.*x86-64.*\) => (\S+)", out) or re.search(
        r"libssl\.so\.3 .*=> (\S+)", out
    )
    return m.group(1) if m else None


class Capabilities(unittest.TestCase):
    """Servers started before each daemon, as on a host where the daemon is
    (re)started under running servers: the daemon finds their libssl then."""

    @classmethod
    def setUpClass(cls):
        cls.plain = PythonHttpServer().__enter__()
        # HTTPS through the system's libssl, and through a private copy of a
        # process of another user, as in a container or a bundled program.
        cls.https = HttpsServer(SYSTEM_PYTHON).__enter__()
        cls.libssl_dir = tempfile.mkdtemp(prefix="hs-deploy-libssl-")
        os.chmod(cls.libssl_dir, 0o755)
        shutil.copy(system_libssl(), os.path.join(cls.libssl_dir, "libssl.so.3"))
        cls.https_private = HttpsServer(
            SYSTEM_PYTHON, uid=NOBODY, libssl_dir=cls.libssl_dir
        ).__enter__()
        with open(f"/proc/{cls.https_private.pid}/maps") as f:
            assert cls.libssl_dir in f.read(), "the server did not load the private libssl"

    @classmethod
    def tearDownClass(cls):
        for server in (cls.https_private, cls.https, cls.plain):
            server.__exit__(None, None, None)
        shutil.rmtree(cls.libssl_dir, ignore_errors=True)

    def run_daemon(self, caps, tracefs):
        """(started, exit code, log, {server: requests counted}): when it
        starts, one request to each server, HTTPS ones first, so that once
        the plain one is counted every HTTPS one that will be is too."""
        r = Run(caps, tracefs)
        counted = {}
        if r.started:
            self.assertEqual(self.https.get(), 200)
            self.assertEqual(self.https_private.get(), 200)
            self.assertEqual(http_request(self.plain.port, "GET", "/"), 200)
            wait_until(lambda: r.requests(self.plain.pid) == 1, 20)
            counted = {
                name: r.requests(server.pid)
                for name, server in (
                    ("plain", self.plain),
                    ("https", self.https),
                    ("https_private", self.https_private),
                )
            }
        log = r.log()
        return r.started, r.stop(), log, counted

    def test_the_set_is_enough(self):
        for tracefs in ("mounted", "unmounted"):
            with self.subTest(tracefs=tracefs):
                started, code, log, counted = self.run_daemon(REQUIRED, tracefs)
                self.assertTrue(started, log)
                self.assertEqual(code, 0, log)
                self.assertNotRegex(log, "Permission denied|Operation not permitted")
                self.assertEqual(counted, {"plain": 1, "https": 1, "https_private": 1}, log)

    def test_setpcap_is_needed_to_drop_the_bounding_set(self):
        started, code, log, _ = self.run_daemon(set(REQUIRED) - {"SETPCAP"}, "mounted")
        self.assertFalse(started, log)
        self.assertNotEqual(code, 0, log)
        self.assertIn("dropping capabilities", log)

    def test_sys_admin_is_needed_to_mount_tracefs(self):
        started, code, log, _ = self.run_daemon(set(REQUIRED) - {"SYS_ADMIN"}, "unmounted")
        self.assertFalse(started, log)
        self.assertNotEqual(code, 0, log)
        self.assertIn("tracefs", log)

    def test_sys_admin_is_needed_to_count_https(self):
        started, code, log, counted = self.run_daemon(set(REQUIRED) - {"SYS_ADMIN"}, "mounted")
        self.assertTrue(started, log)
        self.assertEqual(code, 0, log)
        # The uprobes on libssl cannot attach; plaintext still counts.
        self.assertEqual(counted, {"plain": 1, "https": 0, "https_private": 0}, log)

    def test_bpf_perfmon_net_admin_are_needed_without_sys_admin(self):
        # SYS_ADMIN stands in for these three in the kernel's checks, so each
        # shows only in its absence.
        for cap in ("BPF", "PERFMON", "NET_ADMIN"):
            with self.subTest(cap=cap):
                started, code, log, _ = self.run_daemon(
                    set(REQUIRED) - {"SYS_ADMIN", cap}, "mounted"
                )
                self.assertFalse(started, log)
                self.assertNotEqual(code, 0, log)
                self.assertIn("loading BPF programs failed", log)

    def test_sys_ptrace_is_needed_to_count_https_of_another_users_libssl(self):
        started, code, log, counted = self.run_daemon(set(REQUIRED) - {"SYS_PTRACE"}, "mounted")
        self.assertTrue(started, log)
        self.assertEqual(code, 0, log)
        # Its /proc/PID/maps is closed to the daemon: that libssl goes unseen.
        self.assertEqual(counted, {"plain": 1, "https": 1, "https_private": 0}, log)


if __name__ == "__main__":
    ARGS = test_main.arguments("daemon")
    sys.exit(test_main.run(needs_root="the daemon loads BPF programs"))
