"""The PromQL a Grafana dashboard runs: panel targets and query variables."""

import json
import re
from dataclasses import dataclass

_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$", re.S)


@dataclass
class Query:
    where: str  # "panel 'Requests/s' target A", "variable process"
    expr: str  # PromQL, Grafana variables still in it


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def panels(dashboard):
    """Every panel, those inside collapsed rows included."""
    for p in dashboard.get("panels", []):
        yield p
        yield from p.get("panels", [])


def queries(dashboard):
    out = []
    for p in panels(dashboard):
        for t in p.get("targets", []):
            out.append(Query(f"panel {p.get('title')!r} target {t.get('refId')}", t["expr"]))
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query")
        m = _LABEL_VALUES.match(q)
        # label_values(selector, label) lists the label's values: as PromQL,
        # the selector grouped by that label.
        expr = f"count by ({m.group(2)}) ({m.group(1)})" if m else q
        out.append(Query(f"variable {v['name']}", expr))
    return out


def substitute(dashboard, expr, rate_interval="1m"):
    """What Grafana sends with every query variable at "All" (its allValue)
    and $__rate_interval at `rate_interval`."""
    expr = expr.replace("${__rate_interval}", rate_interval)
    expr = expr.replace("$__rate_interval", rate_interval)
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            name = re.escape(v["name"])
            expr = re.sub(rf"\$\{{{name}\}}|\${name}\b", lambda _: v["allValue"], expr)
    return expr
