#include "devices/sifive_test.hpp"

namespace hartbox {

namespace {
bool valid_access(uint64_t offset, unsigned size) {
  return (size == 2 || size == 4) && offset % size == 0 && offset < SifiveTest::kSize;
}
}  // namespace

bool SifiveTest::read(uint64_t offset, unsigned size, uint64_t& value) {
  if (!valid_access(offset, size)) return false;
  value = 0;
  return true;
}

bool SifiveTest::write(uint64_t offset, unsigned size, uint64_t value) {
  if (!valid_access(offset, size)) return false;
  if (offset != 0) return true;
  const uint32_t status = value & 0xffff;
  const int code = static_cast<int>((value >> 16) & 0xffff);
  switch (status) {
    case kFinisherPass: power_.power_off(0); break;
    case kFinisherFail: power_.power_off(code); break;
    case kFinisherReset: power_.reset(); break;
    default: break;
  }
  return true;
}

}  // namespace hartbox
