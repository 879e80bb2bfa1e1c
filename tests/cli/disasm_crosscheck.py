#!/usr/bin/env python3
"""Cross-checks `hartbox disasm` (Capstone) against binutils' objdump on RISC-V ELF files.

    disasm_crosscheck.py HARTBOX OBJDUMP FILE.elf...

For every file, both must list the same instructions at the same addresses with the same
encodings (so they agree on instruction lengths, on which bytes are data objects and on the
padding they skip), and each instruction must have the same operation and the same registers.
objdump runs with -M no-aliases; Capstone prints some pseudo-instructions (beqz, mv, ret, ...),
which are mapped back to the instruction they stand for. Immediates are not compared: the two
print them differently (hex or decimal, offsets or targets), and the encoding check covers them.
Exit status 0 if everything agrees, 1 with the first differences listed otherwise.
"""
import re
import subprocess
import sys

# Capstone's pseudo-instructions -> the base instruction objdump -M no-aliases prints, and the
# registers the pseudo-instruction leaves implicit (inserted where objdump shows them).
ALIASES = {
    "nop": ("addi", ["zero", "zero"]), "li": ("addi", None), "mv": ("addi", None),
    "not": ("xori", None), "neg": ("sub", None), "negw": ("subw", None),
    "sext.w": ("addiw", None), "seqz": ("sltiu", None), "snez": ("sltu", None),
    "sltz": ("slt", None), "sgtz": ("slt", None),
    "beqz": ("beq", None), "bnez": ("bne", None), "blez": ("bge", None), "bgez": ("bge", None),
    "bltz": ("blt", None), "bgtz": ("blt", None), "bgt": ("blt", None), "ble": ("bge", None),
    "bgtu": ("bltu", None), "bleu": ("bgeu", None),
    "j": ("jal", None), "jal": ("jal", None), "jr": ("jalr", None), "ret": ("jalr", None),
    "jalr": ("jalr", None),
    "csrr": ("csrrs", None), "csrw": ("csrrw", None), "csrs": ("csrrs", None), "csrc": ("csrrc", None),
    "csrwi": ("csrrwi", None), "csrsi": ("csrrsi", None), "csrci": ("csrrci", None),
    "frcsr": ("csrrs", None), "fscsr": ("csrrw", None), "frrm": ("csrrs", None), "fsrm": ("csrrw", None),
    "frflags": ("csrrs", None), "fsflags": ("csrrw", None), "fsrmi": ("csrrwi", None),
    "fsflagsi": ("csrrwi", None), "rdcycle": ("csrrs", None), "rdtime": ("csrrs", None),
    "rdinstret": ("csrrs", None),
    "fmv.s": ("fsgnj.s", None), "fmv.d": ("fsgnj.d", None), "fneg.s": ("fsgnjn.s", None),
    "fneg.d": ("fsgnjn.d", None), "fabs.s": ("fsgnjx.s", None), "fabs.d": ("fsgnjx.d", None),
}

REGISTER = re.compile(r"\b(zero|ra|sp|gp|tp|t[0-6]|s[0-9]|s1[01]|a[0-7]|ft[0-9]|ft1[01]|fs[0-9]|fs1[01]|fa[0-7])\b")
LINE = re.compile(r"^\s*([0-9a-f]+):\t([0-9a-f]+(?: [0-9a-f]+)*)\s*\t(\S+)\s*(.*)$")


def listing(command):
    """address -> (encoding, mnemonic, operands) for every instruction line of a listing."""
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    insns = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if not m or " " in m.group(2):  # data lines hold several groups of hex digits
            continue
        operands = m.group(4).split("#")[0].split("<")[0]
        insns[int(m.group(1), 16)] = (m.group(2), m.group(3), operands)
    return insns


