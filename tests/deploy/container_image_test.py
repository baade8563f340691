#!/usr/bin/env python3
"""ctest deploy_container_image: deploy/container/Dockerfile installs every
Debian package that owns a shared library the built daemon links, and puts
the binary where the systemd unit expects it too. (No container runtime is
needed to check that; none builds the image here.)"""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import test_main  # noqa: E402

import unit_file  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCKERFILE = os.path.join(REPO, "deploy", "container", "Dockerfile")
UNIT = os.path.join(REPO, "deploy", "systemd", "http-statistics.service")
ARGS = None


def dockerfile_instructions():
    """[(INSTRUCTION, arguments)] with continuation lines joined."""
    with open(DOCKERFILE, encoding="utf-8") as f:
        text = re.sub(r"\\\n", " ", f.read())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def linked_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    return [m.group(1) for m in re.finditer(r"=> (/\S+)", out)]


def owning_package(path):
    for candidate in (path, os.path.realpath(path)):
        r = subprocess.run(
            ["dpkg-query", "-S", candidate], capture_output=True, text=True, check=False
        )
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    raise AssertionError(f"no Debian package owns {path}")


class ContainerImage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.instructions = dockerfile_instructions()

    def installed_packages(self):
        packages = set()
        for word, args in self.instructions:
            if word == "RUN":
                for m in re.finditer(
                    r"apt-get install ((?:\s*-\S+)*)((?:\s+[a-z0-9][a-z0-9.+-]*)+)", args
                ):
                    packages |= set(m.group(2).split())
        return packages

    def test_based_on_debian_12(self):
        self.assertEqual([a for w, a in self.instructions if w == "FROM"], ["debian:12-slim"])

    def test_every_linked_library_is_installed(self):
        libraries = linked_libraries(ARGS.daemon)
        self.assertTrue(libraries)
        needed = {owning_package(lib) for lib in libraries}
        missing = needed - self.installed_packages()
        self.assertFalse(missing, f"packages the daemon needs that the image lacks: {missing}")

    def test_binary_path_is_the_units(self):
        exec_start = unit_file.value(unit_file.parse(UNIT), "Service", "ExecStart").split()[0]
        copies = [a.split() for w, a in self.instructions if w == "COPY"]
        self.assertEqual(copies, [["http-statistics", exec_start]])
        entrypoint = [a for w, a in self.instructions if w == "ENTRYPOINT"]
        self.assertEqual(entrypoint, [f'["{exec_start}"]'])


if __name__ == "__main__":
    ARGS = test_main.arguments("daemon")
    sys.exit(test_main.run())
