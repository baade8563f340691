// Which Scope probe the plugin answers: the app routes a node's controls to
// the probe named in the node's latest.control_probe_id, and offers none
// without it (render/detailed/node.go, controlsFor). The probe sends its id
// as the probe_id query parameter of every /report and /control request.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace hs::scope {

// A probe's id is its random number in hex. Anything that could not be one
// (empty, longer than kMaxProbeIdLength, characters other than letters,
// digits, '-', '_' and '.') is treated as no id: it would be copied into
// every node of the report, and bytes that are not UTF-8 would break the
// JSON for the app.
inline constexpr std::size_t kMaxProbeIdLength = 64;
bool is_probe_id(std::string_view id);

// The probe id of the latest /report that carried one, for a /control that
// carries none. Thread-safe: the server answers on several threads.
class LastProbeId {
 public:
  // Keeps `id` if it is a probe id (is_probe_id), else keeps the last one.
  void seen(std::string_view id);
  // "" until a probe id was seen.
  std::string get() const;

 private:
  mutable std::mutex mu_;
  std::string id_;
};

}  // namespace hs::scope
