#!/usr/bin/env bash
# Installs what is missing (Debian packages only), builds Hartbox and runs the main demo.
# Idempotent; asks nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh
cmake --preset release
cmake --build --preset release
hartbox=build/release/manager/hartbox
echo "== A C program on picolibc, talking to the host through semihosting"
"$hartbox" run --stats build/release/roms/c/hello.elf
echo "== The first instructions of the same program, traced with their disassembly"
"$hartbox" run --trace --max-insns 12 build/release/roms/c/hello.elf || true
echo "== A fleet: nine machines on two host threads, shared by weight (tenants, a cap, disk I/O,"
echo "   two machines pinging each other over the virtual switch, three asleep in WFI)"
"$hartbox" fleet
