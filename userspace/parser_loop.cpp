#include "parser_loop.h"

#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace hs {

ParserLoop choose_parser_loop(bpf_prog_type type) {
  const char* forced = std::getenv("HS_BPF_LOOP");
  const std::string_view choice = forced ? forced : "auto";
  if (choice == "off") return ParserLoop::Steps;
  if (choice != "auto")
    throw std::invalid_argument("HS_BPF_LOOP must be auto or off, not \"" + std::string(choice) +
                                "\"");
  // 1: offered, 0: not; below zero the probe itself failed, and loading the
  // bpf_loop programs will say why.
  return libbpf_probe_bpf_helper(type, BPF_FUNC_loop, nullptr) == 0 ? ParserLoop::Steps
                                                                    : ParserLoop::BpfLoop;
}

std::string parser_program(const char* base, ParserLoop loop) {
  return loop == ParserLoop::Steps ? std::string(base) + "_steps" : std::string(base);
}

const char* describe(ParserLoop loop) {
  return loop == ParserLoop::Steps ? "steps through global functions (no bpf_loop)" : "bpf_loop";
}

}  // namespace hs
