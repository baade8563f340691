#include "allowed_methods.h"

#include <string_view>

namespace hs::http {
namespace {

// Is `method` one of the comma-separated names in `list`?
bool listed(std::string_view list, std::string_view method) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    if (name == method) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

httplib::Server::HandlerWithResponse refuse_other_methods(AllowedMethods allowed) {
  return [allowed = std::move(allowed)](const httplib::Request& req, httplib::Response& res) {
    const auto it = allowed.find(req.path);
    if (it == allowed.end() || listed(it->second, req.method)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = 405;
    res.set_header("Allow", it->second);
    res.set_content("Method Not Allowed\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  };
}

}  // namespace hs::http
