"""The plan: interleaved rounds of every variant on every workload, then the extra
runs (exactness under mixed statuses and pipelining, BPF run time)."""

from .common import SetupError, log
from .report import fmt
from .variants import ALL_VARIANTS, OPTIONAL_VARIANTS, VARIANTS, run_variant
from .workloads import WORKLOADS


def rounds_plan(pairs, variants):
    """Each round runs every variant once, the order rotated per round so no variant
    always runs first (right after the previous round's last, on a warmer machine)."""
    order = [v for v in ALL_VARIANTS if v in variants]
    return [order[i % len(order) :] + order[: i % len(order)] for i in range(pairs)]


def run_optional(bench, variant, seconds, workload, bpf_stats=False):
    """(run_variant's record, None), or for a comparison (OPTIONAL_VARIANTS) that cannot
    run here (None, why): the benchmark goes on without it."""
    try:
        return run_variant(bench, variant, seconds, workload, bpf_stats), None
    except SetupError as e:
        if variant not in OPTIONAL_VARIANTS:
            raise
        log(f"{VARIANTS[variant]} skipped: {e}")
        return None, str(e)


def run_all(bench, args):
    """The interleaved rounds, then the extra runs. Returns every run's record.

    In a round, each workload runs every variant back to back, so that a workload's
    ratios compare runs minutes apart at most, on the same state of a shared host."""
    runs = []
    variants = set(args.variants)
    for i, order in enumerate(rounds_plan(args.pairs, variants)):
        for name in args.workloads:
            for variant in order:
                if variant not in variants:  # a comparison given up on in an earlier round
                    continue
                log(
                    f"round {i + 1}/{args.pairs}: {variant} ({VARIANTS[variant]}), {name}, "
                    f"{args.seconds} s"
                )
                run, skipped = run_optional(bench, variant, args.seconds, WORKLOADS[name])
                if skipped:
                    variants.discard(variant)
                    runs.append(
                        {"variant": variant, "kind": "pair", "round": i, "workload": name,
                         "skipped": skipped}
                    )
                    continue
                runs.append(dict(run, variant=variant, kind="pair", round=i))
                log("  " + describe_run(runs[-1]))
    return runs + extra_runs(bench, args, variants)


def extra_runs(bench, args, variants):
    extra = []
    short = max(1, args.seconds // 2) if not args.quick else 1
    # The exactness runs are nginx's; the bystander topology's nginx is outside the
    # engine's cgroup, where it counts nothing.
    if "B" in variants and args.topology != "bystanders":
        for name in ("mixed", "pipelined"):
            log(f"exactness: B with the {name} workload, {short} s")
            run = run_variant(bench, "B", short, WORKLOADS[name])
            extra.append(dict(run, variant="B", kind=name))
            log("  " + describe_run(extra[-1]))
    if args.quick:
        return extra
    for name in args.workloads:
        for variant in (v for v in ALL_VARIANTS if v in variants and v != "A"):
            log(f"BPF run time: {variant} with kernel.bpf_stats_enabled=1, {name}, {args.seconds} s")
            run, _ = run_optional(bench, variant, args.seconds, WORKLOADS[name], bpf_stats=True)
            if run:
                extra.append(dict(run, variant=variant, kind="bpf_stats"))
                log("  " + describe_run(extra[-1]))
    return extra


def describe_run(run):
    if run.get("mib"):
        parts = [
            f"{run['throughput_gbit_s']:.2f} Gbit/s",
            f"iperf3 {fmt(run['bystander_cpu_us_per_mib'])} us/MiB",
            f"machine {fmt(run['machine_cpu_us_per_mib'])} us/MiB",
        ]
    else:
        parts = [
            f"{run['requests_per_second'] or 0:,.0f} req/s",
            f"worker {fmt(run['worker_cpu_us_per_request'])} us/req",
            f"wrk {fmt(run['wrk_cpu_us_per_request'])} us/req",
            f"machine {fmt(run['machine_cpu_us_per_request'])} us/req",
        ]
    if "exactness" in run:
        parts.append(
            "exact"
            if run["exactness"]["exact"]
            else f"NOT EXACT engine={run['exactness']['engine']} log={run['exactness']['log_completed']}"
        )
    if "minimal" in run:
        m = run["minimal"]
        parts.append(
            "counted as logged"
            if m["matches_log"]
            else f"counted {m['counted']}, log {m['log_completed']}"
        )
    if "bpf" in run:
        parts.append(f"BPF {fmt(run['bpf']['ns_per_request'], 0)} ns/req")
    return ", ".join(parts)
