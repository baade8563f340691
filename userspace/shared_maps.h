// Objects loaded beside the first one use its maps, not maps of their own:
// one instance of each, whichever program writes or userspace reads it.
#pragma once

struct bpf_object;

namespace hs {

enum class InternalMaps { Own, Shared };

// Before `obj` is loaded: each of its maps that `shared` has too (same name)
// reuses that map. Internal maps (.bss, .rodata) only with Shared. Throws
// std::runtime_error if a map cannot be reused.
void share_maps(bpf_object* obj, const bpf_object* shared, InternalMaps internal);

}  // namespace hs
