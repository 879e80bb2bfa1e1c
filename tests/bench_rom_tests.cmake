# The benchmark suite's programs (roms/bench/*.c and the generated branchy.c),
# each run once on the block engine:
#
#   rom.bench.<name>.block   passes when the program exits 0 and prints
#                            "<name>: checksum <hex> OK", i.e. its results
#                            match the checksum compiled into it
#
# The timings are tools/bench-suite.sh's business (bench/RESULTS.md); these
# tests only keep the programs, and the engine running them, correct.  To keep
# CI short, the slowest programs on the block engine run their short size here
# (the guest argument `quick`, which has its own expected checksum): see
# HB_BENCH_QUICK.
#
# Included by tests/CMakeLists.txt after roms/ has published the ELF paths
# (global property HARTBOX_BENCH_ROMS); uses expect_exit.cmake like
# c_rom_tests.cmake.

# Programs run at their short size in the tests: those that take over 1 s of
# CPU (over 3 s of wall time on a busy 2-core machine) on the block engine at
# full size, in bench/RESULTS.md.  The others take 0.6-1 s each.
set(HB_BENCH_QUICK pointer_chase branchy)

get_property(hb_bench_roms GLOBAL PROPERTY HARTBOX_BENCH_ROMS)
foreach(elf IN LISTS hb_bench_roms)
  get_filename_component(name ${elf} NAME_WE)
  set(guest_args "")
  set(output "${name}: checksum [0-9a-f]+ OK")
  if(name IN_LIST HB_BENCH_QUICK)
    # "--" ends hartbox's own options: what follows goes to the guest.
    set(guest_args -- quick)
    set(output "${name} \\(quick\\): checksum [0-9a-f]+ OK")
  endif()
  set(cmd "$<TARGET_FILE:hartbox>" run ${elf} --engine block ${guest_args})
  add_test(NAME rom.bench.${name}.block
           COMMAND ${CMAKE_COMMAND}
                   "-DCMD=${cmd}"
                   "-DEXPECT_EXIT=0"
                   "-DEXPECT_OUTPUT=${output}"
                   -P ${CMAKE_CURRENT_LIST_DIR}/expect_exit.cmake)
  set_tests_properties(rom.bench.${name}.block PROPERTIES TIMEOUT 120 LABELS "rom;rom.bench")
endforeach()
