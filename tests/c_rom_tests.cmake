# Guest programs from roms/ run by `hartbox run`, once per engine in
# HARTBOX_ENGINES, with `--engine <e>` after the program:
#
#   rom.c.<name>.<engine>    roms/c/<name>.c: exit status and output checked
#                            (through expect_exit.cmake, see there why)
#   rom.isa.<name>.<engine>  roms/isa/<name>.S: passes when the guest writes 1
#                            to tohost (exit status 0); a failing case number
#                            comes back as the exit status
#
# Included by tests/CMakeLists.txt after roms/ has published the ELF paths
# (global properties HARTBOX_C_ROMS and HARTBOX_ISA_ROMS); the ISA tests are
# registered when it calls hartbox_add_isa_rom_tests().


# A program's own working directory: file_io writes there.
set(HB_C_ROM_WORKDIR ${CMAKE_CURRENT_BINARY_DIR}/c_rom_work)
file(MAKE_DIRECTORY ${HB_C_ROM_WORKDIR})

# What each C program must print, and its exit status.  A program not listed
# here must exit 0 and may print anything.
set(HB_C_ROM_hello_EXIT 0)
set(HB_C_ROM_hello_OUTPUT "Hello from Hartbox!")

set(HB_C_ROM_printf_float_EXIT 0)
set(HB_C_ROM_printf_float_OUTPUT
    "pi=3\\.14159.*third=0\\.3333333333333333.*sqrt2=1\\.414213562373095.*e=1\\.234568e\\+04.*round=2 2 4 0\\.2.*printf_float: all lines match")

set(HB_C_ROM_exit_code_EXIT 42)
set(HB_C_ROM_exit_code_OUTPUT "exit_code: calling exit\\(42\\)")

# picolibc's crt0 gives argv[0]="program-name", then the command line's
# words: the program, then its arguments.  "--" keeps hartbox from reading
# the guest's "--gamma" as its own option.
set(HB_C_ROM_args_EXIT 0)
set(HB_C_ROM_args_ARGS -- alpha beta-2 --gamma)
set(HB_C_ROM_args_OUTPUT
    "cmdline: \\[.*args\\.elf alpha beta-2 --gamma\\].*argc: 5.*argv\\[2\\]: \\[alpha\\].*argv\\[3\\]: \\[beta-2\\].*argv\\[4\\]: \\[--gamma\\]")

# file_io gets a per-engine file name (relative: resolved in the working
# directory), so that the engines may run in parallel.
set(HB_C_ROM_file_io_EXIT 0)

get_property(hb_c_roms GLOBAL PROPERTY HARTBOX_C_ROMS)
foreach(elf IN LISTS hb_c_roms)
  get_filename_component(name ${elf} NAME_WE)
  foreach(engine IN LISTS HARTBOX_ENGINES)
    set(exit_status 0)
    set(output "")
    set(guest_args "")
    if(DEFINED HB_C_ROM_${name}_EXIT)
      set(exit_status ${HB_C_ROM_${name}_EXIT})
    endif()
    if(DEFINED HB_C_ROM_${name}_OUTPUT)
      set(output "${HB_C_ROM_${name}_OUTPUT}")
    endif()
    if(DEFINED HB_C_ROM_${name}_ARGS)
      set(guest_args ${HB_C_ROM_${name}_ARGS})
    endif()
    if(name STREQUAL "file_io")
      set(guest_args -- file_io_${engine}.txt)
      set(output "file_io: wrote, read back, appended and removed file_io_${engine}\\.txt: OK")
    endif()
    set(cmd "$<TARGET_FILE:hartbox>" run ${elf} --engine ${engine} ${guest_args})
    add_test(NAME rom.c.${name}.${engine}
             COMMAND ${CMAKE_COMMAND}
                     "-DCMD=${cmd}"
                     "-DEXPECT_EXIT=${exit_status}"
                     "-DEXPECT_OUTPUT=${output}"
                     -P ${CMAKE_CURRENT_LIST_DIR}/expect_exit.cmake
             WORKING_DIRECTORY ${HB_C_ROM_WORKDIR})
    set_tests_properties(rom.c.${name}.${engine} PROPERTIES TIMEOUT 60 LABELS "rom;rom.c")
  endforeach()
endforeach()

# One test per ISA rom and engine; exit status 0 means every case passed.
function(hartbox_add_isa_rom_tests)
  get_property(roms GLOBAL PROPERTY HARTBOX_ISA_ROMS)
  foreach(elf IN LISTS roms)
    get_filename_component(name ${elf} NAME_WE)
    foreach(engine IN LISTS HARTBOX_ENGINES)
      add_test(NAME rom.isa.${name}.${engine}
               COMMAND $<TARGET_FILE:hartbox> run ${elf} --engine ${engine})
      set_tests_properties(rom.isa.${name}.${engine} PROPERTIES TIMEOUT 60 LABELS "rom;rom.isa")
    endforeach()
  endforeach()
endfunction()
