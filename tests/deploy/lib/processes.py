"""Processes the deployment tests start: the daemon, a python http.server,
plus the small things around them (free ports, waiting, plain HTTP)."""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"  # runnable by any user, unlike a per-user install


def require_root(what):
    """Exit code to return when not root: 77 (skip), or 1 under CI, where a
    skip would hide that the test never ran. None when root."""
    if os.geteuid() == 0:
        return None
    if os.environ.get("CI"):
        print(f"FAIL: needs root ({what}); under CI it must run, not skip", flush=True)
        return 1
    print(f"SKIP: needs root ({what})", flush=True)
    return SKIP


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def http_get(url, timeout=5.0):
    """(status, body) of a GET; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


def http_request(port, method, path):
    """Sends one request on a fresh connection; returns the status code."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code


def stop_process(proc, timeout=10):
    """SIGTERM, then SIGKILL; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Daemon:
    """build/http-statistics on 127.0.0.1:<free port>, without a Scope plugin
    unless asked; stopped with SIGTERM on exit."""

    def __init__(self, binary, extra_args=(), scope_plugins_root="off"):
        self.dir = tempfile.mkdtemp(prefix="hs-deploy-daemon-")
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.proc = None
        for _ in range(3):  # another process may take the free port first
            self.port = free_port()
            argv = [
                binary,
                "--metrics-address",
                f"127.0.0.1:{self.port}",
                "--scope-plugins-root",
                scope_plugins_root,
                *extra_args,
            ]
            with open(self.log_path, "w") as log:
                self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
            up = wait_until(
                lambda: self.proc.poll() is not None
                or http_get(self.metrics_url(), timeout=1)[0] == 200,
                30,
            )
            if up and self.proc.poll() is None:
                return
            stop_process(self.proc)
            if "in use" not in self.log():
                break
        raise RuntimeError(f"the daemon did not start:\n{self.log()}")

    def metrics_url(self):
        return f"http://127.0.0.1:{self.port}/metrics"

    def scrape(self):
        status, body = http_get(self.metrics_url())
        if status != 200:
            raise RuntimeError(f"/metrics answered {status}")
        return body

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class PythonHttpServer:
    """python3 -m http.server on 127.0.0.1:<free port>, serving a temp dir
    with index.html: GET / is 200, GET /missing 404, POST / 501. With `uid`,
    it runs as that user, as servers' workers usually do (then `python` must
    be one that user can run). With `preexec`, that runs in the child before
    exec (say, to join a cgroup)."""

    def __init__(self, python=sys.executable, uid=None, preexec=None):
        self.dir = tempfile.mkdtemp(prefix="hs-deploy-www-")
        os.chmod(self.dir, 0o755)
        with open(os.path.join(self.dir, "index.html"), "w") as f:
            f.write("<p>ok</p>\n")
        user = (
            [] if uid is None else ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        )
        self.proc = None
        for _ in range(3):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [*user, python, "-m", "http.server", str(self.port), "--bind", "127.0.0.1"],
                cwd=self.dir,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=preexec,
            )
            if (
                wait_until(lambda: self.proc.poll() is not None or self._listening(), 15)
                and self.proc.poll() is None
            ):
                return
            stop_process(self.proc)
        raise RuntimeError("python3 -m http.server did not start")

    @property
    def pid(self):
        return self.proc.pid

    def _listening(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class HttpsServer:
    """https_server.py on 127.0.0.1:<free port> with a throwaway self-signed
    certificate, serving a temp dir with index.html. With `uid` it runs as
    that user; with `libssl_dir` it loads that directory's libssl.so.3
    instead of the system's, as a container or a bundled program would.
    Starting it makes one request (GET /, its readiness check)."""

    def __init__(self, python, uid=None, libssl_dir=None):
        self.dir = tempfile.mkdtemp(prefix="hs-deploy-https-")
        os.chmod(self.dir, 0o755)
        script = shutil.copy(os.path.join(os.path.dirname(__file__), "https_server.py"), self.dir)
        self.cert, key = (os.path.join(self.dir, n) for n in ("cert.pem", "key.pem"))
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                key,
                "-out",
                self.cert,
            ],
            check=True,
            capture_output=True,
        )
        for f in (script, self.cert, key):
            os.chmod(f, 0o644)  # readable by `uid`; a test key, thrown away
        with open(os.path.join(self.dir, "index.html"), "w") as f:
            f.write("<p>ok</p>\n")
        user = (
            [] if uid is None else ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        )
        env = dict(os.environ, LD_LIBRARY_PATH=libssl_dir) if libssl_dir else None
        for _ in range(3):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [*user, python, script, str(self.port), self.cert, key],
                cwd=self.dir,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if (
                wait_until(lambda: self.proc.poll() is not None or self.get() == 200, 15)
                and self.proc.poll() is None
            ):
                return
            stop_process(self.proc)
        raise RuntimeError("the HTTPS server did not start")

    @property
    def pid(self):
        return self.proc.pid

    def get(self, path="/"):
        """Status of one GET on a fresh connection; 0 when nothing answered."""
        ctx = ssl.create_default_context(cafile=self.cert)
        try:
            with urllib.request.urlopen(
                f"https://127.0.0.1:{self.port}{path}", context=ctx, timeout=5
            ) as r:
                r.read()
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
