#!/usr/bin/env bash
# Sanitizer runs for CI, each a configure + build + test of one CMake preset:
#   asan   the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (GCC)
#   tsan   the multi-threaded tests under ThreadSanitizer (GCC), `ctest -R` (see tsan_tests)
#   fuzz   every libFuzzer target (fuzz/, clang) with its short, bounded CTest run
#
#   bash tools/sanitizers.sh [asan] [tsan] [fuzz]     (no argument: all three, in that order)
#
# Environment:
#   HARTBOX_SANITIZER_BUILD_ROOT  where the build trees go (default: build/, i.e. build/<preset>,
#                                 as the presets say); set it to keep them apart from a developer's
#   HARTBOX_ASAN_EXCLUDE          a ctest -E regular expression: tests the asan run leaves out
#                                 (default: none, the whole suite; tools/test.sh sets it for CI)
#   HARTBOX_TSAN_TESTS            the ctest -R regular expression of the tsan run
#   HARTBOX_FUZZ_SECONDS          seconds per fuzz target (default: the CMake cache's, 20)
#
# Installs what is missing (Debian packages, as tools/test.sh does): tools/setup-debian.sh, plus
# libclang-rt-14-dev (libFuzzer's runtime; clang itself comes from setup-debian.sh, which installs
# without recommended packages, and the runtime is only a recommendation of clang-14).
# Every sanitizer stops at its first report (-fno-sanitize-recover=all; halt_on_error below).
# Prints the time each stage took; the exit status is non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."

stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(asan tsan fuzz)
for s in "${stages[@]}"; do
  case "$s" in asan|tsan|fuzz) ;; *) echo "usage: $0 [asan] [tsan] [fuzz]" >&2; exit 2 ;; esac
done

bash tools/setup-debian.sh || exit 1
if [[ " ${stages[*]} " == *" fuzz "* ]] &&
   ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed"; then
  SUDO=""
  [ "$(id -u)" != 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libclang-rt-14-dev || exit 1
fi

root="${HARTBOX_SANITIZER_BUILD_ROOT:-build}"
jobs="${HARTBOX_SANITIZER_JOBS:-2}"

# halt_on_error: the first report fails the test; detect_leaks: LeakSanitizer with ASan.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

# What runs on more than one thread today: the isolation tests (machines on their own threads),
# two machines exchanging frames across threads (virtio-net), a PLIC line raised from another
# thread, clones sharing copy-on-write pages; and the quick lockstep tests. The long lockstep
# tests (random instruction streams, every ROM) run on one thread, where TSan finds nothing that
# ASan does not, at many times the cost. The manager's tests: the fleet on its worker pool, the
# switch with senders on several threads, the control socket, the lifecycle.
tsan_tests="${HARTBOX_TSAN_TESTS:-^unit\.(isolation|virtio-net|plic: lines raised from another thread|clone:|The lockstep runner|Every engine shows observers|fleet:|switch:|control|lifecycle)}"

declare -A seconds status
run_stage() {
  local name="$1"
  shift
  local start=$SECONDS
  echo "==== sanitizers: $name"
  "$@"
  status[$name]=$?
  seconds[$name]=$((SECONDS - start))
  echo "==== sanitizers: $name: $([ "${status[$name]}" = 0 ] && echo passed || echo FAILED) in ${seconds[$name]} s"
}

stage_asan() {
  local dir="$root/asan"
  local exclude=()
  [ -n "${HARTBOX_ASAN_EXCLUDE:-}" ] && exclude=(-E "$HARTBOX_ASAN_EXCLUDE")
  cmake --preset asan -B "$dir" && cmake --build "$dir" -j "$jobs" &&
    ctest --test-dir "$dir" -j "$jobs" --output-on-failure "${exclude[@]}"
}

stage_tsan() {
  local dir="$root/tsan"
  # Only what the selected tests need: the unit tests and the guest programs (the clone tests
  # run roms/c/printf_float).
  cmake --preset tsan -B "$dir" && cmake --build "$dir" -j "$jobs" --target hartbox_unit_tests hartbox_roms &&
    ctest --test-dir "$dir" -j "$jobs" --output-on-failure -R "$tsan_tests"
}

stage_fuzz() {
  local dir="$root/fuzz"
  local extra=()
  [ -n "${HARTBOX_FUZZ_SECONDS:-}" ] && extra=(-DHARTBOX_FUZZ_SECONDS="$HARTBOX_FUZZ_SECONDS")
  cmake --preset fuzz -B "$dir" "${extra[@]}" && cmake --build "$dir" -j "$jobs" --target fuzz &&
    ctest --test-dir "$dir" -j "$jobs" --output-on-failure -L fuzz
}

for s in "${stages[@]}"; do run_stage "$s" "stage_$s"; done

echo "==== sanitizers: summary"
failed=0
for s in "${stages[@]}"; do
  printf '  %-5s %-7s %5d s\n' "$s" "$([ "${status[$s]}" = 0 ] && echo passed || echo FAILED)" "${seconds[$s]}"
  [ "${status[$s]}" = 0 ] || failed=1
done
exit $failed
