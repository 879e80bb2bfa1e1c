#!/usr/bin/env python3
"""Boots Debian's OpenSBI (fw_jump) and U-Boot (qemu-riscv64_smode) on hartbox and drives U-Boot's
prompt over the UART, as a person would: stop autoboot, list the virtio devices, read a disk's
partition table, power off. Fails with the whole console transcript on any mismatch.

usage: uboot_session.py HARTBOX [--engine E] [--transcript FILE]
"""
import argparse
import os
import select
import subprocess
import sys
import tempfile
import time

FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"


class Console:
    def __init__(self, proc):
        self.proc = proc
        self.text = ""

    def expect(self, needle, timeout):
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {needle!r}")
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise EOFError(f"hartbox exited (code {self.proc.wait()}) while waiting for {needle!r}")
                self.text += chunk.decode("utf-8", "replace")
        end = self.text.index(needle) + len(needle)
        seen, self.text = self.text[:end], self.text[end:]
        self.transcript.append(seen)
        return seen

    def send(self, line):
        self.proc.stdin.write(line.encode())
        self.proc.stdin.flush()


def make_disk(path):
    # 16 MiB with an MBR partition table: two Linux partitions (8 MiB at sector 2048, the rest).
    with open(path, "wb") as f:
        f.truncate(16 << 20)
        mbr = bytearray(512)
        def entry(index, lba, count):
            off = 446 + 16 * index
            mbr[off + 4] = 0x83
            mbr[off + 8:off + 12] = lba.to_bytes(4, "little")
            mbr[off + 12:off + 16] = count.to_bytes(4, "little")
        entry(0, 2048, 16384)
        entry(1, 18432, (16 << 20) // 512 - 18432)
        mbr[510:512] = b"\x55\xaa"
        f.seek(0)
        f.write(mbr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("hartbox")
    parser.add_argument("--engine", default="block")
    parser.add_argument("--transcript")
    args = parser.parse_args()
    for path in (FW_JUMP, UBOOT):
        if not os.path.exists(path):
            print(f"missing {path}: install the opensbi and u-boot-qemu packages", file=sys.stderr)
            return 1

    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk.img")
        make_disk(disk)
        cmd = [args.hartbox, "run", "--engine", args.engine, "--bios", FW_JUMP, "--kernel", UBOOT,
               "--disk", disk, "--nic", "none", "--rng", "--console", "stdio"]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        console = Console(proc)
        console.transcript = []
        try:
            console.expect("OpenSBI", 60)
            console.expect("Hit any key to stop autoboot", 120)
            console.send("\n")
            console.expect("=> ", 60)
            prompt_seconds = time.monotonic() - start
            console.send("virtio scan\n")
            console.expect("=> ", 60)
            console.send("virtio info\n")
            info = console.expect("=> ", 60)
            for needle in ("Device 0: QEMU VirtIO Block Device", "Capacity: 16.0 MB"):
                if needle not in info:
                    raise AssertionError(f"`virtio info` did not show {needle!r}")
            console.send("part list virtio 0\n")
            parts = console.expect("=> ", 60)
            for needle in ("Partition Map for VirtIO device 0", "2048", "18432"):
                if needle not in parts:
                    raise AssertionError(f"`part list virtio 0` did not show {needle!r}")
            console.send("poweroff\n")
            code = proc.wait(timeout=60)
            if code != 0:
                raise AssertionError(f"hartbox exited with {code} after poweroff")
            print(f"U-Boot prompt after {prompt_seconds:.2f} s; virtio info, part list and poweroff worked")
            return 0
        except (AssertionError, TimeoutError, EOFError, subprocess.TimeoutExpired) as error:
            proc.kill()
            print(f"FAIL: {error}\n--- console ---\n{''.join(console.transcript)}{console.text}", file=sys.stderr)
            return 1
        finally:
            if args.transcript:
                with open(args.transcript, "w") as f:
                    f.write("".join(console.transcript) + console.text)


if __name__ == "__main__":
    sys.exit(main())
