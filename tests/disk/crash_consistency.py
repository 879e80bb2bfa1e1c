#!/usr/bin/env python3
"""A flush the guest saw complete survives a kill of the emulator right after it.

Runs roms/c/flush_log.elf ("write EPOCH") on a virtio-blk disk, SIGKILLs hartbox at a random
moment (after a random number of completed flushes, or after a random delay), then boots the same
disk with "verify" and checks every block: each block holds, intact, the record of the last
flushed transaction that wrote it or a later one; no block is ever corrupt. Done for a raw image
and for a copy-on-write overlay over a base image, whose bytes must not change.

The guest prints "flushed EPOCH SEQ BLOCK..." only after the flush request completed, so every
such line the test reads, even after the kill, is a promise the emulator made.

Usage: crash_consistency.py HARTBOX FLUSH_LOG_ELF [--iterations N] [--seed S] [--engine E]
"""
import argparse
import hashlib
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time

DISK_BYTES = 256 * 1024  # flush_log uses 64 blocks of 4 KiB
WRITER_LIMIT_S = 30.0    # a writer that has not been killed by then has hung


class Failure(Exception):
    pass


def disk_arg(mode, workdir):
    if mode == "raw":
        return os.path.join(workdir, "raw.img")
    return os.path.join(workdir, "base.img") + ",overlay=" + os.path.join(workdir, "overlay.img")


def run_writer(args, disk, epoch, rng):
    """Runs the writer, kills it at a random moment, returns the claims it printed."""
    cmd = [args.hartbox, "run", "--engine", args.engine, "--disk", disk, args.rom, "--", "write", str(epoch)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if rng.random() < 0.5:
        kill_after_lines, kill_at = rng.randrange(0, 40), None
        how = f"after {kill_after_lines} flushes"
    else:
        kill_after_lines, kill_at = None, time.monotonic() + rng.uniform(0.0, 0.3)
        how = f"after {kill_at - time.monotonic():.3f} s"
    started = time.monotonic()
    buffer = b""
    lines = []
    killed = False
    while True:
        if not killed:
            due = (kill_after_lines is not None and len(lines) >= kill_after_lines) or \
                  (kill_at is not None and time.monotonic() >= kill_at)
            if due:
                if kill_after_lines is not None:
                    time.sleep(rng.uniform(0.0, 0.003))  # land anywhere in the next transaction
                proc.send_signal(signal.SIGKILL)
                killed = True
            elif time.monotonic() - started > WRITER_LIMIT_S:
                proc.kill()
                raise Failure(f"epoch {epoch}: the writer printed {len(lines)} lines in {WRITER_LIMIT_S} s and never got killed")
        ready, _, _ = select.select([proc.stdout], [], [], 0.001)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            lines.extend(line.decode() for line in complete)
        elif proc.poll() is not None and not killed:
            raise Failure(f"epoch {epoch}: the writer exited by itself ({proc.returncode}): "
                          f"{proc.stderr.read().decode().strip()} {lines[-3:]}")
    proc.wait()
    stderr = proc.stderr.read().decode().strip()
    if proc.returncode != -signal.SIGKILL:
        raise Failure(f"epoch {epoch}: the writer ended with {proc.returncode}, not the kill: {stderr}")
    claims = []
    for line in lines:
        words = line.split()
        if len(words) < 4 or words[0] != "flushed" or int(words[1]) != epoch:
            raise Failure(f"epoch {epoch}: unexpected output line {line!r}")
        seq = int(words[2])
        claims.extend((int(block), (epoch, seq)) for block in words[3:])
    return claims, how


def verify(args, disk):
    """Boots the disk with "verify": {block: (epoch, seq) | "empty" | "corrupt"}."""
    cmd = [args.hartbox, "run", "--engine", args.engine, "--disk", disk, args.rom, "--", "verify"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise Failure(f"verify exited {done.returncode}: {done.stdout.strip()} {done.stderr.strip()}")
    state = {}
    for line in done.stdout.splitlines():
        words = line.split()
        if words[:1] != ["block"]:
            raise Failure(f"verify: unexpected line {line!r}")
        block = int(words[1])
        state[block] = (int(words[2]), int(words[3])) if len(words) == 4 else words[2]
    if len(state) != 64:
        raise Failure(f"verify reported {len(state)} blocks, not 64")
    return state


def check(state, promised, context):
    for block, found in sorted(state.items()):
        if found == "corrupt":
            raise Failure(f"{context}: block {block} is corrupt")
        want = promised.get(block)
        if want is None:
            continue  # never flushed: empty, or a write that happened to land
        if found == "empty" or found < want:
            raise Failure(f"{context}: block {block} holds {found}, but the guest saw epoch {want[0]} "
                          f"transaction {want[1]} flushed")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_mode(args, mode, workdir, rng):
    promised = {}
    if mode == "raw":
        with open(os.path.join(workdir, "raw.img"), "wb") as f:
            f.truncate(DISK_BYTES)
    else:
        # The base holds records of epoch 1 (written and flushed on it as a raw disk), so the
        # overlay's copy-up and its reads from the base are part of what is checked.
        base = os.path.join(workdir, "base.img")
        with open(base, "wb") as f:
            f.truncate(DISK_BYTES)
        claims, _ = run_writer(args, base, 1, random.Random(1))
        for block, stamp in claims:
            promised[block] = stamp
        check(verify(args, base), promised, "base image")
        base_hash = sha256(base)
    kills = 0
    checked = 0
    for i in range(args.iterations):
        epoch = i + 2
        claims, how = run_writer(args, disk_arg(mode, workdir), epoch, rng)
        kills += 1
        for block, stamp in claims:
            promised[block] = max(promised.get(block, stamp), stamp)
        check(verify(args, disk_arg(mode, workdir)), promised, f"{mode} disk, epoch {epoch} killed {how}")
        checked += len(promised)
    if mode == "overlay" and sha256(os.path.join(workdir, "base.img")) != base_hash:
        raise Failure("the overlay's base image changed")
    print(f"{mode}: {kills} kills, {checked} promised blocks checked intact, "
          f"{len(promised)} of 64 blocks flushed at least once")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hartbox")
    parser.add_argument("rom")
    parser.add_argument("--iterations", type=int, default=12)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--engine", default="block")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    print(f"seed {seed} (rerun with --seed {seed})")
    rng = random.Random(seed)
    try:
        for mode in ("raw", "overlay"):
            with tempfile.TemporaryDirectory(prefix="hartbox-crash-") as workdir:
                run_mode(args, mode, workdir, rng)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    print("every flushed block survived every kill")
    return 0


if __name__ == "__main__":
    sys.exit(main())
