#!/usr/bin/env python3
"""Debugs roms/c/gdb_target.c under hartbox's gdb server, the way a person would.

Session mode (the default): starts SERVER (hartbox_gdb_test_server, or anything that takes the
same options) with --gdb-wait on a free port, drives Debian's gdb-multiarch in batch mode against
it (breakpoint, step, print, watch, rwatch, hbreak, stepi, registers, threads, memory write, run
to the end) and checks the transcript and the guest's output. With several --engine options it
runs the session on each and checks that the transcripts are identical: every engine stops at
exactly the same instructions.

Protocol mode (--protocol): speaks the remote protocol itself over a socket: acks and bad
checksums, malformed and random packets (answered, never a crash), threads on two harts,
vCont steps of one hart, QStartNoAckMode, Ctrl-C on a running guest, a memory write, detach
(the guest runs to its end) and kill. Then lockstep, on ELF and on each --lockstep-elf: single
steps from reset (each retires at most one instruction) against continue to breakpoints on the
same pcs (each stop must be the next visit of that pc, with the same minstret), and, with
several engines, the single-step traces must be identical.

usage: gdb_session.py SERVER ELF [--engine E]... [--gdb GDB] [--transcript FILE]
       gdb_session.py SERVER ELF [--engine E]... --protocol [--lockstep-elf ELF]...
"""
import argparse
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

TIMEOUT = 60  # seconds for one gdb session or protocol scenario


class Failure(Exception):
    pass


