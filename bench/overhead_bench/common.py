"""What every module uses: the error that stops the benchmark, logging, waiting,
ports, files and the arithmetic of ratios."""

import os
import socket
import statistics
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


class SetupError(Exception):
    """Something the benchmark needs is missing or did not start."""


# ---- small utilities ---------------------------------------------------------------


def log(message):
    print(f"overhead: {message}", file=sys.stderr, flush=True)


def wait_for(predicate, timeout, interval=0.05):
    """Polls predicate until it returns a true value; returns it, or None on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def free_port(host="127.0.0.1"):
    """A TCP port on host that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def read_file(path, default=""):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return default


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(a, b):
    return a / b if a is not None and b else None


def command_output(args):
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
        return (r.stdout + r.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""

