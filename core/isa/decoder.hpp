// Instruction decoding: a raw instruction word becomes a DecodedInsn, driven entirely by the
// table in opcodes.def. Compressed (RVC) instructions are first expanded to the 32-bit
// instruction they stand for (ISA manual, "C" chapter, RVC expansion table), so every engine
// runs one set of instruction bodies.
#pragma once

#include <cstdint>
#include <string_view>

namespace hartbox::isa {

enum class Op : uint16_t {
  ILLEGAL = 0,
#define HB_OP(name, match, mask, fmt, cls) name,
#include "core/isa/opcodes.def"
#undef HB_OP
  COUNT
};
inline constexpr unsigned kOpCount = static_cast<unsigned>(Op::COUNT);

enum class ImmFormat : uint8_t { None, I, S, B, U, J, Shamt, Csr };

// What an instruction does, for statistics and traces.
enum class InsnClass : uint8_t {
  Illegal, Alu, MulDiv, Load, Store, Branch, Jump, Atomic, Fp, FpLoad, FpStore, Csr, System
};

struct OpInfo {
  std::string_view name;
  uint32_t match;
  uint32_t mask;
  ImmFormat format;
  InsnClass cls;
};

const OpInfo& op_info(Op op);
std::string_view class_name(InsnClass cls);

struct DecodedInsn {
  Op op = Op::ILLEGAL;
  uint8_t rd = 0, rs1 = 0, rs2 = 0, rs3 = 0;
  uint8_t rm = 0;   // funct3: the FP rounding mode field
  uint8_t len = 4;  // 2 for a compressed instruction
  int64_t imm = 0;  // sign-extended immediate, or the CSR number for Zicsr
  uint32_t raw = 0; // the instruction bits as fetched (16 or 32 bits), for mtval and traces
};

// Length in bytes of the instruction whose low 16 bits are `low_half` (RV64GC: 2 or 4).
constexpr unsigned insn_length(uint32_t low_half) { return (low_half & 3) == 3 ? 4 : 2; }

// 32-bit equivalent of a compressed instruction, or 0 if the encoding is illegal or reserved.
uint32_t expand_compressed(uint16_t c);

// Decodes a 32-bit or (low 16 bits, `insn_length` 2) compressed instruction.
DecodedInsn decode(uint32_t raw);

}  // namespace hartbox::isa
