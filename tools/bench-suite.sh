#!/usr/bin/env bash
# The whole-program benchmark suite (roms/bench/): builds the release preset, then runs every
# program natively on the host, on each Hartbox engine (interp, threaded, block) and on QEMU's
# TCG with semihosting, N times each (default 3) in this one invocation, and prints a Markdown
# report: the machine, the compilers, the command, and per program the instructions retired,
# MIPS and time (medians) per engine, block/interp, block against native and against QEMU, and
# the geometric mean of block/interp over the suite. bench/RESULTS.md is its output, with notes.
#
#   tools/bench-suite.sh [-n RUNS] [--only NAME,...] [--quick] [--no-build] [--no-qemu] [-o FILE]
#
#   -n RUNS       runs per program and runner (the median is reported); default 3
#   --only LIST   only these programs (comma-separated names, e.g. sort,branchy)
#   --quick       the programs' short sizes (their `quick` argument): a smoke test of this script
#   --no-build    use build/release as it is
#   --no-qemu     leave QEMU out (its columns show "-")
#   -o FILE       also write the report to FILE
#
# Every run's exit status and checksum line are checked ("<name>: checksum <hex> OK", the same
# checksum as the native run): any failure stops the suite with a message naming the runner
# and the program, and exit status 1. The runs of one program are interleaved (native, interp,
# threaded, block, QEMU, then again), so that a change in the machine's load spreads over all
# runners rather than landing on one. Times are wall-clock (time.perf_counter around the whole
# process, start-up included); CPU time (user+sys, from the kernel's accounting of the child)
# is reported beside it, since on a shared machine wall time also counts waiting for a core.
# The timed runs go without --stats: it now profiles (instructions by class, hottest blocks),
# which slows the engines it measures. Each engine runs once more with --stats, untimed, for
# the instructions retired (the report flags engines that disagree); MIPS is that count over
# the median wall time, and the CPU table shows what --stats costs.
# Progress goes to stderr, the report to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3
only=""
quick=0
build=1
qemu=1
output=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n) runs="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --quick) quick=1; shift ;;
    --no-build) build=0; shift ;;
    --no-qemu) qemu=0; shift ;;
    -o) output="$2"; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-suite: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "bench-suite: -n needs a positive number" >&2; exit 2 ;; esac
if [ "$qemu" = 1 ] && ! command -v qemu-system-riscv64 >/dev/null; then
  echo "bench-suite: qemu-system-riscv64 not found (Debian: qemu-system-misc), or pass --no-qemu" >&2
  exit 2
fi

if [ "$build" = 1 ]; then
  echo "bench-suite: building the release preset" >&2
  cmake --preset release >&2
  # Only what the suite runs: hartbox, the programs (guest and native) and the start-up probe.
  cmake --build --preset release --target hartbox hartbox_bench_roms hartbox_roms >&2
fi

command_line="tools/bench-suite.sh"
[ "$runs" != 3 ] && command_line+=" -n $runs"
[ -n "$only" ] && command_line+=" --only $only"
[ "$quick" = 1 ] && command_line+=" --quick"
[ "$qemu" = 0 ] && command_line+=" --no-qemu"

export BENCH_RUNS="$runs" BENCH_ONLY="$only" BENCH_QUICK="$quick" BENCH_QEMU="$qemu" \
       BENCH_OUTPUT="$output" BENCH_COMMAND="$command_line"
