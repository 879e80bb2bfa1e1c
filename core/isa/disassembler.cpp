#include "core/isa/disassembler.hpp"

#include <capstone/capstone.h>

#include "core/isa/decoder.hpp"

namespace hartbox::isa {

Disassembler::Disassembler() {
  csh handle = 0;
  const auto mode = static_cast<cs_mode>(CS_MODE_RISCV64 | CS_MODE_RISCVC);
  ok_ = cs_open(CS_ARCH_RISCV, mode, &handle) == CS_ERR_OK;
  handle_ = handle;
}

Disassembler::~Disassembler() {
  if (ok_) {
    csh handle = handle_;
    cs_close(&handle);
  }
}

std::string Disassembler::text(uint32_t raw, uint64_t pc) const {
  if (!ok_) return "?";
  const uint8_t bytes[4] = {static_cast<uint8_t>(raw), static_cast<uint8_t>(raw >> 8), static_cast<uint8_t>(raw >> 16),
                            static_cast<uint8_t>(raw >> 24)};
  cs_insn* insn = nullptr;
  const size_t count = cs_disasm(handle_, bytes, insn_length(raw), pc, 1, &insn);
  if (count == 0) return "unknown";
  std::string out = insn[0].mnemonic;
  if (insn[0].op_str[0] != '\0') {
    out += ' ';
    out += insn[0].op_str;
  }
  cs_free(insn, count);
  return out;
}

}  // namespace hartbox::isa
