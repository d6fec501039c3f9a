# Extra tests, included by tests/tests.cmake when present.

# Exit codes and output formats of `lunet test` and `lunet run`.
add_test(NAME cli.exit_codes
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/run_cli_tests.sh $<TARGET_FILE:lunet>)
add_test(NAME cli.repl COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/repl_test.sh $<TARGET_FILE:lunet>)
