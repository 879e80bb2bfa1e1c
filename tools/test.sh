#!/usr/bin/env bash
# Installs what is missing (Debian packages only), builds Hartbox and its guest programs with
# -Werror, and runs the whole test suite through CTest. Idempotent; asks nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh
cmake --preset ci
cmake --build --preset ci
ctest --preset ci
