# Boots the test kernel (roms/kernel) twice with `hartbox run` on one fresh disk image, as a
# user would, and checks that both runs exit 0 and that the second one found the data the
# first one wrote:
#
#   cmake -DHARTBOX=path/to/hartbox -DKERNEL=virt_kernel.elf -DIMAGE=scratch.img
#         [-DENGINE=block] -P kernel_boot_twice.cmake
#
# IMAGE is overwritten. stdin is /dev/null, so that nothing typed reaches the guest's UART.
# Each run's output is echoed, so that `ctest -V` or a failure shows what the kernel printed.

foreach(var HARTBOX KERNEL IMAGE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "kernel_boot_twice.cmake: ${var} is required")
  endif()
endforeach()
if(NOT DEFINED ENGINE)
  set(ENGINE block)
endif()

# 1 MiB of a byte that is not zero: the kernel must not take zeros for data.
string(REPEAT "Z" 1048576 contents)
file(WRITE ${IMAGE} "${contents}")

set(expected_1 "blk: boot 1: fresh disk")
set(expected_2 "blk: boot 2: data written by boot 1 is intact")
foreach(boot 1 2)
  set(cmd ${HARTBOX} run --bios none --kernel ${KERNEL} --disk ${IMAGE} --engine ${ENGINE})
  execute_process(COMMAND ${cmd}
                  INPUT_FILE /dev/null
                  RESULT_VARIABLE status
                  OUTPUT_VARIABLE out
                  ERROR_VARIABLE err
                  TIMEOUT 60)
  string(JOIN " " shown ${cmd})
  message("$ ${shown}    (boot ${boot})\n${out}${err}")
  if(NOT status STREQUAL "0")
    message(FATAL_ERROR "boot ${boot}: expected exit status 0, got ${status}")
  endif()
  string(FIND "${out}" "${expected_${boot}}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "boot ${boot}: the output lacks \"${expected_${boot}}\"")
  endif()
  string(FIND "${out}" "virt_kernel: all checks passed" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "boot ${boot}: the output lacks \"virt_kernel: all checks passed\"")
  endif()
endforeach()
file(REMOVE ${IMAGE})
