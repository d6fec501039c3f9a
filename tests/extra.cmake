# Extra tests, included by tests/tests.cmake when present.

# Exit codes and output formats of `lunet test` and `lunet run`.
add_test(NAME cli.exit_codes
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/run_cli_tests.sh $<TARGET_FILE:lunet>)
add_test(NAME cli.repl COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/repl_test.sh $<TARGET_FILE:lunet>)
set_tests_properties(cli.repl PROPERTIES TIMEOUT 180)

# Colour and the progress line, through a pseudo-terminal (script(1)); exit
# 77 when no pseudo-terminal can be had, which ctest reports as skipped.
add_test(NAME cli.color COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/color_test.sh $<TARGET_FILE:lunet>)
add_test(NAME cli.progress COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/progress_test.sh $<TARGET_FILE:lunet>)
add_test(NAME cli.pcap_stream COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/pcap_stream_test.sh $<TARGET_FILE:lunet>)
set_tests_properties(cli.color cli.progress cli.pcap_stream PROPERTIES SKIP_RETURN_CODE 77)

# lunet run --report: the page, its links, its bytes from one process to the next.
add_test(NAME cli.report COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/report_test.sh $<TARGET_FILE:lunet>)

# The report of scripts/handshake.lua in headless Chromium: no console
# errors, nothing loaded, one ladder arrow per captured TCP segment, and a
# screenshot to look at in the build directory. Without Chromium (.ci/run
# installs it) exit 77, which ctest reports as skipped.
add_test(NAME browser.report
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/browser/report_test.sh $<TARGET_FILE:lunet>
                 ${CMAKE_BINARY_DIR}/report-handshake.png)
set_tests_properties(browser.report PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)

# lunet repl on a real terminal (tmux): commands, completion, time control,
# rewind, Ctrl-C and Ctrl-D.  Exit 77 (skipped) without tmux.
add_test(NAME cli.repl_live COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/repl_live_test.sh $<TARGET_FILE:lunet>)
set_tests_properties(cli.repl_live PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)

# The same script and seed give the same pcaps and output from two processes.
add_test(NAME cli.determinism COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/determinism_test.sh $<TARGET_FILE:lunet>)

# How lunet ends when told to (issue 8): SIGINT, SIGTERM and SIGHUP stop
# `lunet run` (either driver) and `lunet repl` with one line, exit 128 +
# the signal and whole pcaps; a capture that cannot write fails the run.
add_test(NAME cli.faults_signals COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/faults_signals_test.sh $<TARGET_FILE:lunet>)
set_tests_properties(cli.faults_signals PROPERTIES TIMEOUT 180)

