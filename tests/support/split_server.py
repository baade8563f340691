#!/usr/bin/env python3
"""HTTP/1.1 test server for the http-statistics kernel tests (stdlib only).

Unlike off-the-shelf servers it controls how responses reach the wire, which
is what the in-kernel parser has to cope with:

  GET /status/NNN        answers with status NNN (any method; other paths: 200)
  ?split=N               the response goes out in N send() calls with short
                         sleeps in between, so each becomes its own TCP segment
                         (TCP_NODELAY is set); N larger than the response means
                         one byte per segment
  ?chunked=1             Transfer-Encoding: chunked, the body in several chunks
  ?delay_ms=M            waits M milliseconds before answering
  ?size=N                an N-byte body instead of the default text
  ?echo=1                the body is the request's body
  ?early_hints=1         a "103 Early Hints" interim response first
  ?close=1               "Connection: close" and close after the response
  ?nolength=1            no Content-Length: the body ends when the connection
                         closes (implies close=1)
  ?pad_header=N          an extra header line of N bytes
  ?reason_bytes=N        a reason phrase of N bytes instead of the standard one
  Expect: 100-continue   "100 Continue" is sent before the body is read

Requests are parsed here (Content-Length and chunked bodies), several requests
arriving in one recv() (pipelining) are answered in order, and connections
stay open (HTTP/1.1) until the client closes them.

Server options (shapes of server the engine must attribute and frame right):
  --port N           0 (default): pick a free port and print it
  --unix PATH        listen on a UNIX socket instead (never counted)
  --fork             the listening process accepts, a forked child answers
                     (the acceptor owns the connection's counts)
  --accept-syscall   accept (plain accept(2) via libc) or accept4 (default)
  --udp              answer UDP datagrams with an HTTP-looking reply (never
                     counted: only TCP is HTTP/1.x here)
  --coalesce         answer all requests that arrived together (pipelined) with
                     one send(), so several responses share a segment
  --host ::          a dual-stack IPv6 socket (IPv4 clients appear v4-mapped)
  --fastopen         accept TCP Fast Open (a request in the SYN)

On start it prints "split_server pid PID listening on HOST:PORT" (or on the
UNIX socket path) and, after each response, "served METHOD TARGET STATUS by PID".
"""
import argparse
import ctypes
import http
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse

DEFAULT_BODY = b"hello from split_server\n"
print_lock = threading.Lock()


