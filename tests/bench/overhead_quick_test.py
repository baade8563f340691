#!/usr/bin/env python3
"""ctest bench_overhead_quick: bench/overhead.py --quick end to end.

Asserts only what does not depend on timing: every traced run's counts equal
nginx's access log exactly (a plain run, a mixed-status run and a pipelined run),
the empty-hooks runs (E on cgroup_skb, T on tc) had both of their programs
attached, the minimal counter's run (M) had its three attached and counted what
nginx logged, none of these programs is left loaded afterwards, and results.md,
results.json and overhead.png are produced. Then the other modes, briefly: with a
remote-like client (wrk in its own network namespace and cgroup) on the ok, static-4k
and python-app workloads, and the bystanders (iperf3, a busy wrk), where the engine
must count nothing, the templates-50 workload with URL templates on (B, counting
under its 50 templates) and off (U, under none), and new-connections (a connection
per request); each B and U run exact, every namespace, veth and cgroup removed.
Without root it is skipped (exit 77), except under CI, where a skip would hide that
it never ran.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fail(message):
    print(f"FAIL: {message}", flush=True)
    return 1


def check_results(result_dir, minimal):
    """Returns a list of problems with the produced reports (empty: all good)."""
    problems = []
    for name in ("results.md", "results.json", "overhead.png"):
        path = os.path.join(result_dir, name)
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            problems.append(f"{name} missing or empty")
    if problems:
        return problems
    with open(os.path.join(result_dir, "overhead.png"), "rb") as f:
        if f.read(len(PNG_MAGIC)) != PNG_MAGIC:
            problems.append("overhead.png is not a PNG")
    with open(os.path.join(result_dir, "results.md"), encoding="utf-8") as f:
        if "## Exactness (all exact)" not in f.read():
            problems.append("results.md does not report every run exact")
    with open(os.path.join(result_dir, "results.json"), encoding="utf-8") as f:
        report = json.load(f)
    problems += check_exactness(report) + check_empty_hooks(report)
    return problems + (check_minimal(report) if minimal else [])


EMPTY_HOOKS = {
    "E": {"hs_empty_in on cgroup_inet_ingress", "hs_empty_out on cgroup_inet_egress"},
    "T": {"hs_empty_tc_in on tcx", "hs_empty_tc_out on tcx"},
}


def check_empty_hooks(report):
    """E and T ran with both of their programs attached (as BPF links), and their
    ratios are in the summary. T, optional, may have been skipped by a kernel
    without tcx (before 6.6)."""
    problems = []
    ratios = report["summary"]["worker_cpu_us_per_request"]["ratios"]
    for variant, expected in EMPTY_HOOKS.items():
        runs = [r for r in report["runs"] if r["variant"] == variant and r["kind"] == "pair"]
        if not runs:
            problems.append(f"no run of variant {variant}")
            continue
        if "skipped" in runs[0]:
            if variant == "E":
                problems.append(f"E skipped: {runs[0]['skipped']}")
            else:
                print(f"note: {variant} skipped: {runs[0]['skipped']}")
            continue
        attached = set(runs[0]["empty_hooks"]["attached"])
        if attached != expected:
            problems.append(
                f"{variant}'s run had {sorted(attached)} attached, not {sorted(expected)}"
            )
        if ratios.get(f"{variant}/A", {}).get("median") is None:
            problems.append(f"no {variant}/A ratio in the summary")
    if ratios.get("B/E", {}).get("median") is None:
        problems.append("no B/E ratio in the summary")
    return problems


MINIMAL_PROGRAMS = {
    "mc_sockops on cgroup_sock_ops",
    "mc_ingress on cgroup_inet_ingress",
    "mc_egress on cgroup_inet_egress",
}


def check_minimal(report):
    """M ran with its programs attached, counted every response nginx logged (one per
    segment in this workload, which is what it can count), and its ratios are there."""
    runs = [r for r in report["runs"] if r["variant"] == "M" and r["kind"] == "pair"]
    if not runs:
        return ["no run of variant M"]
    if "skipped" in runs[0]:
        return [f"M skipped: {runs[0]['skipped']}"]
    problems = []
    m = runs[0]["minimal"]
    if set(m["attached"]) != MINIMAL_PROGRAMS:
        problems.append(f"M's run had {m['attached']} attached, not {sorted(MINIMAL_PROGRAMS)}")
    if not m["log_completed"] or not m["matches_log"]:
        problems.append(f"M counted {m['counted']}, nginx logged {m['log_completed']}")
    if report.get("minimal_matches_log") is not True:
        problems.append(f"minimal_matches_log is {report.get('minimal_matches_log')}")
    ratios = report["summary"]["worker_cpu_us_per_request"]["ratios"]
    for key in ("M/A", "M/E", "B/M"):
        if ratios.get(key, {}).get("median") is None:
            problems.append(f"no {key} ratio in the summary")
    return problems


def leftover_programs():
    """Names of the benchmark's own comparison programs still loaded in the kernel."""
    r = subprocess.run(
        ["bpftool", "prog", "show", "--json"], capture_output=True, text=True, check=True
    )
    programs = json.loads(r.stdout or "[]")
    return [p["name"] for p in programs if p.get("name", "").startswith(("hs_empty", "mc_"))]


