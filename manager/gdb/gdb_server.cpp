// The GDB remote serial protocol server: see gdb_server.hpp for what it offers and how stops
// are made exact. The protocol is GDB's manual, appendix E "GDB Remote Serial Protocol"; the
// register numbers are gdb's own for RISC-V (gdb/riscv-tdep.h), so gdb-multiarch needs no
// translation table.
//
// This file, top to bottom: protocol helpers (hex, binary escapes), the target description,
// the debugger's view of registers and memory, the DebugMonitor (breakpoints, watchpoints,
// stepping), the connection (framing, acks), and the GdbServer (packets and the run loop).
#include "manager/gdb/gdb_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <csignal>
#include <cstdarg>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/isa/decoder.hpp"
#include "devices/machine.hpp"

namespace hartbox {
namespace {

using namespace std::chrono_literals;

// --- Protocol constants -----------------------------------------------------------------------

constexpr size_t kPacketSize = 0x4000;  // qSupported's PacketSize: the largest packet we accept
// The most memory one `m` reply carries (two hex digits a byte, with room for the framing).
constexpr size_t kMaxMemoryReply = (kPacketSize - 16) / 2;
// Input that holds no complete packet by this size is garbage: it is dropped.
constexpr size_t kMaxInputBuffer = 2 * kPacketSize;

// As Machine::run: the CLINT sees time move, and raises timer interrupts, between slices.
constexpr uint64_t kSliceSteps = 4096;
// While the machine runs, gdb's socket (a Ctrl-C) or the listener is looked at every so many
// slices: tens of microseconds of guest time, a fraction of a percent of host time.
constexpr unsigned kSlicesPerPoll = 8;

// gdb's RISC-V register numbers (gdb/riscv-tdep.h), used as the remote numbers of target.xml.
constexpr unsigned kRegPc = 32;
constexpr unsigned kRegF0 = 33;
constexpr unsigned kRegCsr0 = 65;  // CSR n is register 65 + n
constexpr unsigned kRegPriv = kRegCsr0 + 4096;
constexpr unsigned kRegsInG = 33;  // the `g` packet: x0-x31 and pc (as QEMU); the rest by `p`

constexpr int kSigInt = SIGINT;    // 2: Ctrl-C
constexpr int kSigTrap = SIGTRAP;  // 5: breakpoints, steps, watchpoints

// --- Hex and binary data ----------------------------------------------------------------------

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A hexadecimal number of 1 to 16 digits.
bool parse_hex(std::string_view text, uint64_t& value) {
  if (text.empty() || text.size() > 16) return false;
  value = 0;
  for (char c : text) {
    const int digit = hex_value(c);
    if (digit < 0) return false;
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return true;
}

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, uint8_t byte) {
  out += kHexDigits[byte >> 4];
  out += kHexDigits[byte & 15];
}

// `bytes` bytes of `value`, least significant first: the target's byte order.
void append_hex_le(std::string& out, uint64_t value, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) append_hex_byte(out, static_cast<uint8_t>(value >> (8 * i)));
}

std::string hex_number(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%" PRIx64, value);
  return text;
}

bool decode_hex_bytes(std::string_view hex, std::vector<uint8_t>& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]), low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) return false;
    out.push_back(static_cast<uint8_t>((high << 4) | low));
  }
  return true;
}

// A register value of `bytes` bytes: exactly 2 * bytes hex digits, least significant byte first.
bool parse_hex_le(std::string_view hex, unsigned bytes, uint64_t& value) {
  std::vector<uint8_t> raw;
  if (hex.size() != 2 * size_t{bytes} || !decode_hex_bytes(hex, raw)) return false;
  value = 0;
  for (unsigned i = 0; i < bytes; ++i) value |= uint64_t{raw[i]} << (8 * i);
  return true;
}

std::string hex_encode(std::string_view text) {
  std::string out;
  for (char c : text) append_hex_byte(out, static_cast<uint8_t>(c));
  return out;
}

// Binary data in a packet (X, qXfer): '#', '$', '}' and '*' travel as '}' and the byte ^ 0x20.
void append_escaped(std::string& out, std::string_view data) {
  for (char c : data) {
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      out += '}';
      out += static_cast<char>(c ^ 0x20);
    } else {
      out += c;
    }
  }
}

bool unescape_binary(std::string_view in, std::vector<uint8_t>& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '}') {
      if (++i == in.size()) return false;
      out.push_back(static_cast<uint8_t>(in[i] ^ 0x20));
    } else {
      out.push_back(static_cast<uint8_t>(in[i]));
    }
  }
  return true;
}

// "ADDR,LENGTH" (m, M, X, Z); `rest` gets what follows the length (":data" or ";cond").
bool parse_address_length(std::string_view text, uint64_t& address, uint64_t& length, std::string_view* rest) {
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos) return false;
  size_t end = text.find_first_of(":;", comma + 1);
  if (end == std::string_view::npos) end = text.size();
  if (rest) *rest = text.substr(end);
  return parse_hex(text.substr(0, comma), address) && parse_hex(text.substr(comma + 1, end - comma - 1), length);
}

// --- The target description ---------------------------------------------------------------------

struct CsrRegister {
  const char* name;
  uint16_t number;
};

// The CSRs gdb shows (`info registers csr`, `p $mstatus`), under the names gdb knows them by.
// The FP CSRs are in the FPU feature, where gdb looks for them first.
constexpr CsrRegister kCsrRegisters[] = {
    {"cycle", csr::cycle},         {"time", csr::time},           {"instret", csr::instret},
    {"sstatus", csr::sstatus},     {"sie", csr::sie},             {"stvec", csr::stvec},
    {"scounteren", csr::scounteren}, {"senvcfg", csr::senvcfg},   {"sscratch", csr::sscratch},
    {"sepc", csr::sepc},           {"scause", csr::scause},       {"stval", csr::stval},
    {"sip", csr::sip},             {"stimecmp", csr::stimecmp},   {"satp", csr::satp},
    {"mvendorid", csr::mvendorid}, {"marchid", csr::marchid},     {"mimpid", csr::mimpid},
    {"mhartid", csr::mhartid},     {"mstatus", csr::mstatus},     {"misa", csr::misa},
    {"medeleg", csr::medeleg},     {"mideleg", csr::mideleg},     {"mie", csr::mie},
    {"mtvec", csr::mtvec},         {"mcounteren", csr::mcounteren}, {"menvcfg", csr::menvcfg},
    {"mscratch", csr::mscratch},   {"mepc", csr::mepc},           {"mcause", csr::mcause},
    {"mtval", csr::mtval},         {"mip", csr::mip},             {"pmpcfg0", csr::pmpcfg0},
    {"pmpcfg2", csr::pmpcfg0 + 2}, {"pmpaddr0", csr::pmpaddr0},   {"pmpaddr1", csr::pmpaddr0 + 1},
    {"pmpaddr2", csr::pmpaddr0 + 2}, {"pmpaddr3", csr::pmpaddr0 + 3}, {"mcycle", csr::mcycle},
    {"minstret", csr::minstret},   {"tselect", csr::tselect},     {"tdata1", csr::tdata1},
    {"tdata2", csr::tdata2},       {"tdata3", csr::tdata3},
};

bool is_fp_csr(unsigned number) { return number == csr::fflags || number == csr::frm || number == csr::fcsr; }

bool is_described_csr(unsigned number) {
  if (is_fp_csr(number)) return true;
  for (const CsrRegister& reg : kCsrRegisters)
    if (reg.number == number) return true;
  return false;
}