def say(line):
    with print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def reason(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Test Status"


class Closed(Exception):
    """The client closed the connection."""


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _more(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buf += data

    def line(self):
        while b"\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def exact(self, n):
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def read_request(conn):
    """Returns (method, target, version, headers) or raises Closed."""
    start = b""
    while not start:  # blank lines between requests are allowed
        start = conn.line()
    parts = start.decode("latin-1").split(" ")
    if len(parts) != 3:
        raise ValueError("bad request line %r" % start)
    headers = {}
    while True:
        line = conn.line()
        if not line:
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], parts[2], headers


def read_body(conn, headers):
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            size = int(conn.line().split(b";")[0].strip(), 16)
            if size == 0:
                while conn.line():  # trailers
                    pass
                return body
            body += conn.exact(size)
            conn.line()
    return conn.exact(int(headers.get("content-length", "0")))


def build_response(method, status, params, body, keep_alive):
    phrase = reason(status)
    if "reason_bytes" in params:
        phrase = ("Long Reason " * 1000)[:int(params["reason_bytes"])]
    head = ["HTTP/1.1 %d %s" % (status, phrase), "Content-Type: text/plain"]
    if "pad_header" in params:
        head.append("X-Pad: " + "p" * int(params["pad_header"]))
    no_body = status < 200 or status in (204, 304)
    chunks = []
    if not no_body:
        if params.get("nolength") == "1":
            pass  # delimited by closing the connection
        elif params.get("chunked") == "1":
            head.append("Transfer-Encoding: chunked")
            third = max(1, len(body) // 3)
            pieces = [body[i:i + third] for i in range(0, len(body), third)]
            for i, piece in enumerate(pieces):
                ext = b";piece=%d" % i if i == 0 else b""
                chunks.append(b"%x%s\r\n%s\r\n" % (len(piece), ext, piece))
            chunks.append(b"0\r\nX-Trailer: done\r\n\r\n")
        else:
            head.append("Content-Length: %d" % len(body))
    head.append("Connection: " + ("keep-alive" if keep_alive else "close"))
    out = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
    if method != "HEAD" and not no_body:
        out += b"".join(chunks) if chunks else body
    return out


def send_split(sock, data, pieces):
    if pieces <= 1:
        sock.sendall(data)
        return
    size = max(1, -(-len(data) // pieces))  # ceiling division
    for i in range(0, len(data), size):
        if i:
            time.sleep(0.004)  # let the previous piece leave as its own segment
        sock.sendall(data[i:i + size])


def serve(sock, coalesce=False):
    conn = Conn(sock)
    pending = b""  # responses not sent yet (more than one only with --coalesce)
    held = []  # their "served" lines, printed once they are sent
    try:
        while True:
            method, target, version, headers = read_request(conn)
            url = urllib.parse.urlsplit(target)
            params = dict(urllib.parse.parse_qsl(url.query))
            if headers.get("expect", "").lower() == "100-continue":
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = read_body(conn, headers)

            status = 200
            if url.path.startswith("/status/"):
                status = int(url.path[len("/status/"):])
            connection = headers.get("connection", "").lower()
            keep_alive = (version == "HTTP/1.1" and connection != "close") or \
                connection == "keep-alive"
            if params.get("close") == "1" or params.get("nolength") == "1":
                keep_alive = False
            if "delay_ms" in params:
                time.sleep(int(params["delay_ms"]) / 1000.0)
            if params.get("early_hints") == "1":
                sock.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
            if params.get("echo") == "1":
                payload = body
            elif "size" in params:
                payload = b"x" * int(params["size"])
            else:
                payload = DEFAULT_BODY
            pending += build_response(method, status, params, payload, keep_alive)
            held.append("served %s %s %d by %d" % (method, target, status, os.getpid()))
            # --coalesce: hold responses while another complete request is here.
            if coalesce and keep_alive and b"\r\n\r\n" in conn.buf:
                continue
            send_split(sock, pending, int(params.get("split", "1")))
            pending = b""
            for line in held:
                say(line)
            held = []
            if not keep_alive:
                return
    except (Closed, ConnectionError):
        pass
    except Exception as e:  # a broken request must not kill the server
        say("error %r" % (e,))
    finally:
        sock.close()


def accept_plain(listener):
    """accept(2) rather than Python's accept4(2), to exercise the other hook."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.accept(listener.fileno(), None, None)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "accept")
    return socket.socket(fileno=fd)


def serve_udp(host, port):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((host, port))
    say("split_server pid %d listening on %s:%d" % ((os.getpid(),) + udp.getsockname()[:2]))
    while True:
        data, peer = udp.recvfrom(65536)
        udp.sendto(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", peer)
        say("served UDP %s 200" % data.split(b" ")[0].decode("latin-1"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0: pick a free port")
    ap.add_argument("--unix", help="listen on this UNIX socket path instead of TCP")
    ap.add_argument("--fork", action="store_true", help="a child process per connection")
    ap.add_argument("--accept-syscall", choices=("accept", "accept4"), default="accept4")
    ap.add_argument("--udp", action="store_true")
    ap.add_argument("--fastopen", action="store_true", help="TCP_FASTOPEN on the listener")
    ap.add_argument("--coalesce", action="store_true",
                    help="one send() for the responses to requests that arrived together")
    args = ap.parse_args()

    if args.udp:
        serve_udp(args.host, args.port)
        return
    if args.unix:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(args.unix)
        where = args.unix
    elif ":" in args.host:
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind((args.host, args.port))
        where = "[%s]:%d" % listener.getsockname()[:2]
    else:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args.host, args.port))
        where = "%s:%d" % listener.getsockname()[:2]
    if args.fastopen:
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
    listener.listen(128)
    if args.fork:
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    say("split_server pid %d listening on %s" % (os.getpid(), where))
    while True:
        if args.accept_syscall == "accept":
            sock = accept_plain(listener)
        else:
            sock, _ = listener.accept()
        if sock.family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args.fork:
            if os.fork() == 0:
                listener.close()
                serve(sock, args.coalesce)
                os._exit(0)
            sock.close()
        else:
            threading.Thread(target=serve, args=(sock, args.coalesce), daemon=True).start()


if __name__ == "__main__":
    main()
