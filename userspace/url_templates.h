// URL templates on the userspace side: the daemon's settings for them, and
// the text of a template the kernel counts under (its rules: docs/design.md).
#pragma once

#include <cstdint>
#include <string>

struct http_url_tmpl;  // kernel/url_template.h

namespace hs {

struct UrlTemplateOptions {
  bool on = true;                      // --url-templates
  std::uint32_t max_per_process = 64;  // --max-url-templates: then _OTHER
};

// Label values: what a series counts under.
inline constexpr const char* kOtherTemplate = "_OTHER";  // past a process's bound

// The text of a template as the kernel keeps it.
std::string url_template_text(const http_url_tmpl& t);

}  // namespace hs