# make install, used as a user would (issue 8): cmake --install into a
# temporary DESTDIR, then the installed lunet, require "lunet" from a stock
# lua5.4, man -l on both pages, the bash and zsh completions, and
# uninstall.  Builds nothing; exit 77 (skipped) without lua5.4 or man.
add_test(NAME install COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install/install_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(install PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

# Fuzz targets (tests/fuzz/fuzz_*.c): each runs under ctest as fuzz.X
# through fuzz_replay.c, seeded from its corpus tests/fuzz/corpus/X (prefixes
# and deterministic mutations; the built-in frames when there is none) and
# replaying each crash kept in tests/fuzz/regress/X, with the sanitizers in
# the sanitizer build.  With clang, -DLUNET_FUZZ=ON also builds the
# libFuzzer binaries (make fuzz runs them): the engine and binding are then
# built with coverage instrumentation and ASan/UBSan too, or libFuzzer
# would see only the entry point's own branches.
option(LUNET_FUZZ "Build libFuzzer targets (needs clang)" OFF)
file(GLOB FUZZ_TARGETS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
list(REMOVE_ITEM FUZZ_TARGETS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_replay.c)
# A new corpus or regression directory changes fuzz.X's command line.
file(GLOB_RECURSE FUZZ_INPUTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/*
     ${CMAKE_SOURCE_DIR}/tests/fuzz/regress/*)
# Mutations per seed under ctest: about 10 s each in the sanitizer build.
set(FUZZ_RUNS_fuzz_dissect 1500)
set(FUZZ_RUNS_fuzz_stack 2500)
set(FUZZ_RUNS_fuzz_ip6 2500)
set(FUZZ_RUNS_fuzz_router 2500)
set(FUZZ_RUNS_fuzz_session 1500)
set(FUZZ_RUNS_fuzz_parse 5000)
set(FUZZ_RUNS_fuzz_pkt 3000)
set(FUZZ_RUNS_fuzz_dist 20000)
set(FUZZ_RUNS_fuzz_bridge 1000)
set(FUZZ_RUNS_fuzz_dhcp 20000)
set(FUZZ_RUNS_fuzz_dns 1500)
set(FUZZ_SAN -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
if(LUNET_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LUNET_FUZZ needs clang (libFuzzer): cmake -DCMAKE_C_COMPILER=clang, or make fuzz")
  endif()
  foreach(lib lunetcore lunetlua)
    target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link ${FUZZ_SAN})
  endforeach()
  # Whatever links the instrumented engine needs the sanitizer runtimes.
  target_link_options(lunetcore INTERFACE -fsanitize=address,undefined)
endif()
foreach(src ${FUZZ_TARGETS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name}_replay ${src} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_replay.c)
  target_link_libraries(${name}_replay PRIVATE lunetlua)
  set(args "")
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
    list(APPEND args --mutate ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
    if(DEFINED FUZZ_RUNS_${name})
      list(PREPEND args --runs ${FUZZ_RUNS_${name}})
    endif()
  endif()
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/fuzz/regress/${name})
    list(APPEND args ${CMAKE_SOURCE_DIR}/tests/fuzz/regress/${name})
  endif()
  add_test(NAME fuzz.${name} COMMAND ${name}_replay ${args})
  set_tests_properties(fuzz.${name} PROPERTIES TIMEOUT 300)
  if(LUNET_FUZZ)
    add_executable(${name} ${src})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer ${FUZZ_SAN})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer ${FUZZ_SAN})
    target_link_libraries(${name} PRIVATE lunetlua)
  endif()
endforeach()

# The classroom scenarios' knobs, --help and --lang zh (issue 10).
add_test(NAME cli.knobs COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/knobs_test.sh $<TARGET_FILE:lunet>)
set_tests_properties(cli.knobs PROPERTIES TIMEOUT 600)
add_test(NAME cli.classroom COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/classroom_test.sh $<TARGET_FILE:lunet>)
add_test(NAME cli.wireshark_profile COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/wireshark_profile_test.sh $<TARGET_FILE:lunet>)
set_tests_properties(cli.wireshark_profile PROPERTIES SKIP_RETURN_CODE 77)

# The debug trace: --trace, $LUNET_TRACE, net:trace() (issue 11).
add_test(NAME cli.trace COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/trace_test.sh $<TARGET_FILE:lunet>)

# One network split across MPI ranks: the same captures and counters on 1,
# 2 and 4 ranks (skipped, saying why, without Open MPI).
foreach(s wan_transfer syn_flood campus)
  add_test(NAME mpi.${s}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mpi/compare.sh $<TARGET_FILE:lunet>
                   ${CMAKE_SOURCE_DIR}/tests/mpi/${s}.lua)
  set_tests_properties(mpi.${s} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
add_test(NAME mpi.errors COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mpi/errors.sh $<TARGET_FILE:lunet>)
set_tests_properties(mpi.errors PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

# lunet against Linux through net:bridge (issue 14): each scenario runs
# lunet in a network namespace of its own with a TAP device and checks
# both stacks (tests/interop/lib.sh).  Skipped (77), saying why, without
# root, /dev/net/tun, ip(8) or a namespace that works.  They go by the
# wall clock, so they take turns (RESOURCE_LOCK) rather than compete for
# the two cores of a CI machine.
foreach(s transfer loss options close ping synflood pcap http_dns tcp6)
  add_test(NAME interop.${s}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/interop/${s}.sh $<TARGET_FILE:lunet>)
endforeach()
# TcpExtTW while sockets are in TIME_WAIT: counted as each one begins, on
# both sides (lunet once counted as they ended).
add_test(NAME interop.tw_counter
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/interop/close.sh $<TARGET_FILE:lunet> tw)
set_tests_properties(interop.transfer interop.loss interop.options interop.close interop.ping interop.synflood
                     interop.pcap interop.tw_counter interop.http_dns interop.tcp6
                     PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 RESOURCE_LOCK interop)
