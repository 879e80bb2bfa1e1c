// Micro-benchmarks of the engines. Figures are instructions per second (items_per_second);
// compare engines and builds within one run, as ratios of medians:
//   build/release/bench/hartbox_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <array>

#include "core/bus.hpp"
#include "core/engines/engine.hpp"
#include "core/guest_ram.hpp"
#include "core/hart.hpp"
#include "core/isa/decoder.hpp"

namespace {

using namespace hartbox;

constexpr uint64_t kRamBase = 0x8000'0000;

// An integer loop: add, xor, a load and a taken branch (the bodies every engine runs most).
constexpr std::array<uint32_t, 4> kLoop = {
    0x00128293,  // addi t0, t0, 1
    0x00534333,  // xor  t1, t1, t0
    0x00013e03,  // ld   t3, 0(sp)
    0xfe729ae3,  // bne  t0, t2, loop
};

void BM_EngineIntegerLoop(benchmark::State& state, const char* engine_name) {
  GuestRam ram(kRamBase, 1 << 20);
  Bus bus(ram);
  Hart hart(bus, 0);
  ram.write(kRamBase, kLoop.data(), sizeof kLoop);
  auto engine = make_engine(engine_name);
  hart.reset(kRamBase);
  hart.x[2] = kRamBase + 0x1000;  // sp
  hart.x[7] = ~uint64_t{0};       // t2: the loop never ends on its own
  constexpr uint64_t kSlice = 1 << 16;
  uint64_t total = 0;
  for (auto _ : state) total += engine->run(hart, kSlice).steps;
  state.SetItemsProcessed(static_cast<int64_t>(total));
}
BENCHMARK_CAPTURE(BM_EngineIntegerLoop, interp, "interp");
BENCHMARK_CAPTURE(BM_EngineIntegerLoop, threaded, "threaded");
BENCHMARK_CAPTURE(BM_EngineIntegerLoop, block, "block");

// Decoding alone: the cost an engine that caches decoded code avoids.
void BM_Decode(benchmark::State& state) {
  constexpr std::array<uint32_t, 8> kWords = {0x00128293, 0x00534333, 0x00013e03, 0xfe729ae3,
                                              0x0000a503, 0x4501,     0x8082,     0x02b50533};
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(isa::decode(kWords[i++ & 7]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decode);

}  // namespace
