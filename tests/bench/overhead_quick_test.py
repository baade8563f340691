#!/usr/bin/env python3
"""ctest bench_overhead_quick: bench/overhead.py --quick end to end.

Asserts only what does not depend on timing: every traced run's counts equal
nginx's access log exactly (a plain run, a mixed-status run and a pipelined run),
and results.md, results.json and overhead.png are produced. Without root it is
skipped (exit 77), except under CI, where a skip would hide that it never ran.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fail(message):
    print(f"FAIL: {message}", flush=True)
    return 1


def check_results(result_dir):
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
    return problems + check_exactness(report)


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--script", required=True, help="bench/overhead.py")
    p.add_argument("--daemon", required=True, help="the http-statistics binary")
    args = p.parse_args()

    if os.geteuid() != 0:
        if os.environ.get("CI"):
            return fail("needs root (it loads BPF programs); under CI it must run, not skip")
        print("SKIP: needs root (the daemon and bpftrace load BPF programs)")
        return SKIP

    out = tempfile.mkdtemp(prefix="hs-bench-test-")
    try:
        run = subprocess.run(
            [sys.executable, args.script, "--quick", "--out", out, "--daemon", args.daemon],
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
        problems = check_results(dirs[0])
        if run.returncode != 0:
            problems.append(f"overhead.py exited with {run.returncode}")
        if problems:
            with open(os.path.join(dirs[0], "results.md"), encoding="utf-8", errors="replace") as f:
                print(f.read())
            for problem in problems:
                fail(problem)
            return 1
        print(
            "bench_overhead_quick: every traced run exact; results.md, results.json, overhead.png produced"
        )
        return 0
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
