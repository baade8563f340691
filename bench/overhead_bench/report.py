"""The reports: results.md (the tables), results.json (every run's raw numbers) and
the charts (charts.py)."""

import json
import os
import platform

from .charts import plot_all
from .common import command_output, median, read_file
from .readings import BpfStatsEnabled
from .summary import (
    METRICS,
    all_exact,
    clean_rounds,
    exactness_rows,
    ratio_keys,
    tracer_cpu_us_per_request,
)
from .variants import ALL_VARIANTS, DAEMON_VARIANTS, VARIANTS
from .workloads import WORKLOADS



def fmt(value, digits=2):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def fmt_ratio(r):
    if not r or r["median"] is None:
        return "–"
    return f"{r['median']:.3f} [{r['min']:.3f}–{r['max']:.3f}]"


def fmt_counts(counts):
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items())) or "none"


def markdown(report):
    cfg, env, runs = report["config"], report["environment"], report["runs"]
    out = [f"# http-statistics: overhead under load ({report['started_utc']})", ""]
    out += setup_lines(cfg, env)
    out += warning_lines(env, runs)
    for workload in cfg["workloads"]:
        out += overhead_lines(report, workload)
    out += [""] + bpf_lines(runs) + [""] + daemon_lines(runs) + [""] + exactness_lines(runs)
    out += [""] + bpftrace_lines(runs) + [""] + minimal_lines(runs) + [""] + run_lines(runs)
    return "\n".join(out) + "\n"


def overhead_lines(report, workload):
    """The table of one workload: medians per variant and the ratios."""
    runs, summary = report["runs"], report["summaries"][workload]["summary"]
    variants = [
        v
        for v in ALL_VARIANTS
        if any(
            r["variant"] == v and r["kind"] == "pair" and "skipped" not in r
            and r["workload"] == workload
            for r in runs
        )
    ]
    several = len(report["config"]["workloads"]) > 1 or workload != "ok"
    out = [
        "",
        f"## Overhead: {workload}" if several else "## Overhead",
        "",
        f"{WORKLOADS[workload].description}. " + rounds_sentence(report),
        "Ratios are per round (that round's A), shown as median [min–max]."
        + (
            " E/A is the floor: what programs that do nothing cost on the engine's packet "
            "hooks. B/E is what the engine's work adds above it."
            if "E" in variants
            else ""
        )
        + (
            " M/A: the least work a counter of responses can do on those hooks; B/M what "
            "the engine does beyond it (framing, methods, latency, processes)."
            if "M" in variants
            else ""
        )
        + (" T/A: the same floor on tc." if "T" in variants else ""),
        "",
    ]
    ratios = [f"{v}/{base}" for v, base in ratio_keys(variants)]
    header = ["metric"] + [f"{v}: {VARIANTS[v]}" for v in variants] + ratios
    out += [table_row(header), table_row(["---"] * len(header))]
    for key, label, _, digits in METRICS:
        entry = summary[key]
        if all(entry["median"].get(v) is None for v in variants):
            continue
        row = [label] + [fmt(entry["median"].get(v), digits) for v in variants]
        row += [fmt_ratio(entry["ratios"].get(key)) for key in ratios]
        out.append(table_row(row))
    return out


def rounds_sentence(report):
    used = report["summary_rounds"]
    total = report["config"]["pairs"]
    clean = clean_rounds(report["runs"])
    if len(used) == total:
        return f"Medians over all {total} round(s)."
    if clean:
        left_out = sorted(set(range(total)) - set(used))
        return (
            f"Medians over the {len(used)} of {total} rounds without other BPF programs on the "
            f"hot path (left out: round {', '.join(str(i + 1) for i in left_out)}; "
            "results.json's summary_all_rounds has all of them)."
        )
    return f"Medians over all {total} round(s); none was free of other BPF programs."


def table_row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def warning_lines(env, runs):
    """What makes this run's timings less trustworthy, said up front."""
    out = []
    if max(env["load_average_at_start"][0], env["load_average_at_end"][0]) > env["cpus"]:
        out.append(
            "- **warning: the machine was busy with other work** (1-minute load average above "
            "the CPU count): nginx and wrk competed for the CPUs, so throughput and per-request "
            "CPU of single runs vary with that contention, not only with the tracer. The BPF run "
            "time per request and the exactness checks do not depend on it."
        )
    foreign = [r for r in runs if r.get("foreign_programs")]
    if foreign:
        names = sorted({p for r in foreign for p in r["foreign_programs"]})
        out.append(
            f"- **warning: {len(foreign)} run(s) had other BPF programs on the hot path** (someone "
            f"else's tracer on this machine; an 'untraced' run was then traced): "
            + ", ".join(names[:8])
            + (" ..." if len(names) > 8 else "")
        )
    return out


