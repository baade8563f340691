"""The variants: what runs beside the server in a run. A variant is one module here
with a list VARIANTS of Variant(letter, name, run), run(bench, seconds, workload,
bpf_stats) returning the run's record (bench.measure's, with what the variant adds),
and its letter in ORDER."""

import dataclasses
import importlib
from typing import Callable


@dataclasses.dataclass(frozen=True)
class Variant:
    letter: str
    name: str
    run: Callable
    # A comparison, not the subject: when it cannot run here, the benchmark goes on.
    optional: bool = False
    # Runs the http-statistics daemon (which then has to be built).
    starts_daemon: bool = False


# Columns and rotation follow this order.
ORDER = "ABUSCEMT"
MODULES = ("untraced", "engine", "bpftrace", "empty", "minimal")


def _load():
    found = {}
    for name in MODULES:
        for v in importlib.import_module(f"{__name__}.{name}").VARIANTS:
            found[v.letter] = v
    return {letter: found[letter] for letter in ORDER}


REGISTRY = _load()
VARIANTS = {letter: v.name for letter, v in REGISTRY.items()}
ALL_VARIANTS = "".join(REGISTRY)
DEFAULT_VARIANTS = "ABCE"
OPTIONAL_VARIANTS = "".join(letter for letter, v in REGISTRY.items() if v.optional)
DAEMON_VARIANTS = "".join(letter for letter, v in REGISTRY.items() if v.starts_daemon)


def run_variant(bench, variant, seconds, workload, bpf_stats=False):
    return REGISTRY[variant].run(bench, seconds, workload, bpf_stats)
