# Unit tests: every tests/unit/test_*.c is one executable linked with the engine.
file(GLOB UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/unit)
  target_link_libraries(${name} PRIVATE lunetcore)
  add_test(NAME unit.${name} COMMAND ${name})
endforeach()
# The binding's wire formats are plain C too (no Lua): tested the same way.
target_sources(test_dns_wire PRIVATE ${CMAKE_SOURCE_DIR}/lua/dns_wire.c)
target_include_directories(test_dns_wire PRIVATE ${CMAKE_SOURCE_DIR}/lua)

# Scenario tests: each tests/scenarios/*.lua runs through `lunet test`.
# They run in the build directory, not the source tree: a test finds its
# files from its own path (debug.getinfo(1, "S").source), never from the
# working directory, and running elsewhere keeps that true.  Their
# captures go to build/pcap/ to be looked at afterwards.
file(GLOB SCENARIOS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/scenarios/*.lua)
foreach(src ${SCENARIOS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME scenario.${name} COMMAND lunet test ${src}
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(scenario.${name} PROPERTIES ENVIRONMENT "LUNET_PCAP_DIR=${CMAKE_BINARY_DIR}/pcap")
endforeach()

# The demonstrations under scripts/ are scenarios too.
file(GLOB DEMOS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/scripts/*.lua)
foreach(src ${DEMOS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME script.${name} COMMAND lunet test ${src}
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  set_tests_properties(script.${name} PROPERTIES ENVIRONMENT "LUNET_PCAP_DIR=${CMAKE_BINARY_DIR}/pcap")
endforeach()

# TCP specifications in packetdrill's language, run by `lunet packetdrill`
# (the tool's own failure cases are checked by scenarios/packetdrill.lua).
file(GLOB PKT_SCRIPTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/packetdrill/*.pkt)
foreach(src ${PKT_SCRIPTS})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME packetdrill.${name} COMMAND lunet packetdrill ${src}
           WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
endforeach()

if(EXISTS ${CMAKE_SOURCE_DIR}/tests/extra.cmake)
  include(${CMAKE_SOURCE_DIR}/tests/extra.cmake)
endif()

# Benchmarks print figures; they are built but not run by ctest (make bench).
file(GLOB BENCHES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/bench/bench_*.c)
foreach(src ${BENCHES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE lunetcore)
endforeach()
