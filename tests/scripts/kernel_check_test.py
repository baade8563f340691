#!/usr/bin/env python3
"""ctest kernel_check.*: scripts/kernel-check.sh on this machine and on saved
("fake") systems that lack what the engine needs.

A fake system is a directory tree standing in for /sys and /proc plus a
`bpftool feature probe kernel --json` document, built from what
kernel/http_statistics.bpf.c and kernel/http_statistics_tls.bpf.c (HTTPS)
actually use; each case then takes one thing away. What only HTTPS needs is
a warning, never a failure: plaintext HTTP is counted without it. Cases that
need root exit 77 (skipped) without it, except under CI, where a skip would
hide that they never ran.

    kernel_check_test.py --source-dir DIR [--daemon PATH] CASE
"""

import argparse
import collections
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SKIP = 77
ARGS = None  # parsed command line, set in main()

# What a healthy system looks like; each case changes one part.
HEALTHY_MOUNTINFO = """\
22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
23 1 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
40 23 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:17 - tracefs tracefs rw
"""
CGROUP_V1_ONLY_MOUNTINFO = """\
22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/net_cls,net_prio rw,relatime - cgroup cgroup rw,net_cls,net_prio
40 23 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:17 - tracefs tracefs rw
"""
ALL_CAPS = "000001ffffffffff"
FILESYSTEMS = "nodev\tsysfs\nnodev\tproc\nnodev\tcgroup\nnodev\tcgroup2\nnodev\ttracefs\n\text4\n"

# Rows that must pass on any machine that can run the daemon.
REQUIRED_ON_A_REAL_KERNEL = [
    "kernel version", "kernel BTF", "bpf() syscall", "cgroup v2", "tracefs",
    "syscall tracepoints", "exit tracepoint", "privileges", "daemon check",
]
# HTTPS rows besides program types and helpers; they pass on the machines the
# tests run on (Debian 12 kernels have uprobes; nginx and curl bring libssl3).
HTTPS_ROWS = ["uprobes", "libssl.so.3"]

# The kernel objects, and what a system lacking one of their needs gets: the
# TLS object is optional (HTTPS).
PLAINTEXT_OBJECT = "http_statistics.bpf.c"
TLS_OBJECT = "http_statistics_tls.bpf.c"
MISSING_COSTS = {PLAINTEXT_OBJECT: "FAIL", TLS_OBJECT: "WARN"}

# Where the system's own libssl.so.3 lies in the healthy fake (under
# procfs/1/root, the saved system's root), and what its processes map: one
# library inside a container, one deleted since.
SYSTEM_LIBSSL = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
CONTAINER_LIBSSL = "/opt/openssl/lib64/libssl.so.3"
NGINX_MAPS = f"""\
55d0c0a00000-55d0c0a2c000 r--p 00000000 fd:01 1311 /usr/sbin/nginx
7f3a1c000000-7f3a1c090000 r--p 00000000 00:2f 5242 {CONTAINER_LIBSSL}
7f3a1c090000-7f3a1c1a0000 r-xp 00090000 00:2f 5242 {CONTAINER_LIBSSL}
7ffd5e3f0000-7ffd5e412000 rw-p 00000000 00:00 0 [stack]
"""
OLD_WORKER_MAPS = """\
7f3a1c000000-7f3a1c090000 r--p 00000000 fd:01 7777 /usr/lib/libssl.so.3 (deleted)
"""


def kernel_source(kernel_dir, name, seen=None):
    """The BPF program's text with the project headers it includes, recursively."""
    seen = set() if seen is None else seen
    if name in seen or not os.path.exists(os.path.join(kernel_dir, name)):
        return ""
    seen.add(name)
    with open(os.path.join(kernel_dir, name)) as f:
        text = f.read()
    for header in re.findall(r'^#include "([^"]+)"', text, re.M):
        text += kernel_source(kernel_dir, header, seen)
    return text


Needs = collections.namedtuple("Needs", "programs maps helpers")


def engine_needs(source_dir):
    """{object: Needs} for each kernel object, read from its source, so the
    test notices when the script falls behind it."""
    return {name: object_needs(source_dir, name) for name in MISSING_COSTS}


