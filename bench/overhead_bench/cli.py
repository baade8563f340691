"""The command line: options, prerequisites, and the run from start to reports with
everything cleaned up on the way out."""

import argparse
import contextlib
import datetime
import os
import shutil
import signal
import tempfile

from . import __doc__ as DOC
from .common import SetupError, log
from .measurement import Bench
from .plan import run_all
from .processes import Managed
from .readings import TracefsMounted
from .report import environment, write_reports
from .summary import all_exact, minimal_matches_log, summaries, summary_rounds
from .topology import TOPOLOGIES
from .variants import ALL_VARIANTS, DAEMON_VARIANTS, DEFAULT_VARIANTS, VARIANTS
from .workloads import BYSTANDER_WORKLOADS, ROUND_WORKLOADS
from .wrk import PIPELINE_DEPTH

def parse_args(argv):
    p = argparse.ArgumentParser(
        description=DOC.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--pairs", type=int, default=5, help="rounds of every variant (default 5)")
    p.add_argument("--seconds", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--out", default="results", help="results go to OUT/<UTC timestamp>/")
    p.add_argument(
        "--quick",
        action="store_true",
        help="1 round of 2 s runs, 1 s exactness runs, no BPF run-time runs",
    )
    p.add_argument("--daemon", default="build/http-statistics", help="the daemon binary")
    p.add_argument(
        "--minimal",
        default=None,
        help="variant M's counter (default: minimal_counting beside the daemon)",
    )
    p.add_argument(
        "--variants",
        default=DEFAULT_VARIANTS,
        help=f"which of {', '.join(VARIANTS)} to run (default {DEFAULT_VARIANTS})",
    )
    p.add_argument("--connections", type=int, default=20, help="wrk connections (default 20)")
    p.add_argument(
        "--https",
        action="store_true",
        help="nginx and wrk over TLS (the engine counts through its OpenSSL uprobes); "
        "implies --variants AB: the bpftrace script reads syscalls, which carry only ciphertext",
    )
    p.add_argument(
        "--remote-client",
        action="store_true",
        help="wrk in its own network namespace (veth pair) and cgroup, the engine and the "
        "floors attached to the server's cgroup only: only the server's side pays, as with "
        "clients on other machines",
    )
    p.add_argument(
        "--workload",
        default="ok",
        help=f"comma-separated workloads of the rounds, of {', '.join(ROUND_WORKLOADS)} "
        "(default ok: nginx return 200)",
    )
    p.add_argument(
        "--bystanders",
        action="store_true",
        help="instead of a server, what the engine costs processes it does not count: "
        f"{' and '.join(BYSTANDER_WORKLOADS)} in the cgroup it attaches to (variants A, B, "
        "S, E, M of those asked for)",
    )
    p.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="do not pin the nginx worker to CPU 0 and wrk to CPU 1",
    )
    p.add_argument(
        "--nice",
        type=int,
        default=None,
        help="nice value for nginx, wrk, the daemon and bpftrace (default -20, 0 with --quick): "
        "on a shared machine the measured processes then get the CPU before other work",
    )
    p.add_argument(
        "--bpftrace-timeout",
        type=float,
        default=30.0,
        help="give up on bpftrace (and skip C) if it takes longer to attach",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.pairs, args.seconds = 1, 2
        args.bpftrace_timeout = min(args.bpftrace_timeout, 10.0)
    if args.nice is None:
        args.nice = 0 if args.quick else -20
    if args.minimal is None:
        args.minimal = os.path.join(os.path.dirname(args.daemon), "minimal_counting")
    args.variants = "".join(v for v in ALL_VARIANTS if v in args.variants.upper())
    if args.https:
        args.variants = args.variants.replace("C", "")
    args.workloads = [w.strip() for w in args.workload.split(",") if w.strip()]
    unknown = [w for w in args.workloads if w not in ROUND_WORKLOADS]
    if unknown:
        p.error(f"unknown workload {', '.join(unknown)}: one of {', '.join(ROUND_WORKLOADS)}")
    if args.bystanders:
        if args.remote_client or args.https or args.workload != "ok":
            p.error("--bystanders has its own workloads: not with --remote-client, --https, --workload")
        args.workloads = list(BYSTANDER_WORKLOADS)
        # The bpftrace script traces a server's worker, and there is none to trace.
        args.variants = "".join(v for v in args.variants if v in "ABSEM")
    if args.https and args.workloads != ["ok"]:
        p.error("--https runs nginx's ok workload only")
    args.topology = (
        "remote-client" if args.remote_client else "bystanders" if args.bystanders else "local"
    )
    if "A" not in args.variants or args.pairs < 1 or args.seconds < 1:
        p.error("need variant A (the baseline), --pairs >= 1 and --seconds >= 1")
    return args


def check_prerequisites(args):
    if os.geteuid() != 0:
        raise SetupError("run as root: the daemon and bpftrace load BPF programs")
    tools = ["nginx", "wrk", "gnuplot", "taskset"] + (["bpftool"] if not args.quick else [])
    tools += ["openssl"] if args.https else []
    tools += ["ip"] if args.remote_client else []
    tools += ["iperf3"] if args.bystanders else []
    tools += ["bpftrace"] if "C" in args.variants else []
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        raise SetupError(
            "missing tools: " + ", ".join(missing) + " (scripts/install-deps.sh installs them)"
        )
    if set(DAEMON_VARIANTS) & set(args.variants) and not os.access(args.daemon, os.X_OK):
        raise SetupError(
            f"no daemon at {args.daemon}: build it (cmake --build build --target "
            "http-statistics) or pass --daemon PATH"
        )


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def raise_on_signal(signum, _frame):
    # A second Ctrl-C must not cut the cleanup that the first one starts.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv):
    args = parse_args(argv)
    # Every stop signal unwinds like Ctrl-C, so every cleanup below runs (SIGINT too:
    # a shell starting this in the background would otherwise have it ignored).
    for sig in STOP_SIGNALS:
        signal.signal(sig, raise_on_signal)
    started = datetime.datetime.now(datetime.timezone.utc)
    out_dir = os.path.join(args.out, started.strftime("%Y%m%dT%H%M%SZ"))
    try:
        check_prerequisites(args)
        with contextlib.ExitStack() as stack:
            workdir = tempfile.mkdtemp(prefix="hs-overhead-")
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
            if "C" in args.variants:
                stack.enter_context(TracefsMounted())  # unmounted once bpftrace is gone
            # Removed once everything in them has been stopped (just below).
            topology = TOPOLOGIES[args.topology]()
            stack.callback(topology.close)
            stack.callback(Managed.stop_all)  # before the directory they write to goes
            env = environment(args)
            if env["bpf_stats_enabled_at_start"] == "1":
                log("warning: kernel.bpf_stats_enabled is already 1: every traced run pays for it")
            bench = Bench(args, workdir, stack, topology)
            log(f"topology {topology.name}; workloads {', '.join(args.workloads)}")
            runs = run_all(bench, args)
            env["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            by_workload = summaries(runs, args.workloads, summary_rounds(runs))
            report = {
                "started_utc": started.strftime("%Y-%m-%d %H:%M UTC"),
                "config": {
                    "pairs": args.pairs,
                    "seconds": args.seconds,
                    "quick": args.quick,
                    "variants": list(args.variants),
                    "connections": args.connections,
                    "https": args.https,
                    "workloads": args.workloads,
                    "topology": topology.describe(),
                    "nginx_cpu": bench.nginx_cpu,
                    "wrk_cpu": bench.wrk_cpu,
                    "nice": args.nice,
                    "pipeline_depth": PIPELINE_DEPTH,
                },
                "environment": env,
                "runs": runs,
                "summary_rounds": summary_rounds(runs),
                # The first workload's, where earlier reports had their only one.
                "summary": by_workload[args.workloads[0]]["summary"],
                "summary_all_rounds": by_workload[args.workloads[0]]["summary_all_rounds"],
                "summaries": by_workload,
                "all_exact": all_exact(runs),
                "minimal_matches_log": minimal_matches_log(runs),
            }
            write_reports(report, out_dir, workdir)
    except SetupError as e:
        log(f"error: {e}")
        return 2
    except KeyboardInterrupt:
        log("interrupted: everything started was stopped")
        return 130
    log(f"results in {out_dir}/ (results.md, results.json, overhead*.png)")
    if report["all_exact"] is False:
        log("exactness FAILED: see the Exactness table in results.md")
        return 1
    if report["minimal_matches_log"] is False:
        # M's figures are a lower bound only if M did the work it stands for.
        log("the minimal counter's counts differ from the log: see results.md")
        return 1
    return 0


