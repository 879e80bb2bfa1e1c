# gdb against hartbox's gdb server (manager/gdb/), on roms/c/gdb_target.c:
#
#   gdb.session.<engine>  Debian's gdb-multiarch in batch mode: break, step, print, watch, rwatch,
#                         hbreak, stepi, registers, threads, a memory write, run to the end
#   gdb.engines_agree     that session on every engine gives the same transcript
#   gdb.protocol          the remote protocol by hand, on every engine: acks, malformed packets, two
#                         harts, Ctrl-C, memory writes, detach, kill; then lockstep: single steps
#                         from reset (one instruction each) against continue to breakpoints on the
#                         same pcs, on gdb_target and on the ISA roms with traps, interrupts
#                         (interrupt handler entries included) and Sv39, compared across engines
#
# gdb-multiarch comes from tools/setup-debian.sh. Included by tests/CMakeLists.txt.
if(HARTBOX_BUILD_ROMS AND TARGET hartbox_gdb_test_server)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  find_program(HARTBOX_GDB_MULTIARCH gdb-multiarch)
  if(NOT HARTBOX_GDB_MULTIARCH)
    set(HARTBOX_GDB_MULTIARCH gdb-multiarch)  # the test says what is missing
  endif()
  set(hb_gdb_script ${CMAKE_CURRENT_LIST_DIR}/gdb/gdb_session.py)
  set(hb_gdb_server $<TARGET_FILE:hartbox_gdb_test_server>)
  set(hb_gdb_rom ${CMAKE_BINARY_DIR}/roms/c/gdb_target.elf)
  set(hb_gdb_engine_args)
  foreach(engine IN LISTS HARTBOX_ENGINES)
    list(APPEND hb_gdb_engine_args --engine ${engine})
    add_test(NAME gdb.session.${engine}
             COMMAND Python3::Interpreter ${hb_gdb_script} ${hb_gdb_server} ${hb_gdb_rom}
                     --engine ${engine} --gdb ${HARTBOX_GDB_MULTIARCH})
    set_tests_properties(gdb.session.${engine} PROPERTIES TIMEOUT 120 LABELS gdb)
  endforeach()
  add_test(NAME gdb.engines_agree
           COMMAND Python3::Interpreter ${hb_gdb_script} ${hb_gdb_server} ${hb_gdb_rom}
                   ${hb_gdb_engine_args} --gdb ${HARTBOX_GDB_MULTIARCH})
  set(hb_gdb_lockstep)
  foreach(rom priv_interrupts priv_traps priv_sv39)
    list(APPEND hb_gdb_lockstep --lockstep-elf ${CMAKE_BINARY_DIR}/roms/isa/${rom}.elf)
  endforeach()
  add_test(NAME gdb.protocol
           COMMAND Python3::Interpreter ${hb_gdb_script} ${hb_gdb_server} ${hb_gdb_rom}
                   ${hb_gdb_engine_args} --protocol ${hb_gdb_lockstep})
  set_tests_properties(gdb.engines_agree gdb.protocol PROPERTIES TIMEOUT 300 LABELS gdb)
endif()
