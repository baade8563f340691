"""E and T, the floors: programs that do nothing (bench/empty_hooks.py) on the engine's
packet hooks (cgroup_skb of the cgroup the engine attaches to), or on tc (tcx of the
interface the measured traffic crosses)."""

from empty_hooks import EmptyHooks, EmptyHooksError

from ..common import SetupError
from ..measurement import stats_window
from ..readings import attached_links, cgroup2_root
from . import Variant


def run_empty_hooks(bench, seconds, workload, bpf_stats=False, tc=False):
    """A run with programs that do nothing on the engine's hooks, or with tc=True on
    tcx of the topology's interface (lo, or the server's end of the veth pair)."""
    cgroup = bench.topology.attach_cgroup or cgroup2_root()
    if cgroup is None and not tc:
        raise SetupError("no cgroup v2 mount: the socket hooks need one")
    hooks = EmptyHooks(interface=bench.topology.tc_interface) if tc else EmptyHooks(cgroup=cgroup)
    try:
        with hooks:
            attached = attached_links(hooks.prog_ids)
            with stats_window(bpf_stats, hooks.ids()) as bpf:
                run = bench.measure(seconds, workload, hooks.ids())
    except EmptyHooksError as e:
        raise SetupError(f"the empty programs did not load or attach: {e}") from e
    run["empty_hooks"] = {"attached": sorted(attached)}
    if bpf_stats:
        run["bpf"] = bpf.result(run)
    return run


VARIANTS = [
    Variant("E", "empty socket hooks", run_empty_hooks),
    Variant(
        "T",
        "empty tc hooks",
        lambda bench, seconds, workload, bpf_stats=False: run_empty_hooks(
            bench, seconds, workload, bpf_stats, tc=True
        ),
        optional=True,
    ),
]
