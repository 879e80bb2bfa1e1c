#!/usr/bin/env python3
"""Before/after figures for a hot-path change: two (or more) hartbox binaries on the benchmark
programs, runs interleaved so that a change in the machine's load falls on every binary alike.

    bench/ab_compare.py --roms build/release/roms/bench BEFORE AFTER [--engine block]
                        [--only coremark_like,sort] [-n 3] [--quick]

For each program it prints the median CPU time (user + system of the child, less sensitive than
wall time to other work on a shared machine) per binary and the ratio first/last (above 1: the
last is faster), then the geometric mean of the ratios. Every run must exit 0 and print its
checksum line ("... OK"), so a broken engine cannot look fast.
"""
import argparse
import math
import os
import resource
import statistics
import subprocess
import sys

PROGRAMS = ["coremark_like", "sort", "sha256", "bytecode", "pointer_chase", "nbody", "strings", "branchy"]


def cpu_seconds(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0 or "OK" not in result.stdout:
        sys.exit(f"{' '.join(command)}: exit {result.returncode}\n{result.stdout}{result.stderr}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binaries", nargs="+", help="hartbox executables, the baseline first")
    parser.add_argument("--roms", required=True, help="the directory of the benchmark ELFs")
    parser.add_argument("--engine", default="block")
    parser.add_argument("--only", help="comma-separated program names")
    parser.add_argument("-n", type=int, default=3, help="runs per program and binary (median)")
    parser.add_argument("--quick", action="store_true", help="the programs' short sizes")
    args = parser.parse_args()
    programs = args.only.split(",") if args.only else PROGRAMS
    times = {}
    for program in programs:
        elf = os.path.join(args.roms, program + ".elf")
        for _ in range(args.n):
            for binary in args.binaries:
                command = [binary, "run", "--engine", args.engine, elf] + (["--", "quick"] if args.quick else [])
                times.setdefault((program, binary), []).append(cpu_seconds(command))
    names = [os.path.basename(os.path.dirname(os.path.dirname(b))) + "/" + os.path.basename(b)
             if len(set(map(os.path.basename, args.binaries))) < len(args.binaries) else os.path.basename(b)
             for b in args.binaries]
    print(f"engine {args.engine}, median CPU seconds of {args.n} interleaved runs; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'program':16}" + "".join(f"{n[-24:]:>26}" for n in names) + "   first/last")
    ratios = []
    for program in programs:
        medians = [statistics.median(times[(program, b)]) for b in args.binaries]
        ratios.append(medians[0] / medians[-1])
        print(f"{program:16}" + "".join(f"{m:26.3f}" for m in medians) + f"   {ratios[-1]:.3f}")
    print(f"geometric mean of first/last: {math.exp(sum(map(math.log, ratios)) / len(ratios)):.3f}")


if __name__ == "__main__":
    main()
