// The plugin's /control: the Scope app asks to pause or resume a process.
#pragma once

#include <string>
#include <string_view>

#include "report.h"
#include "scope_plugin.h"

namespace hs::scope {

// Handles one POST /control body ({"AppID", "NodeID", "Control",
// "ControlArgs"}) and returns the reply body: {"shortcutReport": <report>}
// after a successful control (the report rendered from a snapshot taken
// after it, for `probe_id` as render_report() takes it, so the UI shows the
// new state and the other control at once), or {"error": "..."} for bad
// JSON, an unknown control, a node that is not a process on this host, or a
// pid that `control` does not know.
std::string handle_control(std::string_view body, const ReportOptions& options,
                           std::string_view probe_id, const ControlFn& control,
                           const SnapshotFn& snapshots);

}  // namespace hs::scope
