#include "core/isa/decoder.hpp"

#include <array>

namespace hartbox::isa {
namespace {

constexpr std::array<OpInfo, kOpCount> kOpTable = {{
    {"illegal", 0, 0, ImmFormat::None, InsnClass::Illegal},
#define HB_OP(name, match, mask, fmt, cls) {#name, match, mask, ImmFormat::fmt, InsnClass::cls},
#include "core/isa/opcodes.def"
#undef HB_OP
}};

// Candidates per major opcode (bits 6:2), so a decode scans a handful of entries rather than
// the whole table. Built at compile time from kOpTable.
struct MajorIndex {
  std::array<std::array<uint8_t, 64>, 32> ops{};
  std::array<uint8_t, 32> count{};
};

constexpr MajorIndex build_major_index() {
  MajorIndex index;
  for (unsigned i = 1; i < kOpCount; ++i) {
    unsigned major = (kOpTable[i].match >> 2) & 31;
    index.ops[major][index.count[major]++] = static_cast<uint8_t>(i);
  }
  return index;
}
constexpr MajorIndex kMajorIndex = build_major_index();
static_assert(kOpCount < 256);

constexpr int64_t sext(uint64_t value, unsigned bits) {
  unsigned shift = 64 - bits;
  return static_cast<int64_t>(value << shift) >> shift;
}
constexpr uint32_t bits(uint32_t w, unsigned hi, unsigned lo) { return (w >> lo) & ((1u << (hi - lo + 1)) - 1); }

int64_t immediate(uint32_t w, ImmFormat format) {
  switch (format) {
    case ImmFormat::None: return 0;
    case ImmFormat::I: return sext(w >> 20, 12);
    case ImmFormat::S: return sext((bits(w, 31, 25) << 5) | bits(w, 11, 7), 12);
    case ImmFormat::B:
      return sext((bits(w, 31, 31) << 12) | (bits(w, 7, 7) << 11) | (bits(w, 30, 25) << 5) | (bits(w, 11, 8) << 1), 13);
    case ImmFormat::U: return sext(w & 0xfffff000u, 32);
    case ImmFormat::J:
      return sext((bits(w, 31, 31) << 20) | (bits(w, 19, 12) << 12) | (bits(w, 20, 20) << 11) | (bits(w, 30, 21) << 1), 21);
    case ImmFormat::Shamt: return bits(w, 25, 20);
    case ImmFormat::Csr: return bits(w, 31, 20);
  }
  return 0;
}

// --- RVC expansion (ISA manual, "C" Standard Extension, RVC instruction set listings) ---

constexpr uint32_t r_type(uint32_t funct7, uint32_t rs2, uint32_t rs1, uint32_t funct3, uint32_t rd, uint32_t opcode) {
  return (funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode;
}
constexpr uint32_t i_type(int32_t imm, uint32_t rs1, uint32_t funct3, uint32_t rd, uint32_t opcode) {
  return (static_cast<uint32_t>(imm & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode;
}
constexpr uint32_t s_type(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t funct3, uint32_t opcode) {
  uint32_t u = static_cast<uint32_t>(imm);
  return (bits(u, 11, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (bits(u, 4, 0) << 7) | opcode;
}
constexpr uint32_t b_type(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t funct3) {
  uint32_t u = static_cast<uint32_t>(imm);
  return (bits(u, 12, 12) << 31) | (bits(u, 10, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) |
         (bits(u, 4, 1) << 8) | (bits(u, 11, 11) << 7) | 0x63;
}
constexpr uint32_t j_type(int32_t imm, uint32_t rd) {
  uint32_t u = static_cast<uint32_t>(imm);
  return (bits(u, 20, 20) << 31) | (bits(u, 10, 1) << 21) | (bits(u, 11, 11) << 20) | (bits(u, 19, 12) << 12) |
         (rd << 7) | 0x6f;
}
constexpr uint32_t u_type(int32_t imm, uint32_t rd, uint32_t opcode) {
  return (static_cast<uint32_t>(imm) & 0xfffff000u) | (rd << 7) | opcode;
}

}  // namespace

const OpInfo& op_info(Op op) { return kOpTable[static_cast<unsigned>(op)]; }

std::string_view class_name(InsnClass cls) {
  static constexpr std::string_view kNames[] = {"illegal", "alu",    "muldiv", "load",     "store", "branch", "jump",
                                                "atomic",  "fp",     "fp-load", "fp-store", "csr",  "system"};
  return kNames[static_cast<unsigned>(cls)];
}

uint32_t expand_compressed(uint16_t c16) {
  const uint32_t c = c16;
  const uint32_t rd = bits(c, 11, 7), rs2 = bits(c, 6, 2);
  const uint32_t rdp = 8 + bits(c, 4, 2), rs1p = 8 + bits(c, 9, 7);  // x8..x15 ("prime" registers)
  const auto imm6 = static_cast<int32_t>(sext((bits(c, 12, 12) << 5) | bits(c, 6, 2), 6));
  const uint32_t shamt = (bits(c, 12, 12) << 5) | bits(c, 6, 2);
  switch ((bits(c, 1, 0) << 3) | bits(c, 15, 13)) {
    // Quadrant 0
    case 0b00'000: {  // c.addi4spn
      uint32_t nzuimm = (bits(c, 10, 7) << 6) | (bits(c, 12, 11) << 4) | (bits(c, 5, 5) << 3) | (bits(c, 6, 6) << 2);
      if (nzuimm == 0) return 0;  // includes the all-zero illegal instruction
      return i_type(static_cast<int32_t>(nzuimm), 2, 0, rdp, 0x13);
    }
    case 0b00'001: {  // c.fld
      uint32_t off = (bits(c, 6, 5) << 6) | (bits(c, 12, 10) << 3);
      return i_type(static_cast<int32_t>(off), rs1p, 3, rdp, 0x07);
    }
    case 0b00'010: {  // c.lw
      uint32_t off = (bits(c, 5, 5) << 6) | (bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2);
      return i_type(static_cast<int32_t>(off), rs1p, 2, rdp, 0x03);
    }
    case 0b00'011: {  // c.ld
      uint32_t off = (bits(c, 6, 5) << 6) | (bits(c, 12, 10) << 3);
      return i_type(static_cast<int32_t>(off), rs1p, 3, rdp, 0x03);
    }
    case 0b00'101: {  // c.fsd
      uint32_t off = (bits(c, 6, 5) << 6) | (bits(c, 12, 10) << 3);
      return s_type(static_cast<int32_t>(off), rdp, rs1p, 3, 0x27);
    }
    case 0b00'110: {  // c.sw
      uint32_t off = (bits(c, 5, 5) << 6) | (bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2);
      return s_type(static_cast<int32_t>(off), rdp, rs1p, 2, 0x23);
    }
    case 0b00'111: {  // c.sd
      uint32_t off = (bits(c, 6, 5) << 6) | (bits(c, 12, 10) << 3);
      return s_type(static_cast<int32_t>(off), rdp, rs1p, 3, 0x23);
    }
    // Quadrant 1
    case 0b01'000:  // c.addi (c.nop when rd = 0; hints when imm = 0 are legal)
      return i_type(imm6, rd, 0, rd, 0x13);
    case 0b01'001:  // c.addiw (rd = 0 reserved)
      if (rd == 0) return 0;
      return i_type(imm6, rd, 0, rd, 0x1b);
    case 0b01'010:  // c.li
      return i_type(imm6, 0, 0, rd, 0x13);
    case 0b01'011:
      if (rd == 2) {  // c.addi16sp
        auto imm = static_cast<int32_t>(sext((bits(c, 12, 12) << 9) | (bits(c, 4, 3) << 7) | (bits(c, 5, 5) << 6) |
                                                 (bits(c, 2, 2) << 5) | (bits(c, 6, 6) << 4),
                                             10));
        if (imm == 0) return 0;
        return i_type(imm, 2, 0, 2, 0x13);
      }
      // c.lui (imm = 0 reserved)
      if (imm6 == 0) return 0;
      return u_type(imm6 << 12, rd, 0x37);
    case 0b01'100:
      switch (bits(c, 11, 10)) {
        case 0: return i_type(static_cast<int32_t>(shamt), rs1p, 5, rs1p, 0x13);               // c.srli
        case 1: return i_type(static_cast<int32_t>(shamt | 0x400), rs1p, 5, rs1p, 0x13);       // c.srai
        case 2: return i_type(imm6, rs1p, 7, rs1p, 0x13);                                      // c.andi
        default: {
          uint32_t rs2p = rdp;
          switch ((bits(c, 12, 12) << 2) | bits(c, 6, 5)) {
            case 0: return r_type(0x20, rs2p, rs1p, 0, rs1p, 0x33);  // c.sub
            case 1: return r_type(0, rs2p, rs1p, 4, rs1p, 0x33);     // c.xor
            case 2: return r_type(0, rs2p, rs1p, 6, rs1p, 0x33);     // c.or
            case 3: return r_type(0, rs2p, rs1p, 7, rs1p, 0x33);     // c.and
            case 4: return r_type(0x20, rs2p, rs1p, 0, rs1p, 0x3b);  // c.subw
            case 5: return r_type(0, rs2p, rs1p, 0, rs1p, 0x3b);     // c.addw
            default: return 0;                                       // reserved
          }
        }
      }
    case 0b01'101: {  // c.j
      auto imm = static_cast<int32_t>(sext((bits(c, 12, 12) << 11) | (bits(c, 8, 8) << 10) | (bits(c, 10, 9) << 8) |
                                               (bits(c, 6, 6) << 7) | (bits(c, 7, 7) << 6) | (bits(c, 2, 2) << 5) |
                                               (bits(c, 11, 11) << 4) | (bits(c, 5, 3) << 1),
                                           12));
      return j_type(imm, 0);
    }
    case 0b01'110:
    case 0b01'111: {  // c.beqz, c.bnez
      auto imm = static_cast<int32_t>(sext((bits(c, 12, 12) << 8) | (bits(c, 6, 5) << 6) | (bits(c, 2, 2) << 5) |
                                               (bits(c, 11, 10) << 3) | (bits(c, 4, 3) << 1),
                                           9));
      return b_type(imm, 0, rs1p, bits(c, 13, 13));
    }
    // Quadrant 2
    case 0b10'000:  // c.slli
      return i_type(static_cast<int32_t>(shamt), rd, 1, rd, 0x13);
    case 0b10'001: {  // c.fldsp
      uint32_t off = (bits(c, 4, 2) << 6) | (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3);
      return i_type(static_cast<int32_t>(off), 2, 3, rd, 0x07);
    }
    case 0b10'010: {  // c.lwsp (rd = 0 reserved)
      if (rd == 0) return 0;
      uint32_t off = (bits(c, 3, 2) << 6) | (bits(c, 12, 12) << 5) | (bits(c, 6, 4) << 2);
      return i_type(static_cast<int32_t>(off), 2, 2, rd, 0x03);
    }
    case 0b10'011: {  // c.ldsp (rd = 0 reserved)
      if (rd == 0) return 0;
      uint32_t off = (bits(c, 4, 2) << 6) | (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3);
      return i_type(static_cast<int32_t>(off), 2, 3, rd, 0x03);
    }
    case 0b10'100:
      if (bits(c, 12, 12) == 0) {
        if (rs2 == 0) {  // c.jr (rs1 = 0 reserved)
          if (rd == 0) return 0;
          return i_type(0, rd, 0, 0, 0x67);
        }
        return r_type(0, rs2, 0, 0, rd, 0x33);  // c.mv
      }
      if (rs2 == 0) {
        if (rd == 0) return 0x00100073;          // c.ebreak
        return i_type(0, rd, 0, 1, 0x67);        // c.jalr
      }
      return r_type(0, rs2, rd, 0, rd, 0x33);    // c.add
    case 0b10'101: {  // c.fsdsp
      uint32_t off = (bits(c, 9, 7) << 6) | (bits(c, 12, 10) << 3);
      return s_type(static_cast<int32_t>(off), rs2, 2, 3, 0x27);
    }
    case 0b10'110: {  // c.swsp
      uint32_t off = (bits(c, 8, 7) << 6) | (bits(c, 12, 9) << 2);
      return s_type(static_cast<int32_t>(off), rs2, 2, 2, 0x23);
    }
    case 0b10'111: {  // c.sdsp
      uint32_t off = (bits(c, 9, 7) << 6) | (bits(c, 12, 10) << 3);
      return s_type(static_cast<int32_t>(off), rs2, 2, 3, 0x23);
    }
    default: return 0;  // c.flw/c.fsw family are RV32-only; the rest is reserved
  }
}

DecodedInsn decode(uint32_t raw) {
  DecodedInsn d;
  uint32_t w = raw;
  if (insn_length(raw) == 2) {
    d.len = 2;
    d.raw = raw & 0xffff;
    w = expand_compressed(static_cast<uint16_t>(raw));
    if (w == 0) return d;
  } else {
    d.raw = raw;
  }
  const unsigned major = (w >> 2) & 31;
  for (unsigned i = 0; i < kMajorIndex.count[major]; ++i) {
    const OpInfo& info = kOpTable[kMajorIndex.ops[major][i]];
    if ((w & info.mask) == info.match) {
      d.op = static_cast<Op>(kMajorIndex.ops[major][i]);
      d.rd = static_cast<uint8_t>(bits(w, 11, 7));
      d.rs1 = static_cast<uint8_t>(bits(w, 19, 15));
      d.rs2 = static_cast<uint8_t>(bits(w, 24, 20));
      d.rs3 = static_cast<uint8_t>(bits(w, 31, 27));
      d.rm = static_cast<uint8_t>(bits(w, 14, 12));
      d.imm = immediate(w, info.format);
      return d;
    }
  }
  return d;
}

}  // namespace hartbox::isa
