// QEMU's `virt` board, as Hartbox builds it: the memory map, the interrupt numbers, the devices
// and the device tree that describes exactly them. Real firmware and kernels built for QEMU's
// virt (OpenSBI, U-Boot, Linux, xv6) find everything where they expect it.
//
//   0x0000_1000  boot ROM: the fw_dynamic info block handed to firmware in a2
//   0x0010_0000  SiFive test/syscon: poweroff (0x5555), fail (code << 16 | 0x3333), reset (0x7777)
//   0x0010_1000  Goldfish RTC                         PLIC source 11
//   0x0200_0000  CLINT (ACLINT mswi + mtimer)         per-hart MSIP/MTIP
//   0x0c00_0000  PLIC, contexts 2h (M) and 2h+1 (S)   per-hart MEIP/SEIP
//   0x1000_0000  16550A UART                          PLIC source 10
//   0x1000_1000  virtio-mmio slot n at + 0x1000 * n   PLIC source 1 + n (n = 0..7)
//   0x8000_0000  RAM
//
// The board is owned by its Machine; everything here runs on the machine's thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bus.hpp"
#include "core/hart.hpp"
#include "devices/clint.hpp"
#include "devices/clock.hpp"
#include "devices/console.hpp"
#include "devices/goldfish_rtc.hpp"
#include "devices/plic.hpp"
#include "devices/power_control.hpp"
#include "devices/sifive_test.hpp"
#include "devices/uart16550.hpp"
#include "devices/virtio/mmio_transport.hpp"

namespace hartbox::virt {

inline constexpr uint64_t kBootRomBase = 0x0000'1000, kBootRomSize = 0x1000;
inline constexpr uint64_t kTestBase = 0x0010'0000, kTestSize = 0x1000;
inline constexpr uint64_t kRtcBase = 0x0010'1000;
inline constexpr uint64_t kClintBase = 0x0200'0000;
inline constexpr uint64_t kPlicBase = 0x0c00'0000;
inline constexpr uint64_t kUartBase = 0x1000'0000;
inline constexpr uint64_t kDramBase = 0x8000'0000;
inline constexpr unsigned kUartIrq = 10, kRtcIrq = 11;
inline constexpr unsigned kVirtioSlots = VirtioMmio::kVirtSlots;
inline constexpr uint32_t kUartClockHz = 3'686'400;

// A small read-only memory: the boot ROM, where the fw_dynamic info block lives.
class BootRom final : public Device {
 public:
  std::string_view name() const override { return "boot-rom"; }
  bool read(uint64_t offset, unsigned size, uint64_t& value) override;
  bool write(uint64_t, unsigned, uint64_t) override { return false; }
  void save(StateWriter& out) const;  // snapshots: the bytes
  void load(StateReader& in);
  std::array<uint8_t, kBootRomSize> bytes{};
};

struct BoardConfig {
  std::vector<Hart*> harts;
  uint64_t ram_size = 0;
  ConsoleSink* console = nullptr;          // the UART's output
  ConsoleSource* console_input = nullptr;  // the UART's input (may be null)
  // Devices for the virtio slots, in slot order; the remaining slots stay empty.
  std::vector<std::unique_ptr<VirtioDevice>> virtio_devices;
  VirtioMmio::Version virtio_version = VirtioMmio::Version::Modern;
  std::string isa_string = "rv64imafdc_zicsr_zifencei_zicntr_sstc";
  std::string mmu_type = "riscv,sv48";
  // The Goldfish RTC's time of day at power-on, in ns since the Unix epoch; unset: the host's
  // wall clock now (QEMU's -rtc base=utc). Set it for runs that must be reproducible.
  std::optional<uint64_t> rtc_base_ns;
};

class VirtBoard {
 public:
  // Builds the devices and maps them on `bus`.
  VirtBoard(Bus& bus, MachineClock& clock, PowerControl& power, BoardConfig config);
  VirtBoard(const VirtBoard&) = delete;
  VirtBoard& operator=(const VirtBoard&) = delete;

  // The flattened device tree describing this board, with the kernel command line and the
  // initrd range (if any) under /chosen.
  std::vector<uint8_t> device_tree(const std::string& bootargs, uint64_t initrd_start = 0,
                                   uint64_t initrd_end = 0) const;

  // Device work that does not come from a guest access: timer lines, console input, network
  // receive, RTC alarms. Called by the machine between slices.
  void poll();
  // A system reset (the test device's 0x7777): every device back to its power-on state, as
  // QEMU's qemu_system_reset() does before the harts start again. RAM and disks keep their data.
  void reset();
  // Earliest time (in the machine clock's ticks) at which a device will raise an interrupt by
  // itself or has work of its own (a disk request waiting for its bandwidth limit), or
  // UINT64_MAX.
  uint64_t next_deadline() const;
  // True if something outside the guest can still raise an interrupt (console input, network),
  // so a machine whose harts all wait is idle rather than dead.
  bool has_external_inputs() const;

  // Snapshots: the state of every device on the board (the boot ROM, CLINT, UART, RTC, the
  // virtio slots and, last, the PLIC, whose load() drives the harts' external lines). The
  // machine's clock and harts are saved by the machine. load() needs a board built with the
  // same devices in the same slots; it throws SnapshotError otherwise.
  void save(StateWriter& out) const;
  void load(StateReader& in);

  Clint& clint() { return *clint_; }
  Plic& plic() { return *plic_; }
  Uart16550& uart() { return *uart_; }
  BootRom& boot_rom() { return boot_rom_; }
  VirtioMmio& virtio_slot(unsigned slot) { return *virtio_[slot]; }
  const BoardConfig& config() const { return config_; }

 private:
  BoardConfig config_;
  MachineClock& clock_;
  BootRom boot_rom_;
  std::unique_ptr<VirtualWallClock> rtc_clock_;
  std::unique_ptr<Clint> clint_;
  std::unique_ptr<Plic> plic_;
  std::unique_ptr<Uart16550> uart_;
  std::unique_ptr<GoldfishRtc> rtc_;
  std::unique_ptr<SifiveTest> test_;
  std::vector<std::unique_ptr<VirtioMmio>> virtio_;
};

}  // namespace hartbox::virt
