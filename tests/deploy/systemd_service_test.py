#!/usr/bin/env python3
"""ctest deploy_systemd_service: deploy/systemd/http-statistics.service, as
installed by deploy/systemd/install.sh, run by a real systemd with all its
hardening: the daemon starts, counts a python http.server's traffic, serves
Scope and Prometheus, runs sandboxed as the unit says, and stops cleanly.

systemd is a private manager (lib/private_systemd.py), so this runs the same
whether or not systemd is PID 1 here. A drop-in changes only what a test
must: the listen address, where the output goes, and no restart on failure.
Needs root.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import test_main  # noqa: E402

import exposition  # noqa: E402
import required_capabilities  # noqa: E402
from private_systemd import PrivateSystemd  # noqa: E402
from processes import (
    NOBODY,
    SYSTEM_PYTHON,
    HttpsServer,
    PythonHttpServer,  # noqa: E402
    free_port,
    http_get,
    http_request,
    wait_until,
)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INSTALL = os.path.join(REPO, "deploy", "systemd", "install.sh")
UNIT = "http-statistics.service"
TARGET = "hs-deploy-test.target"
SOCKET = "/run/scope/plugins/http-statistics/http-statistics.sock"
ARGS = None


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("plugin", timeout=5)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self.path)


def scope_report(path):
    conn = UnixHTTPConnection(path)
    try:
        conn.request("GET", "/report")
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def programs_held_by(pid):
    """BPF program ids among a process's file descriptors."""
    ids = set()
    fdinfo = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def program_exists(prog_id):
    return (
        subprocess.run(
            ["bpftool", "prog", "show", "id", str(prog_id)], capture_output=True, check=False
        ).returncode
        == 0
    )


def mounts(pid):
    """{mount point: options} as process `pid` sees its file system."""
    out = {}
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            fields = line.split(" - ")[0].split()
            out[fields[4]] = set(fields[5].split(","))
    return out


def status_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1]
    return None


