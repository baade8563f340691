#include "url_templates.h"

#include <linux/types.h>

#include "url_template.h"

namespace hs {

std::string url_template_text(const http_url_tmpl& t) {
  char text[3 * HTTP_TMPL_PATH];  // room for every byte as "{id}" and "/**"
  const __u32 n = http_tmpl_text(&t, text, sizeof(text));
  return std::string(text, n < sizeof(text) ? n : sizeof(text) - 1);
}

}  // namespace hs
