#include "core/engines/block.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <type_traits>

#include "core/isa/semantics.hpp"

// Dispatch by computed goto ("labels as values") is a GCC/Clang extension, used on purpose.
#pragma GCC diagnostic ignored "-Wpedantic"

namespace hartbox {
namespace {

// Instructions after which a block ends: control transfers, and anything that may change
// privilege, translation, interrupt state or code (they also request a sync, but ending the
// block at decode time keeps the common case free of checks).
bool ends_block(isa::Op op) {
  switch (isa::op_info(op).cls) {
    case isa::InsnClass::Branch:
    case isa::InsnClass::Jump:
    case isa::InsnClass::System:
    case isa::InsnClass::Csr:
    case isa::InsnClass::Illegal: return true;
    default: return false;
  }
}

// Instructions whose body reads hart.pc or writes hart.next_pc (semantics.hpp): they need both
// set before they run. A constant per operation, from its class in opcodes.def.
constexpr bool reads_pc(isa::InsnClass cls, bool is_auipc) {
  return is_auipc || cls == isa::InsnClass::Branch || cls == isa::InsnClass::Jump ||
         cls == isa::InsnClass::System || cls == isa::InsnClass::Csr || cls == isa::InsnClass::Illegal;
}

// Whether an instruction of this class may ask for a sync point (Hart::request_sync) while
// it runs: memory accesses may reach a device (an interrupt) or code (an invalidation). The
// others that can (CSR, system, and every control transfer) always end their block, so an
// operation in the middle of a block checks only after a memory access.
constexpr bool may_request_sync(isa::InsnClass cls) {
  return cls != isa::InsnClass::Alu && cls != isa::InsnClass::MulDiv && cls != isa::InsnClass::Fp;
}

}  // namespace

BlockEngine::Block* BlockEngine::lookup(Hart& h, uint64_t pc, const Handlers& handlers) {
  ++stats_.lookups;
  const JumpCacheEntry& entry = jump_cache_[(pc >> 1) & (jump_cache_.size() - 1)];
  if (entry.pc == pc && entry.epoch == h.translation_epoch() && entry.generation == generation_) {
    ++stats_.jump_cache_hits;
    return entry.block;
  }
  h.fetch(pc);  // raises the fetch fault, if any, and fills the fetch TLB for RAM
  const HostTlb::Entry& tlb = h.tlb().slot(Access::Fetch, pc);
  if (tlb.vpn != (pc >> kPageShift)) return nullptr;  // not plain RAM
  const uint64_t paddr = tlb.paddr_page | (pc & kPageMask);
  const auto* host_page = reinterpret_cast<const uint8_t*>(tlb.host_minus_vaddr + (pc & ~kPageMask));
  Block* block;
  if (auto it = blocks_.find(paddr); it != blocks_.end())
    block = it->second.get();
  else
    block = build(h, pc, paddr, host_page, handlers);
  // Indexed again: build() may have grown the cache.
  if (block) jump_cache_[(pc >> 1) & (jump_cache_.size() - 1)] = {pc, h.translation_epoch(), generation_, block};
  return block;
}

void BlockEngine::BlockDeleter::operator()(Block* block) const {
  ::operator delete(block, std::align_val_t{alignof(Block)});
}

BlockEngine::BlockPtr BlockEngine::new_block(uint64_t paddr, const Op* ops, uint32_t count) {
  static_assert(sizeof(Block) % alignof(Op) == 0, "the operations follow the header");
  static_assert(std::is_trivially_copyable_v<Op> && std::is_trivially_destructible_v<Block>);
  void* memory = ::operator new(sizeof(Block) + count * sizeof(Op), std::align_val_t{alignof(Block)});
  BlockPtr block(new (memory) Block);
  block->paddr = paddr;
  block->count = count;
  std::memcpy(static_cast<void*>(block->ops()), ops, count * sizeof(Op));
  return block;
}

BlockEngine::Block* BlockEngine::build(Hart& h, uint64_t pc, uint64_t paddr, const uint8_t* host_page,
                                       const Handlers& handlers) {
  std::array<Op, kMaxBlockInsns> ops;
  uint32_t count = 0;
  uint64_t offset = pc & kPageMask;
  const uint64_t start = offset;
  while (count < kMaxBlockInsns && offset < kPageSize) {
    uint16_t low;
    std::memcpy(&low, host_page + offset, 2);
    uint32_t raw = low;
    if (isa::insn_length(low) == 4) {
      if (offset + 4 > kPageSize) break;  // crosses into the next page: never cached
      std::memcpy(&raw, host_page + offset, 4);
    }
    const isa::DecodedInsn insn = isa::decode(raw);
    const isa::InsnClass cls = isa::op_info(insn.op).cls;
    const void* const* table = built_observed_                               ? handlers.observed
                               : reads_pc(cls, insn.op == isa::Op::AUIPC) ? handlers.with_pc
                                                                          : handlers.plain;
    ops[count++] = {table[static_cast<unsigned>(insn.op)], insn, static_cast<uint32_t>(offset - start)};
    offset += insn.len;
    if (ends_block(insn.op)) break;
  }
  if (count == 0) return nullptr;
  // The last operation leaves hart.next_pc where the block goes on.
  if (!built_observed_) ops[count - 1].handler = handlers.last[static_cast<unsigned>(ops[count - 1].insn.op)];
  BlockPtr block = new_block(paddr, ops.data(), count);
  (void)h;
  code_pages().mark_code_page(paddr);
  ++stats_.blocks_built;
  page_blocks_[paddr >> kPageShift].push_back(paddr);
  Block* raw_block = block.get();
  blocks_.emplace(paddr, std::move(block));
  if (blocks_.size() > jump_cache_.size() / 2 && jump_cache_.size() < kMaxJumpCache)
    jump_cache_.assign(std::min(jump_cache_.size() * 4, kMaxJumpCache), JumpCacheEntry{});
  return raw_block;
}

void BlockEngine::drop_page(uint64_t page_number) {
  auto it = page_blocks_.find(page_number);
  if (it == page_blocks_.end()) return;
  for (uint64_t paddr : it->second) {
    if (auto b = blocks_.find(paddr); b != blocks_.end()) {
      retired_blocks_.push_back(std::move(b->second));
      blocks_.erase(b);
    }
  }
  page_blocks_.erase(it);
  ++generation_;
  ++stats_.invalidations;
}

void BlockEngine::drop_all() {
  for (auto& [paddr, block] : blocks_) retired_blocks_.push_back(std::move(block));
  blocks_.clear();
  page_blocks_.clear();
  ++generation_;
  ++stats_.invalidations;
}

// Observers see the hart as the interpreter shows it after an instruction: pc past it and
// instret counting exactly the instructions retired so far (the block pre-counts them).
// (Blocks built while observed set the pc at every operation.)
void BlockEngine::notify_retired(Hart& h, const Op& op, ptrdiff_t index, uint64_t count) {
  const uint64_t pc = h.pc, instret = h.instret;
  h.instret = instret - (count - 1) + static_cast<uint64_t>(index) + 1;
  h.pc = h.next_pc;
  observer()->retired(h, pc, op.insn);
  h.instret = instret;
  h.pc = pc;
}

SliceResult BlockEngine::run(Hart& h, uint64_t budget) {
  static const void* const kPlain[isa::kOpCount] = {
      &&op_ILLEGAL,
#define HB_OP(name, match, mask, fmt, cls) &&op_##name,
#include "core/isa/opcodes.def"
#undef HB_OP
  };
  static const void* const kWithPc[isa::kOpCount] = {
      &&pc_op_ILLEGAL,
#define HB_OP(name, match, mask, fmt, cls) &&pc_op_##name,
#include "core/isa/opcodes.def"
#undef HB_OP
  };
  static const void* const kLast[isa::kOpCount] = {
      &&last_op_ILLEGAL,
#define HB_OP(name, match, mask, fmt, cls) &&last_op_##name,
#include "core/isa/opcodes.def"
#undef HB_OP
  };
  static const void* const kObserved[isa::kOpCount] = {
      &&observed_op_ILLEGAL,
#define HB_OP(name, match, mask, fmt, cls) &&observed_op_##name,
#include "core/isa/opcodes.def"
#undef HB_OP
  };
  static constexpr Handlers kHandlers{kPlain, kWithPc, kLast, kObserved};
  code_pages().observe(h);
  retired_blocks_.clear();  // nothing runs from them any more
  if (built_observed_ != (observer() != nullptr)) {
    // An observer sees hart.pc at every instruction: rebuild with the pc-setting handlers (and
    // back to the lean ones when it is gone).
    drop_all();
    built_observed_ = observer() != nullptr;
  }
  uint64_t step = 0;
  Block* next = nullptr;  // the chained successor, if the previous block knew it

  while (step < budget) {
    if (h.stop_requested()) return {StopReason::Requested, step};
    if (next == nullptr) {
      // Not chained: the previous block ended at a sync point, so look at interrupts.
      if (h.interrupt_pending()) {
        const uint64_t pc = h.pc;
        if (h.take_pending_interrupt() && observer()) observer()->trapped(h, pc, h.last_trap_cause(), 0);
      }
      if (h.waiting()) return {StopReason::Wait, step};
    }
    h.take_sync_request();
    const uint64_t base = h.pc;
    Block* block = next;
    next = nullptr;
    const Op* op = nullptr;
    const Op* end = nullptr;
    uint64_t count = 0;
    try {
      if (!block) block = lookup(h, base, kHandlers);
      if (!block) {
        // Uncached: code outside RAM or an instruction across a page boundary.
        const isa::DecodedInsn d = isa::decode(h.fetch(base));
        h.next_pc = base + d.len;
        isa::execute(h, d);
        h.x[0] = 0;
        h.pc = h.next_pc;
        ++h.instret;
        ++step;
        if (observer()) observer()->retired(h, base, d);
        continue;
      }
      op = block->ops();
      count = block->count;
      end = op + count;
      // Count the block's instructions up front (all but the last, so that a CSR read of
      // instret in the last one sees exactly the instructions before it); a trap or an early
      // exit corrects the count for the instructions that did not retire.
      h.instret += count - 1;
      goto* op->handler;

#define HB_HANDLER(name, cls)                                                   \
  observed_op_##name : {                                                        \
    h.pc = base + op->offset;                                                   \
    h.next_pc = h.pc + op->insn.len;                                            \
    isa::exec_##name(h, op->insn);                                              \
    h.x[0] = 0;                                                                 \
    notify_retired(h, *op, op - block->ops(), count);                          \
    goto next_op;                                                               \
  }                                                                             \
  last_op_##name : {                                                            \
    h.pc = base + op->offset;                                                   \
    h.next_pc = h.pc + op->insn.len;                                            \
    isa::exec_##name(h, op->insn);                                              \
    h.x[0] = 0;                                                                 \
    goto block_done;                                                            \
  }                                                                             \
  pc_op_##name : {                                                              \
    h.pc = base + op->offset;                                                   \
    h.next_pc = h.pc + op->insn.len;                                            \
  }                                                                             \
  op_##name : {                                                                 \
    isa::exec_##name(h, op->insn);                                              \
    h.x[0] = 0;                                                                 \
    ++op;                                                                       \
    if constexpr (may_request_sync(isa::InsnClass::cls))                        \
      if (h.sync_requested()) [[unlikely]] goto block_exit_early;               \
    goto* op->handler;                                                          \
  }
      HB_HANDLER(ILLEGAL, Illegal)
