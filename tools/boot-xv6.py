#!/usr/bin/env python3
"""Boots MIT's xv6-riscv on hartbox and runs commands at its shell: the way a newcomer would try
"does it run xv6?".

    tools/boot-xv6.py XV6_DIR [--hartbox PATH] [--engine E] [--smp N] [-m SIZE]
                      [--timeout SECONDS] [--keep-disk] [-c COMMAND ...] [-- extra hartbox options]

XV6_DIR is an xv6-riscv checkout you built yourself (`make kernel/kernel fs.img`, with Debian's
riscv64-unknown-elf- toolchain: `make TOOLPREFIX=riscv64-unknown-elf- kernel/kernel fs.img`).
Nothing is fetched.

What it does:
  1. Runs the equivalent of xv6's own `make qemu` line on hartbox:
     `hartbox run --bios none --kernel kernel/kernel -m 128M --smp 3 --disk fs.img,overlay=TMP
     --console stdio`. The disk is a copy-on-write overlay in a temporary directory, so fs.img is
     left as it was (usertests writes to the file system). xv6 releases before 2022 drive
     virtio-mmio version 1 (QEMU's default then); when the checkout's Makefile does not ask QEMU
     for `force-legacy=false`, `--legacy-virtio` is added.
  2. Waits for the shell prompt (`$ `), then runs each command (default: `ls`, then
     `usertests -q`; an xv6 whose usertests has no `-q` prints its usage, and the script runs
     plain `usertests` instead) and waits for the next prompt.
  3. Checks the output: `ls` must list README, usertests must print `ALL TESTS PASSED`; a kernel
     `panic` fails the run. Prints the time to the prompt and per command, and exits 0 when all
     went well (1 otherwise, 2 for a bad command line).
"""
import argparse
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

PROMPT = b"$ "


class Console:
    """The guest's UART on hartbox's stdin/stdout, with everything it printed echoed to ours."""

    def __init__(self, proc, echo):
        self.proc = proc
        self.echo = echo
        self.seen = b""  # everything since the last command was sent
        self.loads = []  # the host's 1-minute load average, sampled while waiting

    def send(self, text):
        self.seen = b""
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def wait_for(self, marker, deadline):
        """Reads until `marker` appears; returns False on timeout or if hartbox exited."""
        fd = self.proc.stdout.fileno()
        while marker not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if hasattr(os, "getloadavg"):
                self.loads.append(os.getloadavg()[0])
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return False
            self.seen += chunk
            if self.echo:
                sys.stdout.buffer.write(chunk)
                sys.stdout.flush()
        return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("xv6", help="an xv6-riscv checkout with kernel/kernel and fs.img built")
    parser.add_argument("--hartbox", default=os.path.join(root, "build/release/manager/hartbox"))
    parser.add_argument("--engine", default="block")
    parser.add_argument("--smp", default="3")
    parser.add_argument("-m", dest="memory", default="128M")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per step")
    parser.add_argument("-c", dest="commands", action="append",
                        help="a command for xv6's shell (repeatable; default: ls, usertests -q)")
    parser.add_argument("--legacy-virtio", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--quiet", action="store_true", help="do not echo the guest's console")
    parser.add_argument("extra", nargs="*", help="more hartbox run options (after --)")
    args = parser.parse_args()

    kernel = os.path.join(args.xv6, "kernel", "kernel")
    fs_img = os.path.join(args.xv6, "fs.img")
    for path, what in ((args.hartbox, "hartbox (build it, or pass --hartbox)"),
                       (kernel, "xv6's kernel (make kernel/kernel)"),
                       (fs_img, "xv6's disk image (make fs.img)")):
        if not os.path.exists(path):
            print(f"boot-xv6: {path} is missing: {what}", file=sys.stderr)
            return 2
    legacy = args.legacy_virtio == "yes"
    if args.legacy_virtio == "auto":
        try:
            legacy = "force-legacy=false" not in open(os.path.join(args.xv6, "Makefile")).read()
        except OSError:
            legacy = False
    commands = args.commands or ["ls", "usertests -q"]

    tmp = tempfile.mkdtemp(prefix="boot-xv6-")
    cmd = [args.hartbox, "run", "--bios", "none", "--kernel", kernel, "-m", args.memory,
           "--smp", args.smp, "--engine", args.engine,
           "--disk", f"{fs_img},overlay={os.path.join(tmp, 'fs.overlay')}", "--console", "stdio"]
    if legacy:
        cmd.append("--legacy-virtio")
    cmd += args.extra
    print("boot-xv6: " + " ".join(cmd), file=sys.stderr)

    results = []
    ok = True
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    console = Console(proc, echo=not args.quiet)
    try:
        if not console.wait_for(PROMPT, start + args.timeout):
            results.append(("boot to the shell prompt", time.monotonic() - start, False))
            ok = False
        else:
            results.append(("boot to the shell prompt", time.monotonic() - start, True))
            for command in commands:
                began = time.monotonic()
                console.send(command + "\n")
                reached = console.wait_for(b"\n" + PROMPT, began + args.timeout)
                output = console.seen
                if reached and command.startswith("usertests") and b"Usage: usertests" in output:
                    # An xv6 from before 2022: no -q; its usertests runs the whole suite.
                    command = "usertests"
                    began = time.monotonic()
                    console.send(command + "\n")
                    reached = console.wait_for(b"\n" + PROMPT, began + args.timeout)
                    output = console.seen
                passed = reached and b"panic" not in output
                if command == "ls":
                    passed = passed and b"README" in output
                if command.startswith("usertests"):
                    passed = passed and b"ALL TESTS PASSED" in output
                results.append((command, time.monotonic() - began, passed))
                if not passed:
                    ok = False
                    break
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("", file=sys.stderr)
    for what, seconds, passed in results:
        print(f"boot-xv6: {what}: {'ok' if passed else 'FAILED'} ({seconds:.1f} s)", file=sys.stderr)
    if console.loads:
        loads = console.loads
        print(f"boot-xv6: host load average during the run: mean {sum(loads) / len(loads):.2f}, "
              f"max {max(loads):.2f}; engine {args.engine}, {args.smp} harts", file=sys.stderr)
    print(f"boot-xv6: {'PASS' if ok else 'FAIL'}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
