#include "core/trap.hpp"

namespace hartbox {

std::string_view exception_name(uint64_t cause) {
  switch (cause) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 2: return "illegal instruction";
    case 3: return "breakpoint";
    case 4: return "load address misaligned";
    case 5: return "load access fault";
    case 6: return "store/AMO address misaligned";
    case 7: return "store/AMO access fault";
    case 8: return "environment call from U-mode";
    case 9: return "environment call from S-mode";
    case 11: return "environment call from M-mode";
    case 12: return "instruction page fault";
    case 13: return "load page fault";
    case 15: return "store/AMO page fault";
    default: return "reserved exception";
  }
}

std::string_view interrupt_name(uint64_t cause) {
  switch (cause) {
    case 1: return "supervisor software interrupt";
    case 3: return "machine software interrupt";
    case 5: return "supervisor timer interrupt";
    case 7: return "machine timer interrupt";
    case 9: return "supervisor external interrupt";
    case 11: return "machine external interrupt";
    default: return "reserved interrupt";
  }
}

}  // namespace hartbox