// target.xml: the features and register names of gdb's own RISC-V descriptions
// (gdb/features/riscv/64bit-{cpu,fpu}.xml), CSRs at 65 + their number, and QEMU's `priv`.
std::string build_target_xml() {
  static constexpr const char* kXNames[32] = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0",
                                              "a1",   "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
                                              "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  static constexpr const char* kFNames[32] = {"ft0", "ft1", "ft2",  "ft3",  "ft4", "ft5", "ft6",  "ft7",
                                              "fs0", "fs1", "fa0",  "fa1",  "fa2", "fa3", "fa4",  "fa5",
                                              "fa6", "fa7", "fs2",  "fs3",  "fs4", "fs5", "fs6",  "fs7",
                                              "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
      "<architecture>riscv:rv64</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
  auto reg = [&xml](const std::string& name, unsigned bits, const char* type, unsigned regnum) {
    xml += "  <reg name=\"" + name + "\" bitsize=\"" + std::to_string(bits) + "\" type=\"" + type + "\" regnum=\"" +
           std::to_string(regnum) + "\"/>\n";
  };
  for (unsigned i = 0; i < 32; ++i) {
    const char* type = i == 1 ? "code_ptr" : (i >= 2 && i <= 4) ? "data_ptr" : "int";
    reg(kXNames[i], 64, type, i);
  }
  reg("pc", 64, "code_ptr", kRegPc);
  xml += "</feature>\n<feature name=\"org.gnu.gdb.riscv.fpu\">\n"
         "  <union id=\"riscv_double\">\n    <field name=\"float\" type=\"ieee_single\"/>\n"
         "    <field name=\"double\" type=\"ieee_double\"/>\n  </union>\n";
  for (unsigned i = 0; i < 32; ++i) reg(kFNames[i], 64, "riscv_double", kRegF0 + i);
  reg("fflags", 32, "int", kRegCsr0 + csr::fflags);
  reg("frm", 32, "int", kRegCsr0 + csr::frm);
  reg("fcsr", 32, "int", kRegCsr0 + csr::fcsr);
  xml += "</feature>\n<feature name=\"org.gnu.gdb.riscv.csr\">\n";
  for (const CsrRegister& csr_reg : kCsrRegisters) reg(csr_reg.name, 64, "int", kRegCsr0 + csr_reg.number);
  xml += "</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n";
  reg("priv", 64, "int", kRegPriv);
  xml += "</feature>\n</target>\n";
  return xml;
}

// --- The debugger's view of a hart --------------------------------------------------------------

// A debugger reaches CSRs with M-mode rights whatever mode the hart is in, as a debug module
// does (debug spec 4.1), and the FP CSRs even while mstatus.FS is Off: `access` runs with the
// hart briefly in M-mode (and FS on), then everything is put back as it was.
template <typename Access>
bool with_debugger_rights(Hart& hart, unsigned number, Access&& access) {
  const Privilege saved_priv = hart.priv;
  const uint64_t saved_mstatus = hart.mstatus();
  hart.priv = Privilege::Machine;
  const bool enable_fp = is_fp_csr(number) && !hart.fp_enabled();
  if (enable_fp) hart.csr_write(csr::mstatus, saved_mstatus | mstatus::FS);
  const bool ok = access();
  if (enable_fp) hart.csr_write(csr::mstatus, saved_mstatus);
  hart.priv = saved_priv;
  return ok;
}

bool debugger_csr_read(Hart& hart, unsigned number, uint64_t& value) {
  if (number > 0xfff) return false;
  return with_debugger_rights(hart, number, [&] { return hart.csr_read(static_cast<uint16_t>(number), value); });
}

bool debugger_csr_write(Hart& hart, unsigned number, uint64_t value) {
  if (number > 0xfff) return false;
  // The CSR file counts the writing instruction's own retirement after a counter write; a
  // debugger's write is followed by none.
  if (number == csr::minstret || number == csr::mcycle) ++value;
  return with_debugger_rights(hart, number, [&] { return hart.csr_write(static_cast<uint16_t>(number), value); });
}

// Size in bytes of remote register `regnum`, or 0 if target.xml has no such register.
unsigned register_size(unsigned regnum) {
  if (regnum <= kRegPc || (regnum >= kRegF0 && regnum < kRegF0 + 32) || regnum == kRegPriv) return 8;
  if (regnum >= kRegCsr0 && regnum < kRegPriv) {
    const unsigned number = regnum - kRegCsr0;
    if (is_fp_csr(number)) return 4;
    return is_described_csr(number) ? 8 : 0;
  }
  return 0;
}

// False for a register that exists but cannot be read now (gdb shows it as <unavailable>).
bool read_register(Hart& hart, unsigned regnum, uint64_t& value) {
  if (regnum < 32) return value = hart.x[regnum], true;
  if (regnum == kRegPc) return value = hart.pc, true;
  if (regnum >= kRegF0 && regnum < kRegF0 + 32) return value = hart.f[regnum - kRegF0], true;
  if (regnum == kRegPriv) return value = static_cast<uint64_t>(hart.priv), true;
  return debugger_csr_read(hart, regnum - kRegCsr0, value);
}

bool write_register(Hart& hart, unsigned regnum, uint64_t value) {
  if (regnum == 0) return true;  // x0 stays zero
  if (regnum < 32) return hart.x[regnum] = value, true;
  if (regnum == kRegPc) {
    hart.pc = hart.next_pc = value;
    return true;
  }
  if (regnum >= kRegF0 && regnum < kRegF0 + 32) return hart.f[regnum - kRegF0] = value, true;
  if (regnum == kRegPriv) {
    if (value != 0 && value != 1 && value != 3) return false;
    hart.priv = static_cast<Privilege>(value);
    hart.flush_tlb();  // translation depends on the mode
    return true;
  }
  return debugger_csr_write(hart, regnum - kRegCsr0, value);
}

// Guest memory as gdb sees it: virtual addresses through the hart's current translation (satp,
// privilege, MPRV), as QEMU's gdbstub does. A debugger may read execute-only code and write
// read-only pages (a `set var` on a const), so a failed translation is retried for the other
// kinds of access. RAM and the boot ROM are reachable; device registers are not (a read may
// have effects, such as taking a character from the UART).
class DebuggerMemory {
 public:
  explicit DebuggerMemory(Machine& machine) : machine_(machine) {}

  // Bytes copied from the start of the range: fewer than `length` where the range stops being
  // reachable.
  size_t read(Hart& hart, uint64_t vaddr, uint8_t* out, size_t length) {
    size_t done = 0;
    while (done < length) {
      const uint64_t at = vaddr + done;
      const size_t chunk = std::min<uint64_t>(length - done, kPageSize - (at & kPageMask));
      uint64_t paddr;
      if (!translate(hart, at, false, paddr)) break;
      if (machine_.ram().contains(paddr, chunk)) {
        machine_.ram().read(paddr, out + done, chunk);
      } else if (paddr >= virt::kBootRomBase && chunk <= virt::kBootRomSize &&
                 paddr - virt::kBootRomBase <= virt::kBootRomSize - chunk) {
        std::memcpy(out + done, machine_.board().boot_rom().bytes.data() + (paddr - virt::kBootRomBase), chunk);
      } else {
        break;
      }
      done += chunk;
    }
    return done;
  }

  size_t write(Hart& hart, uint64_t vaddr, const uint8_t* in, size_t length) {
    size_t done = 0;
    while (done < length) {
      const uint64_t at = vaddr + done;
      const size_t chunk = std::min<uint64_t>(length - done, kPageSize - (at & kPageMask));
      uint64_t paddr;
      if (!translate(hart, at, true, paddr) || !machine_.ram().contains(paddr, chunk)) break;
      // Engines that cached code from this page drop it, as for any store to code.
      if (CodeWriteObserver* code = hart.code_write_observer()) code->code_page_written(paddr & ~kPageMask);
      machine_.ram().write(paddr, in + done, chunk);
      done += chunk;
    }
    return done;
  }

