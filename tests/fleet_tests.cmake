# `hartbox fleet` and `hartbox ctl` end to end.
#
# Included by tests/CMakeLists.txt (after cli/cli_tests.cmake), it registers:
#   fleet.demo          the built-in demo for 3 s: exit 0, the report's JSON checked (every
#                       machine ran, the idle ones woke and stayed idle, the capped one kept to
#                       its cap, ping and pong talked over the switch, Jain's index), the
#                       timeline's trace-event JSON checked
#   fleet.control       the demo with --control: `hartbox ctl` lists, pauses, inspects, re-weights
#                       and resumes a machine while the fleet runs; bad requests fail cleanly
#   fleet.control_snapshot  snapshot and restore through the control socket: a machine running
#                       roms/bench/sha256 is paused, snapshotted and restored into a new machine
#                       (and snapshotted again while running, and that restored too); every copy
#                       prints the uninterrupted run's checksum and exits 0, and the original's
#                       instruction count is exactly its count at the snapshot plus the copy's;
#                       a machine with a disk restores once the original is destroyed, goes
#                       on checking its disk's blocks, and is stopped (the fleet still exits 0)
#   cli.fleet_* / cli.ctl_*   bad specs, options and requests: one line on stderr, clean exit
#
# The same file is the checking script of the first three: cmake -DMODE=demo|control|snapshot
# -DHARTBOX=... -DWORKDIR=... [-DROMS=...] -P fleet_tests.cmake.

