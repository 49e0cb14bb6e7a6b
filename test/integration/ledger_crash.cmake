# Crash consistency of the ledger store with real processes (issue 3): the parent test kills
# jc_ledger_crash_child with SIGKILL at random moments and checks the store after each kill.
# Included from test/integration/CMakeLists.txt.
add_executable(jc_ledger_crash_child ${CMAKE_CURRENT_LIST_DIR}/ledger_crash_child.cc)
target_link_libraries(jc_ledger_crash_child PRIVATE jc_ledger jc_ledger_test_chain jc_warnings)

add_executable(jc_ledger_crash_test ${CMAKE_CURRENT_LIST_DIR}/ledger_crash_test.cc)
target_link_libraries(jc_ledger_crash_test
    PRIVATE jc_catch_main jc_warnings jc_ledger jc_ledger_test_chain)
target_compile_definitions(jc_ledger_crash_test
    PRIVATE JC_LEDGER_CRASH_CHILD="$<TARGET_FILE:jc_ledger_crash_child>")
add_dependencies(jc_ledger_crash_test jc_ledger_crash_child)
catch_discover_tests(jc_ledger_crash_test PROPERTIES LABELS integration TIMEOUT 120)
