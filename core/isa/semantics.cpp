#include "core/isa/semantics.hpp"

namespace hartbox::isa {

// The RISC-V semihosting trap sequence: an uncompressed `ebreak` between
// `slli x0, x0, 0x1f` and `srai x0, x0, 7`, all three in the same page (semihosting spec 2.1).
bool is_semihosting_call(Hart& h, const DecodedInsn& d) {
  constexpr uint32_t kSlli = 0x01f01013, kSrai = 0x40705013;
  if (!h.semihosting() || d.len != 4) return false;
  if ((h.pc & kPageMask) < 4 || (h.pc & kPageMask) > kPageSize - 8) return false;
  uint32_t before = 0, after = 0;
  if (!h.read_virtual(h.pc - 4, &before, 4) || !h.read_virtual(h.pc + 4, &after, 4)) return false;
  return before == kSlli && after == kSrai;
}

}  // namespace hartbox::isa
