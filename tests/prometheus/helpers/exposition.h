// A strict reader of Prometheus text exposition format 0.0.4, so tests can
// assert on samples rather than on substrings.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hs::testing {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;
  Labels labels;  // values unescaped
  double value = 0;
};

struct Exposition {
  std::vector<Sample> samples;               // in order
  std::map<std::string, std::string> types;  // # TYPE: family -> counter, gauge, ...
  std::map<std::string, std::string> helps;  // # HELP: family -> text
};

// Throws std::runtime_error naming the line when the text is malformed.
Exposition parse_exposition(std::string_view text);

// Samples called `name` whose labels include every pair of `subset`.
std::vector<Sample> find_samples(const Exposition& e, std::string_view name,
                                 const Labels& subset = {});

// The value of the sample called `name` with exactly `labels`; nullopt when
// there is none. Throws std::runtime_error when there are several.
std::optional<double> sample_value(const Exposition& e, std::string_view name,
                                   const Labels& labels = {});

}  // namespace hs::testing
