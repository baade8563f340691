#include "python_tls_server.h"

#include <chrono>
#include <stdexcept>
#include <vector>

#include "paths.h"
#include "wait.h"

namespace hs::test {
namespace {

constexpr const char* kServer = R"(import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        code = 404 if self.path == "/missing" else 200
        self.send_response(code)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True)
open(sys.argv[3], "w").write(str(server.server_address[1]))
server.serve_forever()
)";

}  // namespace

PythonTlsServer::PythonTlsServer(const CgroupDir* cgroup) {
  const auto cert =
      run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
           "/CN=localhost", "-keyout", dir_.file("key.pem"), "-out", dir_.file("cert.pem")},
          dir_.path());
  if (!cert.status.exited_normally()) throw std::runtime_error("openssl req: " + cert.err);
  dir_.write("server.py", kServer);
  std::vector<std::string> argv = {"python3", dir_.file("server.py"), dir_.file("cert.pem"),
                                   dir_.file("key.pem"), dir_.file("port")};
  // The shell moves itself into the cgroup and becomes the server (same pid).
  if (cgroup) argv.insert(argv.begin(), {"sh", "-c", cgroup->enter_and_exec(), "sh"});
  SubprocessOptions o;
  o.stderr_path = dir_.file("stderr");
  server_ = std::make_unique<Subprocess>(argv, o);
  if (!wait_until([&] { return !read_text(dir_.file("port")).empty(); }, std::chrono::seconds(15)))
    throw std::runtime_error("the Python HTTPS server did not start: " +
                             read_text(dir_.file("stderr")));
  base_url_ = "https://127.0.0.1:" + read_text(dir_.file("port"));
}

}  // namespace hs::test
