# Runs a command and checks both its exit status and its output, which a
# plain add_test cannot do at once: PASS_REGULAR_EXPRESSION makes CTest
# ignore the exit status.
#
#   cmake "-DCMD=program;arg;..." -DEXPECT_EXIT=42 "-DEXPECT_OUTPUT=regex"
#         -P expect_exit.cmake
#
# EXPECT_OUTPUT is matched against stdout and stderr together; leave it
# empty to check the status only.  The command's output is echoed, so that
# `ctest -V` or a failure shows what the guest printed.

if(NOT DEFINED CMD OR NOT DEFINED EXPECT_EXIT)
  message(FATAL_ERROR "expect_exit.cmake: CMD and EXPECT_EXIT are required")
endif()

execute_process(COMMAND ${CMD}
                RESULT_VARIABLE status
                OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
string(JOIN " " shown ${CMD})
message("$ ${shown}\n${out}${err}")

if(NOT status STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "expected exit status ${EXPECT_EXIT}, got ${status}")
endif()
if(NOT "${EXPECT_OUTPUT}" STREQUAL "" AND NOT "${out}${err}" MATCHES "${EXPECT_OUTPUT}")
  message(FATAL_ERROR "output does not match: ${EXPECT_OUTPUT}")
endif()
