// micro_bench: see bench/README.md for what each family measures.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
