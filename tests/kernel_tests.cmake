# The test kernel (roms/kernel: virt_kernel.elf) through the command line, once per engine in
# HARTBOX_ENGINES:
#
#   kernel.virt_kernel.<engine>   `hartbox run --bios none --kernel virt_kernel.elf --disk IMG`
#                                 twice on one fresh image (kernel_boot_twice.cmake): both runs
#                                 exit 0 (timer, UART and PLIC, virtio-blk checks passed), and
#                                 the second finds the data the first wrote
#
# The kernel's other checks (the Sstc timer, console input, failure codes, two machines on a
# network) are in tests/unit/virt_kernel_test.cpp. Included by tests/CMakeLists.txt after
# roms/ has published the ELF's path (the global property HARTBOX_KERNEL_ROMS); registers
# nothing when the roms are not built.

get_property(hb_kernel_roms GLOBAL PROPERTY HARTBOX_KERNEL_ROMS)
set(HB_KERNEL_WORKDIR ${CMAKE_CURRENT_BINARY_DIR}/kernel_work)
file(MAKE_DIRECTORY ${HB_KERNEL_WORKDIR})

foreach(elf IN LISTS hb_kernel_roms)
  get_filename_component(name ${elf} NAME_WE)
  foreach(engine IN LISTS HARTBOX_ENGINES)
    add_test(NAME kernel.${name}.${engine}
             COMMAND ${CMAKE_COMMAND}
                     "-DHARTBOX=$<TARGET_FILE:hartbox>"
                     "-DKERNEL=${elf}"
                     "-DIMAGE=${HB_KERNEL_WORKDIR}/${name}_${engine}.img"
                     "-DENGINE=${engine}"
                     -P ${CMAKE_CURRENT_LIST_DIR}/kernel_boot_twice.cmake)
    set_tests_properties(kernel.${name}.${engine} PROPERTIES TIMEOUT 180 LABELS "rom;kernel")
  endforeach()
endforeach()
