#!/usr/bin/env python3
"""Boots Debian's own RISC-V Linux kernel on hartbox, under Debian's OpenSBI, with a BusyBox
initramfs: the way a newcomer would try "does it run Linux?".

    tools/boot-linux.py [--hartbox PATH] [--smp N] [-m SIZE] [--engine E] [--shell]
                        [--cache DIR] [-- extra hartbox options]

What it does:
  1. Fetches, from Debian's archive (trixie, riscv64: the first release with riscv64 as an
     official architecture), the index of packages, then the newest `linux-image-*-riscv64`
     (a generic kernel: UART, PLIC, timer and RTC built in, virtio as modules) and
     `busybox-static`, checking each .deb against the index's SHA-256. They are cached in
     --cache (default build/linux), so a second run downloads nothing.
  2. Builds an initramfs (newc cpio, written here): BusyBox, the virtio_mmio and virtio_blk
     modules, and an /init that mounts /proc, /sys and /dev, prints what the kernel sees (CPUs,
     ISA string, interrupts, the disk), then powers off; with --shell it gives you BusyBox's
     shell on the console instead (type `poweroff -f` to leave).
  3. Runs `hartbox run --bios fw_jump.elf --kernel vmlinux --initrd initramfs --append
     "console=ttyS0 earlycon=sbi" --disk DISK` (an 8 MiB scratch image) and checks that /init
     ran to its end: exit 0 when it did.

Needs: Debian's opensbi package (tools/setup-debian.sh installs it), dpkg-deb, network access to
deb.debian.org (or your apt mirror: --mirror).
"""
import argparse
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"
SUITE = "trixie"

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "boot-linux: /init running"
uname -a
grep -E "^(processor|isa|mmu)" /proc/cpuinfo
for m in /lib/modules/virtio_mmio.ko /lib/modules/virtio_blk.ko; do insmod "$m"; done
cat /proc/partitions
echo hartbox > /tmp/probe && dd if=/tmp/probe of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null && sync
dd if=/dev/vda bs=7 count=1 2>/dev/null | grep -q hartbox && echo "boot-linux: virtio-blk write and read back OK"
if grep -q boot_linux_shell /proc/cmdline; then
  echo "boot-linux: BusyBox shell; 'poweroff -f' ends the machine"
  exec sh
