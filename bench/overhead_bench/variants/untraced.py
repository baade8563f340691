"""A: untraced, the baseline every ratio is taken against."""

from . import Variant


def run_untraced(bench, seconds, workload, bpf_stats=False):
    del bpf_stats  # nothing loaded, nothing to account
    return bench.measure(seconds, workload)


VARIANTS = [Variant("A", "untraced", run_untraced)]