def object_needs(source_dir, name):
    """Program types (bpftool's names), map types and helpers of one object."""
    text = kernel_source(os.path.join(source_dir, "kernel"), name)
    section_types = {"sockops": "sock_ops", "cgroup_skb": "cgroup_skb",
                     "tracepoint": "tracepoint", "tp_btf": "tp_btf",
                     "uprobe": "kprobe", "uretprobe": "kprobe"}
    programs = set()
    for sec in re.findall(r'SEC\("([^"]+)"\)', text):
        kind = sec.split("/")[0]
        if kind in (".maps", "license"):
            continue
        if kind not in section_types:
            raise AssertionError(f"the engine uses SEC(\"{sec}\"), unknown to this test")
        programs.add(section_types[kind])
    maps = {m.lower() for m in re.findall(r"BPF_MAP_TYPE_([A-Z_]+)", text)}
    # Global variables live in an ARRAY map (.bss/.data/.rodata).
    if re.search(r"^(?:volatile |const )*(?:__u\d+|int|unsigned|long|bool)\b[^(;]*;", text, re.M):
        maps.add("array")
    with open("/usr/include/bpf/bpf_helper_defs.h") as f:
        known_helpers = set(re.findall(r"\(\*(bpf_\w+)\)", f.read()))
    called = set(re.findall(r"\b(bpf_\w+)\s*\(", text)) & known_helpers
    # libbpf's CO-RE read macros call a helper of their own.
    for macro, helper in (("BPF_CORE_READ", "bpf_probe_read_kernel"),
                          ("BPF_CORE_READ_USER", "bpf_probe_read_user")):
        if re.search(rf"\b{macro}\s*\(", text):
            called.add(helper)
    # Map access helpers exist for every program type.
    helpers = {h for h in called if not h.startswith("bpf_map_")}
    return Needs(programs, maps, helpers)


def union(needs):
    """Needs of all objects together."""
    return Needs(*(set().union(*(getattr(n, f) for n in needs.values()))
                   for f in Needs._fields))


class FakeSystem:
    """A saved system under a temp dir: sysfs/, procfs/ and features.json."""

    def __init__(self, root, needs):
        self.root = root
        self.sysfs = os.path.join(root, "sysfs")
        self.procfs = os.path.join(root, "procfs")
        self.features_path = os.path.join(root, "features.json")
        programs, maps, helpers = union(needs)
        # bpftool names.
        probed = programs | {"raw_tracepoint"}
        prog_types = {f"have_{t}_prog_type": True for t in probed}
        prog_types.update({"have_tracing_prog_type": False, "have_xdp_prog_type": False})
        self.features = {
            "syscall_config": {"have_bpf_syscall": True},
            "program_types": prog_types,
            "map_types": {f"have_{m}_map_type": True for m in maps | {"stack_trace"}},
            "helpers": {f"{t}_available_helpers": sorted(helpers) + ["bpf_trace_printk"]
                        for t in probed},
        }
        self.features["helpers"]["tracing_available_helpers"] = []
        self.write("sysfs/kernel/btf/vmlinux",
                   b"\x9f\xeb\x01\x00fake\x00btf_trace_sched_process_exit\x00task_struct\x00")
        self.write("sysfs/kernel/security/lockdown", "[none] integrity confidentiality\n")
        for event in ("syscalls/sys_exit_accept4", "syscalls/sys_exit_accept",
                      "syscalls/sys_exit_read", "sched/sched_process_exit"):
            self.write(f"sysfs/kernel/tracing/events/{event}/id", "1\n")
        self.write("procfs/sys/kernel/osrelease", "6.1.0-13-amd64\n")
        self.write("procfs/sys/kernel/unprivileged_bpf_disabled", "2\n")
        self.write("procfs/self/mountinfo", HEALTHY_MOUNTINFO)
        self.set_caps(ALL_CAPS, uid=0)
        self.write("procfs/filesystems", FILESYSTEMS)
        self.write("procfs/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet\n")
        # HTTPS: the uprobe PMU among others, and OpenSSL 3.
        for pmu, pmu_type in (("software", 1), ("tracepoint", 2), ("uprobe", 8)):
            self.write(f"sysfs/bus/event_source/devices/{pmu}/type", f"{pmu_type}\n")
        self.write(f"procfs/1/root{SYSTEM_LIBSSL}", b"\x7fELF")
        self.write("procfs/812/maps", NGINX_MAPS)
        self.write("procfs/813/maps", OLD_WORKER_MAPS)

    def write(self, rel, content):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)
        return path

    def remove(self, rel):
        path = os.path.join(self.root, rel)
        if os.path.isdir(path):
            shutil.rmtree(path)
        else:
            os.remove(path)

    def set_caps(self, cap_eff, uid):
        self.write("procfs/self/status",
                   f"Name:\tbash\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n"
                   f"CapInh:\t0000000000000000\nCapPrm:\t{cap_eff}\nCapEff:\t{cap_eff}\n")

    def args(self):
        with open(self.features_path, "w") as f:
            json.dump(self.features, f)
        return ["--sysfs", self.sysfs, "--procfs", self.procfs,
                "--features-json", self.features_path]