  // The instruction at `pc` as the hart would fetch it; false if the fetch would fault.
  bool fetch(Hart& hart, uint64_t pc, uint32_t& raw) {
    uint16_t low = 0, high = 0;
    if (!fetch_half(hart, pc, low)) return false;
    raw = low;
    if (isa::insn_length(low) == 4) {
      if (!fetch_half(hart, pc + 2, high)) return false;
      raw |= uint32_t{high} << 16;
    }
    return true;
  }

 private:
  static bool translate(Hart& hart, uint64_t vaddr, bool write, uint64_t& paddr) {
    if (write && hart.translate_for_host(vaddr, Access::Store, paddr)) return true;
    return hart.translate_for_host(vaddr, Access::Load, paddr) || hart.translate_for_host(vaddr, Access::Fetch, paddr);
  }

  bool fetch_half(Hart& hart, uint64_t vaddr, uint16_t& half) {
    // The hart's fetch TLB first (watchpoints look at every instruction), as the engines do;
    // a halfword never crosses a page, instructions are 2-byte aligned.
    if (const uint8_t* host = hart.tlb().lookup(Access::Fetch, vaddr); host && (vaddr & 1) == 0) {
      std::memcpy(&half, host, 2);
      return true;
    }
    uint64_t paddr;
    if (!hart.translate_for_host(vaddr, Access::Fetch, paddr)) return false;
    uint8_t bytes[2];
    if (machine_.ram().contains(paddr, 2)) {
      machine_.ram().read(paddr, bytes, 2);
    } else if (paddr >= virt::kBootRomBase && paddr - virt::kBootRomBase <= virt::kBootRomSize - 2) {
      std::memcpy(bytes, machine_.board().boot_rom().bytes.data() + (paddr - virt::kBootRomBase), 2);
    } else {
      return false;  // code in a device: no data access to predict
    }
    half = static_cast<uint16_t>(bytes[0] | (bytes[1] << 8));
    return true;
  }

  Machine& machine_;
};

// --- Breakpoints, watchpoints and stepping ------------------------------------------------------

enum class StopKind : uint8_t { Signal, Step, SoftwareBreak, HardwareBreak, Watch, ReadWatch, AccessWatch };

struct StopEvent {
  unsigned hart = 0;
  StopKind kind = StopKind::Signal;
  int signal = kSigTrap;
  uint64_t data_address = 0;  // for watchpoints: an accessed address inside the watched range
};

// Z2, Z3 and Z4.
enum class WatchKind : uint8_t { Write, Read, Access };

struct Watchpoint {
  uint64_t address;
  uint64_t length;
  WatchKind kind;
  bool operator==(const Watchpoint&) const = default;
};

// Watches execution for gdb: attached to the engines (through Machine::set_observer) only while
// something is to be checked. It runs on the machine's thread, inside Engine::run.
class DebugMonitor final : public ExecutionObserver {
 public:
  DebugMonitor(Machine& machine, DebuggerMemory& memory, ExecutionObserver* chained)
      : machine_(machine), memory_(memory), chained_(chained), stepping_(machine.hart_count(), 0) {}

  // --- gdb's Z/z packets ---
  void insert_breakpoint(uint64_t address, bool hardware) {
    Counts& counts = breakpoints_[address];
    ++(hardware ? counts.hardware : counts.software);
    filter_ |= filter_bit(address);
  }
  bool remove_breakpoint(uint64_t address, bool hardware) {
    auto it = breakpoints_.find(address);
    if (it == breakpoints_.end()) return false;
    unsigned& count = hardware ? it->second.hardware : it->second.software;
    if (count == 0) return false;
    --count;
    if (it->second.software == 0 && it->second.hardware == 0) {
      breakpoints_.erase(it);
      filter_ = 0;
      for (const auto& [other, counts] : breakpoints_) filter_ |= filter_bit(other);
    }
    return true;
  }
  void insert_watchpoint(const Watchpoint& watchpoint) { watchpoints_.push_back(watchpoint); }
  bool remove_watchpoint(const Watchpoint& watchpoint) {
    auto it = std::find(watchpoints_.begin(), watchpoints_.end(), watchpoint);
    if (it == watchpoints_.end()) return false;
    watchpoints_.erase(it);
    return true;
  }
  void clear() {
    breakpoints_.clear();
    filter_ = 0;
    watchpoints_.clear();
    std::fill(stepping_.begin(), stepping_.end(), uint8_t{0});
    event_.reset();
  }

  void set_stepping(unsigned hart, bool on) { stepping_[hart] = on; }
  bool stepping(unsigned hart) const { return stepping_[hart] != 0; }
  bool has_watchpoints() const { return !watchpoints_.empty(); }
  // Breakpoints and watchpoints need every instruction boundary looked at.
  bool checks_boundaries() const { return !breakpoints_.empty() || !watchpoints_.empty(); }
  // Whether the engines must run with this observer at all.
  bool active() const {
    return checks_boundaries() || std::any_of(stepping_.begin(), stepping_.end(), [](uint8_t s) { return s != 0; });
  }

