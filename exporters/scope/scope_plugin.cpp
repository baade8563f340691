#include "scope_plugin.h"

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "allowed_methods.h"
#include "bounded_server.h"
#include "control.h"
#include "plugin_dir.h"
#include "probe_id.h"
#include "report_cache.h"

namespace hs::scope {

namespace {

// Control requests are a few hundred bytes; nothing else takes a body.
constexpr std::size_t kMaxBody = 16 * 1024;

http::ServerLimits limits(const PluginOptions& o) {
  http::ServerLimits l;
  l.workers = o.worker_threads;
  l.max_connections = o.max_connections;
  l.keep_alive_idle = o.keep_alive_idle;
  l.request_timeout = o.io_timeout;
  l.write_timeout = o.io_timeout;
  l.max_body_bytes = kMaxBody;
  return l;
}

// The probe_id query parameter if it is a probe id, else "".
std::string probe_id_of(const httplib::Request& req) {
  std::string id = req.get_param_value("probe_id");
  if (!is_probe_id(id)) id.clear();
  return id;
}

}  // namespace

// Everything that exists only while serving. Members are destroyed in
// reverse order: the server (after its thread) before the directory.
struct Plugin::Serving {
  PluginDirectory directory;
  ReportCache reports;
  LastProbeId probe;
  http::BoundedServer server;
  std::atomic<bool> listener_done{false};
  std::thread listener;

  Serving(const PluginOptions& o, const ReportOptions& r)
      : directory(o.plugins_root, o.plugin_id), reports(r), server(limits(o)) {}

  ~Serving() {
    if (listener.joinable()) {
      server.shut_down();
      listener.join();
    }
  }
};

Plugin::Plugin(PluginOptions options, SnapshotFn snapshots, ControlFn control)
    : options_(std::move(options)),
      report_options_{resolve_hostname(options_.hostname), options_.plugin_id},
      snapshots_(std::move(snapshots)),
      control_(std::move(control)) {}

Plugin::~Plugin() { stop(); }

void Plugin::start() {
  std::lock_guard lock(mu_);
  if (serving_) return;
  // The directory, fresh; throws with the reason.
  auto s = std::make_unique<Serving>(options_, report_options_);
  auto& server = s->server;

  server.Get("/report", [this, raw = s.get()](const httplib::Request& req, httplib::Response& res) {
    const std::string probe_id = probe_id_of(req);
    raw->probe.seen(probe_id);
    // No snapshot yet: an empty but valid report keeps the plugin "ok" in the UI.
    const auto report = raw->reports.get(snapshots_ ? snapshots_() : nullptr, probe_id);
    res.set_content(*report, "application/json");
  });
  server.Post(
      "/control", [this, raw = s.get()](const httplib::Request& req, httplib::Response& res) {
        // The probe sends its id with a control too; without one, the id of the
        // latest poll, so the shortcut report's nodes keep their controls.
        std::string probe_id = probe_id_of(req);
        if (probe_id.empty()) probe_id = raw->probe.get();
        // Always 200: the probe turns any other status into a generic error and
        // marks the whole plugin as failing; {"error": ...} reaches the user.
        res.set_content(handle_control(req.body, report_options_, probe_id, control_, snapshots_),
                        "application/json");
      });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
        // httplib would copy the exception text into a response header.
        res.status = 500;
        res.set_content(R"({"error":"internal error"})", "application/json");
      });
  server.set_pre_routing_handler(
      http::refuse_other_methods({{"/report", "GET, HEAD"}, {"/control", "POST"}}));
  // Reports go over a local socket: gzip (which httplib applies when the
  // probe's Go client offers it) would only cost CPU on every poll.
  server.set_request_setup([](httplib::Request& req) { req.headers.erase("Accept-Encoding"); });

  server.set_address_family(AF_UNIX);
  const std::string& path = s->directory.socket_path();
  if (!server.bind_to_port(path, 80)) {
    throw std::runtime_error("cannot listen on the Scope plugin socket " + path + ": " +
                             std::system_category().message(errno));
  }
  s->directory.adopt_socket();

  s->listener = std::thread([raw = s.get()] {
    raw->server.serve();
    raw->listener_done.store(true);
  });
  // Serving fails at once or not at all (no threads, no epoll): wait to
  // know which. Connections made meanwhile wait in the listen backlog.
  while (!server.serving() && !s->listener_done.load()) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  if (!server.serving()) {
    s->listener.join();
    throw std::runtime_error("the Scope plugin server on " + path + " stopped at once");
  }
  serving_ = std::move(s);
}

void Plugin::stop() {
  std::unique_ptr<Serving> s;
  {
    std::lock_guard lock(mu_);
    s = std::move(serving_);
  }
  // Destruction stops the server, joins it, then removes socket and directory.
}

bool Plugin::serving() const {
  std::lock_guard lock(mu_);
  return serving_ != nullptr;
}

std::string Plugin::socket_path() const {
  return plugin_socket_path(options_.plugins_root, options_.plugin_id);
}

}  // namespace hs::scope