class SystemdService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="hs-deploy-systemd-")
        cls.root = os.path.join(cls.dir, "root")
        cls.install = subprocess.run(
            [INSTALL, ARGS.daemon],
            env=dict(os.environ, DESTDIR=cls.root),
            capture_output=True,
            text=True,
            check=False,
        )
        units = os.path.join(cls.root, "etc", "systemd", "system")
        cls.daemon_log = os.path.join(cls.dir, "daemon.log")
        cls.port = free_port()
        os.makedirs(os.path.join(units, UNIT + ".d"), exist_ok=True)
        with open(os.path.join(units, UNIT + ".d", "test.conf"), "w") as f:
            f.write(
                "[Service]\nExecStart=\n"
                # Per process: the servers below are told apart by pid.
                "ExecStart=/usr/local/bin/http-statistics --metrics-by process "
                f"--metrics-address 127.0.0.1:{cls.port}\n"
                f"StandardOutput=append:{cls.daemon_log}\n"
                f"StandardError=append:{cls.daemon_log}\n"
                "Restart=no\n"
            )
        # The manager starts with TARGET; basic.target is what every service
        # requires by default (the host's units are not loaded here).
        for target in (TARGET, "basic.target"):
            with open(os.path.join(units, target), "w") as f:
                f.write("[Unit]\nDescription=deploy_systemd_service\n")
        cls.systemd = PrivateSystemd(
            units,
            os.path.join(cls.root, "usr", "local", "bin"),
            TARGET,
            os.path.join(cls.dir, "systemd.log"),
        )
        cls.start = cls.systemd.systemctl("start", UNIT)
        cls.up = wait_until(
            lambda: http_get(f"http://127.0.0.1:{cls.port}/metrics", 1)[0] == 200
            and "dropped all capabilities" in cls.log(),
            30,
        )
        cls.main_pid = int(cls.systemd.show(UNIT, "MainPID").get("MainPID", "0"))
        cls.programs = programs_held_by(cls.main_pid) if cls.main_pid else set()

    @classmethod
    def tearDownClass(cls):
        cls.systemd.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def log(cls):
        try:
            with open(cls.daemon_log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def requests(self, pid):
        status, body = http_get(f"http://127.0.0.1:{self.port}/metrics")
        samples = exposition.parse(body) if status == 200 else []
        return exposition.value(samples, "http_server_requests_total", process_pid=str(pid))

    def diagnose(self):
        return (
            f"\nsystemctl status:\n{self.systemd.systemctl('status', UNIT).stdout}"
            f"\ndaemon log:\n{self.log()}"
        )

    def test_1_install_script_puts_files_in_place(self):
        self.assertEqual(self.install.returncode, 0, self.install.stderr)
        binary = os.path.join(self.root, "usr", "local", "bin", "http-statistics")
        unit = os.path.join(self.root, "etc", "systemd", "system", UNIT)
        self.assertEqual(os.stat(binary).st_mode & 0o777, 0o755)
        self.assertEqual(os.stat(unit).st_mode & 0o777, 0o644)
        with open(unit) as installed, open(os.path.join(REPO, "deploy", "systemd", UNIT)) as src:
            self.assertEqual(installed.read(), src.read())

    def test_2_service_starts_and_drops_its_capabilities(self):
        self.assertEqual(self.start.returncode, 0, self.start.stderr + self.diagnose())
        self.assertTrue(self.up, "no /metrics, or capabilities not dropped" + self.diagnose())
        state = self.systemd.show(UNIT, "ActiveState", "SubState")
        self.assertEqual(state, {"ActiveState": "active", "SubState": "running"}, self.diagnose())
        self.assertNotRegex(self.log(), "Permission denied|Operation not permitted")
        self.assertNotEqual(self.main_pid, 0)
        # The daemon empties its own sets; systemd's bounding set holds for
        # every thread, whatever the daemon does.
        self.assertEqual(status_field(self.main_pid, "CapEff"), "0000000000000000")
        self.assertEqual(status_field(self.main_pid, "CapBnd"), "0000000000000000")
        allowed = required_capabilities.mask(required_capabilities.REQUIRED)
        for task in os.listdir(f"/proc/{self.main_pid}/task"):
            bounding = int(status_field(f"{self.main_pid}/task/{task}", "CapBnd"), 16)
            self.assertEqual(bounding & ~allowed, 0, f"thread {task}: CapBnd {bounding:x}")
        self.assertTrue(self.programs, "the service holds no BPF program")

    def test_3_sandbox_is_in_force(self):
        self.assertTrue(self.up, self.diagnose())
        # Set by systemd, not by the daemon: the seccomp filter and
        # ProtectSystem=strict with its one writable path.
        self.assertEqual(status_field(self.main_pid, "Seccomp"), "2")
        self.assertEqual(status_field(self.main_pid, "NoNewPrivs"), "1")
        seen = mounts(self.main_pid)
        self.assertIn("ro", seen["/"])
        self.assertIn("ro", seen["/usr"] if "/usr" in seen else seen["/"])
        self.assertIn("rw", seen["/run/scope/plugins"])
        self.assertIn("ro", seen["/sys"] if "/sys" in seen else seen["/"])
        for hidden in ("/tmp", "/home", "/root"):  # PrivateTmp=, ProtectHome=
            self.assertIn(hidden, seen)
        self.assertNotEqual(
            os.stat(f"/proc/{self.main_pid}/ns/mnt").st_ino,
            os.stat(f"/proc/{self.systemd.proc.pid}/ns/mnt").st_ino,
        )

    def test_4_counts_traffic_for_prometheus_and_scope(self):
        self.assertTrue(self.up, self.diagnose())
        # A server of another user, as nginx's workers are: the daemon must
        # see its /proc/PID (name, liveness) from inside the sandbox.
        with PythonHttpServer(SYSTEM_PYTHON, uid=NOBODY) as server:
            for method, path, expected in [
                ("GET", "/", 200),
                ("GET", "/", 200),
                ("GET", "/missing", 404),
            ]:
                self.assertEqual(http_request(server.port, method, path), expected)
            pid = str(server.pid)

            def counted():
                status, body = http_get(f"http://127.0.0.1:{self.port}/metrics")
                samples = exposition.parse(body) if status == 200 else []
                return [
                    exposition.value(
                        samples,
                        "http_server_requests_total",
                        process_pid=pid,
                        http_response_status_code=c,
                    )
                    for c in ("200", "404")
                ]

            self.assertEqual(
                wait_until(lambda: counted() == [2, 1], 20) and counted(), [2, 1], self.diagnose()
            )
            samples = exposition.parse(http_get(f"http://127.0.0.1:{self.port}/metrics")[1])
            names = {
                labels.get("process_executable_name")
                for name, labels, _ in samples
                if name == "http_server_requests_total" and labels.get("process_pid") == pid
            }
            self.assertEqual(len(names), 1, names)
            self.assertTrue(names.pop().startswith("python3"), "the process has no name")
            # HTTPS: uprobes on the system's libssl, read through the sandbox.
            with HttpsServer(SYSTEM_PYTHON, uid=NOBODY) as https:
                self.assertEqual(https.get(), 200)
                # Its readiness check was the first of the two requests.
                wait_until(lambda: self.requests(https.pid) == 2, 20)
                self.assertEqual(self.requests(https.pid), 2, self.diagnose())

            def scope_node():
                status, report = scope_report(self.systemd.path(SOCKET))
                nodes = report.get("Process", {}).get("nodes", {})
                return status == 200 and report, [n for n in nodes if n.endswith(f";{pid}")]

            report, nodes = wait_until(lambda: scope_node()[1] and scope_node(), 20) or scope_node()
            self.assertTrue(report, "the Scope plugin did not answer 200")
            self.assertEqual([p["id"] for p in report["Plugins"]], ["http-statistics"])
            self.assertEqual(len(nodes), 1, f"no Scope node for pid {pid}")

    def test_5_stops_cleanly(self):
        self.assertTrue(self.up, self.diagnose())
        stop = self.systemd.systemctl("stop", UNIT)
        self.assertEqual(stop.returncode, 0, stop.stderr)
        state = self.systemd.show(UNIT, "ActiveState", "Result", "ExecMainStatus")
        self.assertEqual(
            state,
            {"ActiveState": "inactive", "Result": "success", "ExecMainStatus": "0"},
            self.diagnose(),
        )
        self.assertIn("received SIGTERM", self.log())
        self.assertFalse(os.path.exists(f"/proc/{self.main_pid}"))
        self.assertFalse(os.path.exists(self.systemd.path(SOCKET)))
        left = [p for p in self.programs if program_exists(p)]
        self.assertEqual(left, [], "BPF programs outlived the service")


if __name__ == "__main__":
    ARGS = test_main.arguments("daemon")
    sys.exit(test_main.run(needs_root="systemd and the daemon need it"))