def run_script(args, user=None, unshare=None):
    """Runs the script, as `user` when given. `unshare`: (unshare options,
    shell commands) to run it in new namespaces after those commands (which
    change what this machine looks like to it, and to it alone)."""
    argv = [ARGS.script] + args
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups",
                "--inh-caps=-all"] + argv
    if unshare is not None:
        options, setup = unshare
        argv = (["unshare", "--mount", "--propagation=private", "--fork"] + options
                + ["--", "sh", "-ec", f'{setup}\nexec "$@"', "sh"] + argv)
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd="/")


def parse_table(text):
    """(check, result) pairs from the table; fix lines are returned separately."""
    lines = text.rstrip("\n").split("\n")
    header = re.match(r"^(CHECK\s+)(RESULT\s+)DETAIL$", lines[0])
    assert header, f"no table header in:\n{text}"
    name_width, result_width = len(header.group(1)), len(header.group(2))
    rows, fixes = [], {}
    for line in lines[1:-1]:
        name = line[:name_width].rstrip()
        result = line[name_width:name_width + result_width].strip()
        detail = line[name_width + result_width:]
        if name:
            rows.append((name, result))
        else:
            assert detail.startswith("fix: ") and rows, f"unexpected line {line!r}"
            fixes[rows[-1][0]] = detail[len("fix: "):]
    return rows, fixes, lines[-1]


class KernelCheckCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hs-kernel-check-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.needs = engine_needs(ARGS.source_dir)
        self.fake = FakeSystem(self.tmp, self.needs)

    def require_root(self):
        if os.geteuid() != 0:
            if os.environ.get("CI"):
                self.fail("needs root, and under CI tests that need root must run")
            self.skipTest("needs root")

    def check_both_ways(self, args, user=None, unshare=None):
        """Runs the script as a table and as JSON, checks they agree, and
        returns (exit status, {check: row from the JSON}, text output)."""
        table = run_script(args, user, unshare)
        as_json = run_script(args + ["--json"], user, unshare)
        self.assertIn(table.returncode, (0, 1), table.stderr)
        self.assertEqual(table.returncode, as_json.returncode, as_json.stderr)
        report = json.loads(as_json.stdout)
        checks = report["checks"]
        rows, fixes, verdict = parse_table(table.stdout)
        self.assertEqual(rows, [(c["check"], c["result"]) for c in checks])
        failed = any(c["result"] == "FAIL" for c in checks)
        self.assertEqual(report["ok"], not failed)
        self.assertEqual(table.returncode, 1 if failed else 0)
        self.assertEqual(verdict, "kernel-check: FAIL" if failed else "kernel-check: ok")
        for c in checks:
            self.assertIn(c["result"], ("PASS", "WARN", "FAIL"))
            self.assertTrue(c["detail"], c)
            if c["result"] == "PASS":
                continue
            # Every failure and warning says what to do, in one line, in both forms.
            self.assertTrue(c["fix"], c)
            self.assertNotIn("\n", c["fix"])
            self.assertEqual(fixes.get(c["check"]), c["fix"])
        by_name = {c["check"]: c for c in checks}
        self.assertEqual(len(by_name), len(checks), "duplicate check names")
        return table.returncode, by_name, table.stdout

    def assert_only_these_fail(self, checks, failing):
        self.assertEqual({n for n, c in checks.items() if c["result"] == "FAIL"}, set(failing))

    def assert_only_these_warn(self, checks, warning):
        self.assertEqual({n for n, c in checks.items() if c["result"] == "WARN"}, set(warning))

    def https_rows(self, checks):
        """Names of the rows about what only HTTPS needs: uprobes, OpenSSL,
        and the TLS object's own program types, map types and helpers."""
        plaintext, tls = self.needs[PLAINTEXT_OBJECT], self.needs[TLS_OBJECT]
        tls_programs = tls.programs - plaintext.programs
        names = set(HTTPS_ROWS)
        names |= {f"program type {t}" for t in tls_programs}
        names |= {f"map type {m}" for m in tls.maps - plaintext.maps}
        names |= {n for n in checks if n.startswith("helper ")
                  and n.split()[-1].strip("()") in tls_programs}
        return names

    # ---- this machine

    def test_real_kernel_as_root(self):
        self.require_root()
        if not ARGS.daemon:
            self.fail("the daemon is not built: its check row cannot be tested")
        status, checks, _ = self.check_both_ways(["--daemon", ARGS.daemon])
        self.assertEqual(status, 0, checks)
        programs, maps, helpers = union(self.needs)
        required = (REQUIRED_ON_A_REAL_KERNEL + [f"program type {p}" for p in programs]
                    + [f"map type {m}" for m in maps])
        for name in required:
            self.assertIn(name, checks)
            self.assertEqual(checks[name]["result"], "PASS", checks[name])
        self.assertTrue(all(c["result"] != "FAIL" for c in checks.values()))
        self.assertRegex(checks["daemon check"]["detail"], r"^ok: loaded and attached")
        self.assertEqual(checks["verifier margin"]["result"], "PASS", checks["verifier margin"])
        self.assertRegex(checks["verifier margin"]["detail"],
                         r"^largest program hs_\w+: [1-9]\d* of the 1000000 instructions")
        # HTTPS works here: uprobes, the TLS programs' type and helpers,
        # OpenSSL 3, and the daemon attaching its uprobes to it.
        https = self.https_rows(checks) | {"daemon check (HTTPS)"}
        self.assertIn("program type kprobe", https)
        self.assertIn("helper bpf_probe_read_user (kprobe)", https)
        for name in https:
            self.assertIn(name, checks)
            self.assertEqual(checks[name]["result"], "PASS", checks[name])
        self.assertIn("libssl.so.3", checks["libssl.so.3"]["detail"])
        self.assertRegex(checks["daemon check (HTTPS)"]["detail"],
                         r"^hs_ssl_\* -> uprobes on SSL_read.* /\S*libssl\.so\.3")

    def test_real_kernel_not_root(self):
        self.require_root()  # to become another user
        # The source tree may not be reachable by nobody (a clone under
        # /root): run copies from a directory anyone can read.
        shared = tempfile.mkdtemp(prefix="hs-kernel-check-nobody-")
        self.addCleanup(shutil.rmtree, shared, True)
        os.chmod(shared, 0o755)
        global_script = ARGS.script
        ARGS.script = shutil.copy(global_script, shared)
        self.addCleanup(setattr, ARGS, "script", global_script)
        args = ["--daemon", shutil.copy(ARGS.daemon, shared)] if ARGS.daemon else []
        status, checks, _ = self.check_both_ways(args, user=65534)  # nobody
        self.assertEqual(status, 1)
        self.assertEqual(checks["privileges"]["result"], "FAIL")
        self.assertIn("CAP_BPF", checks["privileges"]["detail"])
        self.assertIn("run as root", checks["privileges"]["fix"])
        # Probing BPF features needs root: said once, not as failures.
        self.assertEqual(checks["BPF features"]["result"], "WARN")
        self.assertFalse(any(n.startswith(("map type", "helper")) for n in checks))
        # What needs no privilege is still checked.
        for name in ("kernel version", "kernel BTF", "cgroup v2", "uprobes", "libssl.so.3"):
            self.assertEqual(checks[name]["result"], "PASS", checks[name])
        if ARGS.daemon:
            self.assertEqual(checks["daemon check"]["result"], "FAIL")
            self.assertIn("not running as root", checks["daemon check"]["detail"])
            self.assertNotIn("daemon check (HTTPS)", checks)

    def test_real_kernel_without_uprobes(self):
        """This machine with the uprobe PMU hidden (and tracefs, whose
        uprobe_events libbpf would fall back to): the daemon attaches
        everything but its uprobes, which is a warning, not a failure."""
        self.require_root()
        if not ARGS.daemon:
            self.fail("the daemon is not built: its check row cannot be tested")
        # A mount namespace of its own: nothing changes outside it. The
        # daemon mounts tracefs there to attach its tracepoints and unmounts
        # it again before it attaches the uprobes.
        hide = ("mount -t tmpfs none /sys/bus/event_source/devices/uprobe\n"
                "mount -t tmpfs none /sys/kernel/tracing\n"
                "if [ -d /sys/kernel/debug ]; then mount -t tmpfs none /sys/kernel/debug; fi")
        status, checks, _ = self.check_both_ways(["--daemon", ARGS.daemon], unshare=([], hide))
        self.assertEqual(status, 0, checks)
        self.assert_only_these_warn(checks, ["uprobes", "daemon check (HTTPS)"])
        self.assertRegex(checks["uprobes"]["detail"], r"^HTTPS will not be counted: no uprobe PMU")
        self.assertRegex(checks["daemon check"]["detail"], r"^ok: loaded and attached")
        self.assertRegex(checks["daemon check (HTTPS)"]["detail"],
                         r"^nothing for HTTPS: attaching uprobe .*libssl\.so\.3:SSL_read")

    def test_real_kernel_without_libssl(self):
        """This machine with no libssl.so.3 in sight: the system's files
        covered, and a /proc of a new PID namespace, where no process maps
        one. The daemon links OpenSSL itself, so it does not run here."""
        self.require_root()
        with open(os.path.join(ARGS.source_dir, "userspace/libssl_files.cpp")) as f:
            paths = re.findall(r'"(/[^"]+/libssl\.so\.3)"', f.read())
        self.assertIn(SYSTEM_LIBSSL, paths)
        hide = "\n".join(f"if [ -e {p} ]; then mount --bind /dev/null {p}; fi" for p in paths)
        status, checks, _ = self.check_both_ways(
            ["--no-daemon"], unshare=(["--pid", "--mount-proc"], hide))
        self.assertEqual(status, 0, checks)
        self.assert_only_these_warn(checks, ["libssl.so.3"])
        self.assertRegex(checks["libssl.so.3"]["detail"],
                         r"^HTTPS will not be counted: no libssl\.so\.3")

    # ---- saved systems

    def test_healthy_fake_system(self):
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0, checks)
        self.assertTrue(all(c["result"] == "PASS" for c in checks.values()), checks)
        # The daemon check can only test this machine.
        self.assertNotIn("daemon check", checks)
        self.assertNotIn("daemon check (HTTPS)", checks)
        self.assertIn("uprobe PMU", checks["uprobes"]["detail"])
        # The system's library and the one a container maps; not the deleted one.
        libssl = checks["libssl.so.3"]["detail"]
        self.assertIn(SYSTEM_LIBSSL, libssl)
        self.assertIn(CONTAINER_LIBSSL, libssl)
        self.assertNotIn("/usr/lib/libssl.so.3", libssl)

    def test_checks_match_what_the_engine_uses(self):
        """Both objects' program types, map types and helpers have rows, and
        nothing else; on a system without any of them, what the plaintext
        object needs fails and what only the TLS object needs warns."""
        programs, maps, _ = union(self.needs)
        _, checks, _ = self.check_both_ways(self.fake.args())
        checked_programs = {n.split()[-1] for n in checks if n.startswith("program type ")}
        checked_maps = {n.split()[-1] for n in checks if n.startswith("map type ")}
        self.assertEqual(checked_programs, programs)
        self.assertEqual(checked_maps, maps)
        # Helpers by the program types of each object: every helper an
        # object calls is checked for its program types, and nothing else.
        helper_rows = [re.fullmatch(r"helper (\w+) \((\w+)\)", n) for n in checks
                       if n.startswith("helper ")]
        self.assertTrue(all(helper_rows), [n for n in checks if n.startswith("helper ")])
        for name, needs in self.needs.items():
            with self.subTest(object=name):
                checked = {m.group(1) for m in helper_rows if m.group(2) in needs.programs}
                self.assertEqual(checked, needs.helpers)
        self.assertEqual({m.group(2) for m in helper_rows}, programs)

        def cost(kind, value):
            users = [o for o, n in self.needs.items() if value in getattr(n, kind)]
            return "FAIL" if any(MISSING_COSTS[o] == "FAIL" for o in users) else "WARN"

        self.fake.features["program_types"] = {}
        self.fake.features["map_types"] = {}
        self.fake.features["helpers"] = {}
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        for n, c in checks.items():
            with self.subTest(check=n):
                if n.startswith("program type "):
                    self.assertEqual(c["result"], cost("programs", n.split()[-1]))
                elif n.startswith("map type "):
                    self.assertEqual(c["result"], cost("maps", n.split()[-1]))
                elif n.startswith("helper bpf_loop "):
                    # Optional: the *_steps programs do without it.
                    self.assertEqual(c["result"], "PASS")
                elif n.startswith("helper "):
                    t = n.split()[-1].strip("()")
                    self.assertEqual(c["result"], cost("programs", t))
                else:
                    self.assertEqual(c["result"], "PASS")
        self.assertEqual(checks["program type kprobe"]["result"], "WARN")

    # ---- HTTPS: never a failure

    def test_no_kprobe_programs_or_helpers(self):
        self.fake.features["program_types"]["have_kprobe_prog_type"] = False
        helpers = self.fake.features["helpers"]
        helpers["kprobe_available_helpers"].remove("bpf_probe_read_user")
        status, checks, text = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0, checks)
        self.assert_only_these_warn(
            checks, ["program type kprobe", "helper bpf_probe_read_user (kprobe)"])
        row = checks["program type kprobe"]
        self.assertEqual(row["detail"], "not available: HTTPS will not be counted")
        self.assertIn("CONFIG_UPROBE_EVENTS=y", row["fix"])
        self.assertIn("HTTP without TLS is counted regardless", row["fix"])
        self.assertTrue(text.endswith("kernel-check: ok\n"), text)

        # An older bpftool that lists no kprobe helpers at all: every kprobe
        # helper row warns (the TLS object's own map types are still there).
        del helpers["kprobe_available_helpers"]
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0, checks)
        self.assertEqual({n for n in self.https_rows(checks) - set(HTTPS_ROWS)
                          if not n.startswith(("map type ", "helper bpf_loop "))},
                         {n for n, c in checks.items() if c["result"] == "WARN"})

    def test_no_uprobes(self):
        """Without the uprobe PMU or CONFIG_UPROBES, HTTPS warns and the
        system still passes."""
        self.fake.remove("sysfs/bus/event_source/devices/uprobe")
        status, checks, text = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0, checks)
        self.assert_only_these_warn(checks, ["uprobes"])
        row = checks["uprobes"]
        self.assertRegex(row["detail"], r"^HTTPS will not be counted: no uprobe PMU in ")
        self.assertIn("CONFIG_UPROBES=y", row["fix"])
        self.assertIn("fix: use a kernel built with CONFIG_UPROBES=y", text)

        # Other failures still fail.
        self.fake.remove("procfs/sys/kernel/unprivileged_bpf_disabled")
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["bpf() syscall"])
        self.fake.write("procfs/sys/kernel/unprivileged_bpf_disabled", "2\n")

        # No PMU list saved: the kernel configuration decides.
        self.fake.remove("sysfs/bus")
        config = "CONFIG_BPF_EVENTS=y\n# CONFIG_UPROBES is not set\n"
        self.fake.write("procfs/config.gz", gzip.compress(config.encode()))
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0, checks)
        self.assert_only_these_warn(checks, ["uprobes"])
        self.assertIn("CONFIG_UPROBES", checks["uprobes"]["detail"])

        config = "CONFIG_UPROBES=y\nCONFIG_UPROBE_EVENTS=y\n"
        self.fake.write("procfs/config.gz", gzip.compress(config.encode()))
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(checks["uprobes"]["result"], "PASS")

        # bpftool's copy of the configuration, when /proc/config.gz is absent.
        self.fake.remove("procfs/config.gz")
        self.fake.features["system_config"] = {"CONFIG_UPROBES": "y", "CONFIG_UPROBE_EVENTS": None}
        _, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(checks["uprobes"]["result"], "WARN")
        self.fake.features["system_config"] = {"CONFIG_UPROBES": "y", "CONFIG_UPROBE_EVENTS": "y"}
        _, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(checks["uprobes"]["result"], "PASS")

        # Nothing to tell by.
        del self.fake.features["system_config"]
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0, checks)
        self.assertRegex(checks["uprobes"]["detail"], r"^unknown")

        # Without the PMU, libbpf creates uprobes through tracefs.
        self.fake.write("sysfs/kernel/tracing/uprobe_events", "")
        _, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(checks["uprobes"]["result"], "PASS")
        self.assertIn("uprobe_events", checks["uprobes"]["detail"])

    def test_no_libssl(self):
        self.fake.remove("procfs/1/root")
        self.fake.remove("procfs/812/maps")
        status, checks, text = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0, checks)
        self.assert_only_these_warn(checks, ["libssl.so.3"])
        row = checks["libssl.so.3"]
        self.assertRegex(row["detail"], r"^HTTPS will not be counted: no libssl\.so\.3")
        self.assertIn("libssl3", row["fix"])
        self.assertTrue(text.endswith("kernel-check: ok\n"), text)

        # One process mapping it is enough.
        self.fake.write("procfs/812/maps", NGINX_MAPS)
        _, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(checks["libssl.so.3"]["result"], "PASS")
        self.assertIn(CONTAINER_LIBSSL, checks["libssl.so.3"]["detail"])

    def test_libssl_where_the_daemon_looks(self):
        """Each system path the daemon tries (userspace/libssl_files.cpp) is
        one the script finds the library at."""
        with open(os.path.join(ARGS.source_dir, "userspace/libssl_files.cpp")) as f:
            source = f.read()
        block = re.search(r"kSystemPaths\[\] = \{(.*?)\};", source, re.S)
        self.assertTrue(block, "kSystemPaths not found in libssl_files.cpp")
        paths = re.findall(r'"(/[^"]+)"', block.group(1))
        self.assertIn(SYSTEM_LIBSSL, paths)
        self.fake.remove("procfs/1/root")
        self.fake.remove("procfs/812/maps")
        for path in paths:
            with self.subTest(path=path):
                self.fake.write(f"procfs/1/root{path}", b"\x7fELF")
                _, checks, _ = self.check_both_ways(self.fake.args())
                self.assertEqual(checks["libssl.so.3"]["result"], "PASS")
                self.assertEqual(checks["libssl.so.3"]["detail"], f"{path} (HTTPS)")
                self.fake.remove("procfs/1/root")

    def test_no_btf(self):
        self.fake.remove("sysfs/kernel/btf")
        status, checks, text = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["kernel BTF"])
        self.assertIn("CONFIG_DEBUG_INFO_BTF=y", checks["kernel BTF"]["fix"])
        self.assertIn("fix: use a kernel built with CONFIG_DEBUG_INFO_BTF=y", text)

    def test_no_exit_tracepoint(self):
        self.fake.remove("sysfs/kernel/tracing/events/sched")
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["exit tracepoint"])
        self.assertIn("CONFIG_TRACEPOINTS=y", checks["exit tracepoint"]["fix"])

    def test_missing_program_types(self):
        progs = self.fake.features["program_types"]
        progs["have_cgroup_skb_prog_type"] = False
        del progs["have_sock_ops_prog_type"]  # older bpftool: not even listed
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["program type cgroup_skb", "program type sock_ops"])
        self.assertIn("CONFIG_CGROUP_BPF", checks["program type cgroup_skb"]["fix"])

    def test_missing_map_type_and_helpers(self):
        self.fake.features["map_types"]["have_ringbuf_map_type"] = False
        helpers = self.fake.features["helpers"]
        helpers["cgroup_skb_available_helpers"].remove("bpf_ktime_get_ns")
        del helpers["sock_ops_available_helpers"]
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(
            checks, ["map type ringbuf", "helper bpf_ktime_get_ns (cgroup_skb)",
                     "helper bpf_sk_storage_get (sock_ops)",
                     "helper bpf_get_socket_cookie (sock_ops)"])

    def test_no_bpf_loop_is_not_a_failure(self):
        # Without bpf_loop (5.15 and older) the engine loads its *_steps
        # programs: the row says so and passes, for both program types.
        helpers = self.fake.features["helpers"]
        helpers["cgroup_skb_available_helpers"].remove("bpf_loop")
        helpers["kprobe_available_helpers"].remove("bpf_loop")
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0)
        for t in ("cgroup_skb", "kprobe"):
            row = checks[f"helper bpf_loop ({t})"]
            self.assertEqual(row["result"], "PASS", row)
            self.assertIn("global functions", row["detail"])

    def test_version_is_information_only(self):
        # Features decide, not the number: RHEL 9's 5.14 carries BPF
        # backports; a kernel that lacks a helper fails on that row instead.
        for release in ("5.14.0-284.11.1.el9_2.x86_64", "5.10.0-26-amd64", "4.18.0-513.el8.x86_64",
                        "6.1.0-13-amd64", "10.0"):
            with self.subTest(release=release):
                self.fake.write("procfs/sys/kernel/osrelease", release + "\n")
                status, checks, _ = self.check_both_ways(self.fake.args())
                row = checks["kernel version"]
                self.assertEqual(row["result"], "PASS", row)
                self.assertEqual(status, 0)
                self.assertIn(release, row["detail"])
                self.assertIn("information", row["detail"])
        self.fake.write("procfs/sys/kernel/osrelease", "5.14.0-70.13.1.el9_0.x86_64\n")
        self.fake.features["helpers"]["cgroup_skb_available_helpers"].remove("bpf_sk_storage_get")
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["helper bpf_sk_storage_get (cgroup_skb)"])

    def test_unreadable_kernel_release(self):
        self.fake.write("procfs/sys/kernel/osrelease", "")
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0)
        self.assertEqual(checks["kernel version"]["result"], "WARN")

    def test_no_bpf_syscall(self):
        self.fake.remove("procfs/sys/kernel/unprivileged_bpf_disabled")
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["bpf() syscall"])
        self.assertIn("CONFIG_BPF_SYSCALL=y", checks["bpf() syscall"]["fix"])

    def test_cgroup_v1_only(self):
        self.fake.write("procfs/self/mountinfo", CGROUP_V1_ONLY_MOUNTINFO)
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["cgroup v2"])
        self.assertIn("only cgroup v1", checks["cgroup v2"]["detail"])
        self.assertIn("mount -t cgroup2", checks["cgroup v2"]["fix"])

    def test_lockdown_confidentiality(self):
        self.fake.write("sysfs/kernel/security/lockdown", "none integrity [confidentiality]\n")
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["lockdown"])
        self.assertIn("lockdown=integrity", checks["lockdown"]["fix"])

    def test_lockdown_integrity_passes(self):
        self.fake.write("sysfs/kernel/security/lockdown", "none [integrity] confidentiality\n")
        _, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(checks["lockdown"]["result"], "PASS")
        self.assertEqual(checks["lockdown"]["detail"], "integrity")

    def test_lockdown_without_securityfs(self):
        """Without securityfs the level comes from the command line and the
        kernel build; with neither it is unknown."""
        self.fake.remove("sysfs/kernel/security")
        _, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(checks["lockdown"]["result"], "WARN")
        self.assertIn("securityfs", checks["lockdown"]["fix"])

        self.fake.write("procfs/cmdline", "root=/dev/vda1 lockdown=confidentiality quiet\n")
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assertEqual(checks["lockdown"]["result"], "FAIL")

        self.fake.write("procfs/cmdline", "root=/dev/vda1 quiet\n")
        config = ("CONFIG_SECURITY_LOCKDOWN_LSM=y\n"
                  "CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY=y\n")
        self.fake.write("procfs/config.gz", gzip.compress(config.encode()))
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assertEqual(checks["lockdown"]["result"], "FAIL")

        config = ("CONFIG_SECURITY_LOCKDOWN_LSM=y\n"
                  "CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y\n")
        self.fake.write("procfs/config.gz", gzip.compress(config.encode()))
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0)
        self.assertEqual(checks["lockdown"]["result"], "PASS")

    def test_not_root(self):
        self.fake.set_caps("0000000000000000", uid=1000)
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["privileges"])
        self.assertIn("CAP_NET_ADMIN", checks["privileges"]["detail"])

    def test_capabilities_without_root(self):
        # CAP_NET_ADMIN (12), CAP_PERFMON (38), CAP_BPF (39) are enough when
        # tracefs is already mounted; mounting it also takes CAP_SYS_ADMIN.
        self.fake.set_caps(f"{(1 << 12) | (1 << 38) | (1 << 39):016x}", uid=1000)
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0, checks)
        self.fake.remove("sysfs/kernel/tracing")
        self.fake.write("procfs/self/mountinfo", HEALTHY_MOUNTINFO.replace(
            "40 23 0:12 / /sys/kernel/tracing rw,nosuid,nodev,noexec,relatime shared:17 - tracefs tracefs rw\n", ""))
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assertIn("CAP_SYS_ADMIN", checks["privileges"]["detail"])

    def test_tracefs_and_syscall_tracepoints(self):
        self.fake.remove("sysfs/kernel/tracing/events/syscalls")
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["syscall tracepoints"])
        self.assertIn("CONFIG_FTRACE_SYSCALLS=y", checks["syscall tracepoints"]["fix"])

        # No tracefs in the kernel at all.
        self.fake.remove("sysfs/kernel/tracing")
        self.fake.write("procfs/self/mountinfo", CGROUP_V1_ONLY_MOUNTINFO.replace("tracefs", "x")
                        + "50 23 0:40 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n")
        self.fake.write("procfs/filesystems", FILESYSTEMS.replace("nodev\ttracefs\n", ""))
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assertEqual(checks["tracefs"]["result"], "FAIL")
        self.assertIn("CONFIG_TRACING=y", checks["tracefs"]["fix"])

    def test_tracefs_not_mounted_is_fine(self):
        """The daemon mounts tracefs itself; whether the syscall tracepoints
        exist then comes from the kernel configuration."""
        self.fake.remove("sysfs/kernel/tracing")
        self.fake.write("procfs/self/mountinfo", HEALTHY_MOUNTINFO.replace("tracefs", "x"))
        self.fake.features["system_config"] = {"CONFIG_FTRACE_SYSCALLS": "y",
                                               "CONFIG_TRACEPOINTS": "y"}
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 0, checks)
        self.assertIn("not mounted", checks["tracefs"]["detail"])
        self.assertEqual(checks["exit tracepoint"]["result"], "PASS")
        self.fake.features["system_config"] = {"CONFIG_FTRACE_SYSCALLS": None}
        status, checks, _ = self.check_both_ways(self.fake.args())
        self.assertEqual(status, 1)
        self.assert_only_these_fail(checks, ["syscall tracepoints"])

    def test_bad_arguments(self):
        missing = os.path.join(self.tmp, "missing")
        not_json = self.fake.write("not-json.txt", "CONFIG_BPF=y\n")
        for args in (["--bogus"], ["--sysfs"], ["--sysfs", missing], ["--procfs="],
                     ["--features-json", missing], ["--features-json", not_json],
                     ["--json=yes"], ["--daemon", missing],
                     ["--daemon", "/bin/true", "--no-daemon"],
                     ["--daemon", "/bin/true", "--sysfs", self.fake.sysfs], ["json"]):
            with self.subTest(args=args):
                r = run_script(args)
                self.assertEqual(r.returncode, 2, r)
                self.assertEqual(r.stdout, "")
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertTrue(r.stderr.startswith("kernel-check: "), r.stderr)
        r = run_script(["--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("--features-json", r.stdout)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--script")
    parser.add_argument("--daemon")
    parser.add_argument("case", help="test method name without test_, or 'all'")
    ARGS = parser.parse_args()
    ARGS.script = ARGS.script or os.path.join(ARGS.source_dir, "scripts/kernel-check.sh")
    loader = unittest.TestLoader()
    if ARGS.case == "all":
        suite = loader.loadTestsFromTestCase(KernelCheckCase)
    else:
        suite = loader.loadTestsFromName(f"test_{ARGS.case}", KernelCheckCase)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if not result.wasSuccessful():
        return 1
    return SKIP if result.skipped and not result.testsRun - len(result.skipped) else 0


if __name__ == "__main__":
    sys.exit(main())
