"""python3 https_server.py PORT CERT KEY: serves the current directory over
HTTPS through python's ssl module, that is OpenSSL's libssl.so.3. Standard
library only: it is copied next to what it serves and may run as any user."""

import http.server
import ssl
import sys


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = http.server.HTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