  // --- ExecutionObserver: called by the engines ---
  void retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) override {
    if (chained_) chained_->retired(hart, pc, insn);
    const auto index = static_cast<unsigned>(hart.hart_id());
    if (index >= stepping_.size()) return;
    // next_pc is where the hart goes next in every engine (the block engine calls us before it
    // moves pc past the instruction).
    after_step(index, hart.next_pc);
  }
  void trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) override {
    if (chained_) chained_->trapped(hart, pc, cause, tval);
    const auto index = static_cast<unsigned>(hart.hart_id());
    if (index >= stepping_.size()) return;
    after_step(index, hart.pc);  // the trap handler's first instruction
  }

  // An instruction retired or a trap was taken on hart `index`, which goes to `next_pc`.
  void after_step(unsigned index, uint64_t next_pc) {
    if (stepping_[index]) {
      record({index, StopKind::Step, kSigTrap, 0});
      return;
    }
    if (checks_boundaries()) check_boundary(index, next_pc);
  }

  enum class Boundary { Run, InterruptFirst, Stopped };
  // Before hart `index` executes the instruction at `next_pc`: stop it if a breakpoint or a
  // watchpoint says so, and, since engines run an interrupt handler's first instruction
  // without a stop check after taking the interrupt, stop it before any interrupt it would take
  // (the server takes that interrupt itself, then checks the handler's first instruction).
  Boundary check_boundary(unsigned index, uint64_t next_pc) {
    Hart& hart = machine_.hart(index);
    if (would_take_interrupt(hart)) {
      hart.request_stop();
      hart.request_sync();
      return Boundary::InterruptFirst;
    }
    // Another hart may have just been sent an interrupt (an IPI through the CLINT): it must not
    // take it inside this slice either.
    for (unsigned other = 0; other < stepping_.size(); ++other)
      if (other != index && would_take_interrupt(machine_.hart(other))) machine_.hart(other).request_stop();
    if (!breakpoints_.empty() && (filter_ & filter_bit(next_pc))) {
      if (auto it = breakpoints_.find(next_pc); it != breakpoints_.end()) {
        const StopKind kind = it->second.software ? StopKind::SoftwareBreak : StopKind::HardwareBreak;
        record({index, kind, kSigTrap, 0});
        return Boundary::Stopped;
      }
    }
    if (!watchpoints_.empty()) {
      if (std::optional<StopEvent> hit = watch_hit(index, next_pc)) {
        record(*hit);
        return Boundary::Stopped;
      }
    }
    return Boundary::Run;
  }

  // The watchpoint that the instruction at `pc` would trigger, from the registers it will use.
  std::optional<StopEvent> watch_hit(unsigned index, uint64_t pc) {
    Hart& hart = machine_.hart(index);
    uint32_t raw;
    if (!memory_.fetch(hart, pc, raw)) return std::nullopt;
    // Only loads, stores and AMOs touch data: look at the major opcode before decoding.
    const uint32_t bits = isa::insn_length(raw) == 2 ? isa::expand_compressed(static_cast<uint16_t>(raw)) : raw;
    const uint32_t major = bits & 0x7f;
    if (major != 0x03 && major != 0x07 && major != 0x23 && major != 0x27 && major != 0x2f) return std::nullopt;
    const isa::DecodedInsn insn = isa::decode(raw);
    bool reads = false, writes = false;
    switch (isa::op_info(insn.op).cls) {
      case isa::InsnClass::Load:
      case isa::InsnClass::FpLoad: reads = true; break;
      case isa::InsnClass::Store:
      case isa::InsnClass::FpStore: writes = true; break;
      case isa::InsnClass::Atomic:
        reads = insn.op != isa::Op::SC_W && insn.op != isa::Op::SC_D;
        writes = insn.op != isa::Op::LR_W && insn.op != isa::Op::LR_D;
        break;
      default: return std::nullopt;
    }
    // Every load, store and AMO encodes its width in funct3's low two bits (1, 2, 4, 8 bytes).
    const uint64_t size = uint64_t{1} << ((bits >> 12) & 3);
    const uint64_t address = hart.x[insn.rs1] + static_cast<uint64_t>(insn.imm);
    for (const Watchpoint& w : watchpoints_) {
      const bool overlaps = address >= w.address ? address - w.address < w.length : w.address - address < size;
      if (!overlaps) continue;
      const uint64_t inside = std::max(address, w.address);
      if (w.kind == WatchKind::Write && writes) return StopEvent{index, StopKind::Watch, kSigTrap, inside};
      if (w.kind == WatchKind::Read && reads) return StopEvent{index, StopKind::ReadWatch, kSigTrap, inside};
      if (w.kind == WatchKind::Access) return StopEvent{index, StopKind::AccessWatch, kSigTrap, inside};
    }
    return std::nullopt;
  }

  // Records the stop (the first one of a slice wins) and stops every hart at its next
  // instruction boundary: all-stop mode.
  void record(const StopEvent& event) {
    if (!event_) event_ = event;
    for (unsigned i = 0; i < machine_.hart_count(); ++i) machine_.hart(i).request_stop();
    machine_.hart(event.hart).request_sync();  // leaves a cached block right here
  }
  std::optional<StopEvent> take_event() {
    std::optional<StopEvent> event = event_;
    event_.reset();
    return event;
  }

  // Whether the hart takes an interrupt before its next instruction: Hart::take_pending_interrupt's
  // condition (priv spec 3.1.9), read without taking it.
  static bool would_take_interrupt(Hart& hart) {
    // mip & mie, inline: the common case. (It ends a WFI when that is non-zero, as the engines'
    // own check before the next instruction would.)
    if (!hart.interrupt_pending()) return false;
    uint64_t mie = 0, mideleg = 0;
    debugger_csr_read(hart, csr::mie, mie);
    debugger_csr_read(hart, csr::mideleg, mideleg);
    const uint64_t pending = hart.mip() & mie;
    const uint64_t status = hart.mstatus();
    const bool m_enabled = hart.priv != Privilege::Machine || (status & mstatus::MIE);
    const bool s_enabled =
        hart.priv == Privilege::User || (hart.priv == Privilege::Supervisor && (status & mstatus::SIE));
    return (m_enabled && (pending & ~mideleg)) || (s_enabled && (pending & mideleg));
  }

 private:
  struct Counts {
    unsigned software = 0, hardware = 0;
  };
  // One bit per address class: most instructions are told apart from every breakpoint by one
  // AND before the hash lookup.
  static uint64_t filter_bit(uint64_t address) { return uint64_t{1} << ((address >> 1) & 63); }

  Machine& machine_;
  DebuggerMemory& memory_;
  ExecutionObserver* chained_;
  std::unordered_map<uint64_t, Counts> breakpoints_;
  uint64_t filter_ = 0;
  std::vector<Watchpoint> watchpoints_;
  std::vector<uint8_t> stepping_;  // per hart
  std::optional<StopEvent> event_;
};

// --- The connection: packets, checksums, acks --------------------------------------------------

// Waits up to `timeout` (negative: forever) for one of `fds` to be readable; the index of the
// first readable one, or -1.
int wait_readable(const std::vector<int>& fds, std::chrono::nanoseconds timeout) {
  std::vector<pollfd> polls;
  for (int fd : fds) polls.push_back({fd, POLLIN, 0});
  timespec ts{};
  timespec* limit = nullptr;
  if (timeout >= 0ns) {
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    limit = &ts;
  }
  int ready;
  do {
    ready = ::ppoll(polls.data(), polls.size(), limit, nullptr);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return -1;
  for (size_t i = 0; i < polls.size(); ++i)
    if (polls[i].revents) return static_cast<int>(i);
  return -1;
}

class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // replies are small and awaited
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  enum class Input { Packet, Interrupt, Closed, Nothing };

  // The next packet or Ctrl-C, waiting up to `timeout` (negative: forever).
  Input next(std::chrono::nanoseconds timeout, std::string& packet) {
    for (;;) {
      if (const std::optional<Input> input = parse(packet)) return *input;
      if (closed_) return Input::Closed;
      if (wait_readable({fd_}, timeout) < 0) return Input::Nothing;
      receive();
      timeout = 0ns;  // what arrived is parsed; no more waiting
    }
  }

  // Sends one packet; false once the peer is gone.
  bool send(std::string_view payload) {
    uint8_t sum = 0;
    for (char c : payload) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
    std::string framed;
    framed.reserve(payload.size() + 4);
    framed += '$';
    framed += payload;
    framed += '#';
    append_hex_byte(framed, sum);
    if (!no_ack_) last_sent_ = framed;
    return write_all(framed);
  }

  void start_no_ack_mode() {
    no_ack_ = true;
    last_sent_.clear();
  }
  bool closed() const { return closed_; }

 private:
  // A packet or a Ctrl-C from the input received so far.
  std::optional<Input> parse(std::string& packet) {
    size_t pos = 0;
    std::optional<Input> result;
    while (pos < in_.size() && !result) {
      const char c = in_[pos];
      if (c == '\x03') {
        ++pos;
        result = Input::Interrupt;
      } else if (c == '-') {  // gdb asks for our last packet again
        ++pos;
        if (!no_ack_ && !last_sent_.empty()) write_all(last_sent_);
      } else if (c != '$') {
        ++pos;  // acks ('+') and noise between packets
      } else {
        const size_t hash = in_.find('#', pos + 1);
        // A '$' before the '#' starts a new packet: the one before it was cut short.
        const size_t restart = in_.find('$', pos + 1);
        if (restart != std::string::npos && (hash == std::string::npos || restart < hash)) {
          pos = restart;
          continue;
        }
        if (hash == std::string::npos || in_.size() < hash + 3) {
          if (in_.size() - pos > kMaxInputBuffer) pos = in_.size();  // no packet is that long
          break;
        }
        const std::string_view payload(in_.data() + pos + 1, hash - pos - 1);
        uint64_t sent_sum = 0;
        const bool sum_ok = parse_hex(std::string_view(in_.data() + hash + 1, 2), sent_sum);
        uint8_t sum = 0;
        for (char p : payload) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(p));
        if (no_ack_ || (sum_ok && sent_sum == sum)) {
          if (!no_ack_) write_all("+");
          packet.assign(payload);
          result = Input::Packet;
        } else {
          write_all("-");  // checksum error: gdb sends it again
        }
        pos = hash + 3;
      }
    }
    in_.erase(0, pos);
    return result;
  }

  void receive() {
    char buffer[4096];
    ssize_t n;
    do {
      n = ::recv(fd_, buffer, sizeof buffer, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      closed_ = true;
      return;
    }
    in_.append(buffer, static_cast<size_t>(n));
  }

  bool write_all(std::string_view bytes) {
    while (!bytes.empty() && !closed_) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        closed_ = true;
        break;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return !closed_;
  }

  int fd_;
  std::string in_;
  std::string last_sent_;  // for a retransmission on '-'
  bool no_ack_ = false;
  bool closed_ = false;
};

