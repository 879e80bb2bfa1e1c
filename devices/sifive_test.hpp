// The SiFive test finisher of QEMU's `virt` board (hw/misc/sifive_test.c, at 0x100000; the
// device tree's "sifive,test1" / "syscon" node that syscon-poweroff and syscon-reboot use).
//
// A write to offset 0 whose low 16 bits are
//   0x5555 (FINISHER_PASS)   powers off with exit code 0,
//   0x3333 (FINISHER_FAIL)   powers off with exit code bits 31:16 of the value,
//   0x7777 (FINISHER_RESET)  resets the machine;
// any other value or offset is ignored. Reads return 0.
//
// A SifiveTest belongs to one machine; it does not own the PowerControl it reports to.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/bus.hpp"
#include "devices/power_control.hpp"

namespace hartbox {

class SifiveTest final : public Device {
 public:
  static constexpr uint64_t kSize = 0x1000;
  static constexpr uint32_t kFinisherFail = 0x3333;
  static constexpr uint32_t kFinisherPass = 0x5555;
  static constexpr uint32_t kFinisherReset = 0x7777;

  explicit SifiveTest(PowerControl& power) : power_(power) {}

  std::string_view name() const override { return "sifive_test"; }
  // 16- and 32-bit naturally aligned accesses, as QEMU (valid.min_access_size 2,
  // max_access_size 4); 8- and 64-bit or misaligned accesses fault.
  bool read(uint64_t offset, unsigned size, uint64_t& value) override;
  bool write(uint64_t offset, unsigned size, uint64_t value) override;

 private:
  PowerControl& power_;
};

}  // namespace hartbox
