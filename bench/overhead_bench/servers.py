"""The measured HTTP servers' common parts: nginx from a temporary config, and the
access log every server writes, one line per request, that runs are checked against."""

import collections
import os
import signal
import subprocess
import time

from .common import SetupError, free_port, port_open, read_file, wait_for
from .processes import Managed, child_pids, niced

# Static files nginx serves with sendfile (the static-* workloads): name, size.
STATIC_FILES = {"4k.bin": 4 * 1024, "256k.bin": 256 * 1024}


class AccessLogged:
    """A server's reading of its own access log (at self.access_log) around a run."""

    def log_offset(self):
        return log_offset(self.access_log)

    def wait_log_settled(self, timeout=10.0):
        wait_log_settled(self.access_log, timeout)

    def log_since(self, offset):
        return log_since(self.access_log, offset)


class Nginx(AccessLogged):
    """nginx with one worker on <host>:<free port> (127.0.0.1 unless the client is in
    another network namespace), logging each request's status, in a cgroup if given."""

    def __init__(self, workdir, cpu=None, nice=0, https=False, host="127.0.0.1", cgroup=None):
        self.dir = os.path.join(workdir, "nginx")
        self.nice = nice
        self.https = https
        self.host = host
        self.cgroup = cgroup
        os.makedirs(os.path.join(self.dir, "tmp"))
        write_static_files(os.path.join(self.dir, "static"))
        if https:
            # A self-signed certificate: wrk does not verify it.
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=localhost", "-keyout", os.path.join(self.dir, "key.pem"),
                 "-out", os.path.join(self.dir, "cert.pem")],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        self.access_log = os.path.join(self.dir, "access.log")
        self.proc = None
        for _ in range(5):  # the free port may be taken before nginx binds it
            self.port = free_port(host)
            if self._start(cpu):
                return
        raise SetupError("nginx did not start:\n" + read_file(os.path.join(self.dir, "error.log")))

    def _config(self, cpu):
        d = self.dir
        # Workers run as nobody by default and could not write to the 0700 temp dir.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        affinity = f"worker_cpu_affinity {1 << cpu:b};\n" if cpu is not None else ""
        temp_paths = "".join(
            f"  {kind}_temp_path {d}/tmp/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        return (
            "daemon off;\nmaster_process on;\nworker_processes 1;\n"
            f"{affinity}{user}pid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            # $request_completion is "OK" only for responses sent in full: a request
            # read while wrk was closing its connections is logged without it.
            # $bytes_sent: a response not sent in full still counts once its status
            # line has left. The connection and its request number tell, when a run
            # is not exact, which connections' exchanges differ.
            "  log_format bench '$status $request_completion $pipe $bytes_sent "
            "$connection $connection_requests $msec';\n"
            f"  access_log {self.access_log} bench;\n"
            f"{temp_paths}"
            "  keepalive_timeout 75s;\n"
            # wrk's connections stay up for the whole run, as a busy client's would.
            "  keepalive_requests 100000000;\n"
            "  server {\n"
            f"    listen {self.host}:{self.port}{' ssl' if self.https else ''};\n"
            + (
                f"    ssl_certificate {d}/cert.pem;\n    ssl_certificate_key {d}/key.pem;\n"
                if self.https
                else ""
            )
            + 
            '    location = /ok { return 200 "ok"; }\n'
            # The templates-50 workload's paths: /ok's answer under 50 URL templates.
            '    location /t/ { return 200 "ok"; }\n'
            # Files from the page cache to the socket without a copy, as static sites do.
            f"    location /static/ {{ alias {d}/static/; sendfile on; }}\n"
            "    location = /missing { return 404; }\n"
            "    location = /unavailable { return 503; }\n"
            "  }\n"
            "}\n"
        )

    def _start(self, cpu):
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(self._config(cpu))
        # -e: errors before the config is read must not go to /var/log/nginx.
        self.proc = Managed(
            "nginx",
            niced(
                ["nginx", "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")],
                self.nice,
            ),
            os.path.join(self.dir, "stdout"),
            os.path.join(self.dir, "stderr"),
            cgroup=self.cgroup,
        )
        up = wait_for(
            lambda: not self.proc.running()
            or (port_open(self.port, self.host) and len(self.workers()) == 1),
            timeout=15,
        )
        if up and self.proc.running():
            self.worker = self.workers()[0]
            return True
        self.proc.stop()
        return False

    def workers(self):
        return child_pids(self.proc.pid)

    def url(self, path):
        scheme = "https" if self.https else "http"
        return f"{scheme}://{self.host}:{self.port}{path}"

    def stop(self):
        if self.proc:
            self.proc.stop(signal.SIGTERM)



def write_static_files(directory):
    """The files of the static-* workloads; their bytes do not matter, only their size."""
    os.makedirs(directory)
    for name, size in STATIC_FILES.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(bytes(i % 251 for i in range(size)))


# ---- the access log: '<status> <OK if the response was sent in full> <p if pipelined>
# [<bytes sent>] ...' (the Python app writes H for "status line sent, not the body")

# "HTTP/1.1 200": what has to leave the socket for the engine to count a response.
STATUS_LINE_BYTES = 12


def status_line_sent(parts):
    """Whether a line's response got its status line out, sent in full or not: the
    client may close while the body is on its way (wrk does at the end of a run)."""
    if parts[1] in ("OK", "H"):
        return True
    return len(parts) > 3 and parts[3].isdigit() and int(parts[3]) >= STATUS_LINE_BYTES


def log_offset(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


def wait_log_settled(path, timeout=10.0):
    """Waits until the access log stops growing (the last responses are logged)."""
    last = [-1, time.monotonic()]

    def settled():
        size = log_offset(path)
        if size != last[0]:
            last[:] = [size, time.monotonic()]
        return time.monotonic() - last[1] >= 0.3

    wait_for(settled, timeout)


def log_since(path, offset):
    """Counts of the access log lines after offset."""
    with open(path, "rb") as f:
        f.seek(offset)
        lines = f.read().decode("ascii", "replace").splitlines()
    completed = collections.Counter()
    incomplete = collections.Counter()
    pipelined = 0
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        status, completion, pipe = parts[0], parts[1], parts[2]
        (completed if status_line_sent(parts) else incomplete)[status] += 1
        pipelined += pipe == "p"
    return {
        "lines": len(lines),
        "completed": dict(sorted(completed.items())),
        "incomplete": dict(sorted(incomplete.items())),
        "pipelined": pipelined,
        # Each connection's last lines: where runs end, and where counts have differed.
        "tail": lines[-200:],
    }
