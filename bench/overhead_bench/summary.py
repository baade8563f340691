"""The summary: per workload, medians per variant and per-round ratios, over the
rounds free of other BPF programs on the hot path."""

from .common import median, ratio
from .measurement import per_request_us


# (key in the summary, label, how to get it from a run, digits). A metric a workload's
# runs do not have (per MiB for HTTP, per request for a bulk transfer) is left out of
# its table.
METRICS = [
    ("requests_per_second", "throughput (req/s)", lambda r: r.get("requests_per_second"), 0),
    ("throughput_gbit_s", "throughput (Gbit/s)", lambda r: r.get("throughput_gbit_s"), 2),
    (
        "latency_avg_us",
        "wrk mean latency (us)",
        lambda r: r["wrk"]["latency_avg_us"] if "wrk" in r else None,
        0,
    ),
    (
        "worker_busy",
        "server worker busy (CPUs; 1.0 = saturated)",
        lambda r: r["worker_cpu_s"] / r["wall_s"] if r["wall_s"] else None,
        2,
    ),
    (
        "worker_cpu_us_per_request",
        "server worker CPU per request (us, utime+stime)",
        lambda r: r.get("worker_cpu_us_per_request"),
        2,
    ),
    (
        "worker_oncpu_us_per_request",
        "server worker on-CPU per request (us, schedstat)",
        lambda r: r.get("worker_oncpu_us_per_request"),
        2,
    ),
    (
        "wrk_cpu_us_per_request",
        "wrk CPU per request (us; includes the softirq work of packets it sends to the server)",
        lambda r: r.get("wrk_cpu_us_per_request"),
        2,
    ),
    (
        "machine_cpu_us_per_request",
        "machine CPU per request (us, /proc/stat)",
        lambda r: r.get("machine_cpu_us_per_request"),
        2,
    ),
    (
        "bystander_cpu_us_per_mib",
        "iperf3 CPU per MiB, server + client (us, utime+stime)",
        lambda r: r.get("bystander_cpu_us_per_mib"),
        1,
    ),
    (
        "server_cpu_us_per_mib",
        "iperf3 server (receiver) CPU per MiB (us)",
        lambda r: r.get("server_cpu_us_per_mib"),
        1,
    ),
    (
        "client_cpu_us_per_mib",
        "iperf3 client (sender) CPU per MiB (us)",
        lambda r: r.get("client_cpu_us_per_mib"),
        1,
    ),
    (
        "machine_cpu_us_per_mib",
        "machine CPU per MiB (us, /proc/stat)",
        lambda r: r.get("machine_cpu_us_per_mib"),
        1,
    ),
    ("machine_busy_cpus", "machine busy CPUs", lambda r: r["machine_busy_cpus"], 2),
    (
        "tracer_cpu_us_per_request",
        "daemon / bpftrace process CPU per request (us, schedstat)",
        lambda r: tracer_cpu_us_per_request(r),
        3,
    ),
]


def tracer_cpu_us_per_request(run):
    """CPU of the tracing process itself (the daemon or bpftrace) during the run."""
    if "daemon" in run:
        return run["daemon"]["cpu_us_per_request"]
    if "bpftrace" in run:
        return per_request_us(run["bpftrace"]["oncpu_s"], run["requests_logged"])
    return None


def clean_rounds(runs):
    """Rounds in which no run had someone else's BPF programs on the hot path."""
    pair_runs = [r for r in runs if r["kind"] == "pair" and "skipped" not in r]
    dirty = {r["round"] for r in pair_runs if r.get("foreign_programs")}
    return sorted({r["round"] for r in pair_runs} - dirty)


def ratio_keys(variants):
    """The ratios reported: each variant to the untraced runs, the engine and the minimal
    counter to the empty hooks (their own work above the floor of their hooks), and the
    engine to the minimal counter."""
    keys = [(v, "A") for v in variants if v != "A"]
    keys += [(v, "E") for v in "BM" if v in variants and "E" in variants]
    keys += [("S", "B")] if "S" in variants and "B" in variants else []
    # What URL templates cost: the engine with them over the engine without.
    keys += [("B", "U")] if "U" in variants and "B" in variants else []
    return keys + ([("B", "M")] if "B" in variants and "M" in variants else [])


def summarize(runs, rounds=None, workload=None):
    """Medians per variant and per-round ratios (ratio_keys), over the given rounds
    (all: None), of one workload's runs (all: None)."""
    pair_runs = [
        r
        for r in runs
        if r["kind"] == "pair"
        and "skipped" not in r
        and (rounds is None or r["round"] in rounds)
        and (workload is None or r["workload"] == workload)
    ]
    variants = sorted({r["variant"] for r in pair_runs})
    rounds = sorted({r["round"] for r in pair_runs})
    by = {(r["round"], r["variant"]): r for r in pair_runs}
    summary = {}
    for key, _, get, _ in METRICS:
        entry = {"median": {}, "ratios": {}}
        for v in variants:
            entry["median"][v] = median([get(r) for r in pair_runs if r["variant"] == v])
        for v, base in ratio_keys(variants):
            per_round = [
                ratio(get(by[(i, v)]), get(by[(i, base)]))
                for i in rounds
                if (i, v) in by and (i, base) in by
            ]
            per_round = [x for x in per_round if x is not None]
            entry["ratios"][f"{v}/{base}"] = {
                "per_round": per_round,
                "median": median(per_round),
                "min": min(per_round) if per_round else None,
                "max": max(per_round) if per_round else None,
            }
        summary[key] = entry
    return summary


def summary_rounds(runs):
    """The rounds the summary is over: the clean ones, or all if none is clean (an
    'untraced' run with someone else's tracer attached is no baseline)."""
    clean = clean_rounds(runs)
    return clean or sorted({r["round"] for r in runs if r["kind"] == "pair"})


def exactness_rows(runs):
    return [r for r in runs if "exactness" in r]


def all_exact(runs):
    """True or False; None when no run was checked."""
    rows = exactness_rows(runs)
    return all(r["exactness"]["exact"] for r in rows) if rows else None


def minimal_matches_log(runs):
    """Whether variant M counted what the log holds in every run; None without M runs."""
    rows = [r for r in runs if "minimal" in r]
    return all(r["minimal"]["matches_log"] for r in rows) if rows else None



def summaries(runs, workloads, rounds):
    """{workload: {"summary": over the rounds given, "summary_all_rounds": over all}}."""
    return {
        w: {"summary": summarize(runs, rounds, w), "summary_all_rounds": summarize(runs, None, w)}
        for w in workloads
    }
