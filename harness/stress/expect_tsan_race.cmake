# Runs a stress command up to ATTEMPTS times and passes on the first run whose
# output has a ThreadSanitizer data-race report. TSan sees a race only between
# accesses still in its shadow memory, so on a loaded machine one short run
# can miss a race that is there; several runs make a miss unlikely, and a
# design without the race fails every one of them.
#   cmake -DATTEMPTS=5 -DSTRESS=<binary> "-DARGS=<args;...>" -P expect_tsan_race.cmake
foreach(attempt RANGE 1 ${ATTEMPTS})
  execute_process(COMMAND ${STRESS} ${ARGS} OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if("${out}${err}" MATCHES "WARNING: ThreadSanitizer: data race[^\n]*")
    # The report's first line, for the evidence (which looks for it in the output).
    message(STATUS "attempt ${attempt}: ${CMAKE_MATCH_0}")
    return()
  endif()
  message(STATUS "attempt ${attempt}: no race reported")
endforeach()
message(FATAL_ERROR "ThreadSanitizer reported no race in ${ATTEMPTS} runs")
