// A bytecode interpreter: a small stack machine (64-bit values, 16 global slots, a data memory
// and a call stack), its programs assembled at start-up by a tiny assembler with labels, and a
// `switch` dispatch loop that runs them: a sieve of Eratosthenes, Collatz step counts,
// recursive Fibonacci and a multiplicative hash over the sieve's memory. The dispatch loop's
// indirect jump and short handlers are what an interpreter inside a guest looks like.
#include "bench.h"

#define ITERATIONS 12
#define QUICK_ITERATIONS 1
#define EXPECTED_FULL 0xfaef1d2fb3663487ull
#define EXPECTED_QUICK 0x343ef6abbc6c22a7ull

// Opcodes. Immediates follow the opcode byte, little-endian: PUSH has 4 bytes (signed),
// LOAD/STORE/INC a 1-byte slot, jumps and CALL a 2-byte code address.
enum {
  OP_HALT,
  OP_PUSH,
  OP_LOAD,
  OP_STORE,
  OP_INC,
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_AND,
  OP_XOR,
  OP_SHR,
  OP_LT,
  OP_EQ,
  OP_DUP,
  OP_SWAP,
  OP_DROP,
  OP_ALOAD,   // addr -> mem[addr]
  OP_ASTORE,  // value addr -> ; mem[addr] = value
  OP_JMP,
  OP_JZ,
  OP_JNZ,
  OP_CALL,
  OP_RET,
};

#define CODE_BYTES 1024
#define MAX_LABELS 64
#define MAX_FIXUPS 128
#define MEM_WORDS 8192
#define STACK_DEPTH 256
#define CALL_DEPTH 64

// --- The assembler -----------------------------------------------------------------------------

static uint8_t code[CODE_BYTES];
static int code_len;
static int label_at[MAX_LABELS];
static struct {
  int at, label;
} fixups[MAX_FIXUPS];
static int fixup_count;

static void op(int opcode) { code[code_len++] = (uint8_t)opcode; }
static void op_slot(int opcode, int slot) {
  op(opcode);
  code[code_len++] = (uint8_t)slot;
}
static void push(int32_t value) {
  op(OP_PUSH);
  for (int i = 0; i < 4; ++i) code[code_len++] = (uint8_t)((uint32_t)value >> (8 * i));
}
static void jump(int opcode, int label) {
  op(opcode);
  fixups[fixup_count].at = code_len;
  fixups[fixup_count++].label = label;
  code_len += 2;
}
static void label(int l) { label_at[l] = code_len; }
static void link_code(void) {
  for (int i = 0; i < fixup_count; ++i) {
    const int target = label_at[fixups[i].label];
    code[fixups[i].at] = (uint8_t)target;
    code[fixups[i].at + 1] = (uint8_t)(target >> 8);
  }
}

// Entry points of the programs, filled in by assemble().
static int entry_sieve, entry_collatz, entry_fib, entry_hash;

