// The reference engine: fetch, decode and execute one instruction at a time, with nothing
// cached. Simple enough to check against the ISA manual line by line.
#pragma once

#include "core/engines/engine.hpp"

namespace hartbox {

class Interpreter final : public Engine {
 public:
  std::string_view name() const override { return "interp"; }
  SliceResult run(Hart& hart, uint64_t budget) override;
};

}  // namespace hartbox
