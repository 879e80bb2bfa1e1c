// Loading guest programs into guest RAM: RV64 RISC-V ELF executables (through libelf) and raw
// binary images.
//
// The loader trusts nothing in the file: every offset, size and count is checked against the
// file and against RAM before anything is copied, and any problem is a LoadError whose message
// is one line, "<file>: <problem>". Nothing is written to RAM unless the whole file checks out.
//
// Free functions with no state of their own; safe to call from several threads at once for
// different machines.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/guest_ram.hpp"

namespace hartbox {

struct LoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ElfImage {
  uint64_t entry = 0;
  // Defined symbols of .symtab (objects, functions and untyped labels such as `tohost`,
  // `begin_signature`), name -> value. Where a name is defined more than once, a global
  // definition wins over local ones, and otherwise the first one in the table.
  std::map<std::string, uint64_t, std::less<>> symbols;
  // Physical addresses of the loaded segments: the first byte and the last byte (inclusive).
  uint64_t lowest_address = 0;
  uint64_t highest_address = 0;

  std::optional<uint64_t> symbol(std::string_view name) const;
};

// Loads the PT_LOAD segments of an RV64 little-endian RISC-V ELF at their physical addresses
// (p_paddr), zero-filling each segment's memory beyond its file bytes. ET_EXEC images are
// accepted, and so are ET_DYN ones (position-independent firmware such as OpenSBI's fw_*.elf):
// those are loaded at their link addresses and not relocated, so they must be linked inside RAM.
ElfImage load_elf(const std::string& path, GuestRam& ram);

// Copies a raw binary image to `address`; the whole image must fit in RAM.
void load_raw(const std::string& path, uint64_t address, GuestRam& ram);

}  // namespace hartbox