// Each program reads its size from slot 3 and leaves its result on the stack.
static void assemble(void) {
  enum { L_CLEAR, L_CLEARED, L_OUTER, L_INNER, L_NEXT, L_DONE,
         C_OUTER, C_INNER, C_EVEN, C_NEXT, C_DONE,
         F_FIB, F_REC,
         H_LOOP, H_DONE };

  // Sieve of Eratosthenes below slot3: the number of primes.
  entry_sieve = code_len;
  push(0), op_slot(OP_STORE, 2);
  push(0), op_slot(OP_STORE, 1);
  label(L_CLEAR);
  op_slot(OP_LOAD, 1), op_slot(OP_LOAD, 3), op(OP_LT), jump(OP_JZ, L_CLEARED);
  push(0), op_slot(OP_LOAD, 1), op(OP_ASTORE), op_slot(OP_INC, 1), jump(OP_JMP, L_CLEAR);
  label(L_CLEARED);
  push(2), op_slot(OP_STORE, 0);
  label(L_OUTER);
  op_slot(OP_LOAD, 0), op_slot(OP_LOAD, 3), op(OP_LT), jump(OP_JZ, L_DONE);
  op_slot(OP_LOAD, 0), op(OP_ALOAD), jump(OP_JNZ, L_NEXT);
  op_slot(OP_INC, 2);
  op_slot(OP_LOAD, 0), op(OP_DUP), op(OP_ADD), op_slot(OP_STORE, 1);
  label(L_INNER);
  op_slot(OP_LOAD, 1), op_slot(OP_LOAD, 3), op(OP_LT), jump(OP_JZ, L_NEXT);
  push(1), op_slot(OP_LOAD, 1), op(OP_ASTORE);
  op_slot(OP_LOAD, 1), op_slot(OP_LOAD, 0), op(OP_ADD), op_slot(OP_STORE, 1), jump(OP_JMP, L_INNER);
  label(L_NEXT);
  op_slot(OP_INC, 0), jump(OP_JMP, L_OUTER);
  label(L_DONE);
  op_slot(OP_LOAD, 2), op(OP_HALT);

  // Collatz: the total number of steps for every start in [1, slot3).
  entry_collatz = code_len;
  push(0), op_slot(OP_STORE, 2), push(1), op_slot(OP_STORE, 0);
  label(C_OUTER);
  op_slot(OP_LOAD, 0), op_slot(OP_LOAD, 3), op(OP_LT), jump(OP_JZ, C_DONE);
  op_slot(OP_LOAD, 0), op_slot(OP_STORE, 1);
  label(C_INNER);
  op_slot(OP_LOAD, 1), push(1), op(OP_EQ), jump(OP_JNZ, C_NEXT);
  op_slot(OP_INC, 2);
  op_slot(OP_LOAD, 1), push(1), op(OP_AND), jump(OP_JZ, C_EVEN);
  op_slot(OP_LOAD, 1), op(OP_DUP), op(OP_DUP), op(OP_ADD), op(OP_ADD), push(1), op(OP_ADD);
  op_slot(OP_STORE, 1), jump(OP_JMP, C_INNER);
  label(C_EVEN);
  op_slot(OP_LOAD, 1), push(1), op(OP_SHR), op_slot(OP_STORE, 1), jump(OP_JMP, C_INNER);
  label(C_NEXT);
  op_slot(OP_INC, 0), jump(OP_JMP, C_OUTER);
  label(C_DONE);
  op_slot(OP_LOAD, 2), op(OP_HALT);

  // Fibonacci, doubly recursive, on the data stack alone.
  entry_fib = code_len;
  op_slot(OP_LOAD, 3), jump(OP_CALL, F_FIB), op(OP_HALT);
  label(F_FIB);
  op(OP_DUP), push(2), op(OP_LT), jump(OP_JZ, F_REC), op(OP_RET);
  label(F_REC);
  op(OP_DUP), push(1), op(OP_SUB), jump(OP_CALL, F_FIB);
  op(OP_SWAP), push(2), op(OP_SUB), jump(OP_CALL, F_FIB);
  op(OP_ADD), op(OP_RET);

  // A multiplicative hash (djb2 with xor, 32 bits) of mem[0, slot3).
  entry_hash = code_len;
  push(0), op_slot(OP_STORE, 0), push(5381), op_slot(OP_STORE, 1);
  label(H_LOOP);
  op_slot(OP_LOAD, 0), op_slot(OP_LOAD, 3), op(OP_LT), jump(OP_JZ, H_DONE);
  op_slot(OP_LOAD, 1), push(33), op(OP_MUL), op_slot(OP_LOAD, 0), op(OP_ALOAD), op(OP_XOR);
  push(-1), push(32), op(OP_SHR), op(OP_AND), op_slot(OP_STORE, 1);
  op_slot(OP_INC, 0), jump(OP_JMP, H_LOOP);
  label(H_DONE);
  op_slot(OP_LOAD, 1), op(OP_HALT);

  link_code();
}

// --- The interpreter ---------------------------------------------------------------------------

static int64_t globals[16];
static int64_t mem[MEM_WORDS];
static uint64_t ops_executed;

