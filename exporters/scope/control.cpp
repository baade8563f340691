#include "control.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <exception>
#include <optional>

namespace hs::scope {
namespace {

std::string error_reply(std::string_view message) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("error");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string_view member(const rapidjson::Value& object, const char* name) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

// "<hostname>;<pid>" with this host's name and a positive decimal pid.
std::optional<std::uint32_t> pid_of(std::string_view node_id, std::string_view hostname) {
  const auto semicolon = node_id.rfind(';');
  if (semicolon == std::string_view::npos || node_id.substr(0, semicolon) != hostname) {
    return std::nullopt;
  }
  const std::string_view digits = node_id.substr(semicolon + 1);
  std::uint32_t pid = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || pid == 0) {
    return std::nullopt;
  }
  return pid;
}

}  // namespace

std::string handle_control(std::string_view body, const ReportOptions& options,
                           std::string_view probe_id, const ControlFn& control,
                           const SnapshotFn& snapshots) {
  rapidjson::Document request;
  request.Parse(body.data(), body.size());
  if (request.HasParseError()) {
    return error_reply(std::string("control request is not JSON: ") +
                       rapidjson::GetParseError_En(request.GetParseError()));
  }
  if (!request.IsObject()) return error_reply("control request must be a JSON object");
  const std::string_view node_id = member(request, "NodeID");
  std::string_view control_id = member(request, "Control");
  if (node_id.empty() || control_id.empty()) {
    return error_reply("control request needs the strings NodeID and Control");
  }
  // The probe shows our controls to the app as "<plugin id>~<control>" and
  // strips that again on the way back; accept both spellings.
  const std::string prefix = options.plugin_id + "~";
  if (control_id.starts_with(prefix)) control_id.remove_prefix(prefix.size());

  bool pause = false;
  if (control_id == kPauseControl) {
    pause = true;
  } else if (control_id != kResumeControl) {
    return error_reply("unknown control \"" + std::string(control_id) + "\"");
  }
  const auto pid = pid_of(node_id, options.hostname);
  if (!pid) {
    return error_reply("node \"" + std::string(node_id) + "\" is not a process of host \"" +
                       options.hostname + "\"");
  }

  const std::string verb = pause ? "pause" : "resume";
  try {
    if (!control || !control(*pid, pause)) {
      return error_reply("cannot " + verb + " HTTP tracing of process " + std::to_string(*pid) +
                         ": unknown or exited process");
    }
    // The snapshot published after the change, so the UI shows the new state
    // (and the other control) at once instead of after the next polls.
    const std::shared_ptr<const Snapshot> after = snapshots ? snapshots() : nullptr;
    if (!after) return "{}";
    return R"({"shortcutReport":)" + render_report(*after, options, probe_id) + "}";
  } catch (const std::exception& e) {
    return error_reply("cannot " + verb + " HTTP tracing of process " + std::to_string(*pid) +
                       ": " + e.what());
  }
}

}  // namespace hs::scope
