# The CTest fuzz.* tests: replays the seed corpus, then fuzzes for RUNS executions or SECONDS
# seconds, whichever comes first, with a fixed seed (a CI run explores the same inputs every
# time, so it fails only when the code changes). New inputs go to WORK, never to the source tree.
#   cmake -DFUZZER=... -DCORPUS=dir -DWORK=dir -DRUNS=n -DSECONDS=s -P run_fuzzer.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus")
execute_process(
  COMMAND "${FUZZER}" -seed=1 -runs=${RUNS} -max_total_time=${SECONDS} -timeout=25 -rss_limit_mb=4096
          -print_final_stats=1 -artifact_prefix=${WORK}/ "${WORK}/corpus" "${CORPUS}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(GLOB artifacts "${WORK}/crash-*" "${WORK}/leak-*" "${WORK}/timeout-*" "${WORK}/oom-*")
  message(FATAL_ERROR "fuzzer ${FUZZER} failed (${result}); the input is kept in: ${artifacts}")
endif()
