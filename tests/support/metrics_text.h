// Reading numbers out of the Prometheus text the daemon serves.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

namespace hs::test {

// The value of the first sample of `name` whose labels contain `label`
// (e.g. cause="stats_full"), as written; "missing" when there is none.
std::string sample_value(const std::string& text, const std::string& name,
                         const std::string& label);

// The value of the sample of `name` without labels (a gauge such as
// http_statistics_processes_tracked); -1 when there is none.
double unlabelled_value(const std::string& text, const std::string& name);

// http_server_requests_total of one process, summed by status code.
std::map<int, std::uint64_t> requests_by_status(const std::string& text, pid_t pid);

// The same of the series with `label` (e.g. process_executable_name="nginx").
std::map<int, std::uint64_t> requests_by_status(const std::string& text, const std::string& label);

}  // namespace hs::test