fi
echo "boot-linux: done"
poweroff -f
"""


def fetch(url, path=None):
    with urllib.request.urlopen(url, timeout=120) as response:
        data = response.read()
    if path:
        with open(path, "wb") as out:
            out.write(data)
    return data


def newest(index, pattern):
    """The stanza (dict) of the newest package whose name matches `pattern`."""
    best = None
    for stanza in index.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", stanza, re.M))
        if re.fullmatch(pattern, fields.get("Package", "")):
            key = [int(n) for n in re.findall(r"\d+", fields["Package"])]
            if best is None or key > best[0]:
                best = (key, fields)
    if best is None:
        sys.exit(f"boot-linux: no package matching {pattern} in Debian {SUITE}/riscv64")
    return best[1]


def cached_deb(mirror, fields, cache):
    path = os.path.join(cache, os.path.basename(fields["Filename"]))
    if not os.path.exists(path):
        print(f"boot-linux: downloading {fields['Package']} {fields['Version']} "
              f"({int(fields['Size']) // 1000000} MB)", file=sys.stderr)
        fetch(f"{mirror}/{fields['Filename']}", path + ".part")
        os.rename(path + ".part", path)
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if digest != fields["SHA256"]:
        os.remove(path)
        sys.exit(f"boot-linux: {path}: SHA-256 does not match Debian's index (removed; run again)")
    return path


def cpio_newc(entries):
    """A newc cpio archive of (name, mode, data) entries (directories: data None)."""
    out = io.BytesIO()
    for inode, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], start=1):
        data = data or b""
        name_bytes = name.encode() + b"\0"
        header = "070701" + "".join(f"{v:08x}" for v in (
            inode, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0))
        out.write(header.encode() + name_bytes)
        out.write(b"\0" * (-(110 + len(name_bytes)) % 4))
        out.write(data)
        out.write(b"\0" * (-len(data) % 4))
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--hartbox", default=os.path.join(root, "build/release/manager/hartbox"))
    parser.add_argument("--cache", default=os.path.join(root, "build/linux"))
    parser.add_argument("--mirror", default="http://deb.debian.org/debian")
    parser.add_argument("--smp", default="1")
    parser.add_argument("-m", dest="memory", default="512M")
    parser.add_argument("--engine", default="block")
    parser.add_argument("--shell", action="store_true", help="end in BusyBox's shell on the console")
    parser.add_argument("extra", nargs="*", help="more hartbox run options (after --)")
    args = parser.parse_args()
    for path, what in ((args.hartbox, "hartbox (build it, or pass --hartbox)"),
                       (FW_JUMP, "OpenSBI (apt-get install opensbi)")):
        if not os.path.exists(path):
            sys.exit(f"boot-linux: {path} is missing: {what}")
    if not shutil.which("dpkg-deb"):
        sys.exit("boot-linux: dpkg-deb is missing")
    os.makedirs(args.cache, exist_ok=True)

    index_path = os.path.join(args.cache, "Packages.gz")
    if not os.path.exists(index_path) or time.time() - os.path.getmtime(index_path) > 7 * 86400:
        fetch(f"{args.mirror}/dists/{SUITE}/main/binary-riscv64/Packages.gz", index_path)
    index = gzip.decompress(open(index_path, "rb").read()).decode("utf-8", "replace")
    kernel_deb = cached_deb(args.mirror, newest(index, r"linux-image-[0-9.]+\+deb\d+-riscv64"), args.cache)
    busybox_deb = cached_deb(args.mirror, newest(index, r"busybox-static"), args.cache)

    tree = os.path.join(args.cache, "tree")
    shutil.rmtree(tree, ignore_errors=True)
    for deb in (kernel_deb, busybox_deb):
        subprocess.run(["dpkg-deb", "-x", deb, tree], check=True)
    kernel = next(os.path.join(tree, "boot", f) for f in sorted(os.listdir(os.path.join(tree, "boot")))
                  if f.startswith("vmlinu"))
    modules = {}
    for directory, _, files in os.walk(os.path.join(tree, "usr/lib/modules")):
        for f in files:
            if f in ("virtio_mmio.ko.xz", "virtio_blk.ko.xz"):
                modules[f[:-3]] = subprocess.run(["xz", "-dc", os.path.join(directory, f)],
                                                 check=True, capture_output=True).stdout
    busybox = open(os.path.join(tree, "usr/bin/busybox"), "rb").read()
    entries = [(d, 0o040755, None) for d in ("bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "tmp", "root")]
    entries += [("bin/busybox", 0o100755, busybox), ("init", 0o100755, INIT.encode())]
    entries += [(f"lib/modules/{name}", 0o100644, data) for name, data in sorted(modules.items())]
    initramfs = os.path.join(args.cache, "initramfs.cpio.gz")
    with open(initramfs, "wb") as out:
        out.write(gzip.compress(cpio_newc(entries)))
    disk = os.path.join(args.cache, "disk.img")
    with open(disk, "wb") as out:
        out.truncate(8 << 20)

    append = "console=ttyS0 earlycon=sbi" + (" boot_linux_shell" if args.shell else "")
    command = [args.hartbox, "run", "-m", args.memory, "--smp", args.smp, "--engine", args.engine,
               "--bios", FW_JUMP, "--kernel", kernel, "--initrd", initramfs, "--append", append,
               "--disk", disk] + args.extra
    print("boot-linux: " + " ".join(command), file=sys.stderr)
    if args.shell:
        return subprocess.run(command).returncode
    start = time.monotonic()
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    seconds = time.monotonic() - start
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    ok = result.returncode == 0 and "boot-linux: done" in result.stdout and "write and read back OK" in result.stdout
    print(f"boot-linux: {'booted to /init and back' if ok else 'FAILED'} in {seconds:.1f} s "
          f"(exit status {result.returncode})", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
