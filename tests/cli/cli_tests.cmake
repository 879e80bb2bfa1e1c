# Bad files given to `hartbox run`.
set(HB_CLI_DATA ${CMAKE_CURRENT_BINARY_DIR}/cli_data)
file(MAKE_DIRECTORY ${HB_CLI_DATA})
file(WRITE ${HB_CLI_DATA}/not_elf.bin "this is not an ELF file\n")
file(WRITE ${HB_CLI_DATA}/empty.elf "")
# A truncated ELF header: the magic and class only.
string(ASCII 127 HB_DEL)
file(WRITE ${HB_CLI_DATA}/truncated.elf "${HB_DEL}ELF")

function(hartbox_cli_failure_test name expect)
  add_test(NAME cli.${name}
           COMMAND ${CMAKE_COMMAND} "-DCMD=$<TARGET_FILE:hartbox>;${ARGN}" "-DEXPECT=${expect}"
                   -P ${CMAKE_CURRENT_LIST_DIR}/expect_failure.cmake)
endfunction()

hartbox_cli_failure_test(missing_file "missing.elf: .*No such file" run ${HB_CLI_DATA}/missing.elf)
hartbox_cli_failure_test(not_elf "not_elf.bin: .*not an ELF" run ${HB_CLI_DATA}/not_elf.bin)
hartbox_cli_failure_test(empty_file "empty.elf: " run ${HB_CLI_DATA}/empty.elf)
hartbox_cli_failure_test(truncated_elf "truncated.elf: " run ${HB_CLI_DATA}/truncated.elf)
# Host ELF files are 64-bit x86 (another machine); /bin/true is on every Debian system.
hartbox_cli_failure_test(foreign_machine "true: .*(x86|machine)" run /bin/true)
hartbox_cli_failure_test(bad_memory_size "memory" run -m 12Q ${HB_CLI_DATA}/not_elf.bin)
hartbox_cli_failure_test(unknown_engine "engine" run --engine nope ${HB_CLI_DATA}/not_elf.bin)
hartbox_cli_failure_test(bad_raw_spec "load-raw" run --load-raw nofile ${HB_CLI_DATA}/not_elf.bin)
hartbox_cli_failure_test(unknown_option "unrecognised|unrecognized" run --no-such-option x)
