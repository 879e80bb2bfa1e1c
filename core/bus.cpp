#include "core/bus.hpp"

#include <algorithm>
#include <stdexcept>

namespace hartbox {

bool Bus::overlaps(uint64_t base, uint64_t size) const {
  for (const Mapping& m : mappings_)
    if (base < m.base + m.size && m.base < base + size) return true;
  return false;
}

void Bus::attach(uint64_t base, uint64_t size, Device& device) {
  for (const Mapping& m : mappings_)
    if (base < m.base + m.size && m.base < base + size)
      throw std::invalid_argument("device " + std::string(device.name()) + " overlaps " + std::string(m.device->name()));
  mappings_.push_back({base, size, &device});
  std::sort(mappings_.begin(), mappings_.end(), [](const Mapping& a, const Mapping& b) { return a.base < b.base; });
}

const Bus::Mapping* Bus::find(uint64_t paddr) const {
  for (const Mapping& m : mappings_)
    if (paddr >= m.base && paddr - m.base < m.size) return &m;
  return nullptr;
}

bool Bus::is_plain_ram_page(uint64_t paddr) const {
  uint64_t page = paddr & ~kPageMask;
  if (!ram_.contains(page, kPageSize)) return false;
  for (const Mapping& m : mappings_)
    if (m.base < page + kPageSize && page < m.base + m.size) return false;
  return true;
}

bool Bus::read(uint64_t paddr, unsigned size, uint64_t& value) {
  if (const Mapping* m = find(paddr)) {
    if (paddr - m->base + size > m->size) return false;
    return m->device->read(paddr - m->base, size, value);
  }
  if (!ram_.contains(paddr, size)) return false;
  value = 0;
  ram_.read(paddr, &value, size);  // little-endian host
  return true;
}

bool Bus::write(uint64_t paddr, unsigned size, uint64_t value) {
  if (const Mapping* m = find(paddr)) {
    if (paddr - m->base + size > m->size) return false;
    return m->device->write(paddr - m->base, size, value);
  }
  if (!ram_.contains(paddr, size)) return false;
  ram_.write(paddr, &value, size);
  return true;
}

}  // namespace hartbox
