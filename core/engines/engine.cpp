#include "core/engines/engine.hpp"

#include "core/engines/block.hpp"
#include "core/engines/interpreter.hpp"
#include "core/engines/threaded.hpp"

namespace hartbox {

std::vector<std::string_view> engine_names() { return {"block", "threaded", "interp"}; }

std::unique_ptr<Engine> make_engine(std::string_view name, CodePages* code_pages) {
  if (name == "interp") return std::make_unique<Interpreter>();
  if (name == "block") return std::make_unique<BlockEngine>(code_pages);
  if (name == "threaded") return std::make_unique<ThreadedInterpreter>(code_pages);
  return nullptr;
}

}  // namespace hartbox
