"""The command line every deploy test shares: its own required options
(--daemon PATH, ...), then whatever unittest takes."""

import argparse
import sys
import unittest

from processes import require_root


def arguments(*names):
    """Parses the required --NAME VALUE options and leaves the rest of the
    command line to unittest."""
    p = argparse.ArgumentParser()
    for name in names:
        p.add_argument(f"--{name}", required=True)
    args, rest = p.parse_known_args()
    sys.argv[1:] = rest
    return args


def run(needs_root=None):
    """Runs the __main__ module's tests verbosely; the exit code. `needs_root`
    says why root is needed: without it the tests skip (77), or fail under CI."""
    if needs_root is not None:
        skip = require_root(needs_root)
        if skip is not None:
            return skip
    result = unittest.main(argv=[sys.argv[0], "-v", *sys.argv[1:]], exit=False).result
    return 0 if result.wasSuccessful() else 1
