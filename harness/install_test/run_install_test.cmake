# cmake -P script: install, then build and run the consumer against the install.
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${RINGLAB_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
# Only the library ships: the known-bad designs stay with the model checks.
file(GLOB_RECURSE shipped_known_bad ${WORK_DIR}/prefix/*known_bad*)
if(shipped_known_bad)
  message(FATAL_ERROR "the install ships known-bad designs: ${shipped_known_bad}")
endif()
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
