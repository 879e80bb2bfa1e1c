# Snapshots into a fresh process: for a few C roms and every engine in HARTBOX_ENGINES,
#
#   1. hartbox run --stats --engine E prog.elf ARGS          (uninterrupted: output, count, status)
#   2. hartbox run --max-insns N --snapshot-out F --engine E prog.elf ARGS    (N: half the count)
#   3. hartbox run --restore F --stats                       (a second process goes on)
#
# and checks that the outputs of 2 and 3 together are the output of 1, that 3 reports the same
# instruction count as 1 and ends with the same exit status.
#
# Included by tests/CMakeLists.txt (needs HARTBOX_ENGINES and the roms' HARTBOX_C_ROMS); the
# same file is the test's script when run with -P.

if(CMAKE_SCRIPT_MODE_FILE)
  # --- The test itself: cmake -DHARTBOX=... -DROM=... -DENGINE=... -DWORK=... "-DARGS=..." -P
  foreach(var HARTBOX ROM ENGINE WORK)
    if(NOT DEFINED ${var})
      message(FATAL_ERROR "snapshot_tests.cmake: ${var} is required")
    endif()
  endforeach()
  file(MAKE_DIRECTORY ${WORK})
  set(snapshot ${WORK}/snapshot.hbs)
  file(REMOVE ${snapshot})

  function(retired_from text out)
    if(NOT text MATCHES "([0-9]+) instructions retired")
      message(FATAL_ERROR "no instruction count in:\n${text}")
    endif()
    set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
  endfunction()

  execute_process(COMMAND ${HARTBOX} run --stats --engine ${ENGINE} ${ROM} ${ARGS}
                  WORKING_DIRECTORY ${WORK}
                  RESULT_VARIABLE whole_status OUTPUT_VARIABLE whole_out ERROR_VARIABLE whole_err)
  retired_from("${whole_err}" whole_count)
  math(EXPR half "${whole_count} / 2")
  message("uninterrupted: status ${whole_status}, ${whole_count} instructions; snapshot after ${half}")

  execute_process(COMMAND ${HARTBOX} run --max-insns ${half} --snapshot-out ${snapshot} --engine ${ENGINE} ${ROM} ${ARGS}
                  WORKING_DIRECTORY ${WORK}
                  RESULT_VARIABLE first_status OUTPUT_VARIABLE first_out ERROR_VARIABLE first_err)
  if(NOT first_status STREQUAL "124")
    message(FATAL_ERROR "the first half ended with status ${first_status}, not 124:\n${first_out}${first_err}")
  endif()
  if(NOT EXISTS ${snapshot})
    message(FATAL_ERROR "no snapshot written:\n${first_err}")
  endif()

  execute_process(COMMAND ${HARTBOX} run --restore ${snapshot} --stats
                  WORKING_DIRECTORY ${WORK}
                  RESULT_VARIABLE second_status OUTPUT_VARIABLE second_out ERROR_VARIABLE second_err)
  retired_from("${second_err}" second_count)
  message("restored: status ${second_status}, ${second_count} instructions\n"
          "--- first half:\n${first_out}--- second half:\n${second_out}---")

  if(NOT second_status STREQUAL whole_status)
    message(FATAL_ERROR "exit status ${second_status} after the restore, ${whole_status} uninterrupted\n${second_err}")
  endif()
  if(NOT second_count EQUAL whole_count)
    message(FATAL_ERROR "${second_count} instructions after the restore, ${whole_count} uninterrupted")
  endif()
  if(NOT "${first_out}${second_out}" STREQUAL "${whole_out}")
    message(FATAL_ERROR "the two halves' output differs from the uninterrupted run's:\n${whole_out}")
  endif()
  # Bad snapshots are one clear line and exit status 1.
  file(WRITE ${WORK}/not_a_snapshot.hbs "hello")
  execute_process(COMMAND ${HARTBOX} run --restore ${WORK}/not_a_snapshot.hbs
                  RESULT_VARIABLE bad_status OUTPUT_VARIABLE bad_out ERROR_VARIABLE bad_err)
  if(NOT bad_status STREQUAL "1" OR NOT bad_err MATCHES "not_a_snapshot.hbs: truncated")
    message(FATAL_ERROR "a bad snapshot gave status ${bad_status}:\n${bad_err}")
  endif()
  return()
endif()

# --- Registration ------------------------------------------------------------------------------
# printf_float prints many lines (the snapshot falls between two of them) and uses the FPU;
# args checks that the guest's command line comes back from the snapshot.
set(HB_SNAPSHOT_ROMS printf_float args)
set(HB_SNAPSHOT_args_ARGS -- alpha beta-2 --gamma)
get_property(hb_snapshot_c_roms GLOBAL PROPERTY HARTBOX_C_ROMS)
foreach(elf IN LISTS hb_snapshot_c_roms)
  get_filename_component(name ${elf} NAME_WE)
  if(NOT name IN_LIST HB_SNAPSHOT_ROMS)
    continue()
  endif()
  foreach(engine IN LISTS HARTBOX_ENGINES)
    set(args "")
    if(DEFINED HB_SNAPSHOT_${name}_ARGS)
      set(args ${HB_SNAPSHOT_${name}_ARGS})
    endif()
    add_test(NAME snapshot.cli.${name}.${engine}
             COMMAND ${CMAKE_COMMAND}
                     "-DHARTBOX=$<TARGET_FILE:hartbox>" "-DROM=${elf}" "-DENGINE=${engine}"
                     "-DWORK=${CMAKE_CURRENT_BINARY_DIR}/snapshot_work/${name}.${engine}" "-DARGS=${args}"
                     -P ${CMAKE_CURRENT_LIST_FILE})
    set_tests_properties(snapshot.cli.${name}.${engine} PROPERTIES TIMEOUT 120 LABELS "snapshot")
  endforeach()
endforeach()
