#!/usr/bin/env python3
"""ctest deploy_grafana_dashboard: deploy/grafana/http-statistics.json is a
dashboard Grafana can import anywhere: no fixed data source, unique panel
ids that do not overlap on the 24-column grid, every query readable PromQL
whose variables are defined, and rate windows that follow the scrape
interval. Whether the daemon exports what the queries ask for is
deploy_metrics_coverage (it needs root)."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

import dashboard_queries  # noqa: E402
import promql_names  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARD = os.path.join(REPO, "deploy", "grafana", "http-statistics.json")
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRAFANA_VARIABLES = {"__rate_interval", "__interval", "__range"}


class GrafanaDashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dashboard = dashboard_queries.load(DASHBOARD)
        cls.panels = list(dashboard_queries.panels(cls.dashboard))
        cls.variables = {v["name"]: v for v in cls.dashboard["templating"]["list"]}

    def test_identity(self):
        self.assertEqual(self.dashboard["uid"], "http-statistics")
        self.assertTrue(self.dashboard["title"])
        self.assertIsNone(self.dashboard.get("id"))  # Grafana assigns it on import
        self.assertGreaterEqual(self.dashboard["schemaVersion"], 36)

    def test_data_source_is_chosen_on_import(self):
        self.assertEqual(self.variables["datasource"]["type"], "datasource")
        self.assertEqual(self.variables["datasource"]["query"], "prometheus")
        for p in self.panels:
            if p["type"] == "row":
                continue
            with self.subTest(p["title"]):
                self.assertEqual(p["datasource"], DATASOURCE)
                for t in p["targets"]:
                    self.assertEqual(t["datasource"], DATASOURCE)
        for v in self.variables.values():
            if v["type"] == "query":
                self.assertEqual(v["datasource"], DATASOURCE)

    def test_panels_are_unique_and_do_not_overlap(self):
        ids = [p["id"] for p in self.panels]
        self.assertEqual(len(ids), len(set(ids)))
        cells = {}
        for p in self.panels:
            g = p["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, p["title"])
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), cells, f"{p['title']} overlaps {cells.get((x, y))}")
                    cells[(x, y)] = p["title"]

    def test_panels_cover_traffic_latency_and_health(self):
        titles = " ".join(p["title"] for p in self.panels).lower()
        for what in (
            "requests/s by process",
            "status class",
            "5xx ratio",
            "p50",
            "p99",
            "lost",
            "up",
        ):
            self.assertIn(what, titles)

    def test_every_query_reads_and_uses_defined_variables(self):
        queries = dashboard_queries.queries(self.dashboard)
        self.assertGreaterEqual(len(queries), 15)
        for p in self.panels:
            refs = [t["refId"] for t in p.get("targets", [])]
            self.assertEqual(len(refs), len(set(refs)), p["title"])
        for q in queries:
            with self.subTest(q.where):
                used = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", q.expr))
                # ${1} in label_replace is a regex group, not a variable.
                undefined = used - set(self.variables) - GRAFANA_VARIABLES
                self.assertFalse(undefined, f"undefined variables {undefined} in {q.expr}")
                names = promql_names.names(dashboard_queries.substitute(self.dashboard, q.expr))
                self.assertTrue(names.metrics, q.expr)

    def test_rate_windows_follow_the_scrape_interval(self):
        for q in dashboard_queries.queries(self.dashboard):
            with self.subTest(q.where):
                outside_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', q.expr)
                for window in re.findall(r"\[([^\]]*)\]", outside_strings):
                    self.assertEqual(window, "$__rate_interval", q.expr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
