#!/usr/bin/env bash
# Installs everything Hartbox needs on a Debian 12 (bookworm) machine, from Debian's archive only.
# Idempotent and prompt-free: run it as often as you like.
#  - Catch2 v3 comes from bookworm-backports.
#  - Capstone 5 (the first with RISC-V) comes from Debian 13 (trixie), pinned at priority 1 so that
#    nothing else is ever taken from trixie; libcapstone5 needs only libc6 >= 2.14.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build pkg-config git python3
  libboost-program-options-dev libbenchmark-dev libelf-dev libfdt-dev device-tree-compiler libpcap-dev libzstd-dev
  libtomlplusplus-dev nlohmann-json3-dev
  opensbi u-boot-qemu qemu-system-misc gdb-multiarch
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf binutils-riscv64-unknown-elf
  clang
)
BACKPORTS=(libcatch2-dev)
TRIXIE=(libcapstone-dev libcapstone5)

need_install() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 0
  done
  return 1
}

capstone_major() {
  dpkg-query -W -f='${Version}' libcapstone-dev 2>/dev/null | cut -d. -f1
}

changed=0
list=/etc/apt/sources.list.d/hartbox-debian.sources
if [ ! -f "$list" ]; then
  $SUDO tee "$list" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  changed=1
fi
pin=/etc/apt/preferences.d/hartbox-trixie
if [ ! -f "$pin" ]; then
  $SUDO tee "$pin" >/dev/null <<'PIN'
# Hartbox takes only Capstone 5 from trixie; everything else stays on bookworm.
Package: *
Pin: release n=trixie
Pin-Priority: 1
PIN
  changed=1
fi

if [ "$changed" = 1 ] || need_install "${PACKAGES[@]}" "${BACKPORTS[@]}" || [ "$(capstone_major)" != 5 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
  $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "${BACKPORTS[@]}"
  $SUDO apt-get install -y -qq --no-install-recommends $(printf '%s/trixie ' "${TRIXIE[@]}")
fi
