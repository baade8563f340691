#!/usr/bin/env python3
"""Overhead of http-statistics under load, in one command: the entry point of the
overhead_bench package beside it (its __init__ describes what runs and what is
measured; bench/README.md how to read the results).

Run as root from the repository root after a build:
    bench/overhead.py --pairs 5 --seconds 10 --out results/
    bench/overhead.py --quick --out /tmp/overhead     (a few seconds; for tests)
"""

import sys

from overhead_bench.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
