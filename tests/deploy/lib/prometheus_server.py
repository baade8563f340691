"""A throwaway Prometheus server: private config and storage, loopback only."""

import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse

import yaml

from processes import free_port, http_get, stop_process, wait_until


def config_for_test(deployed_config, target, rules_dir, interval="1s"):
    """The deployed prometheus.yml pointed at `target` (HOST:PORT), scraping
    and evaluating every `interval`, its rule files resolved against
    `rules_dir`. Everything else (job name, rule files) stays as deployed."""
    with open(deployed_config, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    config.setdefault("global", {}).update(
        {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval}
    )
    config["rule_files"] = [os.path.join(rules_dir, r) for r in config.get("rule_files", [])]
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [target]}]
    return config


class PrometheusServer:
    def __init__(self, binary, config):
        self.dir = tempfile.mkdtemp(prefix="hs-deploy-prometheus-")
        self.config_path = os.path.join(self.dir, "prometheus.yml")
        with open(self.config_path, "w", encoding="utf-8") as f:
            yaml.safe_dump(config, f)
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self.proc = None
        for attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            with open(self.log_path, "w") as log:
                self.proc = subprocess.Popen(
                    [
                        binary,
                        f"--config.file={self.config_path}",
                        f"--storage.tsdb.path={os.path.join(self.dir, f'data-{attempt}')}",
                        f"--web.listen-address=127.0.0.1:{self.port}",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            ready = wait_until(
                lambda: self.proc.poll() is not None
                or http_get(self._url("/-/ready"), timeout=1)[0] == 200,
                30,
            )
            if ready and self.proc.poll() is None:
                return
            stop_process(self.proc)
        raise RuntimeError(f"prometheus did not start:\n{self.log()}")

    def _url(self, path, **params):
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"http://127.0.0.1:{self.port}{path}{query}"

    def api(self, path, **params):
        status, body = http_get(self._url(path, **params), timeout=10)
        reply = json.loads(body) if body else {}
        if status != 200 or reply.get("status") != "success":
            raise RuntimeError(f"{path} {params}: HTTP {status}: {body}")
        return reply["data"]

    def query(self, expr):
        """The instant vector (or scalar) of `expr` evaluated now."""
        return self.api("/api/v1/query", query=expr)

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
