#include "text_format.h"

#include <locale>
#include <sstream>

#include <prometheus/text_serializer.h>

namespace hs::prom {

std::string serialize_text(const std::vector<prometheus::MetricFamily>& families) {
  std::ostringstream out;
  // Numbers must not pick up a process-wide locale's separators.
  out.imbue(std::locale::classic());
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

}  // namespace hs::prom