exec python3 - <<'PY'
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.getcwd()
BUILD = os.path.join(ROOT, "build", "release")
HARTBOX = os.path.join(BUILD, "manager", "hartbox")
BENCH = os.path.join(BUILD, "roms", "bench")
PROBE = os.path.join(BUILD, "roms", "c", "hello.elf")  # measures start-up alone
PROGRAMS = ["coremark_like", "sort", "sha256", "bytecode", "pointer_chase", "nbody", "strings", "branchy"]
ENGINES = ["interp", "threaded", "block"]
RUNS = int(os.environ["BENCH_RUNS"])
QUICK = os.environ["BENCH_QUICK"] == "1"
WITH_QEMU = os.environ["BENCH_QEMU"] == "1"
TIMEOUT = 900  # seconds for one run
QEMU = ["qemu-system-riscv64", "-M", "virt", "-bios", "none", "-m", "128M", "-nographic"]
STATS = re.compile(r"engine (\w+), (\d+) instructions retired, .*?, ([0-9.]+) s, ([0-9.]+) MIPS")


def fail(message):
    print(f"bench-suite: {message}", file=sys.stderr)
    sys.exit(1)


def progress(message):
    print(message, file=sys.stderr, flush=True)


def command(runner, name, elf, stats=False):
    """The command line that runs program `name` on `runner` (with --stats: an engine)."""
    args = ["quick"] if QUICK else []
    if runner == "native":
        return [os.path.join(BENCH, "native", name)] + args
    if runner == "qemu":
        # The semihosting command line: the program's name, then its arguments (as hartbox
        # passes them, so that picolibc's crt0 gives the program the same argv).
        config = ",".join(["enable=on", "target=native", f"arg={name}.elf"] + [f"arg={a}" for a in args])
        return QEMU + ["-semihosting-config", config, "-kernel", elf]
    return [HARTBOX, "run", "--engine", runner] + (["--stats"] if stats else []) + [elf] + \
        (["--"] + args if args else [])


