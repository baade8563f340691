#!/usr/bin/env python3
"""ctest deploy_systemd_unit: deploy/systemd/http-statistics.service is a valid
unit (systemd-analyze verify, silent), keeps its hardening (systemd-analyze
security, exposure 4.0 at most, and the directives the design relies on),
grants exactly the capabilities the daemon needs, and agrees with the
daemon's defaults. Running it for real is deploy_systemd_service."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import test_main  # noqa: E402

import unit_file  # noqa: E402
from required_capabilities import REQUIRED  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT = os.path.join(REPO, "deploy", "systemd", "http-statistics.service")
MAX_EXPOSURE = 4.0
ARGS = None


def unit_with_binary(binary):
    """A copy of the unit in a temp dir whose ExecStart is `binary`: verify
    checks that the program exists, and /usr/local/bin has none here."""
    d = tempfile.mkdtemp(prefix="hs-deploy-unit-")
    path = os.path.join(d, "http-statistics.service")
    with open(UNIT, encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(
        r"^ExecStart=/usr/local/bin/http-statistics", f"ExecStart={binary}", text, flags=re.M
    )
    assert n == 1, "ExecStart=/usr/local/bin/http-statistics not found"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


class SystemdUnit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.unit = unit_file.parse(UNIT)
        cls.copy = unit_with_binary(ARGS.daemon)
        cls.help = subprocess.run(
            [ARGS.daemon, "--help"], capture_output=True, text=True, check=True
        ).stdout

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(os.path.dirname(cls.copy), ignore_errors=True)

    def service(self, key):
        return unit_file.value(self.unit, "Service", key)

    def test_verify_is_silent(self):
        r = subprocess.run(
            ["systemd-analyze", "verify", self.copy], capture_output=True, text=True, check=False
        )
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Unknown or misspelt directives are only warnings: any output fails.
        self.assertEqual(r.stdout + r.stderr, "")

    def test_security_exposure(self):
        r = subprocess.run(
            [
                "systemd-analyze",
                "security",
                "--offline=true",
                f"--threshold={int(MAX_EXPOSURE * 10)}",
                self.copy,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
        self.assertIsNotNone(m, r.stdout + r.stderr)
        self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE, r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_capabilities_are_exactly_what_the_daemon_needs(self):
        self.assertEqual(unit_file.bounding_set(self.unit), set(REQUIRED))
        # Root's capabilities arrive through the bounding set alone.
        self.assertIsNone(self.service("AmbientCapabilities"))
        self.assertIsNone(self.service("User"))
        self.assertIsNone(self.service("DynamicUser"))

    def test_hardening_directives(self):
        expected = {
            "NoNewPrivileges": "yes",
            "ProtectSystem": "strict",
            "ProtectHome": "yes",
            "PrivateTmp": "yes",
            "PrivateDevices": "yes",
            "ProtectKernelTunables": "yes",
            "ProtectKernelModules": "yes",
            "ProtectControlGroups": "yes",
            "RestrictNamespaces": "yes",
            "MemoryDenyWriteExecute": "yes",
            "SystemCallArchitectures": "native",
            "Restart": "on-failure",
        }
        for key, value in expected.items():
            with self.subTest(key):
                self.assertEqual(self.service(key), value)
        self.assertEqual(
            set(self.service("RestrictAddressFamilies").split()), {"AF_UNIX", "AF_INET", "AF_INET6"}
        )
        filters = set(self.service("SystemCallFilter").split())
        self.assertTrue({"@system-service", "bpf", "perf_event_open", "@mount"} <= filters)
        self.assertIsNotNone(self.service("MemoryMax"))
        # These would hide the server processes the daemon reads in /proc, or
        # take away the capabilities and the network it serves on.
        for key in ("ProtectProc", "ProcSubset", "PrivateUsers", "PrivateNetwork"):
            with self.subTest(key):
                self.assertIn(self.service(key), (None, "default", "all", "no"))

    def test_plugin_directory_is_the_daemons_default_and_writable(self):
        m = re.search(r"--scope-plugins-root DIR.*?\(default (\S+)\)", self.help, re.S)
        self.assertIsNotNone(m, self.help)
        default = m.group(1).replace("/var/run/", "/run/", 1)
        self.assertIn(default, unit_file.values(self.unit, "Service", "ReadWritePaths"))
        self.assertEqual("/run/" + self.service("RuntimeDirectory"), default)

    def test_exec_start_flags_are_accepted(self):
        argv = self.service("ExecStart").split()
        self.assertEqual(argv[0], "/usr/local/bin/http-statistics")
        # The parser reads every flag before --help stops it: a bad one fails.
        r = subprocess.run(
            [ARGS.daemon, *argv[1:], "--help"], capture_output=True, text=True, check=False
        )
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    ARGS = test_main.arguments("daemon")
    sys.exit(test_main.run())
