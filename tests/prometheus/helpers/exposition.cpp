#include "exposition.h"

#include <cstdlib>
#include <stdexcept>

namespace hs::testing {
namespace {

[[noreturn]] void malformed(std::string_view line, std::string_view why) {
  throw std::runtime_error("malformed exposition line (" + std::string(why) +
                           "): " + std::string(line));
}

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

std::string read_name(std::string_view line, std::size_t& i) {
  const std::size_t start = i;
  while (i < line.size() && name_char(line[i], i == start)) ++i;
  if (i == start) malformed(line, "expected a name");
  return std::string(line.substr(start, i - start));
}

// Reads `"value"` with \\, \" and \n escapes.
std::string read_quoted(std::string_view line, std::size_t& i) {
  if (i >= line.size() || line[i] != '"') malformed(line, "expected '\"'");
  std::string out;
  for (++i; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      ++i;
      return out;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= line.size()) break;
    switch (line[i]) {
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'n':
        out += '\n';
        break;
      default:
        malformed(line, "unknown escape");
    }
  }
  malformed(line, "unterminated label value");
}

Labels read_labels(std::string_view line, std::size_t& i) {
  Labels labels;
  if (i >= line.size() || line[i] != '{') return labels;
  ++i;
  while (i < line.size() && line[i] != '}') {
    std::string name = read_name(line, i);
    if (i >= line.size() || line[i] != '=') malformed(line, "expected '='");
    ++i;
    std::string value = read_quoted(line, i);
    if (!labels.emplace(std::move(name), std::move(value)).second)
      malformed(line, "repeated label");
    if (i < line.size() && line[i] == ',') ++i;
  }
  if (i >= line.size()) malformed(line, "unterminated label set");
  ++i;  // '}'
  return labels;
}

void read_comment(std::string_view line, Exposition& e) {
  const auto keyword = [&](std::string_view k) { return line.substr(0, k.size()) == k; };
  const bool type = keyword("# TYPE "), help = keyword("# HELP ");
  if (!type && !help) return;  // a plain comment
  std::size_t i = 7;
  const std::string name = read_name(line, i);
  if (i >= line.size() || line[i] != ' ') malformed(line, "expected text after the name");
  (type ? e.types : e.helps)[name] = std::string(line.substr(i + 1));
}

}  // namespace

Exposition parse_exposition(std::string_view text) {
  Exposition e;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    if (nl == std::string_view::npos) malformed(text, "missing final newline");
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      read_comment(line, e);
      continue;
    }
    Sample s;
    std::size_t i = 0;
    s.name = read_name(line, i);
    s.labels = read_labels(line, i);
    if (i >= line.size() || line[i] != ' ') malformed(line, "expected ' ' before the value");
    const std::string value(line.substr(i + 1));
    char* end = nullptr;
    s.value = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') malformed(line, "bad value (or a timestamp)");
    e.samples.push_back(std::move(s));
  }
  return e;
}

std::vector<Sample> find_samples(const Exposition& e, std::string_view name, const Labels& subset) {
  std::vector<Sample> out;
  for (const Sample& s : e.samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : subset) {
      const auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) match = false;
    }
    if (match) out.push_back(s);
  }
  return out;
}

std::optional<double> sample_value(const Exposition& e, std::string_view name,
                                   const Labels& labels) {
  std::optional<double> found;
  for (const Sample& s : e.samples) {
    if (s.name != name || s.labels != labels) continue;
    if (found) throw std::runtime_error("duplicate sample " + std::string(name));
    found = s.value;
  }
  return found;
}

}  // namespace hs::testing
