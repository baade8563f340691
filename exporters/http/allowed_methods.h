// 405 Method Not Allowed, with the Allow header, for a path that exists but
// was asked with another method (httplib alone answers 404 to those).
#pragma once

#include <httplib.h>

#include <functional>
#include <map>
#include <string>

namespace hs::http {

// Path -> what it answers, as the Allow header lists it ("GET, HEAD").
using AllowedMethods = std::map<std::string, std::string, std::less<>>;

// A pre-routing handler: answers 405 for a listed path asked with a method
// its entry does not name, and leaves everything else to the routes.
httplib::Server::HandlerWithResponse refuse_other_methods(AllowedMethods allowed);

}  // namespace hs::http
