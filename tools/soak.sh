#!/usr/bin/env bash
# Soak test: 1,000 machines with mixed guests (CPU-bound, idle, and faulting ones: wild jumps,
# illegal instructions, bad MMIO, self-modifying code, random bytes) for MINUTES minutes on two
# host threads, printing instructions retired, faults survived and the process's RSS as it goes,
# then a verdict: nothing escaped a slice, and RSS did not grow once warm.
# See tools/soak/soak_main.cpp for the workloads and the rules.
#
#   bash tools/soak.sh [MINUTES]          (default 10)
#
# Environment: SOAK_MACHINES (1000), SOAK_THREADS (2), SOAK_SAMPLE_SECONDS (a thirtieth of the
# run, at least 5), SOAK_CSV (also write the samples to this CSV file), SOAK_BUILD_DIR
# (build/soak: a Release build of the library and the driver, with no tests, benches or roms).
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-10}"
if ! [[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "usage: $0 [MINUTES]" >&2
  exit 2
fi
machines="${SOAK_MACHINES:-1000}"
threads="${SOAK_THREADS:-2}"
sample="${SOAK_SAMPLE_SECONDS:-$(awk -v m="$minutes" 'BEGIN { s = m * 60 / 30; print (s < 5 ? 5 : s) }')}"
build="${SOAK_BUILD_DIR:-build/soak}"

bash tools/setup-debian.sh
cmake -S tools/soak -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target hartbox_soak

args=(--minutes "$minutes" --machines "$machines" --threads "$threads" --sample "$sample")
[ -n "${SOAK_CSV:-}" ] && args+=(--csv "$SOAK_CSV")
exec "$build/hartbox_soak" "${args[@]}"
