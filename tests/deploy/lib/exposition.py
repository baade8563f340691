"""Reads Prometheus text format 0.0.4 into samples."""

import re

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse(text):
    """[(metric name, {label: value}, value)] for every sample line."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"not a sample line: {line!r}")
        labels = {}
        body = m.group(3) or ""
        pos = 0
        while pos < len(body):
            lm = _LABEL.match(body, pos)
            if not lm:
                raise ValueError(f"bad labels in {line!r}")
            labels[lm.group(1)] = lm.group(2)
            pos = lm.end()
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


def labels_by_metric(samples):
    """{metric name: set of label names seen on it}."""
    out = {}
    for name, labels, _ in samples:
        out.setdefault(name, set()).update(labels)
    return out


def value(samples, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    return sum(
        v for n, l, v in samples if n == name and all(l.get(k) == str(x) for k, x in labels.items())
    )