#define HB_OP(name, match, mask, fmt, cls) HB_HANDLER(name, cls)
#include "core/isa/opcodes.def"
#undef HB_OP
#undef HB_HANDLER

    next_op:  // after an observed operation
      if (++op == end) goto block_done;
      if (h.sync_requested()) goto block_exit_early;
      goto* op->handler;

    block_exit_early : {
      // A sync point inside the block: only the instructions before `op` retired.
      const auto done = static_cast<uint64_t>(op - block->ops());
      h.instret -= (count - 1) - done;
      h.pc = base + op->offset;  // where the next operation starts
      step += done;
      continue;
    }
    block_done:
      ++h.instret;
      h.pc = h.next_pc;
      step += count;
      op = nullptr;  // the block retired whole: a fault below belongs to the successor
      if (h.take_sync_request()) continue;  // back to the top: interrupts, translation
      // Chain to the successor while the translation and the code are unchanged.
      if (block->link_epoch != h.translation_epoch() || block->link_generation != generation_) {
        block->next = {nullptr, nullptr};
        block->next_pc = {~uint64_t{0}, ~uint64_t{0}};
        block->link_epoch = h.translation_epoch();
        block->link_generation = generation_;
      }
      for (unsigned i = 0; i < 2; ++i) {
        if (block->next_pc[i] == h.pc) {
          next = block->next[i];
          ++stats_.chained;
          break;
        }
      }
      if (!next && step < budget) {
        next = lookup(h, h.pc, kHandlers);
        if (next && h.translation_epoch() == block->link_epoch && generation_ == block->link_generation) {
          const unsigned slot = block->next[0] == nullptr ? 0 : 1;
          block->next[slot] = next;
          block->next_pc[slot] = h.pc;
        }
      }
    } catch (const Trap& trap) {
      h.x[0] = 0;
      next = nullptr;
      if (op) {
        // The faulting instruction and those after it did not retire.
        const auto done = static_cast<uint64_t>(op - block->ops());
        h.instret -= (count - 1) - done;
        step += done;
        h.pc = base + op->offset;  // a plain operation does not keep hart.pc up to date
      }
      const uint64_t pc = h.pc;
      h.take_trap(trap);
      ++step;
      if (observer()) observer()->trapped(h, pc, static_cast<uint64_t>(trap.cause), trap.tval);
    }
  }
  return {StopReason::Budget, step};
}

}  // namespace hartbox