def setup_lines(cfg, env):
    pin = (
        f"nginx worker pinned to CPU {cfg['nginx_cpu']}, wrk to CPU {cfg['wrk_cpu']}"
        if cfg["nginx_cpu"] is not None
        else "no CPU pinning"
    )
    return [
        f"- machine: {env['kernel']}, {env['cpus']} CPUs; {env['nginx']}; {env['wrk']}; {env['bpftrace']}",
        f'- nginx: 1 worker, `location = /ok {{ return 200 "ok"; }}`, keep-alive, access log on '
        f"(one line per request, same in every variant); {pin}"
        + (
            "; **HTTPS** (TLS 1.3, self-signed certificate): the engine counts through its "
            "uprobes on libssl.so.3"
            if cfg.get("https")
            else ""
        ),
        f"- load: `wrk -t1 -c{cfg['connections']} -d{cfg['seconds']}s`, saturating; "
        f"{cfg['pairs']} round(s) of {', '.join(cfg['variants'])}, order rotated per round; "
        f"workloads: {', '.join(cfg['workloads'])} (each runs every variant in a round); "
        f"nginx, wrk, the daemon and bpftrace at nice {cfg['nice']}",
        "- topology: " + topology_sentence(cfg["topology"]),
        "- A: untraced. B: `http-statistics` started before the run (attached, /metrics answering) and "
        "stopped with SIGTERM after it. U: the same with `--url-templates off`; S: the same with "
        "HS_BPF_LOOP=off. C: a bpftrace script on `sys_enter_recvfrom` and "
        "`sys_enter_writev` (status from the first iovec). E: two programs that only return 1 "
        "(`hs_empty_in`, `hs_empty_out`) on cgroup_skb ingress and egress of the cgroup the "
        "engine attaches to, through BPF links like the engine's. M: `bench/minimal` on the same "
        "hooks (one socket-storage lookup per segment; per response one 16-byte load and one "
        "per-CPU counter by status; no framing). T: the empty programs on tcx ingress and "
        f"egress of {cfg['topology']['tc_interface']}",
        "- per request = divided by the requests the server logged in that run; worker CPU = "
        "utime+stime of the server's worker (nginx's worker, the Python app's process) from "
        "/proc/<pid>/stat; machine CPU = busy time of all CPUs from /proc/stat (includes wrk, "
        "the daemon and anything else on the machine); per MiB = divided by the bytes iperf3 "
        "received",
        f"- load average (1, 5, 15 min) at start: {', '.join(str(x) for x in env['load_average_at_start'])}; "
        f"at the end: {', '.join(str(x) for x in env['load_average_at_end'])}",
        f"- commit {env['commit']}; kernel.bpf_stats_enabled was {env['bpf_stats_enabled_at_start']} "
        "at start (and is 1 only inside the separate BPF run-time runs)",
    ]


def topology_sentence(t):
    if t["name"] == "remote-client":
        return (
            f"**remote client**: wrk in network namespace `{t['client_netns']}` (veth pair, "
            f"server at {t['server_host']}/30) and in cgroup `{t['client_cgroup']}`; the server "
            f"in `{t['server_cgroup']}`, the only cgroup the engine and the floors attach to: "
            "only the server's side of each connection runs their programs"
        )
    if t["name"] == "bystanders":
        return (
            f"**bystanders**: iperf3 (both ends) and the busy wrk in `{t['client_cgroup']}`, "
            f"the cgroup the engine and the floors attach to; nginx outside it, in "
            f"`{t['server_cgroup']}`: the engine must count nothing"
        )
    return f"local: everything on 127.0.0.1; programs attached to {t['attach_cgroup']}"


