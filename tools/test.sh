#!/usr/bin/env bash
# Installs what is missing (Debian packages only), builds Hartbox and its guest programs with
# -Werror, and runs the whole test suite through CTest. Then, only once that has passed, the
# sanitizer stages (tools/sanitizers.sh; README, "Sanitizers and fuzzing"):
#   HARTBOX_SANITIZERS=ci    (the default) asan without the ROM lockstep test, tsan on the
#                            multi-threaded tests, every fuzz target briefly
#   HARTBOX_SANITIZERS=full  the same with the whole asan suite
#   HARTBOX_SANITIZERS=off   the ci preset alone
# Idempotent; asks nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup-debian.sh
cmake --preset ci
cmake --build --preset ci
ctest --preset ci

# The lockstep test of every engine on every ROM runs for 15 minutes and more under ASan on two
# cores, half the budget; the ci preset above runs it, and the fuzz stage runs the engines in
# lockstep under ASan.
ci_asan_exclude='^unit\.Every engine agrees with interp on every ROM'
case "${HARTBOX_SANITIZERS:-ci}" in
  off) ;;
  ci) HARTBOX_ASAN_EXCLUDE="${HARTBOX_ASAN_EXCLUDE:-$ci_asan_exclude}" bash tools/sanitizers.sh asan tsan fuzz ;;
  full) bash tools/sanitizers.sh asan tsan fuzz ;;
  *) echo "HARTBOX_SANITIZERS: ci, full or off, not '${HARTBOX_SANITIZERS}'" >&2; exit 2 ;;
esac
