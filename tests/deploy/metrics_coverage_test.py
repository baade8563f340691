#!/usr/bin/env python3
"""ctest deploy_metrics_coverage: the Grafana dashboard and the alert rules ask
only for what the daemon exports, and every dashboard query returns data.

The real daemon counts real traffic (200, 404 and 501 answers of a python
http.server running in a real pod's cgroup, with the kubelet's log
directories for it, so that the k8s_* labels the dashboard filters by are
exported); its /metrics must hold every metric each query and rule names
(histograms through their _bucket/_sum/_count series) and every label they
group or match by. Then a real Prometheus, configured from
deploy/prometheus/prometheus.yml with deploy/prometheus/alerts.yml, scrapes
it: each dashboard query must return a non-empty result and each rule must
evaluate without error. Needs root (the daemon loads BPF programs).
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import test_main  # noqa: E402

import yaml  # noqa: E402

import dashboard_queries  # noqa: E402
import exposition  # noqa: E402
import promql_names  # noqa: E402
from kubelet_pod import KubeletPod  # noqa: E402
from processes import Daemon, PythonHttpServer, http_request, wait_until  # noqa: E402
from prometheus_server import PrometheusServer, config_for_test  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARD = os.path.join(REPO, "deploy", "grafana", "http-statistics.json")
ALERTS = os.path.join(REPO, "deploy", "prometheus", "alerts.yml")
PROMETHEUS_CONFIG = os.path.join(REPO, "deploy", "prometheus", "prometheus.yml")
# Made by Prometheus, not by the daemon: the scrape health series and the
# target labels it adds to every series.
SCRAPE_METRICS = {"up"}
TARGET_LABELS = {"job", "instance"}
# What the traffic below must produce, per status code.
TRAFFIC = [
    ("GET", "/", 200),
    ("GET", "/", 200),
    ("GET", "/", 200),
    ("GET", "/missing", 404),
    ("GET", "/missing", 404),
    ("POST", "/", 501),
]
POD = {
    "namespace": "shop",
    "pod": "web-5f7c9d-q8r2t",
    "uid": "3f2b7c1e-9a4d-4e8b-b6a1-0d5c7e9f2a43",
    "container": "web",
    "container_id": "4c8e1f0a7b3d9e2c5a6f1b8d0e7c3a9f2b5d8e1c4a7f0b3d6e9c2a5f8b1d4e70",
}

ARGS = None


def alert_queries():
    with open(ALERTS, encoding="utf-8") as f:
        rules = yaml.safe_load(f)
    return [
        dashboard_queries.Query(f"rule {r.get('alert') or r.get('record')}", r["expr"])
        for group in rules["groups"]
        for r in group["rules"]
    ]


class MetricsCoverage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pod = KubeletPod(**POD).__enter__()
        cls.daemon = Daemon(
            ARGS.daemon,
            [
                "--k8s-pods-dir",
                cls.pod.pods_dir,
                "--k8s-containers-dir",
                cls.pod.containers_dir,
                "--docker-dir=off",
                "--containerd-dir=off",
            ],
        ).__enter__()
        cls.server = PythonHttpServer(preexec=cls.pod.preexec).__enter__()
        assert cls.pod.holds(cls.server.pid), "the server is not in the pod's cgroup"
        for method, path, expected in TRAFFIC:
            got = http_request(cls.server.port, method, path)
            assert got == expected, f"{method} {path}: {got}, expected {expected}"

        def counted():
            samples = exposition.parse(cls.daemon.scrape())
            per_code = {
                code: exposition.value(
                    samples,
                    "http_server_requests_total",
                    container_id=POD["container_id"],
                    http_response_status_code=code,
                )
                for code in ("200", "404", "501")
            }
            return samples if per_code == {"200": 3, "404": 2, "501": 1} else None

        cls.samples = wait_until(counted, 20)
        cls.dashboard = dashboard_queries.load(DASHBOARD)
        cls.queries = [
            dashboard_queries.Query(q.where, dashboard_queries.substitute(cls.dashboard, q.expr))
            for q in dashboard_queries.queries(cls.dashboard)
        ] + alert_queries()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.daemon.__exit__(None, None, None)
        cls.pod.__exit__(None, None, None)

    def test_traffic_was_counted(self):
        self.assertIsNotNone(
            self.samples,
            "the daemon did not count 3x200, 2x404 and 1x501 "
            f"for the pod's server (pid {self.server.pid}):\n{self.daemon.scrape()}",
        )

    def test_series_are_per_executable_by_default(self):
        self.assertIsNotNone(self.samples)
        with_pid = [n for n, labels, _ in self.samples if "process_pid" in labels]
        self.assertFalse(with_pid, "the default (--metrics-by executable) has no process_pid")

    def test_the_pod_names_are_on_the_series(self):
        self.assertIsNotNone(self.samples)
        self.assertEqual(
            exposition.value(
                self.samples,
                "http_server_requests_total",
                container_id=POD["container_id"],
                http_response_status_code="200",
                k8s_namespace_name=POD["namespace"],
                k8s_pod_name=POD["pod"],
                k8s_container_name=POD["container"],
            ),
            3,
        )

    def test_url_templates_are_on_the_series(self):
        self.assertIsNotNone(self.samples)
        got = {
            (method, path, code): exposition.value(
                self.samples,
                "http_server_requests_total",
                container_id=POD["container_id"],
                http_request_method=method,
                http_response_status_code=str(code),
                url_template=path,
            )
            for method, path, code in set(TRAFFIC)
        }
        self.assertEqual(got, {(m, p, c): TRAFFIC.count((m, p, c)) for m, p, c in TRAFFIC})

    def test_queries_were_found(self):
        # Otherwise the checks below would pass on nothing.
        self.assertGreaterEqual(len([q for q in self.queries if q.where.startswith("panel")]), 15)
        self.assertGreaterEqual(len([q for q in self.queries if q.where.startswith("rule")]), 6)

    def test_every_metric_and_label_is_exported(self):
        self.assertIsNotNone(self.samples)
        exported = exposition.labels_by_metric(self.samples)
        for q in self.queries:
            with self.subTest(q.where):
                names = promql_names.names(q.expr)
                self.assertTrue(names.metrics, f"no metric in {q.expr}")
                missing = names.metrics - set(exported) - SCRAPE_METRICS
                self.assertFalse(missing, f"{q.where}: not in /metrics: {sorted(missing)}")
                available = set(TARGET_LABELS)
                for m in names.metrics & set(exported):
                    available |= exported[m]
                unknown = names.labels - available
                self.assertFalse(
                    unknown,
                    f"{q.where}: labels no metric of it has: "
                    f"{sorted(unknown)} (query: {q.expr})",
                )

    def test_dashboard_queries_and_rules_work_in_prometheus(self):
        self.assertIsNotNone(self.samples)
        config = config_for_test(
            PROMETHEUS_CONFIG, f"127.0.0.1:{self.daemon.port}", os.path.dirname(PROMETHEUS_CONFIG)
        )
        with PrometheusServer(ARGS.prometheus, config) as prom:
            # rate() over the dashboard's range needs two scrapes of the series.
            two_scrapes = wait_until(
                lambda: prom.query(
                    "count_over_time(http_server_requests_total"
                    f'{{container_id="{POD["container_id"]}"}}[1m]) >= 2'
                )["result"],
                60,
                interval=0.5,
            )
            self.assertTrue(two_scrapes, f"Prometheus never scraped twice:\n{prom.log()[-3000:]}")
            for q in self.queries:
                if not q.where.startswith(("panel", "variable")):
                    continue
                with self.subTest(q.where):
                    data = prom.query(q.expr)
                    self.assertTrue(data["result"], f"{q.where}: empty result for {q.expr}")

            def evaluated_rules():
                groups = prom.api("/api/v1/rules")["groups"]
                rules = [r for g in groups for r in g["rules"]]
                done = all(not r.get("lastEvaluation", "").startswith("0001") for r in rules)
                return rules if rules and done else None

            rules = wait_until(evaluated_rules, 30, interval=0.5)
            self.assertTrue(rules, "the alert rules were not loaded and evaluated")
            self.assertEqual(
                len(rules), len([q for q in self.queries if q.where.startswith("rule")])
            )
            for r in rules:
                with self.subTest(f"rule {r['name']}"):
                    self.assertEqual(r["health"], "ok", r.get("lastError"))
            # Real traffic of a healthy daemon fires none of them.
            firing = [a for r in rules for a in r.get("alerts", []) if a["state"] == "firing"]
            self.assertEqual(firing, [])


if __name__ == "__main__":
    ARGS = test_main.arguments("daemon", "prometheus")
    sys.exit(test_main.run(needs_root="the daemon loads BPF programs"))