// Loopback only: 127.0.0.1, and ::1 on the same port where the host has IPv6 (gdb's
// `target remote :PORT` means localhost, which may be either).
class Listener {
 public:
  Listener() = default;
  ~Listener() {
    for (int fd : fds_) ::close(fd);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool open(uint16_t port, std::string& error) {
    const int v4 = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (v4 < 0) return error = std::string("socket: ") + std::strerror(errno), false;
    fds_.push_back(v4);
    const int one = 1;
    ::setsockopt(v4, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(v4, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0 || ::listen(v4, 1) < 0)
      return error = "cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno), false;
    socklen_t len = sizeof addr;
    ::getsockname(v4, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);

    const int v6 = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (v6 >= 0) {
      ::setsockopt(v6, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      ::setsockopt(v6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      sockaddr_in6 addr6{};
      addr6.sin6_family = AF_INET6;
      addr6.sin6_port = htons(port_);
      addr6.sin6_addr = in6addr_loopback;
      if (::bind(v6, reinterpret_cast<const sockaddr*>(&addr6), sizeof addr6) == 0 && ::listen(v6, 1) == 0)
        fds_.push_back(v6);
      else
        ::close(v6);  // no IPv6 loopback here: 127.0.0.1 alone
    }
    return true;
  }

  uint16_t port() const { return port_; }
  const std::vector<int>& fds() const { return fds_; }

  // A new connection within `timeout` (negative: forever), or -1.
  int accept(std::chrono::nanoseconds timeout) {
    const int which = wait_readable(fds_, timeout);
    if (which < 0) return -1;
    int fd;
    do {
      fd = ::accept4(fds_[static_cast<size_t>(which)], nullptr, nullptr, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd;
  }

 private:
  std::vector<int> fds_;
  uint16_t port_ = 0;
};

// --- The server ---------------------------------------------------------------------------------

class GdbServer {
 public:
  GdbServer(Machine& machine, const GdbServerOptions& options)
      : machine_(machine),
        options_(options),
        memory_(machine),
        monitor_(machine, memory_, options.observer),
        parked_(machine.hart_count(), 0),
        watch_stop_pc_(machine.hart_count()),
        target_xml_(build_target_xml()) {}

  int run();

 private:
  // What a packet asks of the run loop.
  enum class Command { Stay, Resume, Detach, Kill };
  // What running a slice led to.
  enum class Outcome { Running, Stopped, Exited, Deadlock };
  enum class Action : uint8_t { None, Continue, Step };

  void log(const char* format, ...) __attribute__((format(printf, 2, 3)));

  // Packets.
  Command serve_until_resumed();
  Command handle(std::string_view packet);
  Command handle_query(std::string_view packet);
  Command handle_v(std::string_view packet);
  void reply(std::string_view payload);
  std::string stop_reply(const StopEvent& event) const;
  std::string read_registers_packet();
  bool write_registers_packet(std::string_view hex);
  std::string read_memory_packet(std::string_view args);
  bool write_memory(std::string_view args, bool binary);
  std::string breakpoint_packet(std::string_view packet);
  bool parse_thread(std::string_view text, int& hart) const;  // -1: all
  Hart& general_hart() { return machine_.hart(g_hart_); }

  // Running.
  void resume(const std::vector<Action>& actions);
  void resume_freely();
  Command resume_legacy(std::string_view packet, bool step);
  Outcome run_one_slice();
  bool take_interrupts_first();
  Outcome wait_while_idle();
  // Stops every hart; gdb is told unless it did not ask (a stop on attach is reported by `?`).
  void stop(const StopEvent& event, bool tell_gdb = true);
  void poll_outside();
  void attach(int fd);
  void drop_client(const char* why);
  int guest_exited();

  Machine& machine_;
  GdbServerOptions options_;
  DebuggerMemory memory_;
  DebugMonitor monitor_;
  Listener listener_;
  std::unique_ptr<Connection> client_;
  std::deque<std::string> queued_;  // packets that arrived while the machine ran

  bool stopped_ = false;
  bool fresh_resume_ = false;
  StopEvent last_stop_{0, StopKind::Signal, kSigTrap, 0};
  std::vector<uint8_t> parked_;                       // harts left stopped by vCont
  std::vector<std::optional<uint64_t>> watch_stop_pc_;  // where each hart last stopped for a watchpoint
  unsigned g_hart_ = 0;  // Hg: registers and memory
  int c_hart_ = -1;      // Hc: legacy c/s (-1: all)
  uint64_t paused_mtime_ = 0;
  bool gdb_swbreak_ = false, gdb_hwbreak_ = false;
  unsigned slices_ = 0;
  const std::string target_xml_;
};

void GdbServer::log(const char* format, ...) {
  if (!options_.log) return;
  std::va_list args;
  va_start(args, format);
  std::vfprintf(options_.log, format, args);
  va_end(args);
  std::fputc('\n', options_.log);
  std::fflush(options_.log);
}

int GdbServer::run() {
  std::string error;
  if (!listener_.open(options_.port, error)) {
    log("hartbox: gdb: %s", error.c_str());
    return 1;
  }
  log("hartbox: gdb: listening on 127.0.0.1:%u%s", static_cast<unsigned>(listener_.port()),
      options_.wait_for_attach ? ", the machine waits for gdb to attach" : "");
  if (options_.wait_for_attach) {
    const int fd = listener_.accept(-1ns);
    if (fd < 0) {
      log("hartbox: gdb: accept: %s", std::strerror(errno));
      return 1;
    }
    attach(fd);
  } else {
    resume_freely();
  }
  for (;;) {
    if (client_ && stopped_) {
      const Command command = serve_until_resumed();
      if (command == Command::Kill) {
        log("hartbox: gdb: killed the guest");
        return kGdbKilledExitCode;
      }
      continue;
    }
    const Outcome outcome = run_one_slice();
    if (outcome == Outcome::Exited) return guest_exited();
    if (outcome == Outcome::Deadlock) {
      log("hartbox: every hart waits (wfi) for an interrupt that nothing can raise, at pc 0x%" PRIx64,
          machine_.hart().pc);
      return 1;
    }
    if (outcome == Outcome::Running && ++slices_ % kSlicesPerPoll == 0) poll_outside();
  }
}

int GdbServer::guest_exited() {
  const int code = *machine_.exit_code();
  if (client_) {
    char exited[8];
    std::snprintf(exited, sizeof exited, "W%02x", static_cast<unsigned>(code) & 0xff);
    client_->send(exited);
    client_.reset();
  }
  log("hartbox: gdb: the guest exited with code %d", code);
  return code;
}

void GdbServer::attach(int fd) {
  client_ = std::make_unique<Connection>(fd);
  queued_.clear();
  gdb_swbreak_ = gdb_hwbreak_ = false;
  if (!stopped_) stop({g_hart_, StopKind::Signal, kSigTrap, 0}, false);  // attaching stops the machine
  log("hartbox: gdb: attached");
}

void GdbServer::drop_client(const char* why) {
  client_.reset();
  queued_.clear();
  log("hartbox: gdb: %s; the machine runs on", why);
  monitor_.clear();
  resume_freely();
}

// Between slices while the machine runs: a Ctrl-C from gdb, or a gdb attaching.
void GdbServer::poll_outside() {
  if (!client_) {
    if (const int fd = listener_.accept(0ns); fd >= 0) attach(fd);
    return;
  }
  std::string packet;
  switch (client_->next(0ns, packet)) {
    case Connection::Input::Interrupt: stop({g_hart_, StopKind::Signal, kSigInt, 0}); break;
    case Connection::Input::Packet: queued_.push_back(packet); break;  // all-stop: answered when stopped
    case Connection::Input::Closed: drop_client("gdb went away"); break;
    case Connection::Input::Nothing: break;
  }
}

GdbServer::Command GdbServer::serve_until_resumed() {
  for (;;) {
    std::string packet;
    if (!queued_.empty()) {
      packet = std::move(queued_.front());
      queued_.pop_front();
    } else {
      const Connection::Input input = client_->next(-1ns, packet);
      if (input == Connection::Input::Closed) {
        drop_client("gdb went away");
        return Command::Detach;
      }
      if (input != Connection::Input::Packet) continue;  // a Ctrl-C while stopped changes nothing
    }
    const Command command = handle(packet);
    if (client_ && client_->closed()) {
      drop_client("gdb went away");
      return Command::Detach;
    }
    if (command == Command::Detach) {
      client_.reset();
      queued_.clear();
      log("hartbox: gdb: detached; the machine runs on");
      monitor_.clear();
      resume_freely();
    }
    if (command != Command::Stay) return command;
  }
}

// --- Running --------------------------------------------------------------------------------

void GdbServer::resume(const std::vector<Action>& actions) {
  for (unsigned i = 0; i < machine_.hart_count(); ++i) {
    parked_[i] = actions[i] == Action::None;
    monitor_.set_stepping(i, actions[i] == Action::Step);
    Hart& hart = machine_.hart(i);
    hart.clear_stop_request();
    if (parked_[i]) hart.request_stop();  // run_slice passes over it
  }
  // Nothing to check: the engines run as they would without a debugger.
  machine_.set_observer(monitor_.active() ? static_cast<ExecutionObserver*>(&monitor_) : options_.observer);
  // Real time stood still while gdb held the machine, as QEMU's virtual clock does.
  if (stopped_ && machine_.clock().mode() == MachineClock::Mode::Real) machine_.clock().set_mtime(paused_mtime_);
  stopped_ = false;
  fresh_resume_ = true;
}

void GdbServer::resume_freely() { resume(std::vector<Action>(machine_.hart_count(), Action::Continue)); }

void GdbServer::stop(const StopEvent& event, bool tell_gdb) {
  stopped_ = true;
  paused_mtime_ = machine_.clock().mtime();
  for (unsigned i = 0; i < machine_.hart_count(); ++i) {
    machine_.hart(i).clear_stop_request();
    monitor_.set_stepping(i, false);
    parked_[i] = 0;
  }
  machine_.set_observer(options_.observer);
  last_stop_ = event;
  g_hart_ = event.hart;
  c_hart_ = static_cast<int>(event.hart);
  const bool watch =
      event.kind == StopKind::Watch || event.kind == StopKind::ReadWatch || event.kind == StopKind::AccessWatch;
  watch_stop_pc_[event.hart] = watch ? std::optional<uint64_t>(machine_.hart(event.hart).pc) : std::nullopt;
  if (client_ && tell_gdb) client_->send(stop_reply(event));
}

// Interrupts that running harts would take before their next instruction, taken here so that
// the handler's first instruction is checked like any other (see DebugMonitor::check_boundary).
// True if that led to a stop.
bool GdbServer::take_interrupts_first() {
  for (unsigned i = 0; i < machine_.hart_count(); ++i) {
    if (parked_[i]) continue;
    Hart& hart = machine_.hart(i);
    // Bounded: each interrupt taken goes to a more privileged mode or masks its own level.
    for (unsigned nested = 0; nested < 4; ++nested) {
      const uint64_t pc = hart.pc;
      if (!hart.interrupt_pending() || !hart.take_pending_interrupt()) break;
      if (options_.observer) options_.observer->trapped(hart, pc, hart.last_trap_cause(), 0);
      if (monitor_.stepping(i)) {
        monitor_.record({i, StopKind::Step, kSigTrap, 0});
        break;
      }
      const DebugMonitor::Boundary boundary = monitor_.check_boundary(i, hart.pc);
      if (boundary != DebugMonitor::Boundary::InterruptFirst) break;
      hart.clear_stop_request();  // a nested interrupt: take it here too
    }
  }
  if (std::optional<StopEvent> event = monitor_.take_event()) {
    stop(*event);
    return true;
  }
  return false;
}

GdbServer::Outcome GdbServer::run_one_slice() {
  if (monitor_.active()) {
    // The clock stands at the last slice's end, as it will when the engines look at interrupts.
    if (take_interrupts_first()) return Outcome::Stopped;
    if (fresh_resume_ && monitor_.has_watchpoints()) {
      // The first instruction after a resume is checked too, except after a stop before the
      // same access (gdb removes watchpoints to step over it, but a client need not).
      for (unsigned i = 0; i < machine_.hart_count(); ++i) {
        if (parked_[i] || watch_stop_pc_[i] == machine_.hart(i).pc) continue;
        if (std::optional<StopEvent> hit = monitor_.watch_hit(i, machine_.hart(i).pc)) {
          stop(*hit);
          return Outcome::Stopped;
        }
      }
    }
  }
  fresh_resume_ = false;
  std::fill(watch_stop_pc_.begin(), watch_stop_pc_.end(), std::nullopt);

  machine_.run_slice(kSliceSteps);
  if (machine_.exit_code()) return Outcome::Exited;
  const std::optional<StopEvent> event = monitor_.take_event();
  // Harts stopped only to take an interrupt here run on; parked ones stay parked (a guest
  // reset inside the slice clears every stop request).
  bool idle = true;
  for (unsigned i = 0; i < machine_.hart_count(); ++i) {
    Hart& hart = machine_.hart(i);
    if (parked_[i]) {
      hart.request_stop();
      continue;
    }
    hart.clear_stop_request();
    if (!hart.waiting() || hart.interrupt_pending()) idle = false;
  }
  if (event) {
    stop(*event);
    return Outcome::Stopped;
  }
  return idle ? wait_while_idle() : Outcome::Running;
}

// Every running hart waits for an interrupt: as Machine::run, virtual time jumps to the next
// deadline and real time sleeps until it, while gdb's socket (or the listener) is listened to.
GdbServer::Outcome GdbServer::wait_while_idle() {
  constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
  virt::VirtBoard& board = machine_.board();
  MachineClock& clock = machine_.clock();
  const uint64_t deadline = board.next_deadline();
  const bool inputs = board.has_external_inputs();
  if (deadline == kNever && !inputs) {
    if (!client_) return Outcome::Deadlock;
    // Only gdb can change anything now: wait for its Ctrl-C.
    std::string packet;
    const Connection::Input input = client_->next(-1ns, packet);
    if (input == Connection::Input::Interrupt) stop({g_hart_, StopKind::Signal, kSigInt, 0});
    else if (input == Connection::Input::Packet) queued_.push_back(packet);
    else if (input == Connection::Input::Closed) drop_client("gdb went away");
    return stopped_ ? Outcome::Stopped : Outcome::Running;
  }
  if (clock.mode() == MachineClock::Mode::Virtual && deadline != kNever && !inputs) {
    clock.skip_to(deadline);
  } else {
    const std::chrono::nanoseconds nap = std::min<std::chrono::nanoseconds>(clock.until(deadline), 1ms);
    if (client_) {
      std::string packet;
      const Connection::Input input = client_->next(nap, packet);
      if (input == Connection::Input::Interrupt) stop({g_hart_, StopKind::Signal, kSigInt, 0});
      else if (input == Connection::Input::Packet) queued_.push_back(packet);
      else if (input == Connection::Input::Closed) drop_client("gdb went away");
    } else if (const int fd = listener_.accept(nap); fd >= 0) {
      attach(fd);
    }
    if (clock.mode() == MachineClock::Mode::Virtual && deadline != kNever)
      clock.skip_to(std::min(deadline, clock.mtime() + clock.frequency_hz() / 1000));
  }
  board.poll();
  return stopped_ ? Outcome::Stopped : Outcome::Running;
}

// --- Packets ----------------------------------------------------------------------------------

void GdbServer::reply(std::string_view payload) {
  if (client_) client_->send(payload);
}

std::string GdbServer::stop_reply(const StopEvent& event) const {
  char head[8];
  std::snprintf(head, sizeof head, "T%02x", static_cast<unsigned>(event.signal) & 0xff);
  std::string text = head;
  text += "thread:" + hex_number(event.hart + 1) + ";";
  switch (event.kind) {
    case StopKind::SoftwareBreak:
      if (gdb_swbreak_) text += "swbreak:;";
      break;
    case StopKind::HardwareBreak:
      if (gdb_hwbreak_) text += "hwbreak:;";
      break;
    case StopKind::Watch: text += "watch:" + hex_number(event.data_address) + ";"; break;
    case StopKind::ReadWatch: text += "rwatch:" + hex_number(event.data_address) + ";"; break;
    case StopKind::AccessWatch: text += "awatch:" + hex_number(event.data_address) + ";"; break;
    case StopKind::Signal:
    case StopKind::Step: break;
  }
  return text;
}

// A thread id: "-1" (all), "0" (any: the current one), hex hart index + 1, or "pPID.TID".
bool GdbServer::parse_thread(std::string_view text, int& hart) const {
  if (const size_t dot = text.find('.'); !text.empty() && text[0] == 'p' && dot != std::string_view::npos)
    text = text.substr(dot + 1);
  if (text == "-1") return hart = -1, true;
  uint64_t id;
  if (!parse_hex(text, id) || id > machine_.hart_count()) return false;
  hart = id == 0 ? static_cast<int>(g_hart_) : static_cast<int>(id - 1);
  return true;
}

std::string GdbServer::read_registers_packet() {
  Hart& hart = general_hart();
  std::string out;
  out.reserve(kRegsInG * 16);
  for (unsigned regnum = 0; regnum < kRegsInG; ++regnum) {
    uint64_t value = 0;
    read_register(hart, regnum, value);
    append_hex_le(out, value, 8);
  }
  return out;
}

bool GdbServer::write_registers_packet(std::string_view hex) {
  if (hex.empty() || hex.size() % 16 != 0 || hex.size() / 16 > kRegsInG) return false;
  std::vector<uint64_t> values(hex.size() / 16);
  for (size_t i = 0; i < values.size(); ++i)
    if (!parse_hex_le(hex.substr(16 * i, 16), 8, values[i])) return false;
  Hart& hart = general_hart();
  for (size_t i = 0; i < values.size(); ++i) write_register(hart, static_cast<unsigned>(i), values[i]);
  return true;
}

std::string GdbServer::read_memory_packet(std::string_view args) {
  uint64_t address, length;
  if (!parse_address_length(args, address, length, nullptr)) return "E01";
  length = std::min<uint64_t>(length, kMaxMemoryReply);  // gdb asks again for the rest
  std::vector<uint8_t> bytes(length);
  const size_t got = memory_.read(general_hart(), address, bytes.data(), bytes.size());
  if (got == 0 && length != 0) return "E14";  // EFAULT
  std::string out;
  out.reserve(2 * got);
  for (size_t i = 0; i < got; ++i) append_hex_byte(out, bytes[i]);
  return out;
}

bool GdbServer::write_memory(std::string_view args, bool binary) {
  uint64_t address, length;
  std::string_view rest;
  if (!parse_address_length(args, address, length, &rest) || rest.empty() || rest[0] != ':') return false;
  std::vector<uint8_t> bytes;
  const std::string_view data = rest.substr(1);
  if (!(binary ? unescape_binary(data, bytes) : decode_hex_bytes(data, bytes)) || bytes.size() != length) return false;
  return memory_.write(general_hart(), address, bytes.data(), bytes.size()) == bytes.size();
}

std::string GdbServer::breakpoint_packet(std::string_view packet) {
  const bool insert = packet[0] == 'Z';
  if (packet.size() < 3 || packet[2] != ',') return "E01";
  uint64_t address, kind;
  if (!parse_address_length(packet.substr(3), address, kind, nullptr)) return "E01";
  switch (packet[1]) {
    case '0':  // software breakpoint: no ebreak is written; the monitor checks the address
    case '1':  // hardware breakpoint: the same check
      if (insert) {
        monitor_.insert_breakpoint(address, packet[1] == '1');
        return "OK";
      }
      return monitor_.remove_breakpoint(address, packet[1] == '1') ? "OK" : "E01";
    case '2':
    case '3':
    case '4': {
      if (kind == 0) return "E01";
      const WatchKind watch = packet[1] == '2'   ? WatchKind::Write
                              : packet[1] == '3' ? WatchKind::Read
                                                 : WatchKind::Access;
      const Watchpoint w{address, kind, watch};
      if (insert) {
        monitor_.insert_watchpoint(w);
        return "OK";
      }
      return monitor_.remove_watchpoint(w) ? "OK" : "E01";
    }
    default: return "";  // not supported
  }
}

GdbServer::Command GdbServer::resume_legacy(std::string_view packet, bool step) {
  // c [ADDR], s [ADDR], C SIG[;ADDR], S SIG[;ADDR]: the signal is not delivered (a hart has none).
  std::string_view address_text = packet.substr(1);
  if (packet[0] == 'C' || packet[0] == 'S') {
    const size_t semi = address_text.find(';');
    address_text = semi == std::string_view::npos ? std::string_view() : address_text.substr(semi + 1);
  }
  const unsigned target = c_hart_ >= 0 ? static_cast<unsigned>(c_hart_) : g_hart_;
  if (!address_text.empty()) {
    uint64_t address;
    if (!parse_hex(address_text, address)) {
      reply("E01");
      return Command::Stay;
    }
    write_register(machine_.hart(target), kRegPc, address);
  }
  std::vector<Action> actions(machine_.hart_count(), step ? Action::None : Action::Continue);
  actions[target] = step ? Action::Step : Action::Continue;
  resume(actions);
  return Command::Resume;
}

GdbServer::Command GdbServer::handle(std::string_view packet) {
  if (packet.empty()) {
    reply("");
    return Command::Stay;
  }
  switch (packet[0]) {
    case '?': reply(stop_reply(last_stop_)); break;
    case 'g': reply(read_registers_packet()); break;
    case 'G': reply(write_registers_packet(packet.substr(1)) ? "OK" : "E01"); break;
    case 'p': {
      uint64_t regnum;
      unsigned size = 0;
      if (!parse_hex(packet.substr(1), regnum) || regnum > kRegPriv ||
          (size = register_size(static_cast<unsigned>(regnum))) == 0) {
        reply("E01");
        break;
      }
      uint64_t value;
      std::string out;
      if (read_register(general_hart(), static_cast<unsigned>(regnum), value))
        append_hex_le(out, value, size);
      else
        out.assign(2 * size, 'x');  // unavailable
      reply(out);
      break;
    }
    case 'P': {
      const size_t eq = packet.find('=');
      uint64_t regnum, value;
      unsigned size = 0;
      const bool ok = eq != std::string_view::npos && parse_hex(packet.substr(1, eq - 1), regnum) &&
                      regnum <= kRegPriv && (size = register_size(static_cast<unsigned>(regnum))) != 0 &&
                      parse_hex_le(packet.substr(eq + 1), size, value) &&
                      write_register(general_hart(), static_cast<unsigned>(regnum), value);
      reply(ok ? "OK" : "E01");
      break;
    }
    case 'm': reply(read_memory_packet(packet.substr(1))); break;
    case 'M': reply(write_memory(packet.substr(1), false) ? "OK" : "E01"); break;
    case 'X': reply(write_memory(packet.substr(1), true) ? "OK" : "E01"); break;
    case 'c':
    case 'C': return resume_legacy(packet, false);
    case 's':
    case 'S': return resume_legacy(packet, true);
    case 'H': {
      int hart;
      if (packet.size() < 2 || !parse_thread(packet.substr(2), hart)) {
        reply("E01");
        break;
      }
      if (packet[1] == 'g') {
        if (hart >= 0) g_hart_ = static_cast<unsigned>(hart);
      } else if (packet[1] == 'c') {
        c_hart_ = hart;
      } else {
        reply("E01");
        break;
      }
      reply("OK");
      break;
    }
    case 'T': {
      int hart;
      reply(parse_thread(packet.substr(1), hart) && hart >= 0 ? "OK" : "E01");
      break;
    }
    case 'Z':
    case 'z': reply(breakpoint_packet(packet)); break;
    case 'D':
      reply("OK");
      return Command::Detach;
    case 'k': return Command::Kill;  // no reply (gdb closes the connection)
    case 'q':
    case 'Q': return handle_query(packet);
    case 'v': return handle_v(packet);
    default: reply(""); break;  // not supported
  }
  return Command::Stay;
}

GdbServer::Command GdbServer::handle_query(std::string_view packet) {
  auto starts = [&packet](std::string_view prefix) { return packet.substr(0, prefix.size()) == prefix; };
  if (starts("qSupported")) {
    gdb_swbreak_ = packet.find("swbreak+") != std::string_view::npos;
    gdb_hwbreak_ = packet.find("hwbreak+") != std::string_view::npos;
    reply("PacketSize=" + hex_number(kPacketSize) +
          ";qXfer:features:read+;QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+");
  } else if (packet == "QStartNoAckMode") {
    reply("OK");  // acknowledged once more, then never again
    client_->start_no_ack_mode();
  } else if (starts("qXfer:features:read:")) {
    // qXfer:features:read:ANNEX:OFFSET,LENGTH
    std::string_view rest = packet.substr(std::string_view("qXfer:features:read:").size());
    const size_t colon = rest.find(':');
    uint64_t offset, length;
    if (colon == std::string_view::npos || !parse_address_length(rest.substr(colon + 1), offset, length, nullptr)) {
      reply("E01");
    } else if (rest.substr(0, colon) != "target.xml") {
      reply("E00");  // no such annex
    } else if (offset >= target_xml_.size()) {
      reply("l");
    } else {
      const size_t chunk =
          static_cast<size_t>(std::min<uint64_t>({length, target_xml_.size() - offset, kPacketSize / 2}));
      std::string out = offset + chunk >= target_xml_.size() ? "l" : "m";
      append_escaped(out, std::string_view(target_xml_).substr(static_cast<size_t>(offset), chunk));
      reply(out);
    }
  } else if (packet == "qfThreadInfo") {
    std::string out = "m";
    for (unsigned i = 0; i < machine_.hart_count(); ++i) out += (i ? "," : "") + hex_number(i + 1);
    reply(out);
  } else if (packet == "qsThreadInfo") {
    reply("l");
  } else if (starts("qThreadExtraInfo,")) {
    int hart;
    if (!parse_thread(packet.substr(17), hart) || hart < 0) {
      reply("E01");
    } else {
      static constexpr const char* kModes[] = {"U-mode", "S-mode", "?", "M-mode"};
      Hart& h = machine_.hart(static_cast<unsigned>(hart));
      std::string text = "hart " + std::to_string(hart) + ", " + kModes[static_cast<unsigned>(h.priv) & 3];
      if (h.waiting()) text += ", in wfi";
      reply(hex_encode(text));
    }
  } else if (packet == "qC") {
    reply("QC" + hex_number(g_hart_ + 1));
  } else if (starts("qAttached")) {
    reply("1");  // gdb attached to a running machine: quitting detaches, it does not kill
  } else if (packet == "qSymbol::") {
    reply("OK");
  } else {
    reply("");  // qOffsets, qTStatus, qRcmd, ...: not supported
  }
  return Command::Stay;
}

GdbServer::Command GdbServer::handle_v(std::string_view packet) {
  if (packet == "vCont?") {
    reply("vCont;c;C;s;S");
    return Command::Stay;
  }
  if (packet.substr(0, 6) == "vCont;") {
    // vCont;ACTION[:THREAD];...: each hart takes the first action that names it (or all).
    std::vector<Action> actions(machine_.hart_count(), Action::None);
    std::string_view rest = packet.substr(6);
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      const std::string_view item = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      if (item.empty()) continue;
      Action action;
      if (item[0] == 'c' || item[0] == 'C') action = Action::Continue;
      else if (item[0] == 's' || item[0] == 'S') action = Action::Step;
      else {
        reply("E01");  // t, r: not supported in all-stop mode
        return Command::Stay;
      }
      const size_t colon = item.find(':');
      int hart = -1;
      if (colon != std::string_view::npos && !parse_thread(item.substr(colon + 1), hart)) {
        reply("E01");
        return Command::Stay;
      }
      for (unsigned i = 0; i < actions.size(); ++i)
        if ((hart < 0 || static_cast<unsigned>(hart) == i) && actions[i] == Action::None) actions[i] = action;
    }
    if (std::all_of(actions.begin(), actions.end(), [](Action a) { return a == Action::None; })) {
      reply("E01");
      return Command::Stay;
    }
    resume(actions);
    return Command::Resume;
  }
  if (packet.substr(0, 5) == "vKill") {
    reply("OK");
    return Command::Kill;
  }
  reply("");  // vMustReplyEmpty, vFile, vRun, ...
  return Command::Stay;
}

}  // namespace

int run_with_gdb(Machine& machine, const GdbServerOptions& options) {
  GdbServer server(machine, options);
  const int code = server.run();
  machine.set_observer(options.observer);
  return code;
}

int run_with_gdb(Machine& machine, uint16_t port, bool wait_for_attach, std::FILE* log) {
  GdbServerOptions options;
  options.port = port;
  options.wait_for_attach = wait_for_attach;
  options.log = log;
  return run_with_gdb(machine, options);
}

}  // namespace hartbox
