#include "canned_responses.h"

#include <string>

namespace hs::http {
namespace {

std::string make(int status, std::string_view reason) {
  const std::string body = std::string(reason) + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

std::string_view canned_response(int status) {
  static const std::string bad_request = make(400, "Bad Request");
  static const std::string timeout = make(408, "Request Timeout");
  static const std::string length_required = make(411, "Length Required");
  static const std::string too_large = make(413, "Content Too Large");
  static const std::string uri_too_long = make(414, "URI Too Long");
  static const std::string header_too_large = make(431, "Request Header Fields Too Large");
  static const std::string not_implemented = make(501, "Not Implemented");
  switch (status) {
    case 408:
      return timeout;
    case 411:
      return length_required;
    case 413:
      return too_large;
    case 414:
      return uri_too_long;
    case 431:
      return header_too_large;
    case 501:
      return not_implemented;
    default:
      return bad_request;
  }
}

}  // namespace hs::http