if(CMAKE_SCRIPT_MODE_FILE)
  # ---------------------------------------------------------------------------------------------
  # Checking mode.
  file(MAKE_DIRECTORY ${WORKDIR})

  function(json_number out json)
    string(JSON value ERROR_VARIABLE error GET "${json}" ${ARGN})
    if(error)
      message(FATAL_ERROR "report: no ${ARGN}: ${error}")
    endif()
    set(${out} "${value}" PARENT_SCOPE)
  endfunction()
  function(json_length out json)
    string(JSON value ERROR_VARIABLE error LENGTH "${json}" ${ARGN})
    if(error)
      message(FATAL_ERROR "no ${ARGN}: ${error}")
    endif()
    set(${out} "${value}" PARENT_SCOPE)
  endfunction()

  # math(EXPR) is integer-only: compare shares in millionths. The report's numbers are like
  # 0.4337129, 1.0, 3e-05 (tiny: taken as 0).
  function(to_micro out value)
    if(value MATCHES "[eE]-")
      set(${out} 0 PARENT_SCOPE)
    elseif(value MATCHES "^([0-9]+)\\.?([0-9]*)$")
      set(frac "${CMAKE_MATCH_2}000000")
      string(SUBSTRING "${frac}" 0 6 frac)
      math(EXPR micro "${CMAKE_MATCH_1} * 1000000 + 1${frac} - 1000000")
      set(${out} ${micro} PARENT_SCOPE)
    else()
      message(FATAL_ERROR "not a number: '${value}'")
    endif()
  endfunction()

  if(MODE STREQUAL "demo")
    set(report ${WORKDIR}/demo_report.json)
    set(timeline ${WORKDIR}/demo_timeline.json)
    file(REMOVE ${report} ${timeline})
    execute_process(COMMAND ${HARTBOX} fleet --duration 3 --no-status --report ${report} --timeline ${timeline}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    message("${out}${err}")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "hartbox fleet exited with ${rc}")
    endif()
    foreach(expected "Fleet report: fair_share policy, 2 workers" "Jain fairness index over" "Network lan:"
                     "\\[ping\\] net_ping: [0-9]+ pings, [0-9]+ replies")
      if(NOT out MATCHES "${expected}")
        message(FATAL_ERROR "the output does not show '${expected}'")
      endif()
    endforeach()

    file(READ ${report} json)
    json_number(policy "${json}" policy)
    json_length(count "${json}" machines)
    if(NOT policy STREQUAL "fair_share" OR NOT count EQUAL 9)
      message(FATAL_ERROR "report: policy ${policy} with ${count} machines, expected fair_share with 9")
    endif()
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      json_number(name "${json}" machines ${i} name)
      json_number(instructions "${json}" machines ${i} instructions)
      json_number(cpu_bound "${json}" machines ${i} cpu_bound)
      json_number(wakeups "${json}" machines ${i} wakeups)
      json_number(share "${json}" machines ${i} share)
      json_number(entitlement "${json}" machines ${i} entitlement)
      json_number(state "${json}" machines ${i} state)
      json_number(p90 "${json}" machines ${i} latency_us p90)
      to_micro(share_u "${share}")
      to_micro(entitled_u "${entitlement}")
      message("${name}: ${instructions} instructions, share ${share}, entitled ${entitlement}, cpu_bound ${cpu_bound}, ${wakeups} wake-ups, ${state}")
      if(NOT instructions GREATER 0)
        message(FATAL_ERROR "${name} retired no instruction")
      endif()
      if(NOT state STREQUAL "running")
        message(FATAL_ERROR "${name} is ${state} at the end of the run, not running")
      endif()
      if(name MATCHES "^idle-" OR name MATCHES "^p[io]ng$")
        # Sleepers: woken many times (a 10 ms timer, or a frame every 10 ms), nearly no CPU.
        if(cpu_bound OR wakeups LESS 50 OR share_u GREATER 100000)
          message(FATAL_ERROR "${name} should sleep in WFI and wake often: cpu_bound ${cpu_bound}, ${wakeups} wake-ups, share ${share}")
        endif()
      elseif(name MATCHES "^a-")
        if(NOT cpu_bound)
          message(FATAL_ERROR "${name} should be CPU-bound")
        endif()
        # Within a third of its entitlement (3 s is short, and CI runs other tests beside this one).
        math(EXPR low "${entitled_u} * 2 / 3")
        math(EXPR high "${entitled_u} * 4 / 3")
        if(share_u LESS low OR share_u GREATER high)
          message(FATAL_ERROR "${name} got ${share} of a thread, entitled to ${entitlement}")
        endif()
        set(${name}_share ${share_u})
      elseif(name STREQUAL "b-capped")
        if(share_u GREATER 275000)
          message(FATAL_ERROR "b-capped is capped at 0.25 of a thread and got ${share}")
        endif()
      endif()
    endforeach()
    if(NOT ${a-big_share} GREATER ${a-small_share})
      message(FATAL_ERROR "a-big (weight 200) got no more than a-small (weight 100)")
    endif()
    json_number(jain "${json}" jain_index)
    to_micro(jain_u "${jain}")
    if(jain_u LESS 800000)
      message(FATAL_ERROR "Jain's fairness index ${jain} is below 0.8")
    endif()
    json_number(frames "${json}" networks 0 frames)
    json_number(unicast "${json}" networks 0 unicast)
    if(frames LESS 100 OR unicast LESS 90)
      message(FATAL_ERROR "ping and pong exchanged ${frames} frames (${unicast} unicast) in 3 s, expected about 600")
    endif()

    # The timeline: valid JSON (one parse: CMake re-parses the whole text on every string(JSON)
    # call, so the events are counted with regular expressions instead of one by one).
    file(READ ${timeline} trace)
    json_length(events "${trace}" traceEvents)
    string(REGEX MATCHALL "\"ph\":\"X\"" slices "${trace}")
    list(LENGTH slices slices)
    string(REGEX MATCHALL "\"name\":\"thread_name\"" named_tracks "${trace}")
    list(LENGTH named_tracks named_tracks)
    string(REGEX MATCHALL "\"dur\":[0-9.e+-]+,[^{}]*\"ph\":\"X\",\"pid\":1,\"tid\":[12]," complete "${trace}")
    list(LENGTH complete complete)
    if(slices LESS 100 OR NOT named_tracks EQUAL 3 OR NOT complete EQUAL slices)
      message(FATAL_ERROR "timeline: ${events} events, ${slices} slices (${complete} with dur on a worker's track), "
                          "${named_tracks} named tracks (expected the fleet's and 2 workers')")
    endif()
    message("fleet.demo: report and timeline as expected (Jain ${jain}, ${frames} frames on lan, ${slices} slices)")

  elseif(MODE STREQUAL "control")
    set(socket ${WORKDIR}/control.sock)
    # The fleet in the background, `hartbox ctl` in the foreground, one shell.
    set(script [=[
set -u
"$HB" fleet --duration 6 --no-status --control "$SOCK" > "$WORK/control_fleet.log" 2>&1 &
fleet=$!
for i in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
ctl() { echo "\$ hartbox ctl $*"; "$HB" ctl --socket "$SOCK" "$@" 2>&1; echo "exit $?"; }
ctl list
ctl pause a-big
ctl inspect a-big
ctl pause a-big
ctl set-weight a-small 700
ctl set-cap b-capped 0.1
ctl inspect a-small
ctl resume a-big
ctl inspect nobody
ctl '{"cmd":"frobnicate"}'
ctl '{"cmd":"set-weight","name":"a-small"}'
"$HB" ctl --socket "$SOCK" --raw list | grep -q '^{"return":\[{' && echo "raw ok"
wait $fleet
echo "fleet exit $?"
]=])
    execute_process(COMMAND sh -c "${script}"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    message("${out}${err}")
    file(READ ${WORKDIR}/control_fleet.log log)
    message("--- the fleet's output ---\n${log}")
    foreach(expected
        "hartbox ctl list\n\\[\n  {\n.*\"name\": \"a-big\".*exit 0"
        "hartbox ctl pause a-big\n{}\nexit 0"
        "\"state\": \"paused\""
        "cannot pause it\nexit 1"
        "hartbox ctl set-weight a-small 700\n{}\nexit 0"
        "\"weight\": 700"
        "hartbox ctl resume a-big\n{}\nexit 0"
        "no machine named 'nobody'\nexit 1"
        "unknown command 'frobnicate'[^\n]*\nexit 1"
        "missing argument 'weight'\nexit 1"
        "raw ok"
        "fleet exit 0")
      if(NOT "${out}${err}" MATCHES "${expected}")
        message(FATAL_ERROR "the session does not show '${expected}'")
      endif()
    endforeach()
    if(NOT log MATCHES "ParametersChanged|Fleet report")
      message(FATAL_ERROR "the fleet did not report")
    endif()
    if(EXISTS ${socket})
      message(FATAL_ERROR "the control socket was left behind")
    endif()
  elseif(MODE STREQUAL "snapshot")
    set(socket ${WORKDIR}/snapshot.sock)
    set(report ${WORKDIR}/snapshot_report.json)
    file(REMOVE ${report} ${WORKDIR}/worker.snap ${WORKDIR}/worker-live.snap ${WORKDIR}/snapshot_inspect.json
         ${WORKDIR}/disk.snap ${WORKDIR}/snapshot_disk.img)
    # Virtual time, so that instruction counts are the guest's alone. The cap slows the original
    # down (not its results) so that it is still running when the requests come; it is lifted
    # before it resumes. `disk` checks every block it reads back from its disk, for ever.
    file(WRITE ${WORKDIR}/snapshot.toml "[fleet]\nworkers = 2\n\n[[machine]]\nname = \"worker\"\n"
               "program = \"${ROMS}/bench/sha256.elf\"\ntime = \"virtual\"\ncap = 0.1\n\n"
               "[[machine]]\nname = \"disk\"\nprogram = \"${ROMS}/c/disk_io.elf\"\nargs = [\"forever\"]\n"
               "time = \"virtual\"\ndisks = [\"snapshot_disk.img\"]\n")
    set(script [=[
set -u
truncate -s 1M "$WORK/snapshot_disk.img"
"$HB" fleet "$WORK/snapshot.toml" --no-status --control "$SOCK" --report "$WORK/snapshot_report.json" \
  > "$WORK/snapshot_fleet.log" 2>&1 &
fleet=$!
for i in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
ctl() { echo "\$ hartbox ctl $*"; "$HB" ctl --socket "$SOCK" "$@" 2>&1; echo "exit $?"; }
# A machine's state: the inspect reply's last "state" (the one before it is the scheduler's).
state() { echo "$1 is $("$HB" ctl --socket "$SOCK" --raw inspect "$1" | sed 's/.*"state":"\([a-z]*\)"}}$/\1/')"; }
# Instructions a machine has run (the reply's one "instructions").
ran() { "$HB" ctl --socket "$SOCK" --raw inspect "$1" | sed 's/.*"instructions":\([0-9]*\).*/\1/'; }
ctl pause worker
"$HB" ctl --socket "$SOCK" --raw inspect worker > "$WORK/snapshot_inspect.json"
ctl snapshot worker "$WORK/worker.snap"
state worker
ctl restore "$WORK/worker.snap"
ctl snapshot nobody "$WORK/nobody.snap"
ctl snapshot worker "$WORK/no-such-dir/worker.snap"
ctl restore "$WORK/absent.snap"
ctl resume worker
# Snapshot it again once it has run on (a resumed machine may wait for its cap's next period).
paused_at=$(ran worker)
for i in $(seq 1 200); do [ "$(ran worker)" -gt "$paused_at" ] && break; sleep 0.05; done
ctl snapshot worker "$WORK/worker-live.snap"
state worker
ctl set-cap worker 0
ctl restore "$WORK/worker-live.snap"
# A machine with a writable disk: the original holds the disk until it is destroyed.
ctl pause disk
ctl snapshot disk "$WORK/disk.snap"
ctl restore "$WORK/disk.snap"
ctl destroy disk
ctl restore "$WORK/disk.snap"
# The restored copy writes and checks a few MiB more, then is stopped.
for i in $(seq 1 400); do [ "$(ran disk)" -gt 30000000 ] && break; sleep 0.05; done
echo "restored disk ran $(ran disk) instructions"
ctl stop disk
wait $fleet
echo "fleet exit $?"
]=])
    execute_process(COMMAND sh -c "${script}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    message("${out}${err}")
    file(READ ${WORKDIR}/snapshot_fleet.log log)
    message("--- the fleet's output ---\n${log}")
    foreach(expected
        "hartbox ctl pause worker\n{}\nexit 0"
        "hartbox ctl snapshot worker [^\n]*/worker.snap\n{}\nexit 0\nworker is paused\n"
        "hartbox ctl restore [^\n]*/worker.snap\n{\n *\"name\": \"worker-2\"\n}\nexit 0"
        "no machine named 'nobody'\nexit 1"
        "no-such-dir/worker.snap[^\n]*\nexit 1"
        "absent.snap[^\n]*\nexit 1"
        "hartbox ctl resume worker\n{}\nexit 0"
        "hartbox ctl snapshot worker [^\n]*/worker-live.snap\n{}\nexit 0\nworker is running\n"
        "hartbox ctl restore [^\n]*/worker-live.snap\n{\n *\"name\": \"worker-live\"\n}\nexit 0"
        "hartbox ctl snapshot disk [^\n]*/disk.snap\n{}\nexit 0"
        "hartbox ctl restore [^\n]*/disk.snap\n[^\n]*snapshot_disk.img: in use by another machine or process\nexit 1"
        "hartbox ctl destroy disk\n{}\nexit 0\n[^\n]*hartbox ctl restore [^\n]*/disk.snap\n{\n *\"name\": \"disk\"\n}\nexit 0"
        "restored disk ran [0-9]+ instructions\n[^\n]*hartbox ctl stop disk\n{}\nexit 0"
        "fleet exit 0")
      if(NOT "${out}${err}" MATCHES "${expected}")
        message(FATAL_ERROR "the session does not show '${expected}'")
      endif()
    endforeach()
    # Every copy computed what the uninterrupted program computes.
    foreach(name worker worker-2 worker-live)
      if(NOT log MATCHES "\\[${name}\\] sha256: checksum ([0-9a-f]+) OK")
        message(FATAL_ERROR "${name} did not print its checksum and OK")
      endif()
      list(APPEND checksums ${CMAKE_MATCH_1})
    endforeach()
    list(REMOVE_DUPLICATES checksums)
    list(LENGTH checksums distinct)
    if(NOT distinct EQUAL 1)
      message(FATAL_ERROR "the copies printed different checksums: ${checksums}")
    endif()

    file(READ ${WORKDIR}/snapshot_inspect.json inspect)
    json_number(at_snapshot "${inspect}" return accounting instructions)
    file(READ ${report} json)
    json_length(count "${json}" machines)
    if(NOT count EQUAL 4)
      message(FATAL_ERROR "report: ${count} machines, expected worker, worker-2, worker-live and disk (restored)")
    endif()
    math(EXPR last "${count} - 1")
    foreach(i RANGE ${last})
      json_number(name "${json}" machines ${i} name)
      json_number(end "${json}" machines ${i} end)
      json_number(instructions_${name} "${json}" machines ${i} instructions)
      set(expected_end "exit code 0")
      if(name STREQUAL "disk")
        set(expected_end "stopped by request")  # disk_io runs for ever; it exits 1 on bad data
      endif()
      if(NOT end STREQUAL expected_end)
        message(FATAL_ERROR "report: ${name} ended with '${end}', not '${expected_end}'")
      endif()
    endforeach()
    # The restored copy went on from exactly where the original was paused.
    math(EXPR expected "${at_snapshot} + ${instructions_worker-2}")
    message("instructions: worker ${instructions_worker}, ${at_snapshot} at the snapshot + ${instructions_worker-2} "
            "in worker-2; worker-live ${instructions_worker-live}")
    if(NOT instructions_worker EQUAL expected)
      message(FATAL_ERROR "worker ran ${instructions_worker} instructions, but ${at_snapshot} before the snapshot and "
                          "${instructions_worker-2} after it in the restored copy make ${expected}")
    endif()
    if(NOT instructions_worker-live LESS instructions_worker-2)
      message(FATAL_ERROR "worker-live, restored from a later snapshot, ran no fewer instructions than worker-2")
    endif()
    if(log MATCHES "reads back wrong|failed \\(status")
      message(FATAL_ERROR "disk_io saw bad data")
    endif()
    if(EXISTS ${socket})
      message(FATAL_ERROR "the control socket was left behind")
    endif()
  else()
    message(FATAL_ERROR "fleet_tests.cmake: MODE must be demo, control or snapshot")
  endif()
  return()
endif()

# ---------------------------------------------------------------------------------------------
# Registration mode.
set(HB_FLEET_WORK ${CMAKE_CURRENT_BINARY_DIR}/fleet_work)
file(MAKE_DIRECTORY ${HB_FLEET_WORK})

if(HARTBOX_BUILD_ROMS)
  add_test(NAME fleet.demo
           COMMAND ${CMAKE_COMMAND} -DMODE=demo "-DHARTBOX=$<TARGET_FILE:hartbox>" -DWORKDIR=${HB_FLEET_WORK}
                   -P ${CMAKE_CURRENT_LIST_FILE})
  add_test(NAME fleet.control
           COMMAND ${CMAKE_COMMAND} -E env "HB=$<TARGET_FILE:hartbox>" "SOCK=${HB_FLEET_WORK}/control.sock"
                   "WORK=${HB_FLEET_WORK}"
                   ${CMAKE_COMMAND} -DMODE=control "-DHARTBOX=$<TARGET_FILE:hartbox>" -DWORKDIR=${HB_FLEET_WORK}
                   -P ${CMAKE_CURRENT_LIST_FILE})
  add_test(NAME fleet.control_snapshot
           COMMAND ${CMAKE_COMMAND} -E env "HB=$<TARGET_FILE:hartbox>" "SOCK=${HB_FLEET_WORK}/snapshot.sock"
                   "WORK=${HB_FLEET_WORK}"
                   ${CMAKE_COMMAND} -DMODE=snapshot "-DHARTBOX=$<TARGET_FILE:hartbox>" -DWORKDIR=${HB_FLEET_WORK}
                   -DROMS=${CMAKE_BINARY_DIR}/roms -P ${CMAKE_CURRENT_LIST_FILE})
  # They keep two worker threads busy: they take two processors from CTest's -j budget.
  set_tests_properties(fleet.demo fleet.control fleet.control_snapshot PROPERTIES TIMEOUT 120 LABELS fleet PROCESSORS 2)
endif()

# Bad specs, options and requests: one line on stderr naming the file and the problem (through
# tests/cli/expect_failure.cmake, as the `hartbox run` ones).
function(hartbox_fleet_failure_test name expect)
  add_test(NAME cli.${name}
           COMMAND ${CMAKE_COMMAND} "-DCMD=$<TARGET_FILE:hartbox>;${ARGN}" "-DEXPECT=${expect}"
                   -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/cli/expect_failure.cmake)
endfunction()
set(HB_FLEET_DATA ${CMAKE_CURRENT_BINARY_DIR}/fleet_data)
file(MAKE_DIRECTORY ${HB_FLEET_DATA})
file(WRITE ${HB_FLEET_DATA}/syntax.toml "[fleet]\npolicy = \"fair-share\n")
file(WRITE ${HB_FLEET_DATA}/typo.toml "[[machine]]\nname = \"m\"\nprogram = \"m.elf\"\nwieght = 3\n")
file(WRITE ${HB_FLEET_DATA}/missing_program.toml "[[machine]]\nname = \"web\"\nprogram = \"absent.elf\"\n")
file(WRITE ${HB_FLEET_DATA}/not_elf.bin "this is not an ELF file\n")
file(WRITE ${HB_FLEET_DATA}/not_elf.toml "[[machine]]\nname = \"web\"\nprogram = \"not_elf.bin\"\n")
file(WRITE ${HB_FLEET_DATA}/empty.toml "# nothing\n")
hartbox_fleet_failure_test(fleet_spec_syntax "syntax.toml:2:[0-9]+: " fleet ${HB_FLEET_DATA}/syntax.toml)
hartbox_fleet_failure_test(fleet_spec_typo "typo.toml:4:1: machine 'm': unknown key 'wieght' \\(did you mean 'weight'\\?\\)"
                         fleet ${HB_FLEET_DATA}/typo.toml)
hartbox_fleet_failure_test(fleet_spec_missing_program "missing_program.toml: machine 'web': program '.*absent.elf' does not exist"
                         fleet ${HB_FLEET_DATA}/missing_program.toml)
hartbox_fleet_failure_test(fleet_spec_not_elf "not_elf.toml: machine 'web': .*not_elf.bin: .*not an ELF"
                         fleet ${HB_FLEET_DATA}/not_elf.toml)
hartbox_fleet_failure_test(fleet_spec_empty "empty.toml: the spec has no \\[\\[machine\\]\\]" fleet ${HB_FLEET_DATA}/empty.toml)
hartbox_fleet_failure_test(fleet_spec_absent "absent.toml: cannot open" fleet ${HB_FLEET_DATA}/absent.toml)
hartbox_fleet_failure_test(fleet_bad_policy "--policy must be fair-share, round-robin or priority" fleet --policy lottery)
hartbox_fleet_failure_test(fleet_bad_duration "--duration" fleet --duration -1)
if(HARTBOX_BUILD_ROMS)
  hartbox_fleet_failure_test(fleet_bad_control "control.sock: cannot bind: No such file"
                           fleet --duration 1 --control /nonexistent-dir/control.sock)
endif()
hartbox_fleet_failure_test(ctl_no_socket "--socket PATH is required" ctl list)
hartbox_fleet_failure_test(ctl_no_server "cannot connect" ctl --socket ${HB_FLEET_DATA}/nobody.sock list)
hartbox_fleet_failure_test(ctl_unknown_command "unknown command 'reboot'" ctl --socket ${HB_FLEET_DATA}/nobody.sock reboot)
hartbox_fleet_failure_test(ctl_usage "usage: set-weight name weight" ctl --socket ${HB_FLEET_DATA}/nobody.sock set-weight web)
