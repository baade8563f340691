#!/usr/bin/env python3
"""The standard library's HTTP/1.1 server answering uploads, for the kernel tests.

http.server itself sends "HTTP/1.1 100 Continue" when a request carries
"Expect: 100-continue" (protocol_version HTTP/1.1), before the handler reads
the body; the handler then answers POST/PUT /status/NNN with status NNN after
reading the whole body. Connections stay open (keep-alive).

Prints "continue_server listening on PORT" on start and "served METHOD STATUS"
after each final response.
"""
import http.server
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        parts = self.path.split("/")
        status = int(parts[2]) if len(parts) > 2 and parts[1] == "status" else 200
        reply = b"got %d bytes\n" % len(body)
        self.send_response(status)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
        self.wfile.flush()
        print("served %s %d" % (self.command, status), flush=True)

    do_POST = answer
    do_PUT = answer

    def log_message(self, fmt, *args):
        pass  # "served" lines on stdout are the log


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("continue_server listening on %d pid %d" % (server.server_address[1], os.getpid()),
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
