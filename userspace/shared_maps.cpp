#include "shared_maps.h"

#include <bpf/libbpf.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace hs {

void share_maps(bpf_object* obj, const bpf_object* shared, InternalMaps internal) {
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, obj) {
    const char* name = bpf_map__name(map);
    if (internal == InternalMaps::Own && std::strchr(name, '.')) continue;
    const bpf_map* from = bpf_object__find_map_by_name(shared, name);
    if (!from) continue;  // the object's own
    if (int err = bpf_map__reuse_fd(map, bpf_map__fd(from)); err)
      throw std::runtime_error(std::string("sharing map ") + name +
                               " failed: " + std::strerror(err < 0 ? -err : err));
  }
}

}  // namespace hs