def run_once(cmd):
    """Runs `cmd`; returns (status, stdout, stderr, wall seconds, cpu seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {TIMEOUT} s", float(TIMEOUT), 0.0
    wall = time.perf_counter() - start
    # QEMU's -nographic console turns "\n" into "\r\n".
    out, err = p.stdout.replace("\r", ""), p.stderr.replace("\r", "")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return p.returncode, out, err, wall, cpu


def check(runner, name, status, out, err, expected_checksum):
    label = f"{name}{' (quick)' if QUICK else ''}"
    # QEMU's semihosting console writes to stderr.
    m = re.search(rf"^{re.escape(label)}: checksum ([0-9a-f]{{16}}) OK$", out + "\n" + err, re.M)
    where = "natively" if runner == "native" else ("on QEMU" if runner == "qemu" else f"on engine {runner}")
    if status != 0 or not m:
        tail = "\n".join((out + err).strip().splitlines()[-5:])
        problem = f"exit status {status}" if status != 0 else f"no '{label}: checksum ... OK' line"
        fail(f"{name} failed {where}: {problem}; last output:\n{tail}")
    if expected_checksum is not None and m.group(1) != expected_checksum:
        fail(f"{name} {where}: checksum {m.group(1)} differs from the native run's {expected_checksum}")
    return m.group(1)


def median(values):
    return statistics.median(values) if values else float("nan")


def geomean(values):
    values = [v for v in values if v > 0 and not math.isnan(v)]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def fmt(value, digits=2):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def shell(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


only = [n for n in os.environ["BENCH_ONLY"].split(",") if n]
for n in only:
    if n not in PROGRAMS:
        fail(f"unknown program {n} (the suite: {', '.join(PROGRAMS)})")
programs = [n for n in PROGRAMS if not only or n in only]
runners = ["native"] + ENGINES + (["qemu"] if WITH_QEMU else [])
for path in [HARTBOX, PROBE] + [os.path.join(BENCH, f"{n}.elf") for n in programs] + \
        [os.path.join(BENCH, "native", n) for n in programs]:
    if not os.path.exists(path):
        fail(f"{path} is missing: build first (without --no-build)")

results = {}
suite_start = time.perf_counter()
for name in programs:
    elf = os.path.join(BENCH, f"{name}.elf")
    checksum = None
    wall = {r: [] for r in runners}
    cpu = {r: [] for r in runners}
    insns = {}
    stats_mips, stats_cpu = {}, {}
    for rep in range(RUNS):
        for runner in runners:
            status, out, err, w, c = run_once(command(runner, name, elf))
            checksum = check(runner, name, status, out, err, checksum)
            wall[runner].append(w)
            cpu[runner].append(c)
            progress(f"  {name:14} {runner:9} run {rep + 1}/{RUNS}: {w:7.3f} s wall, {c:7.3f} s cpu")
    for engine in ENGINES:
        status, out, err, w, c = run_once(command(engine, name, elf, stats=True))
        check(engine, name, status, out, err, checksum)
        m = STATS.search(err)
        if not m or m.group(1) != engine:
            fail(f"{name} on engine {engine}: no --stats line in its output")
        insns[engine] = int(m.group(2))
        stats_mips[engine] = float(m.group(4))
        stats_cpu[engine] = c
        progress(f"  {name:14} {engine:9} --stats: {insns[engine]:,} instructions, {c:7.3f} s cpu")
    results[name] = {
        "checksum": checksum,
        "insns": set(insns.values()),
        "wall": {r: median(v) for r, v in wall.items()},
        "cpu": {r: median(v) for r, v in cpu.items()},
        "mips": {e: insns[e] / 1e6 / median(wall[e]) for e in ENGINES},
        "stats_mips": stats_mips,
        "stats_cpu": stats_cpu,
    }

# Start-up alone: a program that prints one line and exits.
startup = {}
for runner in ["block"] + (["qemu"] if WITH_QEMU else []):
    times = []
    for _ in range(RUNS):
        if runner == "qemu":
            cmd = QEMU + ["-semihosting-config", "enable=on,target=native", "-kernel", PROBE]
        else:
            cmd = [HARTBOX, "run", "--engine", runner, PROBE]
        status, out, err, w, _ = run_once(cmd)
        if status != 0 or "Hello" not in out + err:
            fail(f"the start-up probe {PROBE} failed on {runner}: exit status {status}")
        times.append(w)
    startup[runner] = median(times)
elapsed = time.perf_counter() - suite_start

# --- The report --------------------------------------------------------------------------------
lines = []
emit = lines.append
emit("# Hartbox whole-program benchmark suite")
emit("")
emit(f"Command: `{os.environ['BENCH_COMMAND']}` (from the repository root; {RUNS} run{'s' if RUNS > 1 else ''} of each program on "
     f"each runner, interleaved; medians; {elapsed / 60:.1f} minutes in all).")
emit("")
date = shell("date -u +%Y-%m-%dT%H:%M:%SZ")
load = shell("cut -d' ' -f1-3 /proc/loadavg")
picolibc = shell("dpkg-query -W -f='${Version}' picolibc-riscv64-unknown-elf 2>/dev/null") or "?"
emit(f"Date: {date}; load average at the end: {load}.")
emit("")
emit("Machine (`lscpu | head`):")
emit("")
emit("```")
emit(shell("lscpu | head"))
emit("```")
emit("")
emit("Compilers and emulators:")
emit("")
emit(f"- host C/C++: {shell('cc --version | head -1')}; {shell('c++ --version | head -1')}")
emit(f"- guest: {shell('riscv64-unknown-elf-gcc --version | head -1')}, picolibc {picolibc}; "
     "`-march=rv64gc -mabi=lp64d -O2 -ffp-contract=off`, the native build `-O2 -ffp-contract=off` too")
if WITH_QEMU:
    emit(f"- {shell('qemu-system-riscv64 --version | head -1')} (TCG), "
         "`-M virt -bios none -m 128M -nographic -semihosting-config enable=on,target=native`")
emit(f"- Hartbox: {shell('git rev-parse --short HEAD')} plus the work tree's changes, preset `release`")
emit("")
emit("## Wall-clock time and MIPS (medians)")
emit("")
emit("Times in seconds, whole process (start-up included), without --stats. MIPS: instructions retired "
     "(from one --stats run per engine) over the median time. block/interp: block MIPS over interp MIPS. "
     "block/native, block/QEMU: block's time over theirs (above 1: block is slower).")
emit("")
emit("| program | insns retired | MIPS interp | MIPS threaded | MIPS block | native s | interp s | threaded s "
     "| block s | QEMU s | block/interp | block/native | block/QEMU |")
emit("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
ratios_interp, ratios_native, ratios_qemu = [], [], []
for name in programs:
    r = results[name]
    ins = r["insns"]
    ins_text = f"{min(ins):,}" if len(ins) == 1 else "DIFFER: " + "/".join(f"{i:,}" for i in sorted(ins))
    m, w = r["mips"], r["wall"]
    b_i = m["block"] / m["interp"]
    b_n = w["block"] / w["native"]
    b_q = w["block"] / w["qemu"] if WITH_QEMU else float("nan")
    ratios_interp.append(b_i)
    ratios_native.append(b_n)
    ratios_qemu.append(b_q)
    emit(f"| {name} | {ins_text} | {fmt(m['interp'], 1)} | {fmt(m['threaded'], 1)} | {fmt(m['block'], 1)} "
         f"| {fmt(w['native'], 3)} | {fmt(w['interp'])} | {fmt(w['threaded'])} | {fmt(w['block'])} "
         f"| {fmt(w.get('qemu', float('nan')))} | {fmt(b_i)} | {fmt(b_n, 1)} | {fmt(b_q)} |")
emit(f"| **geometric mean** | | | | | | | | | | **{fmt(geomean(ratios_interp))}** | {fmt(geomean(ratios_native), 1)} "
     f"| {fmt(geomean(ratios_qemu))} |")
emit("")
emit(f"Geometric mean of block/interp MIPS ratios over {len(programs)} programs: **{fmt(geomean(ratios_interp))}**.")
emit("")
emit("## CPU time (user+sys, medians)")
emit("")
emit("What the runs cost in processor time; on a busy machine this is steadier than wall time. "
     "block/threaded above 1: the threaded engine used less CPU than block. The last two columns: "
     "block's one run with --stats, and its cost over the median run without.")
emit("")
emit("| program | native s | interp s | threaded s | block s | QEMU s | block/interp | block/threaded "
     "| block/native | block/QEMU | block --stats s | --stats cost |")
emit("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for name in programs:
    c = results[name]["cpu"]
    stats_block = results[name]["stats_cpu"]["block"]
    def ratio(a, b, digits=2):
        return fmt(a / b, digits) if b > 0 else "-"
    emit(f"| {name} | {fmt(c['native'], 3)} | {fmt(c['interp'])} | {fmt(c['threaded'])} | {fmt(c['block'])} "
         f"| {fmt(c.get('qemu', float('nan')))} | {ratio(c['block'], c['interp'])} | {ratio(c['block'], c['threaded'])} "
         f"| {ratio(c['block'], c['native'], 1)} | {ratio(c['block'], c['qemu']) if WITH_QEMU else '-'} "
         f"| {fmt(stats_block)} | {ratio(stats_block, c['block'])} |")
emit("")
emit("Start-up alone (roms/c/hello.elf, median wall time): "
     + ", ".join(f"{'hartbox block' if k == 'block' else 'QEMU'} {v:.3f} s" for k, v in startup.items()) + ".")
emit("")
emit("Checksums (the same on every runner): "
     + ", ".join(f"{n} `{results[n]['checksum']}`" for n in programs) + ".")
for name in programs:
    if len(results[name]["insns"]) != 1:
        emit("")
        emit(f"**Warning**: the engines retired different numbers of instructions on {name}.")

report = "\n".join(lines) + "\n"
sys.stdout.write(report)
if os.environ["BENCH_OUTPUT"]:
    with open(os.environ["BENCH_OUTPUT"], "w", encoding="utf-8") as f:
        f.write(report)
PY
