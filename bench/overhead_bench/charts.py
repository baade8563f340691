"""The charts: per workload, throughput and CPU per unit of work per variant, each run
a point, the median a bar (gnuplot). The first workload's is overhead.png, the
others' overhead-<workload>.png."""

import os
import subprocess

from .common import SetupError
from .variants import ALL_VARIANTS, VARIANTS
from .workloads import WORKLOADS


def chart_name(report, workload):
    return "overhead.png" if workload == report["config"]["workloads"][0] else f"overhead-{workload}.png"


def plot_all(report, out_dir, workdir):
    """One chart per workload of the rounds."""
    for name in report["config"]["workloads"]:
        plot(report, name, os.path.join(out_dir, chart_name(report, name)), workdir)


def plot(report, workload, path, workdir):
    """Throughput and CPU per unit of work (the workload's chart) per variant, each run
    a point, the median a bar."""
    runs = [
        r
        for r in report["runs"]
        if r["kind"] == "pair" and "skipped" not in r and r["workload"] == workload
    ]
    variants = [v for v in ALL_VARIANTS if any(r["variant"] == v for r in runs)]
    pairs = max(1, report["config"]["pairs"])
    used = set(report["summary_rounds"])
    summary = report["summaries"][workload]["summary"]
    (speed, speed_label), (cpu, cpu_label) = WORKLOADS[workload].chart
    points = os.path.join(workdir, f"runs-{workload}.dat")
    left_out = os.path.join(workdir, f"left_out-{workload}.dat")
    bars = os.path.join(workdir, f"medians-{workload}.dat")
    with open(points, "w", encoding="ascii") as f, open(left_out, "w", encoding="ascii") as g:
        for r in runs:
            x = variants.index(r["variant"]) - 0.25 + 0.5 * (r["round"] + 0.5) / pairs
            line = f"{x:.3f} {r.get(speed) or 0} {r.get(cpu) or 0}\n"
            (f if r["round"] in used else g).write(line)
    with open(bars, "w", encoding="ascii") as f:
        for i, v in enumerate(variants):
            f.write(
                f"{i} {summary[speed]['median'].get(v) or 0} {summary[cpu]['median'].get(v) or 0}\n"
            )
    # Two lines per label (gnuplot reads \n in double quotes): five one-line names
    # overlap at this width.
    labels = [VARIANTS[v].replace(" ", "\\n", 1) for v in variants]
    xtics = ", ".join(f'"{label}" {i}' for i, label in enumerate(labels))

    def left_out_points(column):
        if all(r["round"] in used for r in runs):
            return ""
        return (
            f', \\\n     "{left_out}" using 1:{column} with points pt 6 ps 0.8 lc rgb "#888888" '
            'title "left out (other BPF programs)"'
        )

    # Room above the tallest point for the key.
    top_rps = 1.3 * max([r.get(speed) or 0 for r in runs] + [1])
    top_cpu = 1.3 * max([r.get(cpu) or 0 for r in runs] + [1])
    topology = report["config"]["topology"]
    script = f"""
set terminal pngcairo size 1100,480 font ",10"
set output "{path}"
set multiplot layout 1,2 title "http-statistics overhead: {workload} ({topology}), {pairs} round(s) x {report['config']['seconds']} s"
set style fill solid 0.35 border -1
set boxwidth 0.6
set bmargin 4
set xrange [-0.6:{len(variants) - 0.4}]
set xtics ({xtics})
set grid ytics
set key top right opaque box
set title "{speed_label}"
set yrange [0:{top_rps}]
plot "{bars}" using 1:2 with boxes lc rgb "#4477aa" title "median", \\
     "{points}" using 1:2 with points pt 7 ps 0.8 lc rgb "#222222" title "runs"{left_out_points(2)}
set title "{cpu_label}"
set yrange [0:{top_cpu}]
plot "{bars}" using 1:3 with boxes lc rgb "#cc6677" title "median", \\
     "{points}" using 1:3 with points pt 7 ps 0.8 lc rgb "#222222" title "runs"{left_out_points(3)}
unset multiplot
"""
    gp = os.path.join(workdir, f"overhead-{workload}.gp")
    with open(gp, "w", encoding="utf-8") as f:
        f.write(script)
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True, timeout=60, check=False)
    if r.returncode != 0:
        raise SetupError("gnuplot failed: " + r.stderr.strip())