def normalise(mnemonic, operands, encoding):
    """Capstone's (mnemonic, registers) in objdump -M no-aliases terms."""
    registers = REGISTER.findall(operands)
    base = mnemonic
    if mnemonic in (".word", ".short"):  # data, or no instruction: the encodings were compared
        return mnemonic, []
    if mnemonic == "c.nop":
        return "c.addi", ["zero"]
    if not mnemonic.startswith("c."):
        base, implicit = ALIASES.get(mnemonic, (mnemonic, None))
        if implicit is not None:
            registers = implicit
    word = int(encoding, 16)
    # Registers that Capstone's aliases leave out, read back from the encoding.
    rd, rs1, rs2 = (word >> 7) & 31, (word >> 15) & 31, (word >> 20) & 31
    names = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"] + [f"a{i}" for i in range(8)] + \
            [f"s{i}" for i in range(2, 12)] + [f"t{i}" for i in range(3, 7)]
    if not mnemonic.startswith("c.") and len(encoding) == 8:
        if base in ("jal",):
            registers = [names[rd]]
        elif base == "jalr":
            registers = [names[rd], names[rs1]]
        elif base in ("beq", "bne", "blt", "bge", "bltu", "bgeu"):
            registers = [names[rs1], names[rs2]]
        elif base in ("csrrs", "csrrw", "csrrc"):
            registers = [names[rd], names[rs1]]
        elif base in ("csrrwi", "csrrsi", "csrrci"):
            registers = [names[rd]]
        elif base in ("addi", "xori", "addiw", "sltiu"):
            registers = [names[rd], names[rs1]]
        elif base == "sfence.vma":
            registers = [names[rs1], names[rs2]]
        elif base in ("sub", "subw", "sltu", "slt"):
            registers = [names[rd], names[rs1], names[rs2]]
        elif base.startswith("fsgnj"):
            fp = [f"ft{i}" for i in range(8)] + ["fs0", "fs1"] + [f"fa{i}" for i in range(8)] + \
                 [f"fs{i}" for i in range(2, 12)] + [f"ft{i}" for i in range(8, 12)]
            registers = [fp[rd], fp[rs1], fp[rs2]]
    return base, registers


def objdump_registers(mnemonic, operands):
    return [] if mnemonic in (".word", ".short") else REGISTER.findall(operands)


def check(hartbox, objdump, elf):
    ours = listing([hartbox, "disasm", elf])
    theirs = listing([objdump, "-d", "-M", "no-aliases", elf])
    problems = []
    for address in sorted(set(ours) | set(theirs)):
        a, b = ours.get(address), theirs.get(address)
        where = f"{elf}: {address:x}"
        if a is None or b is None:
            problems.append(f"{where}: only {'objdump' if a is None else 'hartbox'} shows an instruction: {a or b}")
            continue
        if a[0] != b[0]:
            problems.append(f"{where}: encodings differ: hartbox {a[0]}, objdump {b[0]}")
            continue
        if b[1] in (".2byte", ".4byte"):
            # objdump follows the file's own ISA string (.riscv.attributes): a compressed
            # instruction hand-encoded in a file built without C is no instruction to it. Hartbox
            # always runs RV64GC; the encodings were compared above.
            continue
        base, registers = normalise(a[1], a[2], a[0])
        if base != b[1]:
            problems.append(f"{where} ({a[0]}): hartbox '{a[1]} {a[2]}', objdump '{b[1]} {b[2]}'")
        elif registers != objdump_registers(b[1], b[2]):
            problems.append(f"{where} ({a[0]}): registers differ: hartbox '{a[1]} {a[2]}', objdump '{b[1]} {b[2]}'")
    return len(ours), problems


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    hartbox, objdump, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    total, failures = 0, []
    for elf in files:
        count, problems = check(hartbox, objdump, elf)
        if count == 0:
            problems.append(f"{elf}: no instructions listed")
        total += count
        failures += problems
    for line in failures[:40]:
        print(line)
    if len(failures) > 40:
        print(f"... and {len(failures) - 40} more")
    print(f"{total} instructions in {len(files)} files, {len(failures)} differences")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
