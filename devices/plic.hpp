// The SiFive PLIC (platform-level interrupt controller) as QEMU's `virt` board builds it
// (hw/intc/sifive_plic.c, include/hw/riscv/virt.h): 96 sources counting the reserved source 0,
// 7 priority levels, and two contexts per hart in the "MS" layout: context 2i is hart i's
// M-mode context (drives its MEIP), context 2i+1 its S-mode context (drives SEIP).
//
// Register map (RISC-V PLIC spec 1.0.0, chapter 3, with virt's bases):
//   0x000000 + 4*source            priority of `source` (WARL, 3 bits; source 0 reads zero)
//   0x001000 + 4*word               pending bits, read-only
//   0x002000 + 0x80*context + 4*w   enable bits of `context`
//   0x200000 + 0x1000*context       priority threshold of `context` (WARL, 3 bits)
//   0x200004 + 0x1000*context       claim (read) / complete (write)
//
// Gateways behave as QEMU's, not as the PLIC spec's "Interrupt Gateways": every time a device
// drives its line (IrqLine::set), the pending bit takes that level, claimed or not; a claim
// clears the pending bit and holds the source until the claiming context completes it, and
// completion does not sample the line again. A line that stays high after completion is
// therefore not pending again until its device drives it again, which QEMU's devices (and
// ours, see uart16550 and virtio/mmio_transport) do at each new interrupt event. Guests written
// against QEMU rely on it: xv6-riscv before 2022 never acknowledges the 16550's THR-empty
// interrupt, and a spec gateway re-delivers it forever (an interrupt storm; one hart never
// gets past its scheduler).
//
// Ownership and threads: a Plic belongs to one machine and holds pointers to that machine's
// harts, which must outlive it. Every entry point takes an internal lock, so devices may raise
// lines from any thread (an I/O thread, say) while a hart thread accesses the registers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "core/bus.hpp"
#include "core/hart.hpp"
#include "devices/irq.hpp"

namespace hartbox {

class Plic final : public Device, public InterruptController {
 public:
  static constexpr unsigned kNumSources = 96;   // VIRT_IRQCHIP_NUM_SOURCES, source 0 included
  static constexpr uint32_t kMaxPriority = 7;   // (1 << VIRT_IRQCHIP_NUM_PRIO_BITS) - 1
  static constexpr uint64_t kPriorityBase = 0x000000;
  static constexpr uint64_t kPendingBase = 0x001000;
  static constexpr uint64_t kEnableBase = 0x002000;
  static constexpr uint64_t kEnableStride = 0x80;
  static constexpr uint64_t kContextBase = 0x200000;
  static constexpr uint64_t kContextStride = 0x1000;
  // The window virt's memory map and device tree give the PLIC (room for 512 harts).
  static constexpr uint64_t kVirtWindowSize = 0x600000;

  // The registers of `harts` harts (QEMU's VIRT_PLIC_SIZE(2 * harts)). Attaching this size
  // makes accesses beyond the last context fault, as in QEMU; attaching kVirtWindowSize makes
  // them read as zero. Both are safe.
  static constexpr uint64_t window_size(size_t harts) { return kContextBase + kContextStride * 2 * harts; }

  // Hart i of `harts` gets contexts 2i and 2i+1. Throws std::invalid_argument if `harts` is
  // empty, holds a null pointer, or has more harts than the window can address.
  explicit Plic(std::vector<Hart*> harts);

  std::string_view name() const override { return "plic"; }
  // Only naturally aligned 32-bit accesses are valid, as in QEMU (valid.min/max_access_size 4):
  // any other size or alignment is an access fault. Unimplemented offsets read 0, ignore writes.
  bool read(uint64_t offset, unsigned size, uint64_t& value) override;
  bool write(uint64_t offset, unsigned size, uint64_t value) override;

  // Sets the level of `source` (1..95). Source 0 and out-of-range sources are ignored.
  void set_irq(unsigned source, bool level) override;

  // Back to the power-on state (everything zero) and every MEIP/SEIP lowered.
  void reset();

  size_t contexts() const { return threshold_.size(); }

  // Snapshots: priorities, levels, pending and claimed sources, enables and thresholds. load()
  // drives every hart's MEIP/SEIP from the loaded state; the levels saved here are what the
  // devices' lines were, so devices do not drive their lines again when they load.
  void save(StateWriter& out) const;
  void load(StateReader& in);

 private:
  static constexpr unsigned kWords = (kNumSources + 31) / 32;
  static constexpr uint32_t kNotClaimed = UINT32_MAX;
  using Bits = std::array<uint32_t, kWords>;

  uint32_t read_register(uint64_t offset);
  void write_register(uint64_t offset, uint32_t value);
  // The highest-priority pending, enabled source above `context`'s threshold (ties: the lowest
  // id), or 0.
  uint32_t best_source(size_t context) const;
  // Recomputes every context's output and drives the harts' MEIP/SEIP.
  void update();

  mutable std::mutex mutex_;
  std::vector<Hart*> harts_;
  std::array<uint32_t, kNumSources> priority_{};
  std::array<uint32_t, kNumSources> claimed_by_{};  // context, or kNotClaimed
  Bits level_{};                                    // the sources' input levels
  Bits pending_{};
  std::vector<Bits> enable_;                        // per context
  std::vector<uint32_t> threshold_;                 // per context
};

}  // namespace hartbox
