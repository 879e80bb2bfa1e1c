// CSR numbers and field layouts (privileged spec v1.12, tables 2.2-2.6 and chapter 3-4;
// unprivileged spec "Zicsr", "Zicntr"). Names follow the manual.
#pragma once

#include <cstdint>

namespace hartbox::csr {

enum : uint16_t {
  // Unprivileged floating point and counters
  fflags = 0x001, frm = 0x002, fcsr = 0x003,
  cycle = 0xc00, time = 0xc01, instret = 0xc02, hpmcounter3 = 0xc03, hpmcounter31 = 0xc1f,
  // Supervisor
  sstatus = 0x100, sie = 0x104, stvec = 0x105, scounteren = 0x106, senvcfg = 0x10a,
  sscratch = 0x140, sepc = 0x141, scause = 0x142, stval = 0x143, sip = 0x144, stimecmp = 0x14d,
  satp = 0x180,
  // Machine
  mvendorid = 0xf11, marchid = 0xf12, mimpid = 0xf13, mhartid = 0xf14, mconfigptr = 0xf15,
  mstatus = 0x300, misa = 0x301, medeleg = 0x302, mideleg = 0x303, mie = 0x304, mtvec = 0x305,
  mcounteren = 0x306, menvcfg = 0x30a, mcountinhibit = 0x320, mhpmevent3 = 0x323, mhpmevent31 = 0x33f,
  mscratch = 0x340, mepc = 0x341, mcause = 0x342, mtval = 0x343, mip = 0x344, mtinst = 0x34a, mtval2 = 0x34b,
  pmpcfg0 = 0x3a0, pmpcfg15 = 0x3af, pmpaddr0 = 0x3b0, pmpaddr63 = 0x3ef,
  mseccfg = 0x747,
  mcycle = 0xb00, minstret = 0xb02, mhpmcounter3 = 0xb03, mhpmcounter31 = 0xb1f,
  // Debug triggers (Sdtrig): present so that software probing them does not trap.
  tselect = 0x7a0, tdata1 = 0x7a1, tdata2 = 0x7a2, tdata3 = 0x7a3, tinfo = 0x7a4,
};

}  // namespace hartbox::csr

namespace hartbox::mstatus {
// Field masks of mstatus (priv spec 3.1.6); sstatus is a restricted view (4.1.1).
inline constexpr uint64_t SIE = 1ull << 1, MIE = 1ull << 3, SPIE = 1ull << 5, UBE = 1ull << 6, MPIE = 1ull << 7,
                          SPP = 1ull << 8, VS = 3ull << 9, MPP = 3ull << 11, FS = 3ull << 13, XS = 3ull << 15,
                          MPRV = 1ull << 17, SUM = 1ull << 18, MXR = 1ull << 19, TVM = 1ull << 20,
                          TW = 1ull << 21, TSR = 1ull << 22, UXL = 3ull << 32, SXL = 3ull << 34,
                          SBE = 1ull << 36, MBE = 1ull << 37, SD = 1ull << 63;
inline constexpr unsigned kMppShift = 11, kFsShift = 13;
inline constexpr uint64_t kFsOff = 0, kFsInitial = 1, kFsClean = 2, kFsDirty = 3;
inline constexpr uint64_t kWritable = SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR;
inline constexpr uint64_t kSstatusView = SIE | SPIE | UBE | SPP | VS | FS | XS | SUM | MXR | UXL | SD;
}  // namespace hartbox::mstatus

namespace hartbox::irq {
// Interrupt-pending / -enable bits (mip/mie, priv spec 3.1.9).
inline constexpr uint64_t SSIP = 1ull << 1, MSIP = 1ull << 3, STIP = 1ull << 5, MTIP = 1ull << 7,
                          SEIP = 1ull << 9, MEIP = 1ull << 11;
inline constexpr uint64_t kSupervisor = SSIP | STIP | SEIP;
inline constexpr uint64_t kAll = kSupervisor | MSIP | MTIP | MEIP;
}  // namespace hartbox::irq