def bpf_lines(runs):
    out = [
        "## BPF run time per request",
        "",
        "Separate runs with `kernel.bpf_stats_enabled=1` (the accounting itself costs time per "
        "program run, so these runs are not among the rounds above); run_time_ns and run_cnt "
        "deltas from `bpftool prog show --json` for the programs the tracer holds.",
        "",
    ]
    stats_runs = [r for r in runs if "bpf" in r]
    if not stats_runs:
        return out + ["Not measured (--quick, or no traced variant)."]
    out += [
        table_row(
            [
                "variant",
                "workload",
                "program",
                "type",
                "runs per request",
                "ns per run",
                "ns per request",
                "ns per MiB",
            ]
        ),
        table_row(["---"] * 8),
    ]
    for r in stats_runs:
        for p in r["bpf"]["programs"]:
            out.append(
                table_row(
                    [
                        r["variant"],
                        r["workload"],
                        p["name"],
                        p["type"],
                        fmt(p["runs_per_request"], 2),
                        fmt(p["ns_per_run"], 0),
                        fmt(p["ns_per_request"], 0),
                        fmt(p.get("ns_per_mib"), 0),
                    ]
                )
            )
        out.append(
            table_row(
                [
                    r["variant"],
                    r["workload"],
                    "**all**",
                    "",
                    "",
                    "",
                    f"**{fmt(r['bpf']['ns_per_request'], 0)}**",
                    f"**{fmt(r['bpf'].get('ns_per_mib'), 0)}**",
                ]
            )
        )
    return out


def daemon_lines(runs):
    daemon_runs = [r for r in runs if "daemon" in r]
    out = ["## Daemon", ""]
    if not daemon_runs:
        return out + ["No traced run."]

    def med(key):
        return median([r["daemon"][key] for r in daemon_runs])

    codes = sorted({r["daemon"]["exit_code"] for r in daemon_runs})
    out += [
        table_row(["measure", f"median of {len(daemon_runs)} daemon starts"]),
        table_row(["---", "---"]),
        table_row(
            ['start → "attached in N ms" logged (ms, wall)', fmt(med("start_to_attached_ms"), 0)]
        ),
        table_row(["attach time the daemon reports (ms)", fmt(med("attach_ms_logged"), 0)]),
        table_row(["start → /metrics answering (ms)", fmt(med("start_to_ready_ms"), 0)]),
        table_row(["CPU used by start-up (ms)", fmt(med("startup_cpu_ms"), 0)]),
        table_row(
            [
                "CPU during a run (us per request, schedstat, all threads)",
                fmt(med("cpu_us_per_request"), 3),
            ]
        ),
        table_row(
            [
                "CPU during a run (ms per second)",
                fmt(median([r["daemon"]["oncpu_s"] / r["wall_s"] * 1e3 for r in daemon_runs]), 2),
            ]
        ),
        table_row(
            [
                "peak RSS, VmHWM (MiB)",
                fmt(med("peak_rss_kib") / 1024 if med("peak_rss_kib") else None, 1),
            ]
        ),
        table_row(["exit codes after SIGTERM", ", ".join(str(c) for c in codes)]),
    ]
    return out


def run_name(run):
    """How the report tables name a run: its round, or the kind of an extra run."""
    return f"round {run['round'] + 1}" if run["kind"] == "pair" else run["kind"]


def exactness_lines(runs):
    rows = exactness_rows(runs)
    verdict = {True: "all exact", False: "**NOT EXACT**", None: "not checked: no traced run"}[
        all_exact(runs)
    ]
    out = [
        "## Exactness (" + verdict + ")",
        "",
        "Engine: `http_server_requests_total{process_pid=<worker>}` from the daemon's /metrics, "
        "summed by `http_response_status_code`, after minus before the run. nginx: access log lines "
        "of that run whose response's status line left the socket: `$request_completion` = OK, "
        "or `$bytes_sent` of at least the status line (when wrk closes a connection while a "
        "body is on its way, the response is logged without OK but the engine rightly counts "
        "it; a response of which nothing left is not counted, \"incomplete\"). "
        "Bystander runs: every process's counts, which must stay unchanged (nothing served "
        "in the engine's cgroup).",
        "",
    ]
    out += [
        table_row(
            [
                "run",
                "logged",
                "nginx completed, by status",
                "engine, by status",
                "incomplete (status line not sent)",
                "pipelined lines",
                "exact",
            ]
        ),
        table_row(["---"] * 7),
    ]
    for r in rows:
        e = r["exactness"]
        out.append(
            table_row(
                [
                    f"{run_name(r)}, {r['workload']}",
                    fmt(r["requests_logged"]),
                    fmt_counts(e["log_completed"]),
                    fmt_counts(e["engine"]),
                    fmt_counts(e["log_incomplete"]),
                    fmt(r.get("log", {}).get("pipelined")),
                    "yes" if e["exact"] else "**NO**",
                ]
            )
        )
    return out


