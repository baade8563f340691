#!/usr/bin/env python3
"""A TCP server that speaks what is not HTTP/1.x, for the kernel tests (stdlib only).

Each connection is served in its own thread; what the client sends first
decides how it is answered, until the client closes:

  PING / *1\\r\\n$4\\r\\nPING  (Redis inline or RESP commands)  "+PONG\\r\\n" per PING
  GET /garbage ...                          binary garbage instead of a status line
  GET /anything-else ... (HTTP/1.1)         "HTTP/1.1 200 OK" with a short body,
                                            keep-alive (proves the engine watches
                                            this process); a request the client
                                            stops sending in the middle of (it
                                            shuts down its side) is answered 400
  anything else                             echoed back byte for byte

On start it prints "protocol_server listening on PORT"; after each answer it
prints the kind ("pong", "garbage", "http 200", "echo N") so tests know the
server really answered.
"""
import os
import socket
import sys
import threading

print_lock = threading.Lock()


def say(line):
    with print_lock:
        print(line, flush=True)


def recv_until(conn, buf, marker):
    """(bytes, True) once marker arrived; (what arrived, False) at end of file."""
    while marker not in buf:
        data = conn.recv(65536)
        if not data:
            return buf, False
        buf += data
    return buf, True


def serve_redis(conn, buf):
    # Answer every PING seen so far; commands may arrive split or batched.
    answered = 0
    while True:
        pings = buf.count(b"PING")
        while answered < pings:
            conn.sendall(b"+PONG\r\n")
            answered += 1
            say("pong")
        data = conn.recv(65536)
        if not data:
            return
        buf += data


def serve_http(conn, buf):
    while True:
        buf, complete = recv_until(conn, buf, b"\r\n\r\n")
        if not complete:
            if buf:
                # The client stopped sending in the middle of a request: 400,
                # as HAProxy answers then.
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 4\r\n"
                             b"Connection: close\r\n\r\nbad\n")
                say("http 400")
            return
        head, _, buf = buf.partition(b"\r\n\r\n")
        target = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
        if target == b"/garbage":
            conn.sendall(bytes(range(256)) * 4)
            say("garbage")
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            say("http 200")


def serve_echo(conn, buf):
    while buf:
        conn.sendall(buf)
        say("echo %d" % len(buf))
        buf = conn.recv(65536)


def serve(conn):
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = conn.recv(65536)
        if not buf:
            return
        if buf.startswith(b"PING") or buf.startswith(b"*"):
            serve_redis(conn, buf)
        elif buf.startswith(b"GET "):
            serve_http(conn, buf)
        else:
            serve_echo(conn, buf)


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    say("protocol_server listening on %d pid %d" % (listener.getsockname()[1], os.getpid()))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
