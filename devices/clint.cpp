#include "devices/clint.hpp"

#include <algorithm>
#include <limits>

#include "core/state_io.hpp"

namespace hartbox {

Clint::Clint(std::vector<Hart*> harts, MachineClock& clock)
    : harts_(std::move(harts)), mtimecmp_(harts_.size(), std::numeric_limits<uint64_t>::max()), clock_(clock) {}

void Clint::reset() {
  std::fill(mtimecmp_.begin(), mtimecmp_.end(), std::numeric_limits<uint64_t>::max());
  for (Hart* hart : harts_) hart->set_interrupt_pending(irq::MSIP, false);
  update_timer_interrupts();
}

namespace {
// Sub-word access to a 64-bit register: RV32 software reads mtime in two halves.
bool read_part(uint64_t reg, uint64_t offset_in_reg, unsigned size, uint64_t& value) {
  if (offset_in_reg + size > 8) return false;
  value = reg >> (8 * offset_in_reg);
  if (size < 8) value &= (uint64_t{1} << (8 * size)) - 1;
  return true;
}
uint64_t write_part(uint64_t reg, uint64_t offset_in_reg, unsigned size, uint64_t value) {
  const uint64_t mask = size == 8 ? ~uint64_t{0} : ((uint64_t{1} << (8 * size)) - 1) << (8 * offset_in_reg);
  return (reg & ~mask) | ((value << (8 * offset_in_reg)) & mask);
}
}  // namespace

bool Clint::read(uint64_t offset, unsigned size, uint64_t& value) {
  if (offset < 0x4000) {
    const uint64_t hart = offset / 4;
    if (hart >= harts_.size()) return value = 0, true;
    return read_part((harts_[hart]->mip() & irq::MSIP) ? 1 : 0, offset % 4, size, value);
  }
  if (offset >= 0x4000 && offset < 0xbff8) {
    const uint64_t hart = (offset - 0x4000) / 8;
    if (hart >= harts_.size()) return value = 0, true;
    return read_part(mtimecmp_[hart], (offset - 0x4000) % 8, size, value);
  }
  if (offset >= 0xbff8 && offset < 0xc000) return read_part(mtime(), offset - 0xbff8, size, value);
  value = 0;
  return true;
}

bool Clint::write(uint64_t offset, unsigned size, uint64_t value) {
  if (offset < 0x4000) {
    const uint64_t hart = offset / 4;
    if (hart < harts_.size() && offset % 4 == 0) harts_[hart]->set_interrupt_pending(irq::MSIP, value & 1);
    return true;
  }
  if (offset >= 0x4000 && offset < 0xbff8) {
    const uint64_t hart = (offset - 0x4000) / 8;
    if (hart >= harts_.size()) return true;
    mtimecmp_[hart] = write_part(mtimecmp_[hart], (offset - 0x4000) % 8, size, value);
    update_timer_interrupts();
    return true;
  }
  if (offset >= 0xbff8 && offset < 0xc000) {
    clock_.set_mtime(write_part(mtime(), offset - 0xbff8, size, value));
    update_timer_interrupts();
    return true;
  }
  return true;
}

void Clint::update_timer_interrupts() {
  const uint64_t now = mtime();
  for (size_t i = 0; i < harts_.size(); ++i) harts_[i]->set_interrupt_pending(irq::MTIP, now >= mtimecmp_[i]);
}

uint64_t Clint::next_deadline() const {
  const uint64_t now = mtime();
  uint64_t next = std::numeric_limits<uint64_t>::max();
  for (uint64_t cmp : mtimecmp_)
    if (cmp > now && cmp < next) next = cmp;
  return next;
}

void Clint::save(StateWriter& out) const {
  out.begin_section(state_tag("CLNT"));
  out.u64(mtimecmp_.size());
  for (uint64_t cmp : mtimecmp_) out.u64(cmp);
  out.end_section();
}

void Clint::load(StateReader& in) {
  in.begin_section(state_tag("CLNT"));
  in.expect(in.u64() == mtimecmp_.size(), "the snapshot's CLINT has another number of harts");
  for (uint64_t& cmp : mtimecmp_) cmp = in.u64();
  in.end_section();
}

}  // namespace hartbox