def check_exactness(report):
    problems = []
    checked = {r["kind"]: r for r in report["runs"] if "exactness" in r}
    for kind in ("pair", "mixed", "pipelined"):
        if kind not in checked:
            problems.append(f"no exactness check for the {kind} run")
    for r in (r for r in report["runs"] if "exactness" in r):
        e = r["exactness"]
        if not e["exact"]:
            problems.append(
                f"{r['kind']} run not exact: engine {e['engine']}, nginx {e['log_completed']}"
            )
        if not e["log_completed"]:
            problems.append(f"{r['kind']} run: nginx logged no completed request")
    # Otherwise the runs would not test what they are named after.
    if "mixed" in checked and set(checked["mixed"]["exactness"]["log_completed"]) != {
        "200",
        "404",
        "503",
    }:
        problems.append("the mixed run did not produce 200, 404 and 503")
    if "pipelined" in checked and checked["pipelined"]["log"]["pipelined"] == 0:
        problems.append("nginx saw no pipelined request in the pipelined run")
    if report.get("all_exact") is not True:
        problems.append(f"all_exact is {report.get('all_exact')}")
    return problems


def run_bench(args, out, extra):
    """overhead.py --quick with extra options; (exit code, its one results folder or None)."""
    run = subprocess.run(
        [sys.executable, args.script, "--quick", "--out", out, "--daemon", args.daemon] + extra,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    print(run.stdout + run.stderr, flush=True)
    dirs = [os.path.join(out, d) for d in os.listdir(out)] if os.path.isdir(out) else []
    return run.returncode, dirs[0] if len(dirs) == 1 else None


# Templates each variant's runs must have counted under: a workload that sent one
# path, or templates off that still named some, would not measure what it says.
TEMPLATES_COUNTED = {"templates-50": {"B": 50, "U": 0}}


def check_mode(result_dir, workloads, variants=("A", "B")):
    """Every workload ran A, an exact B and the other `variants`; its chart
    and summary are there, with the ratio of B to each of them."""
    with open(os.path.join(result_dir, "results.json"), encoding="utf-8") as f:
        report = json.load(f)
    problems = []
    for i, w in enumerate(workloads):
        runs = [r for r in report["runs"] if r["kind"] == "pair" and r["workload"] == w]
        ran = {r["variant"] for r in runs if "skipped" not in r}
        if not ran >= set(variants):
            problems.append(f"{w}: ran {sorted(ran)}, not all of {list(variants)}")
        for r in runs:
            if "exactness" in r and not r["exactness"]["exact"]:
                problems.append(f"{w}: not exact: {r['exactness']}")
            templates = [t for t in r.get("exactness", {}).get("url_templates", []) if t]
            expected = TEMPLATES_COUNTED.get(w, {}).get(r["variant"])
            if expected is not None and len(templates) != expected:
                problems.append(
                    f"{w}: {r['variant']} counted under {len(templates)} URL templates, "
                    f"not {expected}: {templates[:5]}"
                )
        ratio = report["summaries"][w]["summary"]
        for other in [v for v in variants if v != "B"]:
            if all(m["ratios"].get(f"B/{other}", {}).get("median") is None for m in ratio.values()):
                problems.append(f"{w}: no B/{other} ratio")
        chart = "overhead.png" if i == 0 else f"overhead-{w}.png"
        if not os.path.isfile(os.path.join(result_dir, chart)):
            problems.append(f"{w}: no {chart}")
    if report.get("all_exact") is not True:
        problems.append(f"all_exact is {report.get('all_exact')}")
    return problems


def leftover_topology():
    """Network namespaces and cgroups of the benchmark still there."""
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    left = [n.split()[0] for n in netns.splitlines() if n.startswith("hsb")]
    for mount in open("/proc/self/mounts", encoding="utf-8").read().splitlines():
        fields = mount.split()
        if fields[2] == "cgroup2":
            left += [d for d in os.listdir(fields[1]) if d.startswith("hs-bench-")]
    return left


# (arguments, workloads, variants every workload must have run)
MODES = [
    (["--remote-client", "--workload", "ok,static-4k,python-app", "--variants", "ABE"],
     ["ok", "static-4k", "python-app"], ("A", "B")),
    (["--bystanders", "--variants", "AB"], ["bulk-tcp", "busy-client"], ("A", "B")),
    # What URL templates cost: B against the engine with them off; and a new
    # connection per request.
    (
        ["--workload", "templates-50,new-connections", "--variants", "ABU"],
        ["templates-50", "new-connections"],
        ("A", "B", "U"),
    ),
]


def check_modes(args):
    problems = []
    for extra, workloads, variants in MODES:
        if "--bystanders" in extra and not shutil.which("iperf3"):
            if os.environ.get("CI"):
                problems.append("no iperf3 (scripts/install-deps.sh installs it)")
            else:
                print("note: --bystanders not run: no iperf3")
            continue
        out = tempfile.mkdtemp(prefix="hs-bench-test-")
        try:
            code, result_dir = run_bench(args, out, extra)
            name = " ".join(extra[:1])
            if result_dir is None:
                problems.append(f"{name}: no results folder (exit code {code})")
                continue
            problems += [f"{name}: {p}" for p in check_mode(result_dir, workloads, variants)]
            if code != 0:
                problems.append(f"{name}: overhead.py exited with {code}")
        finally:
            shutil.rmtree(out, ignore_errors=True)
    if leftover_topology():
        problems.append(f"left behind: {leftover_topology()}")
    return problems


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--script", required=True, help="bench/overhead.py")
    p.add_argument("--daemon", required=True, help="the http-statistics binary")
    p.add_argument(
        "--minimal", help="bench/minimal's counter (variant M); without it M is left out"
    )
    args = p.parse_args()

    if os.geteuid() != 0:
        if os.environ.get("CI"):
            return fail("needs root (it loads BPF programs); under CI it must run, not skip")
        print("SKIP: needs root (the daemon and bpftrace load BPF programs)")
        return SKIP

    out = tempfile.mkdtemp(prefix="hs-bench-test-")
    try:
        run = subprocess.run(
            [
                sys.executable,
                args.script,
                "--quick",
                "--variants",
                "ABCEMT" if args.minimal else "ABCET",
                "--out",
                out,
                "--daemon",
                args.daemon,
            ]
            + (["--minimal", args.minimal] if args.minimal else []),
            capture_output=True,
            text=True,
            timeout=280,
            check=False,
        )
        print(run.stdout + run.stderr, flush=True)
        dirs = [os.path.join(out, d) for d in os.listdir(out)]
        if len(dirs) != 1:
            return fail(
                f"expected one results folder, found {len(dirs)} (exit code {run.returncode})"
            )
        problems = check_results(dirs[0], bool(args.minimal))
        # Programs are freed once their last reference goes, which can trail the exit.
        deadline = time.monotonic() + 5
        while leftover_programs() and time.monotonic() < deadline:
            time.sleep(0.1)
        if leftover_programs():
            problems.append(f"still loaded after the benchmark: {leftover_programs()}")
        if run.returncode != 0:
            problems.append(f"overhead.py exited with {run.returncode}")
        problems += check_modes(args)
        if problems:
            with open(os.path.join(dirs[0], "results.md"), encoding="utf-8", errors="replace") as f:
                print(f.read())
            for problem in problems:
                fail(problem)
            return 1
        print(
            "bench_overhead_quick: every traced run exact, also with a remote-like client, "
            "on static files and the Python app, and for bystanders; reports produced"
        )
        return 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
