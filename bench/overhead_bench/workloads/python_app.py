"""python-app: an application server with a real handler, written in Python's standard
library (http.server, one thread per connection, keep-alive): each request filters,
sorts and sums a catalogue and answers it as JSON, about 2 KB. Its CPU per request is
tens of times nginx's `return 200`, as application servers' are."""

import os
import sys

from ..common import SetupError, free_port, port_open, read_file, wait_for
from ..measurement import SERVER_FACTORIES
from ..processes import Managed, niced
from ..servers import AccessLogged
from . import HttpWorkload

APP = r'''
import http.server
import json
import os
import sys
import urllib.parse

CATALOGUE = [
    {"id": i, "name": f"item-{i}", "price": (i * 37) % 1000 / 10, "stock": (i * 13) % 50,
     "tags": ["new" if i % 7 == 0 else "old", "red" if i % 2 else "blue"]}
    for i in range(500)
]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk's connections expect
    disable_nagle_algorithm = True  # headers and body are two writes

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/api/items":
            return self.answer(404, {"error": "not found"})
        query = urllib.parse.parse_qs(url.query)
        limit = int(query.get("limit", ["10"])[0])
        in_stock = [item for item in CATALOGUE if item["stock"] > 0]
        items = sorted(in_stock, key=lambda item: (-item["price"], item["id"]))[:limit]
        self.answer(200, {"count": len(items), "total": round(sum(i["price"] for i in items), 2),
                          "items": items})

    def answer(self, status, document):
        body = json.dumps(document).encode()
        completion = "-"  # the client went away before the status line left
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # The status line has left (the engine counts the response from there);
            # the body may still fail.
            completion = "H"
            self.wfile.write(body)
            completion = "OK"
        except OSError:
            pass
        # One line per request, one write, like nginx's access log.
        os.write(LOG, f"{status} {completion} .\n".encode())
        if completion != "OK":
            self.close_connection = True

    def log_message(self, *args):
        pass  # the access log above replaces stderr's


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


LOG = os.open(sys.argv[3], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
Server((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
'''


class PythonApp(AccessLogged):
    """The application server above on <host>:<free port>, with the interface of
    servers.Nginx (worker, url, the access log)."""

    def __init__(self, workdir, cpu=None, nice=0, host="127.0.0.1", cgroup=None):
        self.dir = os.path.join(workdir, "python-app")
        os.makedirs(self.dir)
        self.host = host
        self.access_log = os.path.join(self.dir, "access.log")
        source = os.path.join(self.dir, "app.py")
        with open(source, "w", encoding="utf-8") as f:
            f.write(APP)
        for _ in range(5):  # the free port may be taken before the app binds it
            self.port = free_port(host)
            cmd = niced([sys.executable, source, host, str(self.port), self.access_log], nice)
            cmd = ["taskset", "-c", str(cpu)] + cmd if cpu is not None else cmd
            self.proc = Managed(
                "python-app",
                cmd,
                os.path.join(self.dir, "stdout"),
                os.path.join(self.dir, "stderr"),
                cgroup=cgroup,
            )
            if wait_for(lambda: not self.proc.running() or port_open(self.port, host), 15):
                if self.proc.running():
                    self.worker = self.proc.pid  # taskset and nice exec: the pid is python's
                    return
            self.proc.stop()
        raise SetupError("the Python app did not start:\n" + read_file(self.dir + "/stderr"))

    def url(self, path):
        return f"http://{self.host}:{self.port}{path}"

    def stop(self):
        self.proc.stop()


SERVER_FACTORIES["python-app"] = lambda bench: PythonApp(
    bench.workdir,
    bench.nginx_cpu,
    bench.args.nice,
    host=bench.topology.server_host,
    cgroup=bench.topology.server_cgroup,
)

WORKLOADS = [
    HttpWorkload(
        "python-app",
        "a Python application server (http.server, a JSON handler)",
        server="python-app",
        path="/api/items?limit=10",
    )
]
