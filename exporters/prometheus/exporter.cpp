#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "allowed_methods.h"
#include "bounded_server.h"
#include "exposition.h"
#include "gzip.h"
#include "listen_address.h"
#include "metrics_exporter.h"

namespace hs::prom {
namespace {

// Threads that write one large body at once: scrape time falls with each
// CPU up to a few; the CPU time stays the same.
std::size_t render_threads() {
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
}

constexpr const char* kIndexPage =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>http-statistics</title></head>\n"
    "<body><h1>http-statistics</h1>\n"
    "<p>HTTP/1.x traffic per process, counted in the kernel.</p>\n"
    "<p><a href=\"/metrics\">Metrics</a></p>\n"
    "</body></html>\n";

// Resolving first gives the resolver's own message for a bad host; httplib
// would only report that binding failed.
void check_resolves(const std::string& address, const ListenAddress& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* result = nullptr;
  const int rc = ::getaddrinfo(where.host.c_str(), nullptr, &hints, &result);
  if (rc != 0) throw std::runtime_error("cannot bind " + address + ": " + ::gai_strerror(rc));
  ::freeaddrinfo(result);
}

// Scrapers send a request line and a few header fields, no body: the
// default limits (8 KiB of header, 3 s for a request, 5 s idle) leave them
// plenty of room. A body is only ever a mistake; a small one is read and
// answered 405 like any other wrong method.
http::ServerLimits limits(const ExporterOptions& o) {
  http::ServerLimits l;
  l.workers = std::max<std::size_t>(1, o.worker_threads);
  l.max_body_bytes = 4 * 1024;
  return l;
}

}  // namespace

struct Exporter::Impl {
  Impl(ExporterOptions o, SnapshotFn snapshots)
      : options(std::move(o)), collector(std::move(snapshots), options), server(limits(options)) {}

  void route();
  void serve_metrics(const httplib::Request& req, httplib::Response& res) const;

  ExporterOptions options;
  SnapshotCollector collector;
  http::BoundedServer server;
  std::thread listener;
  std::atomic<bool> listener_done{false};
  std::atomic<int> port{0};

  std::mutex lifecycle;  // start() and stop()
  enum class State { Created, Running, Stopped } state = State::Created;
};

void Exporter::Impl::serve_metrics(const httplib::Request& req, httplib::Response& res) const {
  const bool gzip = accepts_gzip(req.get_header_value("Accept-Encoding"));
  auto body = std::make_shared<const std::vector<std::string>>(
      render_exposition(collector.scrape(), gzip, render_threads()));
  if (gzip) res.set_header("Content-Encoding", "gzip");
  res.set_header("Vary", "Accept-Encoding");
  std::size_t size = 0;
  for (const std::string& piece : *body) size += piece.size();
  // A sized content provider, not set_content(): httplib compresses bodies
  // by itself (brotli first, ignoring q-values, and again over our gzip), but
  // leaves provider output alone. It also serves the pieces without joining
  // them into one string first.
  res.set_content_provider(size, kTextContentType,
                           [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             for (const std::string& piece : *body) {
                               if (offset >= piece.size()) {
                                 offset -= piece.size();
                                 continue;
                               }
                               return sink.write(piece.data() + offset,
                                                 std::min(length, piece.size() - offset));
                             }
                             return false;
                           });
}

void Exporter::Impl::route() {
  server.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    serve_metrics(req, res);
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kIndexPage, "text/html; charset=utf-8");
  });
  server.set_pre_routing_handler(
      http::refuse_other_methods({{"/metrics", "GET, HEAD"}, {"/", "GET, HEAD"}}));
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("404 page not found\n", "text/plain; charset=utf-8");
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        res.status = 500;
        res.set_content("collecting metrics failed: " + what + "\n", "text/plain; charset=utf-8");
      });
  // httplib's default also sets SO_REUSEPORT, which lets a second instance
  // bind the same port and silently share the scrapes. SO_REUSEADDR alone
  // still allows a quick restart over connections in TIME_WAIT.
  server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

Exporter::Exporter(ExporterOptions options, SnapshotFn snapshots)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(snapshots))) {
  impl_->route();
}

Exporter::~Exporter() { stop(); }

void Exporter::start() {
  Impl& im = *impl_;
  std::lock_guard lock(im.lifecycle);
  if (im.state != Impl::State::Created) throw std::logic_error("Exporter::start: already started");
  const std::string& address = im.options.address;
  const ListenAddress where = parse_listen_address(address);
  check_resolves(address, where);

  // httplib reports only success or failure; errno still holds the failed
  // bind() or listen() reason when it returns.
  errno = 0;
  const int port = where.port == 0 ? im.server.bind_to_any_port(where.host)
                   : im.server.bind_to_port(where.host, where.port) ? where.port
                                                                    : -1;
  if (port < 0) {
    const int err = errno;
    throw std::runtime_error("cannot bind " + address + ": " +
                             (err ? std::generic_category().message(err) : "unknown error"));
  }
  im.port = port;
  im.listener = std::thread([&im] {
    im.server.serve();
    im.listener_done = true;
  });
  // Serving fails at once or not at all (no threads, no epoll): wait to
  // know which. Connections made meanwhile wait in the listen backlog.
  while (!im.server.serving() && !im.listener_done)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  im.state = Impl::State::Running;
  if (!im.server.serving()) {
    im.listener.join();
    im.state = Impl::State::Stopped;
    throw std::runtime_error("serving " + address + " stopped at once");
  }
}

void Exporter::stop() {
  Impl& im = *impl_;
  std::lock_guard lock(im.lifecycle);
  if (im.state == Impl::State::Running) {
    im.server.shut_down();
    im.listener.join();  // serve() returns once every connection is closed
  }
  im.state = Impl::State::Stopped;
}

int Exporter::port() const { return impl_->port; }

}  // namespace hs::prom
