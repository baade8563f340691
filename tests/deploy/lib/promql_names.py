"""The metric and label names a PromQL expression refers to.

Enough of PromQL for the project's dashboard and alert rules: selectors with
matchers, range brackets, aggregations with by/without, vector matching with
on/ignoring/group_left/group_right, functions, and label_replace/label_join/
count_values, whose target labels are made by the query itself rather than read
from a metric. Grafana variables ($name, ${name}, [[name]]) are skipped.
"""

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<variable>\$\{[^}]*\}|\$[A-Za-z0-9_]+|\[\[[^\]]*\]\])
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=(){}\[\],@:])
    """,
    re.VERBOSE,
)

_AGGREGATIONS = {
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
}
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_KEYWORDS = {"bool", "offset", "and", "or", "unless", "atan2", "inf", "nan"} | _GROUPING
_MATCH_OPS = {"=", "!=", "=~", "!~"}


@dataclass
class Names:
    metrics: set = field(default_factory=set)
    labels: set = field(default_factory=set)  # read from series
    derived_labels: set = field(default_factory=set)  # made by the query


def tokenize(expr):
    tokens = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot read PromQL at {expr[pos:pos + 20]!r} in {expr!r}")
        if m.lastgroup not in ("space", "comment"):
            tokens.append((m.lastgroup, m.group()))
        pos = m.end()
    return tokens


def _unquote(s):
    return s[1:-1]


def names(expr):
    """Names of metrics and labels in `expr`; raises ValueError on what it cannot read."""
    out = Names()
    tokens = tokenize(expr)
    # One entry per open parenthesis: (function name or None, argument index).
    calls = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else (None, None)
        if kind == "op" and text == "[":
            # A range or subquery: durations and variables only.
            depth = 1
            i += 1
            while i < len(tokens) and depth:
                depth += {"[": 1, "]": -1}.get(tokens[i][1], 0) if tokens[i][0] == "op" else 0
                i += 1
            continue
        if kind == "op" and text == "{":
            i = _matchers(tokens, i + 1, out)
            continue
        if kind == "ident" and text in _GROUPING and nxt == ("op", "("):
            i += 2
            while i < len(tokens) and tokens[i] != ("op", ")"):
                if tokens[i][0] == "ident":
                    out.labels.add(tokens[i][1])
                i += 1
            i += 1
            continue
        if kind == "ident" and text == "offset":
            i += 2  # the duration after it
            continue
        if kind == "ident" and nxt == ("op", "("):
            calls.append([text, 0])
            i += 2
            continue
        if kind == "op" and text == "(":
            calls.append([None, 0])
        elif kind == "op" and text == ")":
            if calls:
                calls.pop()
        elif kind == "op" and text == "," and calls:
            calls[-1][1] += 1
        elif kind == "string" and calls:
            _string_argument(calls[-1], _unquote(text), out)
        elif kind == "ident" and text not in _KEYWORDS and text not in _AGGREGATIONS:
            out.metrics.add(text)
        i += 1
    out.labels -= out.derived_labels
    return out


def _matchers(tokens, i, out):
    """Reads `name op "value", ...}` from token i; returns the index after `}`."""
    while i < len(tokens) and tokens[i] != ("op", "}"):
        kind, text = tokens[i]
        if kind == "ident" and i + 1 < len(tokens) and tokens[i + 1][1] in _MATCH_OPS:
            value = tokens[i + 2][1] if i + 2 < len(tokens) else ""
            if text == "__name__" and tokens[i + 1][1] == "=" and tokens[i + 2][0] == "string":
                out.metrics.add(_unquote(value))
            else:
                out.labels.add(text)
            i += 3
            continue
        if (kind, text) != ("op", ","):
            raise ValueError(f"unexpected {text!r} in a label matcher")
        i += 1
    return i + 1


def _string_argument(call, value, out):
    function, index = call
    if function == "label_replace":
        if index == 1:
            out.derived_labels.add(value)
        elif index == 3 and value:
            out.labels.add(value)
    elif function == "label_join":
        if index == 1:
            out.derived_labels.add(value)
        elif index >= 3:
            out.labels.add(value)
    elif function == "count_values" and index == 0:
        out.derived_labels.add(value)
