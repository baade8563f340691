// Container names outside Kubernetes, from the files container runtimes keep
// on the host, without asking a daemon over its socket.
#pragma once

#include <string>
#include <string_view>

namespace hs {

// Docker's name for container `id` ("web" for `docker run --name web`):
// "Name" in <docker_dir>/containers/<id>/config.v2.json, without Docker's
// leading '/'. "" when the file is missing, too big, not that JSON, or the
// name is not one Docker would accept.
std::string docker_container_name(const std::string& docker_dir, std::string_view id);

// nerdctl's name for a containerd container: the "nerdctl/name" annotation
// in the OCI spec containerd keeps for each running task, at
// <containerd_dir>/io.containerd.runtime.v2.task/<namespace>/<id>/config.json.
// "" as above (plain `ctr` containers have no name).
std::string containerd_container_name(const std::string& containerd_dir, std::string_view id);

// Docker's rule for container names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, here also
// at most 253 bytes.
bool is_runtime_container_name(std::string_view name);

}  // namespace hs
