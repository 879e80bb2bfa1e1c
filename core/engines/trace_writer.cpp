#include "core/engines/trace_writer.hpp"

#include <cinttypes>

namespace hartbox {
namespace {

constexpr const char* kIntNames[32] = {"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
                                       "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
                                       "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
constexpr const char* kFpNames[32] = {"ft0", "ft1", "ft2",  "ft3",  "ft4", "ft5", "ft6",  "ft7",
                                      "fs0", "fs1", "fa0",  "fa1",  "fa2", "fa3", "fa4",  "fa5",
                                      "fa6", "fa7", "fs2",  "fs3",  "fs4", "fs5", "fs6",  "fs7",
                                      "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};
constexpr char kPrivLetter[4] = {'U', 'S', '?', 'M'};

}  // namespace

Destination destination_of(isa::Op op) {
  using isa::InsnClass;
  using isa::Op;
  switch (op) {
    case Op::FEQ_S: case Op::FLT_S: case Op::FLE_S: case Op::FCLASS_S:
    case Op::FEQ_D: case Op::FLT_D: case Op::FLE_D: case Op::FCLASS_D:
    case Op::FCVT_W_S: case Op::FCVT_WU_S: case Op::FCVT_L_S: case Op::FCVT_LU_S:
    case Op::FCVT_W_D: case Op::FCVT_WU_D: case Op::FCVT_L_D: case Op::FCVT_LU_D:
    case Op::FMV_X_W: case Op::FMV_X_D:
      return Destination::Integer;
    default: break;
  }
  switch (isa::op_info(op).cls) {
    case InsnClass::Alu: case InsnClass::MulDiv: case InsnClass::Load: case InsnClass::Jump:
    case InsnClass::Atomic: case InsnClass::Csr:
      return Destination::Integer;
    case InsnClass::Fp: case InsnClass::FpLoad:
      return Destination::Float;
    default:
      return Destination::None;
  }
}

bool TraceWriter::wanted(const Hart& hart, uint64_t pc) const {
  return lines_ < filter_.max_instructions && pc >= filter_.low && pc < filter_.high &&
         ((filter_.privilege_mask >> static_cast<unsigned>(hart.priv)) & 1);
}

void TraceWriter::note_privilege(const Hart& hart) {
  const auto now = static_cast<unsigned>(hart.priv);
  if (now == last_priv_) return;
  if (!filter_.traps_only && lines_ < filter_.max_instructions)
    std::fprintf(out_, "%" PRIu64 " >>> privilege: %c-mode -> %c-mode\n", hart.hart_id(), kPrivLetter[last_priv_],
                 kPrivLetter[now]);
  last_priv_ = now;
}

void TraceWriter::mmio(const Hart& hart, uint64_t paddr, unsigned size, uint64_t value, bool write) {
  if (filter_.traps_only || !wanted(hart, hart.pc)) return;
  std::fprintf(out_, "%" PRIu64 " --- mmio %s %u bytes at 0x%" PRIx64 ": 0x%" PRIx64 "\n", hart.hart_id(),
               write ? "write" : "read", size, paddr, value);
}

void TraceWriter::retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) {
  if (filter_.traps_only || !wanted(hart, pc)) {
    note_privilege(hart);
    return;
  }
  ++lines_;
  const std::string text = disassembler_.text(insn.raw, pc);
  std::fprintf(out_, "%" PRIu64 " %c 0x%016" PRIx64 " (0x%0*" PRIx32 ") %-32s", hart.hart_id(),
               kPrivLetter[static_cast<unsigned>(hart.priv)], pc, insn.len * 2, insn.raw, text.c_str());
  switch (destination_of(insn.op)) {
    case Destination::Integer:
      if (insn.rd != 0) std::fprintf(out_, " %s=0x%016" PRIx64, kIntNames[insn.rd], hart.x[insn.rd]);
      break;
    case Destination::Float: std::fprintf(out_, " %s=0x%016" PRIx64, kFpNames[insn.rd], hart.f[insn.rd]); break;
    case Destination::None: break;
  }
  std::fputc('\n', out_);
  note_privilege(hart);
}

void TraceWriter::trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) {
  if (lines_ >= filter_.max_instructions || pc < filter_.low || pc >= filter_.high) {
    last_priv_ = static_cast<unsigned>(hart.priv);
    return;
  }
  if (filter_.traps_only) ++lines_;
  const bool interrupt = (cause & kInterruptBit) != 0;
  const uint64_t code = cause & ~kInterruptBit;
  const std::string_view what = interrupt ? interrupt_name(code) : exception_name(code);
  std::fprintf(out_, "%" PRIu64 " %c 0x%016" PRIx64 " >>> %s %.*s (cause %" PRIu64 "), tval 0x%" PRIx64
               ", now %c-mode at 0x%016" PRIx64 "\n",
               hart.hart_id(), kPrivLetter[last_priv_], pc, interrupt ? "interrupt:" : "trap:",
               static_cast<int>(what.size()), what.data(), code, tval, kPrivLetter[static_cast<unsigned>(hart.priv)],
               hart.pc);
  last_priv_ = static_cast<unsigned>(hart.priv);
}

}  // namespace hartbox
