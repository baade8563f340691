// The answers the event loop gives by itself, before any worker or handler
// sees the request: the connection closes after each.
#pragma once

#include <string_view>

namespace hs::http {

inline constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

// A complete response with "Connection: close" and the reason as a text
// body, for 400, 408, 411, 413, 414, 431 and 501 (anything else gives the 400).
std::string_view canned_response(int status);

}  // namespace hs::http
