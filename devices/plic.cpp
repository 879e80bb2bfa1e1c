#include "devices/plic.hpp"

#include <bit>
#include <stdexcept>

#include "core/state_io.hpp"

namespace hartbox {

namespace {
constexpr uint64_t kClaimOffset = 4;  // within a context's 0x1000 block
constexpr size_t kMaxContexts = (Plic::kContextBase - Plic::kEnableBase) / Plic::kEnableStride;

template <size_t N>
bool bit(const std::array<uint32_t, N>& bits, uint32_t source) {
  return (bits[source / 32] >> (source % 32)) & 1;
}
template <size_t N>
void assign_bit(std::array<uint32_t, N>& bits, uint32_t source, bool value) {
  const uint32_t mask = uint32_t{1} << (source % 32);
  if (value)
    bits[source / 32] |= mask;
  else
    bits[source / 32] &= ~mask;
}
}  // namespace

Plic::Plic(std::vector<Hart*> harts) : harts_(std::move(harts)) {
  if (harts_.empty()) throw std::invalid_argument("plic: no harts");
  if (harts_.size() * 2 > kMaxContexts) throw std::invalid_argument("plic: too many harts");
  for (const Hart* hart : harts_)
    if (!hart) throw std::invalid_argument("plic: null hart");
  enable_.resize(harts_.size() * 2);
  threshold_.resize(harts_.size() * 2);
  claimed_by_.fill(kNotClaimed);
}

void Plic::reset() {
  std::lock_guard lock(mutex_);
  priority_.fill(0);
  claimed_by_.fill(kNotClaimed);
  for (Bits& bits : enable_) bits = {};
  for (uint32_t& threshold : threshold_) threshold = 0;
  // The sources' levels are the devices' business, not the PLIC's: keep them, and let the
  // gateways forward them again (a device that still drives its line high is pending).
  pending_ = level_;
  update();
}

void Plic::set_irq(unsigned source, bool level) {
  if (source == 0 || source >= kNumSources) return;
  std::lock_guard lock(mutex_);
  assign_bit(level_, source, level);
  // QEMU's sifive_plic_irq_request(): the pending bit follows every drive of the line, even
  // while the source is claimed (it is delivered once the claim is completed).
  assign_bit(pending_, source, level);
  update();
}

bool Plic::read(uint64_t offset, unsigned size, uint64_t& value) {
  if (size != 4 || offset % 4 != 0) return false;
  std::lock_guard lock(mutex_);
  value = read_register(offset);
  return true;
}

bool Plic::write(uint64_t offset, unsigned size, uint64_t value) {
  if (size != 4 || offset % 4 != 0) return false;
  std::lock_guard lock(mutex_);
  write_register(offset, static_cast<uint32_t>(value));
  return true;
}

uint32_t Plic::read_register(uint64_t offset) {
  if (offset < kPendingBase) {
    const uint64_t source = (offset - kPriorityBase) / 4;
    return source < kNumSources ? priority_[source] : 0;
  }
  if (offset < kEnableBase) {
    const uint64_t word = (offset - kPendingBase) / 4;
    return word < kWords ? pending_[word] : 0;
  }
  if (offset < kContextBase) {
    const uint64_t context = (offset - kEnableBase) / kEnableStride;
    const uint64_t word = (offset - kEnableBase) % kEnableStride / 4;
    return context < enable_.size() && word < kWords ? enable_[context][word] : 0;
  }
  const uint64_t context = (offset - kContextBase) / kContextStride;
  if (context >= threshold_.size()) return 0;
  switch ((offset - kContextBase) % kContextStride) {
    case 0: return threshold_[context];
    case kClaimOffset: {
      const uint32_t source = best_source(context);
      if (source != 0) {
        assign_bit(pending_, source, false);
        claimed_by_[source] = static_cast<uint32_t>(context);
        update();
      }
      return source;
    }
    default: return 0;
  }
}

void Plic::write_register(uint64_t offset, uint32_t value) {
  if (offset < kPendingBase) {
    const uint64_t source = (offset - kPriorityBase) / 4;
    // WARL: QEMU keeps the low bits when kMaxPriority + 1 is a power of two. Source 0 does not
    // exist (PLIC spec 3.1), so its priority stays zero.
    if (source == 0 || source >= kNumSources) return;
    priority_[source] = value % (kMaxPriority + 1);
    update();
    return;
  }
  if (offset < kEnableBase) return;  // pending bits are read-only
  if (offset < kContextBase) {
    const uint64_t context = (offset - kEnableBase) / kEnableStride;
    const uint64_t word = (offset - kEnableBase) % kEnableStride / 4;
    if (context >= enable_.size() || word >= kWords) return;
    enable_[context][word] = word == 0 ? value & ~uint32_t{1} : value;  // source 0 hardwired off
    update();
    return;
  }
  const uint64_t context = (offset - kContextBase) / kContextStride;
  if (context >= threshold_.size()) return;
  switch ((offset - kContextBase) % kContextStride) {
    case 0:
      threshold_[context] = value % (kMaxPriority + 1);
      update();
      return;
    case kClaimOffset:
      // Complete: only the context holding the claim can release it; anything else (a source
      // this context did not claim, an out-of-range id) is ignored.
      if (value == 0 || value >= kNumSources || claimed_by_[value] != context) return;
      // As QEMU: completion releases the claim but does not sample the line again.
      claimed_by_[value] = kNotClaimed;
      update();
      return;
    default: return;
  }
}

uint32_t Plic::best_source(size_t context) const {
  uint32_t best = 0;
  uint32_t best_priority = threshold_[context];
  for (unsigned word = 0; word < kWords; ++word) {
    uint32_t candidates = pending_[word] & enable_[context][word];
    while (candidates) {
      const auto index = static_cast<unsigned>(std::countr_zero(candidates));
      candidates &= candidates - 1;
      const uint32_t source = word * 32 + index;
      if (claimed_by_[source] != kNotClaimed) continue;  // held until completed
      // Strictly greater: ties go to the lowest id, and priority 0 never interrupts.
      if (priority_[source] > best_priority) {
        best = source;
        best_priority = priority_[source];
      }
    }
  }
  return best;
}

void Plic::update() {
  for (size_t context = 0; context < threshold_.size(); ++context) {
    const uint64_t line = context % 2 == 0 ? irq::MEIP : irq::SEIP;
    if (line == irq::SEIP)
      harts_[context / 2]->set_external_seip(best_source(context) != 0);
    else
      harts_[context / 2]->set_interrupt_pending(line, best_source(context) != 0);
  }
}

void Plic::save(StateWriter& out) const {
  std::lock_guard lock(mutex_);
  out.begin_section(state_tag("PLIC"));
  out.u64(threshold_.size());
  for (uint32_t v : priority_) out.u32(v);
  for (uint32_t v : claimed_by_) out.u32(v);
  for (uint32_t v : level_) out.u32(v);
  for (uint32_t v : pending_) out.u32(v);
  for (const Bits& bits : enable_)
    for (uint32_t v : bits) out.u32(v);
  for (uint32_t v : threshold_) out.u32(v);
  out.end_section();
}

void Plic::load(StateReader& in) {
  std::lock_guard lock(mutex_);
  in.begin_section(state_tag("PLIC"));
  in.expect(in.u64() == threshold_.size(), "the snapshot's PLIC has another number of contexts");
  for (uint32_t& v : priority_) {
    v = in.u32();
    in.expect(v <= kMaxPriority, "corrupted: PLIC priority " + std::to_string(v));
  }
  for (uint32_t& v : claimed_by_) {
    v = in.u32();
    in.expect(v == kNotClaimed || v < threshold_.size(), "corrupted: PLIC claim by context " + std::to_string(v));
  }
  for (uint32_t& v : level_) v = in.u32();
  for (uint32_t& v : pending_) v = in.u32();
  for (Bits& bits : enable_)
    for (uint32_t& v : bits) v = in.u32();
  for (uint32_t& v : threshold_) {
    v = in.u32();
    in.expect(v <= kMaxPriority, "corrupted: PLIC threshold " + std::to_string(v));
  }
  in.end_section();
  update();
}

}  // namespace hartbox
