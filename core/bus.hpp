// The physical address space seen by the harts: guest RAM plus memory-mapped devices.
//
// A Device answers sized reads and writes at an offset into its window (Spike's and
// Firecracker's model). The Bus maps address ranges to devices; RAM is reached directly. A
// device may also overlay part of RAM (HTIF's tohost word lives in RAM on Spike): a RAM page
// holding such an overlay is never handed to a hart's TLB as a host pointer, so every access to
// it reaches the Bus.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/guest_ram.hpp"

namespace hartbox {

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string_view name() const = 0;
  // `size` is 1, 2, 4 or 8 and `offset` is relative to the device's base. Returning false
  // makes the access fault (load/store access fault in the hart).
  virtual bool read(uint64_t offset, unsigned size, uint64_t& value) = 0;
  virtual bool write(uint64_t offset, unsigned size, uint64_t value) = 0;
};

class Bus {
 public:
  explicit Bus(GuestRam& ram) : ram_(ram) {}

  // The device's window [base, base + size) must not overlap another device's.
  void attach(uint64_t base, uint64_t size, Device& device);
  // Whether [base, base + size) overlaps a device already attached (attach would throw).
  bool overlaps(uint64_t base, uint64_t size) const;

  GuestRam& ram() { return ram_; }

  // True if the page holding `paddr` is plain RAM that a TLB may map to a host pointer.
  bool is_plain_ram_page(uint64_t paddr) const;

  // Physical accesses for the slow path (MMIO, page walks, devices' DMA). A naturally aligned
  // access of `size` bytes; false if nothing answers there.
  bool read(uint64_t paddr, unsigned size, uint64_t& value);
  bool write(uint64_t paddr, unsigned size, uint64_t value);

  struct Mapping {
    uint64_t base;
    uint64_t size;
    Device* device;
  };
  const std::vector<Mapping>& mappings() const { return mappings_; }

 private:
  const Mapping* find(uint64_t paddr) const;

  GuestRam& ram_;
  std::vector<Mapping> mappings_;  // sorted by base
};

}  // namespace hartbox