def bpftrace_lines(runs):
    rows = [r for r in runs if "bpftrace" in r]
    skipped = [r for r in runs if r.get("skipped") and r["variant"] == "C"]
    out = ["## What the bpftrace script counted (for comparison, not asserted)", ""]
    if skipped and not rows:
        return out + [f"bpftrace skipped: {skipped[0]['skipped'].splitlines()[0]}"]
    if not rows:
        return out + ["Not run."]
    out += [
        table_row(
            [
                "run",
                "nginx logged",
                "recvfrom calls (its 'requests')",
                "status lines seen",
                "start → attached (ms)",
            ]
        ),
        table_row(["---"] * 5),
    ]
    for r in rows:
        b = r["bpftrace"]
        out.append(
            table_row(
                [
                    run_name(r),
                    fmt(r["requests_logged"]),
                    fmt(b["counted"]["recvfrom_calls"]),
                    fmt_counts(b["counted"]["status"]),
                    fmt(b["start_to_attached_ms"], 0),
                ]
            )
        )
    return out


def minimal_lines(runs):
    rows = [r for r in runs if "minimal" in r]
    if not rows:
        return []
    out = ["## What the minimal counter (M) counted", ""]
    out += [
        table_row(["run", "nginx completed, by status", "counted, by status", "as logged"]),
        table_row(["---"] * 4),
    ]
    for r in rows:
        m = r["minimal"]
        out.append(
            table_row(
                [
                    run_name(r),
                    fmt_counts(m["log_completed"]),
                    fmt_counts(m["counted"]),
                    "yes" if m["matches_log"] else "**NO**",
                ]
            )
        )
    return out


def run_lines(runs):
    out = [
        "## Every run",
        "",
        table_row(
            [
                "round",
                "variant",
                "workload",
                "req/s",
                "logged",
                "worker us/req",
                "wrk us/req",
                "machine us/req",
                "tracer us/req",
                "Gbit/s",
                "iperf3 us/MiB",
                "machine us/MiB",
                "wrk errors",
                "other BPF programs",
            ]
        ),
        table_row(["---"] * 14),
    ]
    for r in runs:
        if "skipped" in r:
            continue
        tracer = tracer_cpu_us_per_request(r)
        errors = r["wrk"]["socket_errors"] if "wrk" in r else "–"
        out.append(
            table_row(
                [
                    r["round"] + 1 if r["kind"] == "pair" else r["kind"],
                    r["variant"],
                    r["workload"],
                    fmt(r["requests_per_second"], 0),
                    fmt(r["requests_logged"]),
                    fmt(r.get("worker_cpu_us_per_request")),
                    fmt(r.get("wrk_cpu_us_per_request")),
                    fmt(r.get("machine_cpu_us_per_request")),
                    fmt(tracer, 3),
                    fmt(r.get("throughput_gbit_s")),
                    fmt(r.get("bystander_cpu_us_per_mib"), 1),
                    fmt(r.get("machine_cpu_us_per_mib"), 1),
                    errors,
                    len(r.get("foreign_programs", [])),
                ]
            )
        )
    return out


def environment(args):
    commit = command_output(
        ["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--short", "HEAD"]
    )
    return {
        "kernel": f"Linux {platform.release()}",
        "cpus": os.cpu_count(),
        "nginx": command_output(["nginx", "-v"]).replace("nginx version: ", ""),
        "wrk": (command_output(["wrk", "--version"]).splitlines() or ["wrk"])[0]
        .split(" Copyright")[0]
        .strip(),
        "bpftrace": command_output(["bpftrace", "--version"])
        if "C" in args.variants
        else "bpftrace not used",
        "iperf3": (command_output(["iperf3", "--version"]).splitlines() or ["iperf3"])[0]
        if "bulk-tcp" in args.workloads
        else "iperf3 not used",
        "python": platform.python_version(),
        "commit": commit or "unknown",
        "bpf_stats_enabled_at_start": read_file(BpfStatsEnabled.PATH).strip(),
        # Other work on the machine competes with nginx and wrk: worth knowing.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "daemon": os.path.abspath(args.daemon) if set(DAEMON_VARIANTS) & set(args.variants) else None,
    }


def write_reports(report, out_dir, workdir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, sort_keys=False)
        f.write("\n")
    with open(os.path.join(out_dir, "results.md"), "w", encoding="utf-8") as f:
        f.write(markdown(report))
    plot_all(report, out_dir, workdir)

