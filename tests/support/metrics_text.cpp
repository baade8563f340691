#include "metrics_text.h"

#include <regex>
#include <sstream>

namespace hs::test {

std::string sample_value(const std::string& text, const std::string& name,
                         const std::string& label) {
  std::istringstream in(text);
  const std::string prefix = name + "{";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto close = line.find("} ");
    if (close == std::string::npos || line.find(label) > close) continue;
    return line.substr(close + 2);
  }
  return "missing";
}

double unlabelled_value(const std::string& text, const std::string& name) {
  const std::string prefix = name + " ";
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) return std::stod(line.substr(prefix.size()));
  return -1;
}

std::map<int, std::uint64_t> requests_by_status(const std::string& text, pid_t pid) {
  return requests_by_status(text, "process_pid=\"" + std::to_string(pid) + "\"");
}

std::map<int, std::uint64_t> requests_by_status(const std::string& text, const std::string& label) {
  // Label values may hold braces (url_template="/users/{id}"): the labels
  // end at the last "} ".
  static const std::regex series(R"(^http_server_requests_total\{(.*)\} (\d+)$)");
  static const std::regex status(R"re(http_response_status_code="(\d+)")re");
  std::map<int, std::uint64_t> out;
  std::istringstream in(text);
  std::smatch m, s;
  for (std::string line; std::getline(in, line);) {
    if (!std::regex_search(line, m, series)) continue;
    const std::string labels = m[1];
    if (labels.find(label) == std::string::npos) continue;
    if (std::regex_search(labels, s, status)) out[std::stoi(s[1])] += std::stoull(m[2]);
  }
  return out;
}

}  // namespace hs::test
