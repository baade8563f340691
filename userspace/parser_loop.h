// How the kernel's parser steps through a segment: bpf_loop (Linux 5.17+),
// or, where the kernel lacks it, the *_steps programs, which run the same
// steps through global functions (kernel/counting.bpf.h, STEPS). Chosen per
// program type when the engine loads, by asking the kernel, not by version.
#pragma once
#include <bpf/libbpf.h>

#include <string>

namespace hs {

enum class ParserLoop { BpfLoop, Steps };

// bpf_loop where `type` programs may call it, else Steps. HS_BPF_LOOP=off in
// the environment chooses Steps anywhere (to compare the two on one kernel);
// any value but "auto" or "off" throws std::invalid_argument.
ParserLoop choose_parser_loop(bpf_prog_type type);

// The program that drives the parser with `loop`: `base` or `base`_steps.
std::string parser_program(const char* base, ParserLoop loop);

// "bpf_loop", or what is used instead, for logs and `check`.
const char* describe(ParserLoop loop);

}  // namespace hs