def start_server(server, elf, engine, extra=(), guest_args=()):
    """Starts the server with --gdb-wait on a free port; returns (process, port)."""
    cmd = [server, "--engine", engine, "--port", "0", "--gdb-wait", *extra, elf, *guest_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    line = b""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        match = re.search(rb"listening on 127\.0\.0\.1:(\d+)", line)
        if match:
            return proc, int(match.group(1))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise Failure(f"the server did not say which port it listens on: {line!r} (command: {' '.join(cmd)})")


def finish_server(proc):
    """Waits for the server to end; returns (exit code, stdout, stderr)."""
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise Failure(f"the server did not exit; stderr:\n{err.decode(errors='replace')}")
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


# --- Session mode: gdb-multiarch in batch mode ------------------------------------------------

GDB_COMMANDS = [
    "set architecture riscv:rv64",
    "target remote 127.0.0.1:{port}",
    "info threads",
    "break accumulate",
    "continue",
    "step",
    "print value",
    "print doubled",
    "watch watched_counter",
    "continue",
    "info registers pc",
    "delete",
    "rwatch limit",
    "continue",
    "delete",
    "hbreak accumulate",
    "continue",
    "set var watched_counter = 1000",
    "delete",
    "x/5i $pc",
    "stepi",
    "print $pc",
    "stepi 3",
    "print $pc",
    "set var $t0 = 0x1234abcd",
    "print/x $t0",
    "print $mhartid",
    "print $priv",
    "print/x $misa",
    "info registers fcsr",
    "print $fa0",
    "continue",
]

# What the transcript must show, in this order.
EXPECTED = [
    r"Thread 1 \(hart 0, M-mode\)",
    r"Breakpoint 1 at 0x[0-9a-f]+: file .*gdb_target\.c, line 20\.",
    r"Breakpoint 1, accumulate \(value=1\) at .*gdb_target\.c:20",
    r"\n21\s+watched_counter \+= doubled;",
    r"\$1 = 1\n",
    r"\$2 = 2\n",
    r"Hardware watchpoint 2: watched_counter\s+Old value = 0\s+New value = 2",
    r"accumulate \(value=1\) at .*gdb_target\.c:22",
    r"pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <accumulate\+\d+>",
    r"Hardware read watchpoint 3: limit\s+Value = 5",
    r"in main .*gdb_target\.c:\d+",
    r"Hardware assisted breakpoint 4 at 0x[0-9a-f]+",
    r"Breakpoint 4, accumulate \(value=2\) at .*gdb_target\.c:20",
    r"=> 0x[0-9a-f]+ <accumulate\+\d+>:",
    r"\$\d+ = 0x1234abcd\n",
    r"\$\d+ = 0\n",  # mhartid
    r"\$\d+ = 3\n",  # priv: M-mode
    r"\$\d+ = 0x800000000014112d\n",  # misa: RV64 ACDFIMSU
    r"fcsr\s+0x[0-9a-f]+",
    r"\[Inferior 1 \(Remote target\) exited normally\]",
]


def check_stepi(text):
    """stepi stops after exactly one instruction: the pcs are the 2nd and 5th of `x/5i $pc`."""
    listed = re.findall(r"^(?:=>)?\s+(0x[0-9a-f]+) <accumulate\+\d+>:", text, re.M)
    printed = re.findall(r"\$\d+ = \(void \(\*\)\(\)\) (0x[0-9a-f]+) <accumulate\+\d+>", text)
    if len(listed) < 5 or len(printed) < 2:
        raise Failure(f"could not find the x/5i listing and the two stepi pcs ({listed}, {printed})")
    if int(printed[0], 16) != int(listed[1], 16) or int(printed[1], 16) != int(listed[4], 16):
        raise Failure(f"stepi did not stop at the next instructions: listed {listed}, stopped at {printed}")


def run_session(args, engine):
    proc, port = start_server(args.server, args.elf, engine)
    cmd = [args.gdb, "-nx", "-batch"]
    for command in GDB_COMMANDS:
        cmd += ["-ex", command.format(port=port)]
    cmd.append(args.elf)
    try:
        gdb = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
        transcript = gdb.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        proc.kill()
        raise Failure(f"gdb did not finish in {TIMEOUT}s:\n{(e.stdout or b'').decode(errors='replace')}")
    code, out, err = finish_server(proc)
    context = f"\n--- gdb transcript ({engine}) ---\n{transcript}\n--- server stdout ---\n{out}\n--- server stderr ---\n{err}"
    pos = 0
    for pattern in EXPECTED:
        match = re.compile(pattern).search(transcript, pos)
        if not match:
            raise Failure(f"[{engine}] the transcript lacks /{pattern}/ after offset {pos}{context}")
        pos = match.end()
    try:
        check_stepi(transcript)
    except Failure as e:
        raise Failure(f"[{engine}] {e}{context}")
    # The memory write took: 1000, then the calls for 2, 3, 4 and 5 added 4 + 6 + 8 + 10.
    if "gdb_target: total=30 counter=1028" not in out:
        raise Failure(f"[{engine}] the guest did not print the expected result{context}")
    if code != 0:
        raise Failure(f"[{engine}] the server exited with {code}, not the guest's 0{context}")
    if gdb.returncode != 0:
        raise Failure(f"[{engine}] gdb exited with {gdb.returncode}{context}")
    return transcript


# --- Protocol mode: the remote protocol by hand --------------------------------------------------

class Remote:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        # As gdb does: an ack and the next packet go out at once (no Nagle wait on a delayed ACK).
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.acks = True

    def raw(self, data):
        self.sock.sendall(data)

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Failure("the server closed the connection")
        self.buf += chunk

    def read_byte(self):
        while not self.buf:
            self.fill()
        byte, self.buf = self.buf[:1], self.buf[1:]
        return byte

    def expect_ack(self, want=b"+"):
        got = self.read_byte()
        if got != want:
            raise Failure(f"expected {want!r}, got {got!r}")

    def send(self, payload, expect_ack=True):
        data = payload.encode("latin-1") if isinstance(payload, str) else payload
        self.raw(b"$" + data + b"#" + b"%02x" % (sum(data) & 0xFF))
        if self.acks and expect_ack:
            self.expect_ack()

    def receive(self):
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                break
            self.fill()
        payload, checksum = self.buf[start + 1:end], self.buf[end + 1:end + 3]
        self.buf = self.buf[end + 3:]
        if int(checksum, 16) != sum(payload) & 0xFF:
            raise Failure(f"bad checksum on {payload!r}")
        if self.acks:
            self.raw(b"+")
        return payload.decode("latin-1")

    def ask(self, payload):
        self.send(payload)
        return self.receive()

    def close(self):
        self.sock.close()


def expect(got, pattern, what):
    if not re.fullmatch(pattern, got):
        raise Failure(f"{what}: got {got!r}, expected /{pattern}/")


def elf_symbols(path):
    """Names to addresses, from an ELF64 little-endian file's symbol table."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    symbols = {}
    for sh in sections:
        if sh[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sh[6]]
        for off in range(sh[4], sh[4] + sh[5], 24):
            name_off, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", data, off)
            start = strtab[4] + name_off
            name = data[start:data.index(b"\0", start)].decode()
            symbols[name] = value
    return symbols


def le64(value):
    return struct.pack("<Q", value).hex()


def protocol_threads_and_bad_input(args, engine):
    """Two harts; malformed input; acks; no-ack mode; kill."""
    proc, port = start_server(args.server, args.elf, engine, extra=["--smp", "2"])
    r = Remote(port)
    try:
        features = r.ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=riscv")
        expect(features, r"PacketSize=4000;qXfer:features:read\+;.*", "qSupported")
        # A checksum error is answered with '-', and the packet is not acted on.
        r.raw(b"$?#00")
        r.expect_ack(b"-")
        expect(r.ask("?"), r"T05thread:1;", "stop reason")
        expect(r.ask("vMustReplyEmpty"), r"", "vMustReplyEmpty")
        expect(r.ask("qAttached"), r"1", "qAttached")
        expect(r.ask("qfThreadInfo"), r"m1,2", "thread list")
        expect(r.ask("qsThreadInfo"), r"l", "thread list end")
        xml = r.ask("qXfer:features:read:target.xml:0,ffff")
        for needle in ("org.gnu.gdb.riscv.cpu", "org.gnu.gdb.riscv.fpu", "org.gnu.gdb.riscv.csr",
                       '"mstatus" bitsize="64" type="int" regnum="833"', '"fcsr" bitsize="32" type="int" regnum="68"'):
            if needle not in xml:
                raise Failure(f"target.xml lacks {needle}: {xml[:300]}")
        entry = elf_symbols(args.elf)["_start"]
        # Each hart has its own registers: a0 is the hart id at reset.
        expect(r.ask("Hg2"), "OK", "Hg2")
        expect(r.ask("pa"), le64(1), "hart 1's a0")
        expect(r.ask("p20"), le64(entry), "hart 1's pc")
        expect(r.ask("Hg1"), "OK", "Hg1")
        expect(r.ask("pa"), le64(0), "hart 0's a0")
        expect(r.ask("qC"), "QC1", "qC")
        # Step hart 1 alone: it moves, hart 0 does not.
        expect(r.ask("vCont;s:2"), r"T05thread:2;", "step of thread 2")
        expect(r.ask("Hg2"), "OK", "Hg2")
        if r.ask("p20") == le64(entry):
            raise Failure("hart 1 did not move on a step")
        expect(r.ask("Hg1"), "OK", "Hg1")
        expect(r.ask("p20"), le64(entry), "hart 0's pc after hart 1 stepped")
        # Malformed and unsupported packets: an error or an empty reply, and the server lives on.
        for bad in ["mzz,4", "m80000000", "M80000000,4:zz", "X80000000,4:ab", "G123", "p", "pzz", "p99999",
                    "P20=12", "Hq1", "Hg99", "T99", "Z0,zz,4", "Z9,80000000,4", "z0,80000000,4", "Z2,80000000,0",
                    "vCont;q", "vCont;s:99", "qXfer:features:read:other.xml:0,10", "qXfer:features:read:target.xml:zz",
                    "qThreadExtraInfo,99", "m0,10", "}", "c zz"]:
            reply = r.ask(bad)
            if reply and not reply.startswith("E"):
                raise Failure(f"{bad!r} was answered {reply!r}, not an error")
        r.raw(bytes(b for b in range(256) if b not in b"$#+-\x03") * 4)  # noise between packets
        r.raw(b"$" + b"m" * (80 * 1024))  # a packet far too long, never finished
        r.raw(b"$#00")  # (restarts the framing) an empty packet
        r.expect_ack()
        expect(r.receive(), "", "empty packet")
        expect(r.ask("?"), r"T05thread:2;", "stop reason after the noise")
        expect(r.ask("m80000000,ffffffffffffffff"), r"[0-9a-f]{2,}", "an oversized read (clamped)")
        # No-ack mode.
        expect(r.ask("QStartNoAckMode"), "OK", "QStartNoAckMode")
        r.acks = False
        expect(r.ask("qC"), "QC1", "qC without acks (Hg1 last)")
        r.send("k")
        code, _, err = finish_server(proc)
        if code != 137:
            raise Failure(f"kill: the server exited with {code}, not 137\n{err}")
    finally:
        r.close()
        if proc.poll() is None:
            proc.kill()


def protocol_interrupt_and_detach(args, engine):
    """Ctrl-C stops a spinning guest; a memory write releases it; after detach it runs to its end."""
    symbols = elf_symbols(args.elf)
    proc, port = start_server(args.server, args.elf, engine, guest_args=["spin"])
    r = Remote(port)
    try:
        r.ask("qSupported:swbreak+")
        expect(r.ask("?"), r"T05thread:1;", "stop reason")
        # A software breakpoint on a spinning loop's body would stop it at once: use Ctrl-C.
        r.send("vCont;c")
        time.sleep(0.5)
        r.raw(b"\x03")
        expect(r.receive(), r"T02thread:1;", "stop on Ctrl-C")
        spins = int.from_bytes(bytes.fromhex(r.ask("m%x,8" % symbols["spins"])), "little")
        if spins == 0:
            raise Failure("the guest did not spin before Ctrl-C")
        expect(r.ask("M%x,8:%s" % (symbols["release"], le64(1))), "OK", "memory write")
        expect(r.ask("m%x,8" % symbols["release"]), le64(1), "memory read back")
        # A breakpoint, then continue: the loop ends and main calls accumulate.
        expect(r.ask("Z0,%x,2" % symbols["accumulate"]), "OK", "Z0")
        expect(r.ask("vCont;c"), r"T05thread:1;swbreak:;", "software breakpoint")
        expect(r.ask("p20"), le64(symbols["accumulate"]), "pc at the breakpoint")
        expect(r.ask("z0,%x,2" % symbols["accumulate"]), "OK", "z0")
        expect(r.ask("D"), "OK", "detach")
        code, out, err = finish_server(proc)
        if code != 0 or "released after some spins" not in out or "total=30" not in out:
            raise Failure(f"after detach the guest should run to its end: exit {code}\n{out}\n{err}")
    finally:
        r.close()
        if proc.poll() is None:
            proc.kill()


def protocol_fuzz(args, engine, count=3000):
    """Random packets (seeded) that never resume the guest: every one gets a reply, and the
    server still answers `?` at the end."""
    rng = random.Random(20240601)
    heads = ["m", "M", "X", "p", "P", "g", "G", "Z0,", "Z1,", "Z2,", "Z3,", "Z4,", "z0,", "z2,", "Hg", "Hc", "T",
             "qXfer:features:read:target.xml:", "qThreadExtraInfo,", "qSupported:", "qC", "qfThreadInfo", "v", "?"]
    alphabet = "0123456789abcdefABCDEF,:;=-.px}*#$ \x00\xff"
    proc, port = start_server(args.server, args.elf, engine, extra=["--smp", "2"])
    r = Remote(port)
    try:
        expect(r.ask("QStartNoAckMode"), "OK", "QStartNoAckMode")
        r.acks = False
        for _ in range(count):
            body = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
            if rng.random() < 0.5:  # well-formed numbers more often than not
                body = "%x,%x" % (rng.choice([0, 0x1000, 0x80000000, 0x80400000, 2**64 - 8, rng.getrandbits(64)]),
                                  rng.choice([0, 1, 2, 4, 8, 0x100, 2**32, 2**64 - 1])) + body[:8]
            packet = (rng.choice(heads) + body).replace("$", "").replace("#", "")
            r.send(packet)
            r.receive()
        expect(r.ask("?"), r"T05thread:1;", "stop reason after the fuzz")
        r.send("k")
        code, _, err = finish_server(proc)
        if code != 137:
            raise Failure(f"kill after the fuzz: the server exited with {code}\n{err}")
    finally:
        r.close()
        if proc.poll() is None:
            proc.kill()


MINSTRET = 65 + 0xB02  # gdb's register number for minstret


def lockstep(args, engine, elf, steps=3000, every=97):
    """Single-steps the guest from reset, recording (pc, minstret) after each step; then, from
    reset again, continues to breakpoints at some of those pcs (every control transfer's target,
    trap and interrupt handlers included, and every `every`th step) and checks that each stop is
    the next visit of that pc in the trace, with the same minstret: continue stops exactly where
    stepping does, on this engine. Returns the trace (for comparing engines)."""
    trace = []
    proc, port = start_server(args.server, elf, engine)
    r = Remote(port)
    try:
        expect(r.ask("QStartNoAckMode"), "OK", "QStartNoAckMode")
        r.acks = False
        start = where_of(r)
        for _ in range(steps):
            reply = r.ask("vCont;s:1")
            if reply.startswith("W"):
                break
            expect(reply, r"T05thread:1;", "single step")
            trace.append(where_of(r))
            # One instruction retires, or none when the step took a trap or an interrupt.
            retired = trace[-1][1] - (trace[-2][1] if len(trace) > 1 else start[1])
            if retired not in (0, 1):
                raise Failure(f"[{engine}] {os.path.basename(elf)}: step {len(trace)} to pc 0x{trace[-1][0]:x} "
                              f"retired {retired} instructions")
        r.send("k")
        finish_server(proc)
    finally:
        r.close()
        if proc.poll() is None:
            proc.kill()

    jumps = {i for i in range(1, len(trace)) if trace[i][0] - trace[i - 1][0] not in (2, 4)}
    targets = sorted(jumps | set(range(every, len(trace), every)))
    proc, port = start_server(args.server, elf, engine)
    r = Remote(port)
    try:
        r.ask("qSupported:swbreak+;hwbreak+")
        expect(r.ask("QStartNoAckMode"), "OK", "QStartNoAckMode")
        r.acks = False
        position = -1  # index in the trace of the current state (-1: reset)
        if where_of(r) != start:
            raise Failure(f"[{engine}] the second run does not start where the first did")
        for target in targets:
            if target <= position:
                continue
            pc = trace[target][0]
            # The next visit of that pc, which may come before `target`: that is where continue stops.
            expected = next(i for i in range(position + 1, len(trace)) if trace[i][0] == pc)
            kind = 1 if target % 2 else 0  # hardware and software breakpoints alike
            expect(r.ask("Z%d,%x,2" % (kind, pc)), "OK", "insert breakpoint")
            expect(r.ask("vCont;c"), r"T05thread:1;(sw|hw)break:;", "breakpoint stop")
            got = where_of(r)
            if got != trace[expected]:
                raise Failure(f"[{engine}] continue to 0x{pc:x} stopped at pc 0x{got[0]:x} minstret {got[1]}, "
                              f"stepping reached it at minstret {trace[expected][1]}")
            expect(r.ask("z%d,%x,2" % (kind, pc)), "OK", "remove breakpoint")
            position = expected
        r.send("k")
        finish_server(proc)
    finally:
        r.close()
        if proc.poll() is None:
            proc.kill()
    return trace


def where_of(r):
    return (int.from_bytes(bytes.fromhex(r.ask("p20")), "little"),
            int.from_bytes(bytes.fromhex(r.ask("p%x" % MINSTRET)), "little"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("elf")
    parser.add_argument("--engine", action="append")
    parser.add_argument("--gdb", default="gdb-multiarch")
    parser.add_argument("--protocol", action="store_true")
    parser.add_argument("--transcript")
    parser.add_argument("--lockstep-elf", action="append",
                        help="another program to single-step and compare with continue (protocol mode)")
    args = parser.parse_args()
    engines = args.engine or ["block"]
    try:
        if args.protocol:
            traces = {}
            for engine in engines:
                protocol_threads_and_bad_input(args, engine)
                protocol_interrupt_and_detach(args, engine)
                protocol_fuzz(args, engine)
                print(f"gdb protocol on {engine}: OK")
                for elf in [args.elf] + (args.lockstep_elf or []):
                    traces[engine, elf] = lockstep(args, engine, elf)
                    print(f"  {os.path.basename(elf)}: {len(traces[engine, elf])} single steps; "
                          f"continue to breakpoints on them stops at the same instructions")
            for engine in engines[1:]:
                for elf in [args.elf] + (args.lockstep_elf or []):
                    a, b = traces[engine, elf], traces[engines[0], elf]
                    if a != b:
                        diverge = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                        raise Failure(f"{os.path.basename(elf)}: single steps on {engine} and {engines[0]} "
                                      f"diverge at step {diverge}")
            if len(engines) > 1:
                print(f"single-step traces identical on {', '.join(engines)}")
            return 0
        if not shutil.which(args.gdb):
            raise Failure(f"{args.gdb} not found: install Debian's gdb-multiarch (tools/setup-debian.sh)")
        transcripts = {}
        for engine in engines:
            transcripts[engine] = run_session(args, engine)
            print(f"gdb session on {engine}: OK")
        first = engines[0]
        for engine in engines[1:]:
            if transcripts[engine] != transcripts[first]:
                raise Failure(f"the {engine} engine's session differs from the {first} engine's:\n"
                              f"--- {first} ---\n{transcripts[first]}\n--- {engine} ---\n{transcripts[engine]}")
        if len(engines) > 1:
            print(f"gdb sessions identical on {', '.join(engines)}")
        if args.transcript:
            with open(args.transcript, "w") as f:
                f.write(transcripts[first])
        return 0
    except (Failure, OSError) as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