// Runs from `pc` until HALT; returns the top of the stack. Returns INT64_MIN on a VM error
// (stack or memory out of range, unknown opcode), which the checksum then shows.
static int64_t run(int pc) {
  int64_t stack[STACK_DEPTH];
  int calls[CALL_DEPTH];
  int sp = 0, cp = 0;
  uint64_t count = 0;
  for (;;) {
    ++count;
    const int opcode = code[pc++];
    switch (opcode) {
      case OP_HALT: ops_executed += count; return sp > 0 ? stack[sp - 1] : INT64_MIN;
      case OP_PUSH: {
        uint32_t v = (uint32_t)code[pc] | (uint32_t)code[pc + 1] << 8 | (uint32_t)code[pc + 2] << 16 |
                     (uint32_t)code[pc + 3] << 24;
        if (sp >= STACK_DEPTH) return INT64_MIN;
        stack[sp++] = (int32_t)v;
        pc += 4;
        break;
      }
      case OP_LOAD:
        if (sp >= STACK_DEPTH) return INT64_MIN;
        stack[sp++] = globals[code[pc++] & 15];
        break;
      case OP_STORE:
        if (sp < 1) return INT64_MIN;
        globals[code[pc++] & 15] = stack[--sp];
        break;
      case OP_INC: ++globals[code[pc++] & 15]; break;
#define BINARY(name, expr)                  \
  case name: {                              \
    if (sp < 2) return INT64_MIN;           \
    const int64_t b = stack[--sp];          \
    const int64_t a = stack[sp - 1];        \
    stack[sp - 1] = (expr);                 \
    break;                                  \
  }
      BINARY(OP_ADD, (int64_t)((uint64_t)a + (uint64_t)b))
      BINARY(OP_SUB, (int64_t)((uint64_t)a - (uint64_t)b))
      BINARY(OP_MUL, (int64_t)((uint64_t)a * (uint64_t)b))
      BINARY(OP_AND, a & b)
      BINARY(OP_XOR, a ^ b)
      BINARY(OP_SHR, (int64_t)((uint64_t)a >> (b & 63)))
      BINARY(OP_LT, a < b)
      BINARY(OP_EQ, a == b)
#undef BINARY
      case OP_DUP:
        if (sp < 1 || sp >= STACK_DEPTH) return INT64_MIN;
        stack[sp] = stack[sp - 1];
        ++sp;
        break;
      case OP_SWAP: {
        if (sp < 2) return INT64_MIN;
        const int64_t t = stack[sp - 1];
        stack[sp - 1] = stack[sp - 2];
        stack[sp - 2] = t;
        break;
      }
      case OP_DROP:
        if (sp < 1) return INT64_MIN;
        --sp;
        break;
      case OP_ALOAD: {
        if (sp < 1) return INT64_MIN;
        const uint64_t addr = (uint64_t)stack[sp - 1];
        if (addr >= MEM_WORDS) return INT64_MIN;
        stack[sp - 1] = mem[addr];
        break;
      }
      case OP_ASTORE: {
        if (sp < 2) return INT64_MIN;
        const uint64_t addr = (uint64_t)stack[--sp];
        if (addr >= MEM_WORDS) return INT64_MIN;
        mem[addr] = stack[--sp];
        break;
      }
      case OP_JMP: pc = code[pc] | code[pc + 1] << 8; break;
      case OP_JZ:
      case OP_JNZ: {
        if (sp < 1) return INT64_MIN;
        const int taken = (stack[--sp] == 0) == (opcode == OP_JZ);
        pc = taken ? (code[pc] | code[pc + 1] << 8) : pc + 2;
        break;
      }
      case OP_CALL:
        if (cp >= CALL_DEPTH) return INT64_MIN;
        calls[cp++] = pc + 2;
        pc = code[pc] | code[pc + 1] << 8;
        break;
      case OP_RET:
        if (cp < 1) return INT64_MIN;
        pc = calls[--cp];
        break;
      default: return INT64_MIN;
    }
  }
}

int main(int argc, char** argv) {
  const int quick = bench_quick(argc, argv);
  const int iterations = quick ? QUICK_ITERATIONS : ITERATIONS;
  assemble();

  uint64_t sum = BENCH_MIX_INIT;
  for (int it = 0; it < iterations; ++it) {
    globals[3] = MEM_WORDS - 64 * (it % 16);
    sum = bench_mix(sum, (uint64_t)run(entry_sieve));
    sum = bench_mix(sum, (uint64_t)run(entry_hash));
    globals[3] = 300 + 7 * (it % 8);
    sum = bench_mix(sum, (uint64_t)run(entry_collatz));
    globals[3] = 17 + it % 3;
    sum = bench_mix(sum, (uint64_t)run(entry_fib));
  }
  sum = bench_mix(sum, ops_executed);
  printf("bytecode: %llu bytecode instructions executed\n", (unsigned long long)ops_executed);
  return bench_report("bytecode", quick, sum, EXPECTED_FULL, EXPECTED_QUICK);
}
